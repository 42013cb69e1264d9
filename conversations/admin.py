"""The conversations in the admin: a list with the threads that have unread
messages from libraries, and one page per conversation with the messages, the
staff-only notes (set apart), and a form to reply or to note."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.models import Site
from loans.models import LoanRequest
from registration.models import Library

from .forms import StaffPostForm
from .models import Side, Thread
from .selectors import (
    staff_thread_scope,
    staff_unread_count,
    staff_unread_query,
    thread_messages,
    thread_staff_notes,
)
from .services import (
    Subject,
    message_post,
    staff_may_note,
    staff_may_read,
    staff_may_write,
    thread_mark_read,
)


def conversation_admin_url(subject: Subject) -> str:
    if isinstance(subject, LoanRequest):
        return reverse("admin:conversations_thread_request", kwargs={"loan_pk": subject.pk})
    return reverse("admin:conversations_thread_library", kwargs={"library_pk": subject.pk})


class UnreadFilter(admin.SimpleListFilter):
    title = gettext_lazy("messages from the library")
    parameter_name = "unread"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", gettext_lazy("Unread")), ("no", gettext_lazy("All read"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Thread]) -> QuerySet[Thread]:
        if self.value() == "yes":
            return queryset.filter(Q(unread_from_library__gt=0))
        if self.value() == "no":
            return queryset.filter(Q(unread_from_library=0))
        return queryset


class AboutFilter(admin.SimpleListFilter):
    title = gettext_lazy("subject")
    parameter_name = "about"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("request", gettext_lazy("Loan requests")),
            ("registration", gettext_lazy("Registration")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Thread]) -> QuerySet[Thread]:
        if self.value() == "request":
            return queryset.filter(loan_request__isnull=False)
        if self.value() == "registration":
            return queryset.filter(loan_request__isnull=True)
        return queryset


class SiteFilter(admin.SimpleListFilter):
    """Requests for one site's items (a registration thread has no site)."""

    title = gettext_lazy("holding site")
    parameter_name = "site"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(site.pk), site.local_name) for site in Site.objects.order_by("pk")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Thread]) -> QuerySet[Thread]:
        value = self.value()
        if value and str(value).isdigit():
            return queryset.filter(loan_request__material__site_id=int(str(value)))
        return queryset


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ("about", "unread", "library", "last_message_at")
    list_filter = (UnreadFilter, AboutFilter, SiteFilter)
    list_select_related = ("library",)
    search_fields = ("library__user_id", "library__name", "=loan_request__pk")
    ordering = ("-last_message_at", "-pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Thread]:
        query = (
            super()
            .get_queryset(request)
            .annotate(
                unread_from_library=Count(
                    "messages",
                    filter=Q(messages__sender=Side.LIBRARY, messages__read_at__isnull=True),
                )
            )
        )
        scope = staff_thread_scope(user=request.user)
        return query.none() if scope is None else query.filter(scope)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            "unread_total": staff_unread_count(user=request.user),
            "unread_query": staff_unread_query(user=request.user),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    @admin.display(description=gettext_lazy("subject"), ordering="loan_request")
    def about(self, thread: Thread) -> str:
        return thread.subject_label

    @admin.display(description=gettext_lazy("unread"))
    def unread(self, thread: Thread) -> int:
        return thread.unread_from_library  # type: ignore[attr-defined, no-any-return]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "request/<int:loan_pk>/",
                view(self.request_view),
                name="conversations_thread_request",
            ),
            path(
                "library/<int:library_pk>/",
                view(self.library_view),
                name="conversations_thread_library",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """A thread's page is its subject's conversation page."""
        thread = self.get_object(request, object_id)
        if thread is None or not self.has_view_permission(request, thread):
            raise PermissionDenied
        subject: Subject = thread.loan_request if thread.loan_request_id else thread.library  # type: ignore[assignment]
        return redirect(conversation_admin_url(subject))

    def request_view(self, request: HttpRequest, loan_pk: int) -> HttpResponse:
        loan = get_object_or_404(LoanRequest.objects.select_related("material"), pk=loan_pk)
        return self._conversation(request, loan)

    def library_view(self, request: HttpRequest, library_pk: int) -> HttpResponse:
        library = get_object_or_404(Library, pk=library_pk)
        return self._conversation(request, library)

    def _conversation(self, request: HttpRequest, subject: Subject) -> HttpResponse:
        user = request.user
        if not staff_may_read(user, subject):
            raise PermissionDenied
        form = StaffPostForm(request.POST or None)
        if request.method == "POST":
            if not (staff_may_write(user, subject) or staff_may_note(user, subject)):
                raise PermissionDenied
            if form.is_valid():
                try:
                    message_post(
                        subject=subject,
                        author=user,  # type: ignore[arg-type]
                        body=form.cleaned_data["body"],
                        staff_only=form.cleaned_data["staff_only"],
                    )
                except DomainError as exc:
                    form.add_error("body", exc.message)
                else:
                    if form.cleaned_data["staff_only"]:
                        messages.success(request, _("The staff-only note was saved."))
                    else:
                        messages.success(request, _("The message was sent to the library."))
                    return HttpResponseRedirect(request.path)
        thread_mark_read(subject=subject, reader=user)  # type: ignore[arg-type]
        is_request = isinstance(subject, LoanRequest)
        library = subject.library if isinstance(subject, LoanRequest) else subject
        if is_request:
            heading = _("Messages about request #%(id)s") % {"id": subject.pk}
            subject_url = reverse("admin:loans_loanrequest_change", args=[subject.pk])
        else:
            heading = _("Messages about the registration of %(library)s") % {"library": library}
            subject_url = reverse("admin:registration_library_change", args=[library.pk])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": heading,
            "subject": subject,
            "library": library,
            "subject_url": subject_url,
            "thread_messages": list(thread_messages(subject=subject)),
            "staff_notes": list(thread_staff_notes(subject=subject)),
            "form": form,
            "may_write": staff_may_write(user, subject),
            "may_note": staff_may_note(user, subject),
        }
        return TemplateResponse(request, "conversations/admin_thread.html", context)
