"""Portal: shipments received, confirming receipt, the shipment papers."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.portal import library_required, request_library

from ..forms_shipping import ReceiptConfirmForm
from ..models import HELD_STATUSES, LoanRequest, ReceiptChannel, Shipment
from ..pdf.shipping import LoanSlip, ToBorrowers, shipment_pdf_filename
from ..selectors import library_request_get
from ..selectors_shipping import library_shipment_get, library_shipments, shipment_loans
from ..services.shipping import shipment_confirm_receipt
from .outcomes import outcomes_show

PAPERS = {"loan-slip": LoanSlip, "to-borrowers": ToBorrowers}


def _get_shipment_for_library(request: HttpRequest, pk: int) -> Shipment:
    shipment = library_shipment_get(library=request_library(request), pk=pk)
    if shipment is None:
        raise Http404
    return shipment


def _get_loan_for_library(request: HttpRequest, pk: int) -> LoanRequest:
    loan = library_request_get(library=request_library(request), pk=pk)
    if loan is None:
        raise Http404
    return loan


@library_required
def shipment_list(request: HttpRequest) -> HttpResponse:
    library = request_library(request)
    return render(
        request,
        "loans/shipping_list.html",
        {
            "library": library,
            "shipments": library_shipments(library=library)[:100],
            "held_statuses": HELD_STATUSES,
        },
    )


@library_required
def shipment_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _get_shipment_for_library(request, pk)
    loans = shipment_loans(shipment=shipment)
    form = ReceiptConfirmForm(
        request.POST or None, loans=loans, initial={"received_on": timezone.localdate()}
    )
    # A receipt the nightly job assumed can still be confirmed (the letter).
    if shipment.received_on is not None and shipment.receipt_channel != ReceiptChannel.ASSUMED:
        messages.info(request, _("Receipt of this shipment is already confirmed."))
        return redirect("loans:shipment_list")
    if request.method == "POST" and form.is_valid():
        try:
            outcomes = shipment_confirm_receipt(
                shipment_id=shipment.pk,
                library=request_library(request),
                received_on=form.cleaned_data["received_on"],
                conditions=form.conditions(),
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Thank you: receipt confirmed. Please ship the items back within one month."),
            )
            outcomes_show(request, outcomes)
            return redirect("loans:shipment_list")
    return render(
        request,
        "loans/shipping_confirm.html",
        {"shipment": shipment, "loans": loans, "form": form},
    )


@library_required
def shipment_pdf(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    shipment = _get_shipment_for_library(request, pk)
    if kind not in PAPERS:
        raise Http404
    document = PAPERS[kind](shipment=shipment, loans=shipment_loans(shipment=shipment))
    response = HttpResponse(document.render(), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{shipment_pdf_filename(shipment, kind)}"'
    )
    return response
