"""Outbound work queues and shipments in the back-office.

Lending staff see their own site's queues; superusers and staff without a
site (supervisors) see every site and filter by site.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import escape, format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_rows import admin_url_for, with_list_filters
from core.admin_worklist import Row, WorkListMixin, choice_labels, day, link, moment, text
from core.errors import DomainError
from core.i18n import in_japanese
from core.models import Site
from core.precompiled import PrecompiledAll
from core.roles import permission_require
from loans.forms_shipping import DeliveryForm, DispatchForm, ReceiptLetterForm, UndeliveredForm
from loans.models import (
    LoanAction,
    LoanRequest,
    PullQueueItem,
    ReceiptChannel,
    Shipment,
    ShipQueueItem,
)
from loans.pdf.shipping import LoanSlip, ToBorrowers, shipment_pdf_filename
from loans.selectors_shipping import (
    SHIPMENT_MOVE_STATUSES,
    pull_queue,
    ship_queue,
    shipment_loans,
    shipment_open_moves,
)
from loans.services.desk import pull_slip_batch_create
from loans.services.shipping import (
    loan_pack,
    receipt_letter_record,
    shipment_dispatch,
    shipment_record_delivery,
    shipment_undelivered_record,
    staff_site,
)
from loans.views.outcomes import outcomes_show
from returns.pdf import ReturnAddressLabel, return_label_filename


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# The NDL's sites, read whole by every list's site filter: the query is
# compiled once per process.
all_sites = PrecompiledAll(Site)


class SiteFieldFilter(admin.RelatedFieldListFilter):
    """Django's filter of a relation to a site (``material__site``), its
    choices read with ``all_sites``: the same choices in the same order."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        if self.field_admin_ordering(field, request, model_admin) or field.get_limit_choices_to():
            return super().field_choices(field, request, model_admin)
        return [(site.pk, str(site)) for site in all_sites.all()]


class SiteFilter(admin.SimpleListFilter):
    """``?site=<pk>``: the filter the back-office dashboard links to."""

    title = gettext_lazy("NDL site")
    parameter_name = "site"
    field_path = "material__site"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(site.pk), site.local_name) for site in all_sites.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(**{self.field_path: self.value()})
        return queryset


class ShipmentSiteFilter(SiteFilter):
    field_path = "site"


def _library(row: Any) -> str:
    """A library as ``Library.__str__`` names it, from a plain row."""
    name, user_id = row["library__name"], row["library__user_id"]
    return text(f"{name} ({user_id})" if user_id else name)


class _QueueAdmin(WorkListMixin, admin.ModelAdmin):
    list_display = ["id", "ndl_id", "title", "call_number", "library", "holding_site", "decided_at"]
    list_select_related = ["material", "material__site", "library"]
    list_filter = [SiteFilter]
    search_fields = ["material__ndl_id", "material__title", "library__user_id", "library__name"]
    ordering = ["decided_at", "pk"]
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_work_permission(self, request: HttpRequest) -> bool:
        """May run this queue's actions: the model's change permission (the
        change form itself stays hidden)."""
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    work_fields = (
        "decided_at",
        "packed_at",
        "library__name",
        "library__user_id",
        "material__ndl_id",
        "material__title",
        "material__call_number",
        "material__site__name",
        "material__site__name_ja",
    )

    def work_page(self, request: HttpRequest, rows: Any) -> dict[str, Any]:
        return {"japanese": in_japanese()}

    def work_label(self, row: Any) -> str:
        return f"#{row['pk']} {row['material__ndl_id']}"

    def work_cells(self, row: Any, page: Any) -> dict[str, str]:
        site = row["material__site__name_ja" if page["japanese"] else "material__site__name"]
        return {
            "id": str(row["pk"]),
            "ndl_id": text(row["material__ndl_id"]),
            "title": text(row["material__title"]),
            "call_number": text(row["material__call_number"]),
            "library": _library(row),
            "holding_site": text(site),
            "decided_at": moment(row["decided_at"]),
            "packed_at": moment(row["packed_at"]),
        }

    @admin.display(description=gettext_lazy("NDL ID"), ordering="material__ndl_id")
    def ndl_id(self, obj: LoanRequest) -> str:
        return obj.material.ndl_id

    @admin.display(description=gettext_lazy("title"))
    def title(self, obj: LoanRequest) -> str:
        return obj.material.title

    @admin.display(description=gettext_lazy("call number"))
    def call_number(self, obj: LoanRequest) -> str:
        return obj.material.call_number

    @admin.display(description=gettext_lazy("holding site"))
    def holding_site(self, obj: LoanRequest) -> Site | None:
        return obj.material.site


@admin.register(PullQueueItem)
class PullQueueAdmin(_QueueAdmin):
    actions = ["mark_packed", "print_pull_slips"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return pull_queue(site=staff_site(request.user))  # type: ignore[arg-type]

    @admin.action(description=gettext_lazy("Mark pulled and packed"), permissions=["work"])
    def mark_packed(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done = 0
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                loan_pack(loan_id=pk, actor=request.user)  # type: ignore[arg-type]
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                _("%(n)d item(s) marked pulled and packed.") % {"n": done},
                messages.SUCCESS,
            )

    def has_print_permission(self, request: HttpRequest) -> bool:
        """May print pull slips (record a batch), as on the desk's page."""
        return request.user.has_perm("loans.add_pullslipbatch")

    @admin.action(description=gettext_lazy("Print pull slips"), permissions=["print"])
    def print_pull_slips(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        """A batch of pull slips for the chosen items (``pull_slip_batch_create``),
        then its PDF. Lending staff print for their own site; a supervisor's
        chosen items must all be held at one site."""
        chosen = list(queryset.order_by("pk").values_list("pk", "material__site_id"))
        site = staff_site(request.user)  # type: ignore[arg-type]
        if site is None:
            sites = {site_id for _pk, site_id in chosen}
            if len(sites) != 1:
                self.message_user(
                    request,
                    _("Choose items held at one site: a batch of pull slips is for one site."),
                    messages.ERROR,
                )
                return None
            site = Site.objects.get(pk=sites.pop())
        try:
            batch = pull_slip_batch_create(
                site=site,
                actor=request.user,  # type: ignore[arg-type]
                loan_ids=[pk for pk, _site_id in chosen],
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        self.message_user(
            request,
            _("Pull slip batch %(batch)s recorded with %(n)d item(s).")
            % {"batch": batch.pk, "n": len(chosen)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:loans_pullslipbatch_pdf", args=[batch.pk]))


@admin.register(ShipQueueItem)
class ShipQueueAdmin(_QueueAdmin):
    list_display = [*_QueueAdmin.list_display, "packed_at"]
    ordering = ["library", "packed_at", "pk"]
    actions = ["dispatch"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return ship_queue(site=staff_site(request.user))  # type: ignore[arg-type]

    @admin.action(description=gettext_lazy("Dispatch by registered air mail"), permissions=["work"])
    def dispatch(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        loans = list(queryset.select_related("material", "library").order_by("pk"))
        form = DispatchForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                shipment = shipment_dispatch(
                    loan_ids=[loan.pk for loan in loans],
                    tracking_number=form.cleaned_data["tracking_number"],
                    shipped_on=form.cleaned_data["shipped_on"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    _("Shipment %(number)s recorded with %(n)d item(s).")
                    % {"number": shipment.tracking_number, "n": len(loans)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:loans_shipment_change", args=[shipment.pk])
                )
        return TemplateResponse(
            request,
            "loans/shipping_admin_form.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Dispatch by registered air mail"),
                "intro": _("One shipment goes from one site to one library."),
                "items": [f"#{loan.pk} {loan.material} — {loan.library}" for loan in loans],
                "form": form,
                "hidden": [("action", "dispatch")]
                + [(helpers.ACTION_CHECKBOX_NAME, loan.pk) for loan in loans],
                "submit_label": _("Dispatch"),
            },
        )


_papers_url = admin_url_for("admin:loans_shipment_pdf")
_receipt_letter_url = admin_url_for("admin:loans_shipment_receipt_letter")
_delivery_url = admin_url_for("admin:loans_shipment_delivery")
_undelivered_url = admin_url_for("admin:loans_shipment_undelivered")
# The links each row offers when the table of moves opens them, in this order.
_ACTION_URLS = (
    (LoanAction.RECORD_RECEIPT_LETTER, _receipt_letter_url),
    (LoanAction.RECORD_DELIVERY, _delivery_url),
    (LoanAction.RECORD_UNDELIVERED, _undelivered_url),
)


def _status_flags() -> dict[str, RawSQL]:
    """``shipment_status_flags()`` written as SQL: the same EXISTS per status
    on the loans' shipment index. The ORM compiled those subqueries afresh on
    every view of the list, two thirds of its page query's CPU."""
    loans, shipments = LoanRequest._meta, Shipment._meta
    # Names from the models' own metadata; the status is a parameter.
    table, shipment = loans.db_table, loans.get_field("shipment").column
    status_column = loans.get_field("status").column
    outer = f'"{shipments.db_table}"."{shipments.pk.column}"'  # type: ignore[union-attr]
    sql = f'EXISTS (SELECT 1 FROM "{table}" held WHERE held."{shipment}" = {outer} AND held."{status_column}" = %s)'  # noqa: E501, S608  # nosec B608
    return {
        f"holds_{status}": RawSQL(sql, [str(status)], output_field=BooleanField())  # noqa: S611 - no user input  # nosec B611
        for status in SHIPMENT_MOVE_STATUSES
    }


@admin.register(Shipment)
class ShipmentAdmin(WorkListMixin, admin.ModelAdmin):
    # The papers and actions next to the number, in view on a 1280-pixel screen.
    # Eight columns fit a 1280-pixel screen: the receipt with how it was
    # confirmed, and the letter, late flag and return in one column.
    list_display = [
        "tracking_number",
        "papers",
        "library",
        "site",
        "shipped_on",
        "delivered_on",
        "received",
        "follow_up",
    ]
    list_select_related = ["library", "site"]
    list_filter = [ShipmentSiteFilter, "receipt_channel", "shipped_on"]
    search_fields = ["tracking_number", "library__user_id", "library__name"]
    # Newest first in the order they were recorded: the primary key's index
    # serves the page at once, where ordering 200,000 shipments by date took
    # a sort of the whole table. The "shipped on" filter narrows by date (a
    # date hierarchy cost two more scans of the table on every view).
    ordering = ["-pk"]
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Shipment]:
        qs = super().get_queryset(request)
        site = staff_site(request.user)  # type: ignore[arg-type]
        return qs.filter(site=site) if site else qs

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a shipment is made by dispatching from the ship queue

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_work_permission(self, request: HttpRequest) -> bool:
        """May record receipt letters and delivery dates (the change form stays hidden)."""
        return request.user.has_perm("loans.change_shipment")

    def get_list_display(self, request: HttpRequest) -> Any:
        # Staff who may only look get the papers without the action links.
        shown = list(super().get_list_display(request))
        if not self.has_work_permission(request):
            shown = ["papers_only" if name == "papers" else name for name in shown]
        return shown

    work_fields = (
        "tracking_number",
        "site__name",
        "site__name_ja",
        "library__name",
        "library__user_id",
        "shipped_on",
        "delivered_on",
        "received_on",
        "receipt_channel",
        "receipt_letter_on",
        "late_letter_flagged_on",
        "undelivered_on",
    )

    def work_rows(self, request: HttpRequest, page: Any) -> list[Row]:
        # Which statuses each parcel's items are in, in the page's own query.
        return [Row(row) for row in page.values("pk", *self.work_fields, **_status_flags())]

    def work_page(self, request: HttpRequest, rows: Any) -> dict[str, Any]:
        # Labels once a page.
        return {
            "japanese": in_japanese(),
            "follow_up": [
                ("receipt_letter_on", _("letter %(date)s")),
                ("late_letter_flagged_on", _("flagged late %(date)s")),
                ("undelivered_on", _("back undelivered %(date)s")),
            ],
            "channels": choice_labels(ReceiptChannel.choices),
            "labels": {
                "loan-slip": _("loan slip"),
                "to-borrowers": _("To Borrowers"),
                LoanAction.RECORD_RECEIPT_LETTER: _("receipt letter"),
                LoanAction.RECORD_DELIVERY: _("delivery date"),
                LoanAction.RECORD_UNDELIVERED: _("came back undelivered"),
            },
        }

    def work_label(self, row: Any) -> str:
        return str(row["tracking_number"])

    def work_cells(self, row: Any, page: Any) -> dict[str, str]:
        pk = row["pk"]
        labels = page["labels"]
        papers = [
            link(_papers_url(pk, "loan-slip"), labels["loan-slip"]),
            link(_papers_url(pk, "to-borrowers"), labels["to-borrowers"]),
        ]
        moves = shipment_open_moves(row=row)
        actions = [
            link(with_list_filters(url(pk)), labels[action])
            for action, url in _ACTION_URLS
            if action in moves
        ]
        channel = row["receipt_channel"]
        received = day(row["received_on"])
        if channel:
            received += f"<br><small>{text(page['channels'].get(channel, channel))}</small>"
        follow_up = [
            escape(str(label) % {"date": row[field].isoformat()})
            for field, label in page["follow_up"]
            if row[field]
        ]
        return {
            "tracking_number": text(row["tracking_number"]),
            "papers_only": " · ".join(papers),
            "papers": " · ".join(papers)
            + "".join(f'<span class="row-actions">{action}</span>' for action in actions),
            "library": _library(row),
            "site": text(row["site__name_ja" if page["japanese"] else "site__name"]),
            "shipped_on": day(row["shipped_on"]),
            "delivered_on": day(row["delivered_on"]),
            "received": received,
            "follow_up": "<br>".join(follow_up) or "-",
        }

    @admin.display(description=gettext_lazy("received on"), ordering="received_on")
    def received(self, obj: Shipment) -> str:
        return day(obj.received_on)

    @admin.display(
        description=gettext_lazy("receipt letter, late, undelivered"),
        ordering="receipt_letter_on",
    )
    def follow_up(self, obj: Shipment) -> str:
        return day(obj.receipt_letter_on)

    @admin.display(description=gettext_lazy("papers"))
    def papers_only(self, obj: Shipment) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            _papers_url(obj.pk, "loan-slip"),
            _("loan slip"),
            _papers_url(obj.pk, "to-borrowers"),
            _("To Borrowers"),
        )

    @admin.display(description=gettext_lazy("papers and actions"))
    def papers(self, obj: Shipment) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>'
            ' · <a href="{}">{}</a>',
            _papers_url(obj.pk, "loan-slip"),
            _("loan slip"),
            _papers_url(obj.pk, "to-borrowers"),
            _("To Borrowers"),
            with_list_filters(_receipt_letter_url(obj.pk)),
            _("receipt letter"),
            with_list_filters(_delivery_url(obj.pk)),
            _("delivery date"),
            with_list_filters(_undelivered_url(obj.pk)),
            _("came back undelivered"),
        )

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/papers/<slug:kind>/",
                view(self.pdf_view),
                name="loans_shipment_pdf",
            ),
            path(
                "<int:pk>/receipt-letter/",
                view(self.receipt_letter_view),
                name="loans_shipment_receipt_letter",
            ),
            path("<int:pk>/delivery/", view(self.delivery_view), name="loans_shipment_delivery"),
            path(
                "<int:pk>/undelivered/",
                view(self.undelivered_view),
                name="loans_shipment_undelivered",
            ),
            *super().get_urls(),
        ]

    def _get(self, request: HttpRequest, pk: int) -> Shipment:
        shipment: Shipment = get_object_or_404(
            self.get_queryset(request).select_related("site", "library"), pk=pk
        )
        return shipment

    def pdf_view(self, request: HttpRequest, pk: int, kind: str) -> HttpResponse:
        permission_require(request.user, "loans.view_shipment")
        shipment = self._get(request, pk)
        if kind == "return-label":
            label = ReturnAddressLabel(site=shipment.site, library=shipment.library)
            return pdf_response(label.render(), return_label_filename(shipment.site))
        documents = {"loan-slip": LoanSlip, "to-borrowers": ToBorrowers}
        if kind not in documents:
            raise Http404
        document = documents[kind](shipment=shipment, loans=shipment_loans(shipment=shipment))
        return pdf_response(document.render(), shipment_pdf_filename(shipment, kind))

    def _form_page(
        self, request: HttpRequest, shipment: Shipment, form: Any, title: str
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            "loans/shipping_admin_form.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "intro": f"{shipment.tracking_number} — {shipment.library} ({shipment.site})",
                "form": form,
                "submit_label": _("Save"),
            },
        )

    def _done(self, request: HttpRequest, text: str) -> HttpResponseRedirect:
        self.message_user(request, text, messages.SUCCESS)
        return self.list_back(request)

    def receipt_letter_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        permission_require(request.user, "loans.change_shipment")
        shipment = self._get(request, pk)
        loans = shipment_loans(shipment=shipment)
        form = ReceiptLetterForm(request.POST or None, loans=loans)
        if request.method == "POST" and form.is_valid():
            try:
                outcomes = receipt_letter_record(
                    shipment_id=shipment.pk,
                    channel=form.cleaned_data["channel"],
                    letter_on=form.cleaned_data["letter_on"],
                    received_on=form.cleaned_data["received_on"],
                    conditions=form.conditions(),
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                outcomes_show(request, outcomes)
                return self._done(request, _("Receipt letter recorded."))
        return self._form_page(request, shipment, form, _("Record a receipt letter"))

    def delivery_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        permission_require(request.user, "loans.change_shipment")
        shipment = self._get(request, pk)
        form = DeliveryForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                shipment_record_delivery(
                    shipment_id=shipment.pk,
                    delivered_on=form.cleaned_data["delivered_on"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return self._done(request, _("Delivery date recorded."))
        return self._form_page(request, shipment, form, _("Record the delivery date"))

    def undelivered_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The post brought the parcel back: its own outcome, not a check-in."""
        permission_require(request.user, "loans.change_shipment")
        shipment = self._get(request, pk)
        form = UndeliveredForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                outcomes = shipment_undelivered_record(
                    shipment_id=shipment.pk,
                    returned_on=form.cleaned_data["returned_on"],
                    note=form.cleaned_data["note"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                outcomes_show(request, outcomes)
                return self._done(request, _("Recorded as brought back undelivered."))
        return self._form_page(
            request, shipment, form, _("Record a parcel the post brought back undelivered")
        )
