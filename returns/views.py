"""Portal: return parcels, the return address label, damage and loss reports."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.portal import library_required, request_library
from loans.models import LoanRequest, Shipment
from loans.views.outcomes import outcomes_show

from . import selectors
from .forms import DamageReportForm, ReturnParcelForm
from .pdf import ReturnAddressLabel, return_label_filename
from .services import damage_case_report, return_parcel_record


def _get_shipment_for_library(request: HttpRequest, pk: int) -> Shipment:
    shipment = selectors.library_shipment_get(library=request_library(request), pk=pk)
    if shipment is None:
        raise Http404
    return shipment


def _get_reportable_loan_for_library(request: HttpRequest, pk: int) -> LoanRequest:
    loan = selectors.library_reportable_loan_get(library=request_library(request), pk=pk)
    if loan is None:
        raise Http404
    return loan


@library_required
def parcel_list(request: HttpRequest) -> HttpResponse:
    library = request_library(request)
    return render(
        request,
        "returns/parcel_list.html",
        {
            "library": library,
            "parcels": selectors.library_return_parcels(library=library)[:100],
            "held": selectors.library_held_loans(library=library),
            "cases": selectors.library_cases(library=library)[:100],
        },
    )


@library_required
def parcel_create(request: HttpRequest) -> HttpResponse:
    library = request_library(request)
    held = selectors.library_held_loans(library=library)
    form = ReturnParcelForm(
        request.POST or None, loans=held, initial={"sent_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            outcomes = return_parcel_record(
                library=library,
                loan_ids=[loan.pk for loan in form.cleaned_data["loans"]],
                method=form.cleaned_data["method"],
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
                sent_on=form.cleaned_data["sent_on"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Return recorded. Thank you."))
            outcomes_show(request, outcomes)
            return redirect("returns:parcel_list")
    return render(request, "returns/parcel_form.html", {"form": form, "held": held})


@library_required
def return_label(request: HttpRequest, shipment_pk: int) -> HttpResponse:
    shipment = _get_shipment_for_library(request, shipment_pk)
    document = ReturnAddressLabel(site=shipment.site, library=shipment.library)
    response = HttpResponse(document.render(), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{return_label_filename(shipment.site)}"'
    )
    return response


@library_required
def case_report(request: HttpRequest, loan_pk: int) -> HttpResponse:
    library = request_library(request)
    loan = _get_reportable_loan_for_library(request, loan_pk)
    form = DamageReportForm(request.POST or None, initial={"reported_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            damage_case_report(
                loan_id=loan.pk,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                reported_on=form.cleaned_data["reported_on"],
                actor=request.user,  # type: ignore[arg-type]
                library=library,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Your report has been sent to the NDL, which will tell you what to do next."),
            )
            return redirect("returns:parcel_list")
    return render(request, "returns/case_report.html", {"form": form, "loan": loan})
