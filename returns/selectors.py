"""Reads of returns, check-ins and cases for the portal and the admin."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from core.models import Site
from loans.models import LOAN_MOVES, LoanAction, LoanRequest, Shipment
from registration.models import Library

from .models import CaseStatus, CheckIn, DamageCase, ReturnParcel
from .services import LIBRARY_REPORTABLE_STATUSES

# What the portal offers for a return parcel: what LOAN_MOVES lets the
# library send back (held items, and lost ones that turned up).
RETURNABLE_STATUSES = tuple(
    status for status, moves in LOAN_MOVES.items() if LoanAction.RECORD_RETURN in moves
)


def library_held_loans(*, library: Library) -> QuerySet[LoanRequest]:
    """Items the library holds now and may put in a return parcel."""
    return (
        LoanRequest.objects.filter(library=library, status__in=RETURNABLE_STATUSES)
        .select_related("material", "shipment__site")
        .order_by("shipment__site_id", "due_on", "pk")
    )


def library_reportable_loan_get(*, library: Library, pk: int) -> LoanRequest | None:
    return (
        LoanRequest.objects.filter(library=library, pk=pk, status__in=LIBRARY_REPORTABLE_STATUSES)
        .select_related("material", "shipment__site")
        .first()
    )


def library_return_parcels(*, library: Library) -> QuerySet[ReturnParcel]:
    loans = LoanRequest.objects.select_related("material").order_by("pk")
    return (
        ReturnParcel.objects.filter(library=library)
        .select_related("site")
        .prefetch_related(Prefetch("loans", queryset=loans))
    )


def library_cases(*, library: Library) -> QuerySet[DamageCase]:
    return DamageCase.objects.filter(loan__library=library).select_related("loan__material")


def library_shipment_get(*, library: Library, pk: int) -> Shipment | None:
    return Shipment.objects.filter(library=library, pk=pk).select_related("site", "library").first()


def check_ins_for_site(*, site: Site | None) -> QuerySet[CheckIn]:
    """A wrong-site check-in shows at both the site it reached and the site that lent it."""
    qs = CheckIn.objects.all()
    if site is None:
        return qs
    return qs.filter(Q(site=site) | Q(loan__shipment__site=site))


def cases_for_site(*, site: Site | None) -> QuerySet[DamageCase]:
    qs = DamageCase.objects.all()
    return qs.filter(loan__shipment__site=site) if site else qs


def open_cases() -> QuerySet[DamageCase]:
    return DamageCase.objects.exclude(status=CaseStatus.SETTLED)
