"""Reads for the portal dashboard: what the library holds and what needs doing now.

Three queries whatever the number of loans: the library's outstanding loans
(with their material, shipment and check-in joined), their return parcels
(prefetched), and its open damage and loss cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from registration.models import Library
from returns.models import CaseStatus, DamageCase, ReturnParcel

from .models import CAP_COUNTING_STATUSES, LOAN_CAP, LoanRequest, LoanStatus, Shipment

# "Items due within 7 days": due today up to and including today + 7 days.
DUE_SOON_DAYS = 7


@dataclass
class ShipmentToConfirm:
    """A parcel on its way to (or arrived at) the library, receipt not yet confirmed."""

    shipment: Shipment
    loans: list[LoanRequest] = field(default_factory=list)


@dataclass
class Dashboard:
    outstanding_count: int
    cap: int
    # Everything the library has from (or asked of) the NDL, oldest first.
    outstanding: list[LoanRequest]
    to_confirm: list[ShipmentToConfirm]
    due_soon: list[LoanRequest]
    overdue: list[LoanRequest]
    open_cases: list[DamageCase]

    @property
    def has_actions(self) -> bool:
        return bool(self.to_confirm or self.due_soon or self.overdue or self.open_cases)


def loans_with_timeline() -> QuerySet[LoanRequest]:
    """Loans with everything ``loans/_timeline.html`` reads, in two queries."""
    parcels = ReturnParcel.objects.order_by("sent_on", "pk")
    return LoanRequest.objects.select_related(
        "material", "material__site", "shipment", "shipment__site", "check_in", "check_in__site"
    ).prefetch_related(Prefetch("return_parcels", queryset=parcels))


def library_dashboard(*, library: Library, today: dt.date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    due_soon_limit = today + dt.timedelta(days=DUE_SOON_DAYS)
    outstanding = list(
        loans_with_timeline()
        .filter(library=library, status__in=CAP_COUNTING_STATUSES)
        .order_by("requested_at", "pk")
    )

    to_confirm: dict[int, ShipmentToConfirm] = {}
    due_soon: list[LoanRequest] = []
    overdue: list[LoanRequest] = []
    for loan in outstanding:
        if loan.status == LoanStatus.SHIPPED and loan.shipment is not None:
            group = to_confirm.setdefault(loan.shipment_id, ShipmentToConfirm(loan.shipment))  # type: ignore[arg-type]
            group.loans.append(loan)
        elif loan.status == LoanStatus.OVERDUE:
            overdue.append(loan)
        elif loan.status == LoanStatus.RECEIVED and loan.due_on is not None:
            # Past due but not yet flagged by the nightly job: overdue all the same.
            if loan.due_on < today:
                overdue.append(loan)
            elif loan.due_on <= due_soon_limit:
                due_soon.append(loan)

    open_cases = list(
        DamageCase.objects.filter(loan__library=library)
        .exclude(status=CaseStatus.SETTLED)
        .select_related("loan", "loan__material")
        .order_by("reported_on", "pk")
    )
    return Dashboard(
        outstanding_count=len(outstanding),
        cap=LOAN_CAP,
        outstanding=outstanding,
        to_confirm=sorted(
            to_confirm.values(), key=lambda g: (g.shipment.shipped_on, g.shipment.pk)
        ),
        due_soon=sorted(due_soon, key=lambda loan: (loan.due_on, loan.pk)),
        overdue=sorted(overdue, key=lambda loan: (loan.due_on or today, loan.pk)),
        open_cases=open_cases,
    )
