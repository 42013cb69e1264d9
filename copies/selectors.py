"""Reads of the copy service: a library's requests and invoices, what it
owes, whether unpaid invoices stop it from asking for more."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, ExpressionWrapper, F, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from registration.models import Library

from .models import (
    OPEN_INVOICE_STATUSES,
    CopyPolicy,
    CopyRequest,
    Invoice,
)


def payment_days() -> int:
    """Days an invoice may stay unpaid after it is issued (``NDL_COPY_PAYMENT_DAYS``)."""
    return int(settings.NDL_COPY_PAYMENT_DAYS)


def unpaid_cutoff(*, today: dt.date) -> dt.date:
    """Invoices issued before this day are past the payment limit on ``today``.

    With a limit of N days, an invoice issued on day D may be paid until day
    D + N; on day D + N + 1 it is unpaid past the limit.
    """
    return today - dt.timedelta(days=payment_days())


def overdue_invoices(*, today: dt.date) -> QuerySet[Invoice]:
    """Open invoices past the payment limit whose block staff have not lifted."""
    return Invoice.objects.filter(
        status__in=OPEN_INVOICE_STATUSES,
        issued_on__lt=unpaid_cutoff(today=today),
        block_cleared_at__isnull=True,
    )


def library_blocked_by_invoices(*, library: Library, today: dt.date) -> bool:
    """True when ``library`` has an invoice unpaid past the limit (one query).

    Computed from the dates, not from the nightly flag, so a night the job
    did not run changes nothing.
    """
    return overdue_invoices(today=today).filter(library=library).exists()


def policy_for(*, material_id: int) -> CopyPolicy | None:
    return CopyPolicy.objects.filter(material_id=material_id).first()


def library_copy_requests(*, library: Library) -> QuerySet[CopyRequest]:
    """The library's requests, newest first, with what the list shows (one query)."""
    return (
        CopyRequest.objects.filter(library=library)
        .select_related("material", "invoice")
        .order_by("-requested_at", "-pk")
    )


def library_copy_request_get(*, library: Library, pk: int) -> CopyRequest | None:
    return (
        CopyRequest.objects.filter(library=library, pk=pk)
        .select_related("material", "material__site", "invoice")
        .first()
    )


def library_invoice_get(*, library: Library, pk: int) -> Invoice | None:
    return (
        Invoice.objects.filter(library=library, pk=pk)
        .select_related("library", "copy_request", "copy_request__material")
        .first()
    )


@dataclass(frozen=True)
class Balance:
    library_id: int
    user_id: str
    name: str
    open_invoices: int
    owed: Decimal
    oldest_issued_on: dt.date | None


def balances() -> list[Balance]:
    """What each library owes on its open invoices, largest first (one query)."""
    owed = ExpressionWrapper(
        F("copy_invoices__total") - F("copy_invoices__paid_amount"),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )
    is_open = Q(copy_invoices__status__in=OPEN_INVOICE_STATUSES)
    rows = (
        Library.objects.filter(is_open)
        .annotate(
            owed=Coalesce(Sum(owed, filter=is_open), Value(Decimal("0"))),
            open_count=Sum(Value(1), filter=is_open),
            oldest=Min("copy_invoices__issued_on", filter=is_open),
        )
        .order_by("-owed", "user_id")
        .values_list("pk", "user_id", "name", "open_count", "owed", "oldest")
    )
    return [
        Balance(
            library_id=pk,
            user_id=user_id or "",
            name=name,
            open_invoices=count or 0,
            owed=Decimal(owed),
            oldest_issued_on=oldest,
        )
        for pk, user_id, name, count, owed, oldest in rows
    ]
