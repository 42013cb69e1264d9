"""The lending desk in the back-office: pull-slip batches and the scan box.

Lending staff work at their own site; supervisors and superusers at any
(they choose the site of a batch). Every change goes through a service:
``pull_slip_batch_create``, ``loan_pack`` and ``desk_check_in``; shipping
goes to the ship queue's dispatch form with the scanned item chosen.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.fields import is_row_id
from core.models import Site
from core.roles import permission_require
from loans.models import PullSlipBatch
from loans.pdf.pullslips import PullSlips, pull_slips_filename
from loans.selectors_desk import desk_scan, pull_slip_candidates, pull_slip_loans, slip_code
from loans.services.desk import desk_check_in, pull_slip_batch_create
from loans.services.shipping import loan_pack, staff_site
from returns.models import ItemCondition

from .shipping import pdf_response

# Who may use the desk and print pull slips: lending staff and supervisors.
DESK_PERMISSION = "loans.change_pullqueueitem"
BATCH_PERMISSION = "loans.add_pullslipbatch"


def desk_url(query: str = "") -> str:
    url = reverse("admin:loans_desk")
    return f"{url}?{urlencode({'q': query})}" if query else url


@admin.register(PullSlipBatch)
class PullSlipBatchAdmin(admin.ModelAdmin):
    list_display = ["id", "site", "created_at", "created_by", "item_count", "slips"]
    list_select_related = ["site", "created_by"]
    list_filter = ["site"]
    ordering = ["-created_at", "-pk"]
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[PullSlipBatch]:
        qs = super().get_queryset(request).annotate(item_count=Count("loans"))
        site = staff_site(request.user)  # type: ignore[arg-type]
        return qs.filter(site=site) if site else qs

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by the "new batch" page, through the service

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("items"))
    def item_count(self, obj: Any) -> int:
        return int(obj.item_count)

    @admin.display(description=gettext_lazy("pull slips"))
    def slips(self, obj: PullSlipBatch) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:loans_pullslipbatch_pdf", args=[obj.pk]),
            _("Print (PDF)"),
        )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        extra = {
            **(extra_context or {}),
            "new_batch_url": reverse("admin:loans_pullslipbatch_new")
            if request.user.has_perm(BATCH_PERMISSION)
            else "",
        }
        return super().changelist_view(request, extra_context=extra)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("new/", view(self.new_view), name="loans_pullslipbatch_new"),
            path("<int:pk>/pdf/", view(self.pdf_view), name="loans_pullslipbatch_pdf"),
            path("desk/", view(self.desk_view), name="loans_desk"),
            path("desk/<int:loan_id>/pack/", view(self.pack_view), name="loans_desk_pack"),
            path(
                "desk/<int:loan_id>/check-in/",
                view(self.check_in_view),
                name="loans_desk_check_in",
            ),
            *super().get_urls(),
        ]

    # --- pull slips -------------------------------------------------------------

    def _batch_site(self, request: HttpRequest) -> Site | None:
        """The staff's own site, or the one a supervisor chose (``?site=``)."""
        own = staff_site(request.user)  # type: ignore[arg-type]
        if own is not None:
            return own
        chosen = request.POST.get("site") or request.GET.get("site") or ""
        return Site.objects.filter(pk=chosen).first() if is_row_id(chosen) else None

    def new_view(self, request: HttpRequest) -> HttpResponse:
        """GET: the items the next batch holds; POST: record it and print."""
        permission_require(request.user, BATCH_PERMISSION)
        site = self._batch_site(request)
        if request.method == "POST" and site is not None:
            chosen = request.POST.getlist("loan_ids")
            if not all(map(is_row_id, chosen)):
                messages.error(request, _("The selection was not valid: select the items again."))
                return HttpResponseRedirect(request.get_full_path())
            try:
                batch = pull_slip_batch_create(
                    site=site,
                    actor=request.user,  # type: ignore[arg-type]
                    # The page's ticked items; without the list, every new item.
                    loan_ids=[int(pk) for pk in chosen] if "choose" in request.POST else None,
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                return HttpResponseRedirect(request.get_full_path())
            messages.success(
                request,
                _("Pull slip batch %(batch)s recorded with %(n)d item(s).")
                % {"batch": batch.pk, "n": batch.loans.count()},
            )
            return HttpResponseRedirect(reverse("admin:loans_pullslipbatch_pdf", args=[batch.pk]))
        candidates = (
            pull_slip_loans(
                loan_ids=list(pull_slip_candidates(site=site).values_list("pk", flat=True))
            )
            if site is not None
            else []
        )
        return TemplateResponse(
            request,
            "admin/loans/desk/batch_new.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Print pull slips"),
                "site": site,
                "sites": Site.objects.all() if staff_site(request.user) is None else [],  # type: ignore[arg-type]
                "candidates": candidates,
                "batches_url": reverse("admin:loans_pullslipbatch_changelist"),
            },
        )

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        permission_require(request.user, "loans.view_pullslipbatch")
        batch: PullSlipBatch = get_object_or_404(
            self.get_queryset(request).select_related("site"), pk=pk
        )
        loans = pull_slip_loans(loan_ids=list(batch.loans.values_list("pk", flat=True)))
        document = PullSlips(batch=batch, loans=loans)
        return pdf_response(document.render(), pull_slips_filename(batch))

    # --- the desk -----------------------------------------------------------------

    def desk_view(self, request: HttpRequest) -> HttpResponse:
        """One scan box; the item or parcel found and its one next step."""
        permission_require(request.user, DESK_PERMISSION)
        query = request.GET.get("q", "")[:100]
        site = staff_site(request.user)  # type: ignore[arg-type]
        scan = desk_scan(value=query, site=site) if query.strip() else None
        return TemplateResponse(
            request,
            "admin/loans/desk/desk.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Lending desk"),
                "site": site,
                "query": query,
                "scan": scan,
                "slip": slip_code(scan.loan.pk) if scan and scan.loan else "",
                "conditions": ItemCondition.choices,
                "can_ship": request.user.has_perm("loans.change_shipqueueitem"),
                "can_check_in": request.user.has_perm("returns.add_checkin"),
                "ship_queue_url": reverse("admin:loans_shipqueueitem_changelist"),
                "batch_url": reverse("admin:loans_pullslipbatch_new"),
            },
        )

    def pack_view(self, request: HttpRequest, loan_id: int) -> HttpResponse:
        permission_require(request.user, DESK_PERMISSION)
        if request.method != "POST":
            return HttpResponseRedirect(desk_url())
        try:
            loan = loan_pack(loan_id=loan_id, actor=request.user)  # type: ignore[arg-type]
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(ndl_id)s (request #%(id)s) is packed; it waits in the ship queue.")
                % {"ndl_id": loan.material.ndl_id, "id": loan.pk},
            )
        return HttpResponseRedirect(desk_url())

    def check_in_view(self, request: HttpRequest, loan_id: int) -> HttpResponse:
        permission_require(request.user, "returns.add_checkin")
        if request.method != "POST":
            return HttpResponseRedirect(desk_url())
        try:
            check_in = desk_check_in(
                loan_id=loan_id,
                condition=request.POST.get("condition", ""),
                loan_slip_enclosed=bool(request.POST.get("loan_slip_enclosed")),
                to_borrowers_enclosed=bool(request.POST.get("to_borrowers_enclosed")),
                note=request.POST.get("note", "")[:2000],
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            text = _("%(ndl_id)s (request #%(id)s) is checked in at %(site)s (%(condition)s).") % {
                "ndl_id": check_in.loan.material.ndl_id,
                "id": check_in.loan_id,
                "site": check_in.site.local_name,
                "condition": ItemCondition(check_in.condition).label,
            }
            if check_in.wrong_site:
                text += " " + _("It was returned to the wrong site: it belongs to another site.")
            messages.success(request, text)
        return HttpResponseRedirect(desk_url())
