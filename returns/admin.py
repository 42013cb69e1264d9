"""Returns, check-ins and damage/loss cases in the back-office.

Adding a check-in or a case goes through its service (custom forms), never
through a raw model form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_rows import KeptFiltersMixin, QuickRowsMixin, with_list_filters
from core.errors import DomainError
from core.roles import permission_require
from loans.admin.shipping import ShipmentSiteFilter
from loans.models import LoanRequest
from loans.services.shipping import staff_site
from loans.views.outcomes import outcomes_show

from .forms import (
    CheckInForm,
    InstructForm,
    ParcelCheckInForm,
    SettleForm,
    StaffDamageReportForm,
)
from .models import CaseStatus, CheckIn, DamageCase, ReturnParcel
from .selectors import cases_for_site, check_ins_for_site
from .services import (
    damage_case_instruct,
    damage_case_report,
    damage_case_settle,
    loan_check_in,
    return_parcel_check_in,
)

FORM_TEMPLATE = "loans/shipping_admin_form.html"


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _form_page(
        self, request: HttpRequest, form: Any, title: str, intro: str = ""
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            FORM_TEMPLATE,
            {
                **self.admin_site.each_context(request),
                "title": title,
                "intro": intro,
                "form": form,
                "submit_label": _("Save"),
            },
        )


@admin.register(ReturnParcel)
class ReturnParcelAdmin(QuickRowsMixin, _ReadOnlyAdmin):
    list_display = ["tracking_number", "library", "site", "method", "carrier", "sent_on"]
    list_select_related = ["library", "site"]
    list_filter = [ShipmentSiteFilter, "method"]
    search_fields = ["tracking_number", "library__user_id", "library__name"]
    date_hierarchy = "sent_on"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReturnParcel]:
        qs = super().get_queryset(request)
        site = staff_site(request.user)  # type: ignore[arg-type]
        return qs.filter(site=site) if site else qs

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the library records its parcels in the portal

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = list(super().get_list_display(request))
        if request.user.has_perm("returns.add_checkin"):
            shown.insert(1, "check_in_link")  # in view on a 1280-pixel screen
        return shown

    @admin.display(description=gettext_lazy("check-in"))
    def check_in_link(self, obj: ReturnParcel) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            with_list_filters(reverse("admin:returns_returnparcel_check_in", args=[obj.pk])),
            _("check the parcel in"),
        )

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/check-in/",
                view(self.check_in_view),
                name="returns_returnparcel_check_in",
            ),
            *super().get_urls(),
        ]

    def check_in_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Every item of the parcel at once, each by its own state; the
        result says what was done with each item."""
        permission_require(request.user, "returns.add_checkin")
        parcel: ReturnParcel = get_object_or_404(self.get_queryset(request), pk=pk)
        site = staff_site(request.user)  # type: ignore[arg-type]
        loans = parcel.loans.select_related("material").order_by("pk")
        form = ParcelCheckInForm(
            request.POST or None,
            loans=loans,
            initial={"checked_in_on": timezone.localdate(), "site": site or parcel.site},
        )
        if site is not None:
            form.fields["site"].disabled = True
        if request.method == "POST" and form.is_valid():
            try:
                outcomes = return_parcel_check_in(
                    parcel_id=parcel.pk,
                    site=form.cleaned_data["site"],
                    checked_in_on=form.cleaned_data["checked_in_on"],
                    conditions=form.conditions(),
                    loan_slip_enclosed=form.cleaned_data["loan_slip_enclosed"],
                    to_borrowers_enclosed=form.cleaned_data["to_borrowers_enclosed"],
                    note=form.cleaned_data["note"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                outcomes_show(request, outcomes)
                # Back to the parcels as filtered: the next parcel is in view.
                return self.list_back(request)
        return self._form_page(request, form, _("Check a return parcel in"), str(parcel))


@admin.register(CheckIn)
class CheckInAdmin(KeptFiltersMixin, _ReadOnlyAdmin):
    list_display = [
        "loan",
        "library",
        "site",
        "lent_by",
        "wrong_site",
        "checked_in_on",
        "condition",
        "loan_slip_enclosed",
        "to_borrowers_enclosed",
    ]
    list_select_related = ["loan__material", "loan__library", "loan__shipment__site", "site"]
    list_filter = ["wrong_site", ShipmentSiteFilter, "condition", "checked_in_on"]
    search_fields = ["loan__material__ndl_id", "loan__library__user_id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CheckIn]:
        return check_ins_for_site(site=staff_site(request.user))  # type: ignore[arg-type]

    @admin.display(description=gettext_lazy("library"))
    def library(self, obj: CheckIn) -> str:
        return str(obj.loan.library)

    @admin.display(description=gettext_lazy("lent by"))
    def lent_by(self, obj: CheckIn) -> str:
        return str(obj.loan.shipment.site) if obj.loan.shipment else ""

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        site = staff_site(request.user)  # type: ignore[arg-type]
        initial = {"checked_in_on": timezone.localdate(), "site": site}
        form = CheckInForm(request.POST or None, initial=initial)
        if site is not None:
            form.fields["site"].disabled = True
        if request.method == "POST" and form.is_valid():
            # The item's latest loan: a second check-in or an item never
            # shipped is then refused by the service with its reason.
            loan = (
                LoanRequest.objects.filter(material__ndl_id=form.cleaned_data["ndl_id"].strip())
                .order_by("-pk")
                .first()
            )
            if loan is None:
                form.add_error("ndl_id", _("No loan of an item with this NDL ID."))
            else:
                try:
                    check_in = loan_check_in(
                        loan_id=loan.pk,
                        site=form.cleaned_data["site"],
                        checked_in_on=form.cleaned_data["checked_in_on"],
                        condition=form.cleaned_data["condition"],
                        loan_slip_enclosed=form.cleaned_data["loan_slip_enclosed"],
                        to_borrowers_enclosed=form.cleaned_data["to_borrowers_enclosed"],
                        note=form.cleaned_data["note"],
                        actor=request.user,  # type: ignore[arg-type]
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    text = _("Request #%(id)s checked in.") % {"id": loan.pk}
                    level = messages.SUCCESS
                    if check_in.wrong_site:
                        text += " " + _(
                            "It was lent by another site: flagged as a wrong-site return."
                        )
                        level = messages.WARNING
                    for case in DamageCase.objects.filter(loan=loan).exclude(
                        status=CaseStatus.SETTLED
                    ):
                        text += " " + _("Its findings are in open case #%(case)s (%(kind)s).") % {
                            "case": case.pk,
                            "kind": case.get_kind_display(),
                        }
                    self.message_user(request, text, level)
                    return self.list_back(request)
        return self._form_page(request, form, _("Check an item in"))


@admin.register(DamageCase)
class DamageCaseAdmin(KeptFiltersMixin, _ReadOnlyAdmin):
    list_display = [
        "pk",
        "kind",
        "status",
        "loan",
        "library",
        "reported_on",
        "reported_by_library",
        "instruction",
        "settled_on",
        "case_actions",
    ]
    list_select_related = ["loan__material", "loan__library"]
    list_filter = ["status", "kind", "reported_by_library"]
    search_fields = ["loan__material__ndl_id", "loan__library__user_id", "description"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DamageCase]:
        return cases_for_site(site=staff_site(request.user))  # type: ignore[arg-type]

    @admin.display(description=gettext_lazy("library"))
    def library(self, obj: DamageCase) -> str:
        return str(obj.loan.library)

    def get_list_display(self, request: HttpRequest) -> Any:
        # The instruct and settle links are for staff who may use them.
        shown = super().get_list_display(request)
        if not request.user.has_perm("returns.change_damagecase"):
            shown = [name for name in shown if name != "case_actions"]
        return shown

    @admin.display(description=gettext_lazy("actions"))
    def case_actions(self, obj: DamageCase) -> str:
        if obj.status == CaseStatus.SETTLED:
            return ""
        instruct = reverse("admin:returns_damagecase_instruct", args=[obj.pk])
        links = [(with_list_filters(instruct), _("instruct"))]
        if obj.status == CaseStatus.INSTRUCTED:
            settle = reverse("admin:returns_damagecase_settle", args=[obj.pk])
            links.append((with_list_filters(settle), _("settle")))
        return format_html(
            " · ".join(['<a href="{}">{}</a>'] * len(links)), *[v for pair in links for v in pair]
        )

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/instruct/", view(self.instruct_view), name="returns_damagecase_instruct"
            ),
            path("<int:pk>/settle/", view(self.settle_view), name="returns_damagecase_settle"),
            *super().get_urls(),
        ]

    def _done(self, request: HttpRequest, text: str) -> HttpResponseRedirect:
        self.message_user(request, text, messages.SUCCESS)
        return self.list_back(request)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StaffDamageReportForm(
            request.POST or None, initial={"reported_on": timezone.localdate()}
        )
        if request.method == "POST" and form.is_valid():
            try:
                damage_case_report(
                    loan_id=form.cleaned_data["loan_id"],
                    kind=form.cleaned_data["kind"],
                    description=form.cleaned_data["description"],
                    reported_on=form.cleaned_data["reported_on"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return self._done(request, _("Case opened; the sending site has been alerted."))
        return self._form_page(request, form, _("Record damage or loss"))

    def _get(self, request: HttpRequest, pk: int) -> DamageCase:
        case: DamageCase = get_object_or_404(
            self.get_queryset(request).select_related("loan__material", "loan__library"), pk=pk
        )
        return case

    def instruct_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        permission_require(request.user, "returns.change_damagecase")
        case = self._get(request, pk)
        form = InstructForm(request.POST or None, initial={"instructed_on": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            try:
                damage_case_instruct(
                    case_id=case.pk,
                    instruction=form.cleaned_data["instruction"],
                    amount=form.cleaned_data["compensation_amount"],
                    currency=form.cleaned_data["compensation_currency"],
                    instructed_on=form.cleaned_data["instructed_on"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return self._done(request, _("Instruction recorded; the library has been told."))
        return self._form_page(request, form, _("Instruct the library"), str(case))

    def settle_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        permission_require(request.user, "returns.change_damagecase")
        case = self._get(request, pk)
        form = SettleForm(request.POST or None, initial={"settled_on": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            try:
                damage_case_settle(
                    case_id=case.pk,
                    settled_on=form.cleaned_data["settled_on"],
                    note=form.cleaned_data["settlement_note"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return self._done(request, _("Case settled."))
        return self._form_page(request, form, _("Settle the case"), str(case))
