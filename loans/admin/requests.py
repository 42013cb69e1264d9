"""Admin of loan requests: staff key in fax/post requests and decide them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from catalogue.rules import loanability, rejection_messages
from core.admin_rows import (
    admin_url_for,
    kept_filters_url,
    with_list_filters,
)
from core.admin_worklist import WorkListMixin, choice_labels, link, moment, text
from core.errors import DomainError
from core.i18n import current_language
from core.models import SiteCode

from ..forms import KeyInRequestForm, RejectForm
from ..models import LoanRequest, LoanStatus, RequestChannel
from ..pdf.letters import RefusalLetter
from ..services.requests import loan_request_accept, loan_request_create, loan_request_reject
from .shipping import SiteFieldFilter

_SITE_CODES = dict(SiteCode.choices)
_decide_url = admin_url_for("admin:loans_loanrequest_decide")
_letter_url = admin_url_for("admin:loans_loanrequest_letter")


@admin.register(LoanRequest)
class LoanRequestAdmin(WorkListMixin, admin.ModelAdmin):
    # The action next to the number: on a 1280-pixel screen the last
    # columns scroll out of view.
    list_display = (
        "id",
        "decide",
        "library",
        "ndl_id",
        "title",
        "holding_site",
        "status",
        "channel",
        "requested_at",
    )
    list_select_related = ("library", "material", "material__site")
    list_filter = (
        "status",
        "channel",
        ("material__site", SiteFieldFilter),
        "library__prefers_post",
    )
    search_fields = ("=library__user_id", "library__name", "=material__ndl_id", "material__title")
    date_hierarchy = "requested_at"
    list_per_page = 50
    # Counting a million requests for "of N total" costs more than the page itself.
    show_full_result_count = False
    actions = ("accept_selected",)
    change_list_template = "loans/admin_loanrequest_change_list.html"
    exclude = ("reject_codes",)  # shown as ``reject_reasons``: words, not codes

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # requests are made through loan_request_create (portal or key-in)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A request changes only through the services (decide page, shipping),
        # so its own page is read-only.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def get_list_display(self, request: HttpRequest) -> Any:
        # The decision links are for staff who decide.
        shown = super().get_list_display(request)
        if not self.has_change_permission(request):
            shown = [name for name in shown if name != "decide"]
        return shown

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The reasons in words, not their codes.
        return [
            "reject_reasons" if f.name == "reject_codes" else f.name
            for f in LoanRequest._meta.fields
        ]

    @admin.display(description=gettext_lazy("reasons not lent"))
    def reject_reasons(self, obj: LoanRequest) -> str:
        reasons = rejection_messages(
            material=obj.material,
            codes=obj.reject_codes,
            note=obj.reject_note,
            language=current_language(),
        )
        return format_html_join("", "<p>{}</p>", ((reason,) for reason in reasons)) or "-"

    @admin.display(description=gettext_lazy("NDL ID"), ordering="material__ndl_id")
    def ndl_id(self, obj: LoanRequest) -> str:
        return obj.material.ndl_id

    @admin.display(description=gettext_lazy("title"))
    def title(self, obj: LoanRequest) -> str:
        return obj.material.title

    @admin.display(description=gettext_lazy("holding site"))
    def holding_site(self, obj: LoanRequest) -> str:
        # A dictionary look-up: get_code_display() rebuilt the choices on
        # every row.
        site = obj.material.site
        if site is None:
            return "—"
        return str(_SITE_CODES.get(site.code, site.code))

    @admin.display(description=gettext_lazy("decision"))
    def decide(self, obj: LoanRequest) -> str:
        # Only a request still waiting for its decision offers "Decide"; an
        # accepted one goes on through the pull and ship queues.
        if obj.status == LoanStatus.REQUESTED:
            return format_html(
                '<a href="{}">{}</a>', with_list_filters(_decide_url(obj.pk)), _("Decide")
            )
        if obj.status == LoanStatus.REJECTED:
            return format_html(
                '<a href="{}">{}</a>', _letter_url(obj.pk), _("Refusal letter (PDF)")
            )
        return ""

    # The list's rows, read with values() and drawn by work_cells.
    work_fields = (
        "status",
        "channel",
        "requested_at",
        "library__name",
        "library__user_id",
        "material__ndl_id",
        "material__title",
        "material__site__code",
        "iso18626",  # the ISO 18626 transaction's id: the request came by ISO 18626
    )

    def work_page(self, request: HttpRequest, rows: Any) -> dict[str, Any]:
        # Labels once per page, not per cell.
        return {
            "status": choice_labels(LoanStatus.choices),
            "channel": choice_labels(RequestChannel.choices),
            "site": choice_labels(SiteCode.choices),
            "decide": _("Decide"),
            "letter": _("Refusal letter (PDF)"),
        }

    def work_label(self, row: Any) -> str:
        return f"#{row['pk']} {row['material__ndl_id']}"

    def work_cells(self, row: Any, page: Any) -> dict[str, str]:
        pk = row["pk"]
        status = row["status"]
        if status == LoanStatus.REQUESTED:
            decide = link(with_list_filters(_decide_url(pk)), page["decide"])
        elif status == LoanStatus.REJECTED:
            decide = link(_letter_url(pk), page["letter"])
        else:
            decide = ""
        name, user_id = row["library__name"], row["library__user_id"]
        return {
            "id": str(pk),
            "decide": decide,
            "library": text(f"{name} ({user_id})" if user_id else name),
            "ndl_id": text(row["material__ndl_id"]),
            "title": text(row["material__title"]),
            "holding_site": text(page["site"].get(row["material__site__code"])),
            "status": text(page["status"].get(status, status)),
            "channel": text(
                page["channel"].get(row["channel"], row["channel"])
                + (" · ISO 18626" if row["iso18626"] else "")
            ),
            "requested_at": moment(row["requested_at"]),
        }

    @admin.action(description=gettext_lazy("Accept the selected requests"), permissions=["change"])
    def accept_selected(self, request: HttpRequest, queryset: QuerySet[LoanRequest]) -> None:
        accepted = 0
        for loan in queryset.order_by("pk"):
            try:
                loan_request_accept(loan=loan, actor=request.user)  # type: ignore[arg-type]
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                accepted += 1
        if accepted:
            self.message_user(
                request,
                ngettext("%(n)s request accepted.", "%(n)s requests accepted.", accepted)
                % {"n": accepted},
                messages.SUCCESS,
            )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        context = {"can_key_in": self.has_change_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    # --- custom pages -------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("key-in/", wrap(self.key_in_view), name="loans_loanrequest_key_in"),
            path("<int:pk>/decide/", wrap(self.decide_view), name="loans_loanrequest_decide"),
            path("<int:pk>/letter/", wrap(self.letter_view), name="loans_loanrequest_letter"),
            *super().get_urls(),
        ]

    def _check_change(self, request: HttpRequest) -> None:
        if not self.has_change_permission(request):
            raise PermissionDenied

    def _get(self, pk: int) -> LoanRequest:
        loan = (
            LoanRequest.objects.select_related("library", "material", "material__site")
            .filter(pk=pk)
            .first()
        )
        if loan is None:
            raise Http404
        return loan

    def key_in_view(self, request: HttpRequest) -> HttpResponse:
        """A request on the designated form that came by fax or post."""
        self._check_change(request)
        form = KeyInRequestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                created = loan_request_create(
                    library=form.cleaned_data["user_id"],
                    ndl_ids=form.cleaned_data["ndl_ids"],
                    channel=form.cleaned_data["channel"],
                    actor=request.user,  # type: ignore[arg-type]
                    on_designated_form=form.cleaned_data["on_designated_form"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    ngettext("%(n)s request recorded.", "%(n)s requests recorded.", len(created))
                    % {"n": len(created)},
                    messages.SUCCESS,
                )
                return self.list_back(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Key in a request received by fax or post"),
            "form": form,
        }
        return TemplateResponse(request, "loans/admin_key_in.html", context)

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._check_change(request)
        loan = self._get(pk)
        form = RejectForm(request.POST if "reject" in request.POST else None)
        if request.method == "POST":
            try:
                if "accept" in request.POST:
                    loan_request_accept(loan=loan, actor=request.user)  # type: ignore[arg-type]
                    self.message_user(
                        request, _("Request #%(id)s accepted.") % {"id": pk}, messages.SUCCESS
                    )
                    return self.list_back(request)
                if form.is_valid():
                    loan_request_reject(
                        loan=loan,
                        actor=request.user,  # type: ignore[arg-type]
                        codes=form.cleaned_data["codes"],
                        note=form.cleaned_data["note"],
                    )
                    self.message_user(
                        request,
                        _("Request #%(id)s rejected; the library is told by email.") % {"id": pk},
                        messages.SUCCESS,
                    )
                    if loan.library.prefers_post:
                        return HttpResponseRedirect(
                            reverse("admin:loans_loanrequest_letter", args=[pk])
                        )
                    return self.list_back(request)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        if form.is_bound is False:
            initial = [r.code for r in loanability(loan.material)]
            form = RejectForm(initial={"codes": initial})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Decide request #%(id)s") % {"id": pk},
            # The breadcrumb leads back to the list as it was filtered.
            "list_url": kept_filters_url(
                self, request, reverse("admin:loans_loanrequest_changelist")
            ),
            "loan": loan,
            "reasons": [r.message(current_language()) for r in loanability(loan.material)],
            "form": form,
        }
        return TemplateResponse(request, "loans/admin_decide.html", context)

    def letter_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        loan = self._get(pk)
        if loan.status != LoanStatus.REJECTED:
            raise Http404
        response = HttpResponse(RefusalLetter(loan=loan).render(), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="refusal-{loan.pk}.pdf"'
        return response


__all__ = ["LoanRequestAdmin", "rejection_messages"]
