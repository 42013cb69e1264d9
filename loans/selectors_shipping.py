"""Reads for the shipping screens of the portal and the admin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from core.models import Site
from registration.models import Library

from .models import (
    HELD_STATUSES,
    ActionBy,
    LoanAction,
    LoanRequest,
    LoanStatus,
    ReceiptChannel,
    Shipment,
)
from .services.transitions import moves_open_to


def shipment_loans(*, shipment: Shipment) -> list[LoanRequest]:
    return list(
        LoanRequest.objects.filter(shipment=shipment)
        .select_related("material", "material__site")
        .order_by("pk")
    )


def library_shipments(*, library: Library) -> QuerySet[Shipment]:
    loans = LoanRequest.objects.select_related("material").order_by("pk")
    return (
        Shipment.objects.filter(library=library)
        .select_related("site")
        .prefetch_related(Prefetch("loans", queryset=loans))
    )


def library_shipment_get(*, library: Library, pk: int) -> Shipment | None:
    return Shipment.objects.filter(library=library, pk=pk).select_related("site", "library").first()


def pull_queue(*, site: Site | None) -> QuerySet[LoanRequest]:
    qs = LoanRequest.objects.filter(status=LoanStatus.ACCEPTED, packed_at__isnull=True)
    return qs.filter(material__site=site) if site else qs


def ship_queue(*, site: Site | None) -> QuerySet[LoanRequest]:
    qs = LoanRequest.objects.filter(status=LoanStatus.ACCEPTED, packed_at__isnull=False)
    return qs.filter(material__site=site) if site else qs


# What staff may do to a parcel from the shipments list, by the table of moves.
SHIPMENT_STAFF_ACTIONS = (
    LoanAction.RECORD_RECEIPT_LETTER,
    LoanAction.RECORD_DELIVERY,
    LoanAction.RECORD_UNDELIVERED,
)
# For each status, the actions above that LOAN_MOVES opens to staff.
_OPEN_BY_STATUS: dict[str, frozenset[LoanAction]] = {
    status: frozenset(moves_open_to(status=status, by=ActionBy.STAFF)) & set(SHIPMENT_STAFF_ACTIONS)
    for status in LoanStatus
}
# The item statuses that open any of them (a parcel holding none offers no action).
SHIPMENT_MOVE_STATUSES = tuple(status for status, opened in _OPEN_BY_STATUS.items() if opened)


def shipment_status_flags() -> dict[str, Exists]:
    """``values()``/``annotate()`` expressions: for each status of
    ``SHIPMENT_MOVE_STATUSES``, whether the shipment holds an item in it
    (``holds_<status>``). One EXISTS per status on the loans' shipment index,
    so a page of shipments and its moves come in one query."""
    return {
        f"holds_{status}": Exists(
            LoanRequest.objects.filter(shipment_id=OuterRef("pk"), status=status)
        )
        for status in SHIPMENT_MOVE_STATUSES
    }


def shipment_open_moves(*, row: Mapping[str, Any]) -> set[LoanAction]:
    """The parcel-level moves staff can start now for one shipment (a plain
    row with the ``shipment_status_flags``, ``receipt_channel`` and
    ``receipt_letter_on``): those of ``SHIPMENT_STAFF_ACTIONS`` that
    ``LOAN_MOVES`` opens to staff for at least one of its items, with the
    conditions the services check for items the library holds: a receipt
    letter is filed over a receipt that was assumed, or confirmed in the
    portal without a letter yet; "undelivered" withdraws only an assumed
    receipt (``receipt_letter_record``, ``shipment_undelivered_record``).
    """
    assumed = row["receipt_channel"] == ReceiptChannel.ASSUMED
    letter_joins = (
        row["receipt_channel"] == ReceiptChannel.PORTAL and row["receipt_letter_on"] is None
    )
    moves: set[LoanAction] = set()
    for status in SHIPMENT_MOVE_STATUSES:
        if not row[f"holds_{status}"]:
            continue
        for action in _OPEN_BY_STATUS[status]:
            if status in HELD_STATUSES:
                if action == LoanAction.RECORD_RECEIPT_LETTER and not (assumed or letter_joins):
                    continue
                if action == LoanAction.RECORD_UNDELIVERED and not assumed:
                    continue
            moves.add(action)
    return moves
