"""Back-office for registration. Every change goes through ``registration.services``;
the admin only shows data and collects input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_rows import KeptFiltersMixin, kept_filters_url, list_back
from core.errors import DomainError

from . import services
from .forms import (
    ApplicationRecordForm,
    ChangeNoticeForm,
    ConfirmForm,
    LetterForm,
    ReasonForm,
    ReplyForm,
    ScanForm,
)
from .models import (
    OPEN_APPLICATION_STATUSES,
    Application,
    ApplicationDocument,
    ChangeNotice,
    Correspondence,
    Library,
    LibraryStatus,
)
from .pdf import DOCUMENTS, document_filename
from .selectors import (
    AgeBand,
    application_age_band,
    application_filter_band,
    library_field_label,
)
from .services import Scan


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class LetterInline(ReadOnlyInline):
    model = Correspondence
    fields = ("dated", "direction", "summary", "recorded_by")
    readonly_fields = fields


class ScanInline(ReadOnlyInline):
    model = ApplicationDocument
    fields = ("kind", "download", "content_type", "size", "uploaded_at")
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, obj: ApplicationDocument) -> str:
        url = reverse("admin:registration_application_scan", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


class ChangeNoticeInline(ReadOnlyInline):
    model = ChangeNotice
    fields = ("received_on", "channel", "quoted_user_id", "changes_display", "note", "recorded_by")
    readonly_fields = fields
    verbose_name_plural = _("history of details (change notices)")

    @admin.display(description=_("changes (old → new)"))
    def changes_display(self, obj: ChangeNotice) -> str:
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><strong>{}</strong>: {} → {}</li>",
                (
                    (library_field_label(field), old or "—", new or "—")
                    for field, (old, new) in obj.changes.items()
                ),
            ),
        )


class AgeBandFilter(admin.SimpleListFilter):
    title = _("age against the 4-6 week target")
    parameter_name = "age"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [
            (AgeBand.WITHIN_TARGET.value, _("within 4 weeks")),
            (AgeBand.IN_TARGET.value, _("4-6 weeks")),
            (AgeBand.OVERDUE.value, _("over 6 weeks")),
        ]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        value = self.value()
        if value in AgeBand._value2member_map_:
            return application_filter_band(queryset=queryset, band=AgeBand(str(value)))
        return queryset


class DecisionFilter(admin.SimpleListFilter):
    """Open applications by default: those are the work queue."""

    title = _("decision")
    parameter_name = "decision"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [("decided", _("Decided")), ("all", _("All"))]

    def choices(self, changelist):  # type: ignore[no-untyped-def]
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Open"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        if self.value() == "all":
            return queryset
        if self.value() == "decided":
            return queryset.exclude(library__status__in=OPEN_APPLICATION_STATUSES)
        return queryset.filter(library__status__in=OPEN_APPLICATION_STATUSES)


def _action_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    obj: Any,
    title: str,
    form: forms.Form,
    run: Callable[[forms.Form], Any],
    done: str,
    intro: str = "",
    back_to_object: bool = False,
) -> HttpResponse:
    """A form page that calls one service; a DomainError is shown on the form.

    Once done, staff go back to the list as they had filtered it (the filters
    ride along in ``_changelist_filters`` from the list to the object's page
    to this one), or with ``back_to_object`` to the object's page, which
    still leads back to that list."""
    opts = model_admin.model._meta
    object_url = kept_filters_url(
        model_admin,
        request,
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
    )
    if request.method == "POST" and form.is_valid():
        try:
            run(form)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            model_admin.message_user(request, done, messages.SUCCESS)
            if back_to_object:
                return HttpResponseRedirect(object_url)
            return list_back(model_admin, request)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "original": obj,
        "object_url": object_url,
        "list_url": kept_filters_url(
            model_admin,
            request,
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        ),
        "title": title,
        "intro": intro,
        "form": form,
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "admin/registration/action_form.html", context)


@admin.register(Application)
class ApplicationAdmin(KeptFiltersMixin, admin.ModelAdmin):
    list_display = (
        "library_name",
        "country",
        "received_on",
        "status",
        "age",
        "target",
        "decided_on",
    )
    list_select_related = ("library",)
    list_filter = (DecisionFilter, AgeBandFilter, "library__status", "received_on")
    search_fields = ("library__name", "library__name_original", "library__email")
    ordering = ("received_on", "pk")
    date_hierarchy = "received_on"
    inlines = (LetterInline, ScanInline)
    change_form_template = "admin/registration/application/change_form.html"
    readonly_fields = (
        "library_link",
        "status",
        "received_on",
        "channel",
        "has_signed_application",
        "signature_verified",
        "has_reading_room_picture",
        "has_leaflet",
        "copier_conditions",
        "age",
        "decided_on",
        "decided_by",
        "rejection_reason",
        "recorded_by",
        "created_at",
    )
    fields = readonly_fields
    actions = ("approve_selected",)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    @admin.display(description=_("library"), ordering="library__name")
    def library_name(self, obj: Application) -> str:
        return obj.library.name

    @admin.display(description=_("library"))
    def library_link(self, obj: Application) -> str:
        url = reverse("admin:registration_library_change", args=[obj.library_id])
        return format_html('<a href="{}">{}</a>', url, obj.library)

    @admin.display(description=_("country"), ordering="library__country")
    def country(self, obj: Application) -> str:
        return obj.library.country.name

    @admin.display(description=_("status"), ordering="library__status")
    def status(self, obj: Application) -> str:
        return obj.library.get_status_display()

    def _age_days(self, obj: Application) -> int | None:
        if obj.library.status not in OPEN_APPLICATION_STATUSES:
            return None
        return (timezone.localdate() - obj.received_on).days

    @admin.display(description=_("age (days)"), ordering="received_on")
    def age(self, obj: Application) -> str:
        days = self._age_days(obj)
        return "—" if days is None else str(days)

    @admin.display(description=_("target 4-6 weeks"))
    def target(self, obj: Application) -> str:
        days = self._age_days(obj)
        if days is None:
            return "—"
        band = application_age_band(days=days)
        label = {
            AgeBand.WITHIN_TARGET: gettext("within 4 weeks"),
            AgeBand.IN_TARGET: gettext("due: 4-6 weeks"),
            AgeBand.OVERDUE: gettext("over 6 weeks"),
        }[band]
        colour = {"within": "green", "target": "darkorange", "over": "red"}[band.value]
        return format_html('<strong style="color:{}">{}</strong>', colour, label)

    @admin.action(description=_("Approve the selected applications"), permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        approved = 0
        for application in queryset.select_related("library"):
            try:
                services.library_approve(actor=request.user, library=application.library)  # type: ignore[arg-type]
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                approved += 1
        if approved:
            self.message_user(
                request,
                gettext("%(count)d application(s) approved.") % {"count": approved},
                messages.SUCCESS,
            )

    # --- custom pages ------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
            return self.admin_site.admin_view(view)

        custom = [
            path(
                "<int:pk>/request-info/",
                wrap(self.request_info_view),
                name="registration_application_request_info",
            ),
            path("<int:pk>/reply/", wrap(self.reply_view), name="registration_application_reply"),
            path(
                "<int:pk>/scans/",
                wrap(self.scan_add_view),
                name="registration_application_scan_add",
            ),
            path(
                "<int:pk>/approve/",
                wrap(self.approve_view),
                name="registration_application_approve",
            ),
            path(
                "<int:pk>/reject/", wrap(self.reject_view), name="registration_application_reject"
            ),
            path("scan/<int:pk>/", wrap(self.scan_view), name="registration_application_scan"),
        ]
        return custom + super().get_urls()

    def _get(self, request: HttpRequest, pk: int) -> Application:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(Application.objects.select_related("library"), pk=pk)

    def add_view(self, request, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ApplicationRecordForm(request.POST or None, request.FILES or None)
        created: list[Application] = []

        def run(f: forms.Form) -> None:
            assert isinstance(f, ApplicationRecordForm)  # noqa: S101 - for mypy  # nosec B101
            created.append(services.application_record(actor=request.user, **f.service_kwargs()))  # type: ignore[arg-type]

        if request.method == "POST" and form.is_valid():
            try:
                run(form)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request, gettext("The application was recorded."), messages.SUCCESS
                )
                change = reverse("admin:registration_application_change", args=[created[0].pk])
                return HttpResponseRedirect(kept_filters_url(self, request, change))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Record a postal application"),
            "intro": gettext(
                "Record an application when its original documents arrive by post. "
                "Applications by fax or email attachment are not accepted."
            ),
            "form": form,
            "list_url": kept_filters_url(
                self, request, reverse("admin:registration_application_changelist")
            ),
            "multipart": True,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/registration/action_form.html", context)

    def request_info_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        application = self._get(request, pk)
        form = LetterForm(request.POST or None, initial={"dated": timezone.localdate()})
        return _action_page(
            self,
            request,
            obj=application,
            title=gettext("Ask %(library)s for more information")
            % {"library": application.library.name},
            form=form,
            run=lambda f: services.application_request_info(
                actor=request.user,  # type: ignore[arg-type]
                application=application,
                dated=f.cleaned_data["dated"],
                summary=f.cleaned_data["summary"],
            ),
            done=gettext("The letter was recorded; the application waits for the reply."),
        )

    def reply_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        application = self._get(request, pk)
        form = ReplyForm(
            request.POST or None, request.FILES or None, initial={"dated": timezone.localdate()}
        )

        def run(f: forms.Form) -> None:
            assert isinstance(f, ReplyForm)  # noqa: S101 - for mypy  # nosec B101
            services.application_reply_record(
                actor=request.user,  # type: ignore[arg-type]
                application=application,
                dated=f.cleaned_data["dated"],
                summary=f.cleaned_data["summary"],
                scans=f.scans(),
            )

        return _action_page(
            self,
            request,
            obj=application,
            title=gettext("Record the reply of %(library)s")
            % {"library": application.library.name},
            form=form,
            run=run,
            done=gettext("The reply was recorded; the application is under review again."),
        )

    def scan_add_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        application = self._get(request, pk)
        form = ScanForm(request.POST or None, request.FILES or None)
        return _action_page(
            self,
            request,
            obj=application,
            title=gettext("Attach a scan"),
            form=form,
            run=lambda f: services.application_scan_add(
                actor=request.user,  # type: ignore[arg-type]
                application=application,
                scans=[Scan(f.cleaned_data["kind"], f.cleaned_data["file"])],
            ),
            done=gettext("The scan was attached."),
            back_to_object=True,
        )

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        application = self._get(request, pk)
        return _action_page(
            self,
            request,
            obj=application,
            title=gettext("Approve %(library)s") % {"library": application.library.name},
            intro=gettext(
                "Approval issues the User ID, creates the portal login and emails the library "
                "a link to set its password. Print the written approval, the certificate and "
                "the request form from the library's page and send them by post."
            ),
            form=ConfirmForm(request.POST if request.method == "POST" else None),
            run=lambda f: services.library_approve(actor=request.user, library=application.library),  # type: ignore[arg-type]
            done=gettext("The library is registered."),
        )

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        application = self._get(request, pk)
        return _action_page(
            self,
            request,
            obj=application,
            title=gettext("Reject the application of %(library)s")
            % {"library": application.library.name},
            form=ReasonForm(request.POST or None),
            run=lambda f: services.library_reject(
                actor=request.user,  # type: ignore[arg-type]
                library=application.library,
                reason=f.cleaned_data["reason"],
            ),
            done=gettext("The application was rejected."),
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):  # type: ignore[no-untyped-def]
        buttons: list[tuple[str, str]] = []
        if obj is not None and self.has_change_permission(request, obj):
            status = obj.library.status

            def url(name: str) -> str:
                # The page leads back to the list as it was filtered.
                page = reverse(f"admin:registration_application_{name}", args=[obj.pk])
                return kept_filters_url(self, request, page)

            if status in OPEN_APPLICATION_STATUSES:
                buttons.append((url("request_info"), gettext("Ask for information")))
            if status == LibraryStatus.INFO_REQUESTED:
                buttons.append((url("reply"), gettext("Record the reply")))
            if status == LibraryStatus.UNDER_REVIEW:
                buttons.append((url("approve"), gettext("Approve")))
            if status in OPEN_APPLICATION_STATUSES:
                buttons.append((url("reject"), gettext("Reject")))
            buttons.append((url("scan_add"), gettext("Attach a scan")))
        context["status_buttons"] = buttons
        return super().render_change_form(request, context, add, change, form_url, obj)

    def scan_view(self, request: HttpRequest, pk: int) -> FileResponse:
        """Stream a private scan to staff allowed to see applications."""
        if not request.user.has_perm("registration.view_applicationdocument"):
            raise PermissionDenied
        document = get_object_or_404(ApplicationDocument, pk=pk)
        try:
            handle = document.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404(gettext("The file is missing from the store.")) from exc
        extension = document.file.name.rsplit(".", 1)[-1]
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"application-{document.application_id}-{document.kind}-{document.pk}.{extension}",
            content_type=document.content_type,
        )


@admin.register(Library)
class LibraryAdmin(KeptFiltersMixin, admin.ModelAdmin):
    list_display = ("name", "user_id", "country", "status", "registered_on", "email")
    list_filter = ("status", "country")
    list_select_related = ()
    search_fields = ("name", "name_original", "user_id", "email")
    ordering = ("name",)
    inlines = (ChangeNoticeInline,)
    change_form_template = "admin/registration/library/change_form.html"
    fields = (
        "user_id",
        "status",
        "status_reason",
        "registered_on",
        "documents",
        "application_link",
        "name",
        "name_original",
        "country",
        "postal_address",
        "email",
        "fax",
        "phone",
        "representative_director",
        "representative_title",
        "language",
        "prefers_post",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        # A library comes into being when its postal application is recorded.
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        # Details change only through a recorded change notice.
        extra = {"show_save": False, "show_save_and_continue": False, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    @admin.display(description=_("application"))
    def application_link(self, obj: Library) -> str:
        application = Application.objects.filter(library=obj).only("pk").first()
        if application is None:
            return "—"
        url = reverse("admin:registration_application_change", args=[application.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("View the application"))

    @admin.display(description=_("documents"))
    def documents(self, obj: Library) -> str:
        if not obj.user_id:
            return gettext("Issued on approval.")
        return format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:registration_library_document", args=[obj.pk, kind]), label)
                for kind, (label, _cls) in DOCUMENTS.items()
            ),
        )

    def get_urls(self) -> list[URLPattern]:
        def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
            return self.admin_site.admin_view(view)

        custom = [
            path(
                "<int:pk>/document/<slug:kind>/",
                wrap(self.document_view),
                name="registration_library_document",
            ),
            path(
                "<int:pk>/change-notice/",
                wrap(self.change_notice_view),
                name="registration_library_change_notice",
            ),
            path(
                "<int:pk>/status/<slug:action>/",
                wrap(self.status_view),
                name="registration_library_status",
            ),
            path(
                "<int:pk>/password-link/",
                wrap(self.password_link_view),
                name="registration_library_password_link",
            ),
        ]
        return custom + super().get_urls()

    def document_view(self, request: HttpRequest, pk: int, kind: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        library = get_object_or_404(Library, pk=pk, user_id__isnull=False)
        if kind not in DOCUMENTS:
            raise Http404
        pdf = DOCUMENTS[kind][1](library=library).render()
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{document_filename(library, kind)}"'
        )
        return response

    def _get(self, request: HttpRequest, pk: int) -> Library:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(Library, pk=pk)

    def change_notice_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        library = self._get(request, pk)
        form = ChangeNoticeForm(
            request.POST or None, library=library, initial={"received_on": timezone.localdate()}
        )

        def run(f: forms.Form) -> None:
            assert isinstance(f, ChangeNoticeForm)  # noqa: S101 - for mypy  # nosec B101
            services.change_notice_record(
                actor=request.user,  # type: ignore[arg-type]
                library=library,
                received_on=f.cleaned_data["received_on"],
                channel=f.cleaned_data["channel"],
                quoted_user_id=f.cleaned_data["quoted_user_id"],
                changes=f.changes(),
                note=f.cleaned_data["note"],
            )

        return _action_page(
            self,
            request,
            obj=library,
            title=gettext("Record a change notice from %(library)s") % {"library": library.name},
            intro=gettext(
                "Changes are notified by letter or fax quoting the User ID. Enter the new values; "
                "the old ones stay in the history."
            ),
            form=form,
            run=run,
            done=gettext("The change notice was recorded and the details updated."),
        )

    STATUS_ACTIONS: dict[str, tuple[Callable[..., Library], Any, Any]] = {
        "suspend": (
            services.library_suspend,
            _("Suspend %(library)s"),
            _("The library is suspended."),
        ),
        "reinstate": (
            services.library_reinstate,
            _("Reinstate %(library)s"),
            _("The library is reinstated."),
        ),
        "withdraw": (
            services.library_withdraw,
            _("Withdraw %(library)s"),
            _("The registration is withdrawn."),
        ),
    }

    def status_view(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        if action not in self.STATUS_ACTIONS:
            raise Http404
        library = self._get(request, pk)
        service, title, done = self.STATUS_ACTIONS[action]
        return _action_page(
            self,
            request,
            obj=library,
            title=str(title) % {"library": library.name},
            form=ReasonForm(request.POST or None),
            run=lambda f: service(
                actor=request.user, library=library, reason=f.cleaned_data["reason"]
            ),
            done=str(done),
        )

    def password_link_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        library = self._get(request, pk)
        return _action_page(
            self,
            request,
            obj=library,
            title=gettext("Send %(library)s a new password link") % {"library": library.name},
            intro=gettext(
                "The library receives an email with a single-use link to choose its portal "
                "password. The link works for 72 hours; nobody else can see it."
            ),
            form=ConfirmForm(request.POST if request.method == "POST" else None),
            run=lambda f: services.library_password_link_send(
                actor=request.user,  # type: ignore[arg-type]
                library=library,
            ),
            done=gettext("The password link was sent."),
        )

    def get_status_buttons(self, obj: Library) -> list[tuple[str, str]]:
        buttons: list[tuple[str, str]] = []
        if obj.status in (LibraryStatus.ACTIVE, LibraryStatus.SUSPENDED):
            buttons.append(
                (
                    reverse("admin:registration_library_change_notice", args=[obj.pk]),
                    gettext("Record a change notice"),
                )
            )
        if obj.status in (LibraryStatus.ACTIVE, LibraryStatus.SUSPENDED):
            buttons.append(
                (
                    reverse("admin:registration_library_password_link", args=[obj.pk]),
                    gettext("Send a new password link"),
                )
            )
        if obj.status == LibraryStatus.ACTIVE:
            buttons.append(
                (
                    reverse("admin:registration_library_status", args=[obj.pk, "suspend"]),
                    gettext("Suspend"),
                )
            )
        if obj.status == LibraryStatus.SUSPENDED:
            buttons.append(
                (
                    reverse("admin:registration_library_status", args=[obj.pk, "reinstate"]),
                    gettext("Reinstate"),
                )
            )
        if obj.status in (LibraryStatus.ACTIVE, LibraryStatus.SUSPENDED):
            buttons.append(
                (
                    reverse("admin:registration_library_status", args=[obj.pk, "withdraw"]),
                    gettext("Withdraw"),
                )
            )
        return buttons

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):  # type: ignore[no-untyped-def]
        # The buttons open pages that need the change permission.
        allowed = obj is not None and self.has_change_permission(request, obj)
        context["status_buttons"] = (
            [
                (kept_filters_url(self, request, url), label)
                for url, label in self.get_status_buttons(obj)
            ]
            if allowed
            else []
        )
        return super().render_change_form(request, context, add, change, form_url, obj)
