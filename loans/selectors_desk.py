"""Reads for the lending desk: the next pull-slip batch, and what a scan finds.

A scan is whatever a barcode reader or a person types into the desk's one
box: a pull slip's barcode (``slip_code``), a request number as the admin
shows it (``#123``), an NDL ID, or a parcel's tracking number (outbound, or
a library's return parcel). ``desk_scan`` answers with a constant number of
queries whatever the input, so the desk keeps pace with the reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from core.identifiers import IdentifierError, fold, ndl_id_normalize, s10_normalize
from core.models import Site
from returns.models import ReturnParcel

from .models import ACTIVE_STATUSES, ActionBy, LoanAction, LoanRequest, LoanStatus, Shipment
from .services.transitions import moves_open_to

# What a pull slip's Code 128 barcode holds: "L" and the request number in
# nine digits. NDL IDs are digits only, so a slip never reads as an item.
_SLIP = re.compile(r"^L([0-9]{1,12})$")
_REQUEST_NUMBER = re.compile(r"^#\s*([0-9]{1,12})$")
# The desk offers these, in this order, when the table of moves allows them.
DESK_ACTIONS = (LoanAction.PACK, LoanAction.DISPATCH, LoanAction.CHECK_IN)


def slip_code(loan_id: int) -> str:
    """The text of a request's pull-slip barcode."""
    return f"L{loan_id:09d}"


def pull_slip_candidates(*, site: Site) -> QuerySet[LoanRequest]:
    """Accepted items of ``site`` still on the shelf and on no pull slip yet:
    what the next batch holds (every item accepted since the last batch)."""
    return LoanRequest.objects.filter(
        status=LoanStatus.ACCEPTED,
        packed_at__isnull=True,
        material__site=site,
        pull_slip_batches__isnull=True,
    )


def pull_slip_loans(*, loan_ids: list[int]) -> list[LoanRequest]:
    """The items of a batch, with what their slips print, in stack order."""
    loans = list(
        LoanRequest.objects.filter(pk__in=loan_ids).select_related(
            "material", "material__site", "library"
        )
    )
    return sorted(loans, key=lambda loan: (call_number_key(loan.material.call_number), loan.pk))


def call_number_key(value: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key walking the stacks: numbers by value (``UA1-9`` before ``UA1-10``);
    an item without a call number last."""
    if not value:
        return ((2, ""),)
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.upper())
        for part in re.findall(r"[0-9]+|[^0-9]+", value)
    )


@dataclass
class Scan:
    """What one scan found and the one next step it allows."""

    query: str
    loan: LoanRequest | None = None
    shipment: Shipment | None = None
    parcel: ReturnParcel | None = None
    parcel_loans: list[LoanRequest] = field(default_factory=list)
    #: PACK, DISPATCH or CHECK_IN; None when the desk has nothing to do.
    action: LoanAction | None = None
    #: The site that handles the item or parcel when it is not the staff's own.
    other_site: Site | None = None
    #: A return parcel with an item still to check in.
    parcel_open: bool = False

    @property
    def found(self) -> bool:
        return self.loan is not None or self.shipment is not None or self.parcel is not None


def _loan_action(loan: LoanRequest) -> LoanAction | None:
    """The first desk step ``LOAN_MOVES`` allows staff now (packing condition included)."""
    open_now = moves_open_to(status=loan.status, by=ActionBy.STAFF, loan=loan)
    return next((action for action in DESK_ACTIONS if action in open_now), None)


def _scan_keys(value: str) -> tuple[int | None, str, set[str]]:
    """(request number, NDL ID, tracking numbers) that ``value`` could be."""
    text = fold(value).strip()
    compact = text.replace(" ", "").upper()
    match = _SLIP.match(compact) or _REQUEST_NUMBER.match(text)
    loan_id = int(match[1]) if match else None
    try:
        ndl_id = ndl_id_normalize(text)
    except IdentifierError:
        ndl_id = ""
    tracking = {number for number in (s10_normalize(text), text) if number}
    return loan_id, ndl_id, tracking


def desk_scan(*, value: str, site: Site | None) -> Scan:
    """Find the item or parcel ``value`` names and the desk's next step for it.

    ``site`` is the staff member's own site (None for supervisors): an item
    or parcel another site handles is flagged in ``other_site``, and only a
    check-in is still offered for it (the service records the wrong-site
    return). At most four queries, whatever the input. Never raises.
    """
    scan = Scan(query=value.strip())
    loan_id, ndl_id, tracking = _scan_keys(value)
    # One indexed lookup: a slip or request number by pk, else an NDL ID
    # through the material's unique index.
    match = Q(pk=loan_id) if loan_id is not None else Q(material__ndl_id=ndl_id)
    if loan_id is not None or ndl_id:
        # The item's active request first, then its latest.
        rank = Case(
            When(status__in=ACTIVE_STATUSES, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        scan.loan = (
            LoanRequest.objects.filter(match)
            .select_related("material", "material__site", "library", "shipment", "shipment__site")
            .annotate(desk_rank=rank)
            .order_by("desk_rank", "-pk")
            .first()
        )
    if scan.loan is None and tracking:
        scan.shipment = (
            Shipment.objects.filter(tracking_number__in=tracking)
            .select_related("site", "library")
            .first()
        )
        if scan.shipment is None:
            items = LoanRequest.objects.select_related("material", "shipment").order_by("pk")
            scan.parcel = (
                ReturnParcel.objects.filter(tracking_number__in=tracking)
                .select_related("site", "library")
                .prefetch_related(Prefetch("loans", queryset=items))
                .order_by("-pk")
                .first()
            )
            if scan.parcel is not None:
                scan.parcel_loans = list(scan.parcel.loans.all())
                scan.parcel_open = any(
                    _loan_action(loan) == LoanAction.CHECK_IN for loan in scan.parcel_loans
                )
    if scan.loan is not None:
        scan.action = _loan_action(scan.loan)
        loan = scan.loan
        handled_by = (
            loan.shipment.site
            if scan.action == LoanAction.CHECK_IN and loan.shipment
            else loan.material.lending_site
        )
        if site is not None and handled_by.pk != site.pk:
            scan.other_site = handled_by
            if scan.action != LoanAction.CHECK_IN:
                scan.action = None
    elif scan.shipment is not None and site is not None and scan.shipment.site_id != site.pk:
        scan.other_site = scan.shipment.site
    elif scan.parcel is not None and site is not None and scan.parcel.site_id != site.pk:
        scan.other_site = scan.parcel.site
    return scan
