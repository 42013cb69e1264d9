"""Back-office statistics, each figure one aggregate query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncDate, TruncMonth
from django_countries import countries

from core.i18n import in_japanese
from loans.models import LoanRequest


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    percent: float


@dataclass
class Statistics:
    per_country: list[Bar] = field(default_factory=list)
    per_site: list[Bar] = field(default_factory=list)
    per_month: list[Bar] = field(default_factory=list)
    shipped: int = 0
    received: int = 0
    ever_overdue: int = 0
    turnaround_days: float | None = None

    @property
    def overdue_rate(self) -> float | None:
        return (100.0 * self.ever_overdue / self.received) if self.received else None


def _bars(rows: list[tuple[str, int]]) -> list[Bar]:
    top = max((value for _, value in rows), default=0) or 1
    return [Bar(label, value, round(100.0 * value / top, 1)) for label, value in rows]


def loan_statistics(*, since: dt.date | None = None) -> Statistics:
    """Loans are items that left NDL (they have a shipment).

    Labels are in the language being rendered: country names from
    django-countries, site names from the site's ``name`` or ``name_ja``.
    """
    loans = LoanRequest.objects.filter(shipment__isnull=False)
    if since is not None:
        loans = loans.filter(shipment__shipped_on__gte=since)

    by_country = (
        loans.values("library__country").annotate(n=Count("pk")).order_by("-n", "library__country")
    )
    by_site = (
        loans.values("shipment__site__name", "shipment__site__name_ja")
        .annotate(n=Count("pk"))
        .order_by("-n", "shipment__site__name")
    )
    site_name = "shipment__site__name_ja" if in_japanese() else "shipment__site__name"
    by_month = (
        loans.annotate(month=TruncMonth("shipment__shipped_on"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    totals = loans.aggregate(
        shipped=Count("pk"),
        received=Count("pk", filter=Q(received_on__isnull=False)),
        ever_overdue=Count("pk", filter=Q(overdue_since__isnull=False)),
        turnaround=Avg(
            ExpressionWrapper(
                F("shipment__shipped_on") - TruncDate("requested_at"),
                output_field=DurationField(),
            )
        ),
    )
    turnaround = totals["turnaround"]
    return Statistics(
        per_country=_bars(
            [(str(countries.name(r["library__country"])), r["n"]) for r in by_country]
        ),
        per_site=_bars([(r[site_name], r["n"]) for r in by_site]),
        per_month=_bars([(r["month"].strftime("%Y-%m"), r["n"]) for r in by_month]),
        shipped=totals["shipped"],
        received=totals["received"],
        ever_overdue=totals["ever_overdue"],
        turnaround_days=(turnaround.total_seconds() / 86400) if turnaround is not None else None,
    )
