"""What a copy costs: the fee table staff keep, read for one day.

Each line of ``FeeRate`` applies from its ``effective_from`` date until a
later line for the same thing (page size and colour, handling, zone and
weight bracket) takes over, so a change that staff enter today for tomorrow
leaves today's quotes alone. Amounts are ``Decimal`` yen; nothing about
them is in the code. The weight of a parcel is estimated from the sheets and
the packing (settings ``NDL_COPY_SHEET_GRAMS``, ``NDL_COPY_PACKING_GRAMS``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import FeeKind, FeeRate, PaperSize, PostalZone

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Quote:
    """The fee for ``pages`` pages on ``on`` (a date in Japan), in yen."""

    on: dt.date
    pages: int
    page_rate: Decimal
    copying_fee: Decimal
    handling_fee: Decimal
    postage: Decimal
    weight_grams: int
    zone: int

    @property
    def total(self) -> Decimal:
        return self.copying_fee + self.handling_fee + self.postage


def parcel_weight(*, pages: int, paper_size: str) -> int:
    """Grams of a parcel of ``pages`` single-sided sheets of ``paper_size``, packed."""
    grams = settings.NDL_COPY_SHEET_GRAMS.get(paper_size, settings.NDL_COPY_SHEET_GRAMS["a4"])
    return math.ceil(pages * Decimal(str(grams))) + int(settings.NDL_COPY_PACKING_GRAMS)


def postal_zone(*, country: str) -> int:
    """The postal zone of ``country`` (ISO 3166 alpha-2); DomainError if staff set none."""
    zone = PostalZone.objects.filter(country=country).values_list("zone", flat=True).first()
    if zone is None:
        raise DomainError(
            _(
                "The NDL has no postage zone for %(country)s yet; the fee cannot be "
                "estimated. Please contact the ILL Section of the Kansai-kan."
            )
            % {"country": country},
            code="no_fee",
        )
    return zone


def _missing(what: str) -> DomainError:
    return DomainError(
        _(
            "The fee table has no %(what)s for this date; the fee cannot be estimated. "
            "Please contact the ILL Section of the Kansai-kan."
        )
        % {"what": what},
        code="no_fee",
    )


def _latest(kind: str, on: dt.date, **match: object) -> FeeRate | None:
    return (
        FeeRate.objects.filter(kind=kind, effective_from__lte=on, **match)
        .order_by("-effective_from", "-pk")
        .first()
    )


def fee_quote(*, pages: int, paper_size: str, colour: str, country: str, on: dt.date) -> Quote:
    """The fee of ``pages`` pages of ``paper_size`` in ``colour`` sent to
    ``country``, by the fee table in force on ``on``.

    Four queries whatever the table's length. Raises ``DomainError(code=
    "no_fee")`` when a line it needs is missing, and for a page count below 1.
    """
    if pages < 1:
        raise DomainError(_("At least one page must be copied."), code="pages")
    page = _latest(FeeKind.PAGE, on, paper_size=paper_size, colour=colour)
    if page is None:
        raise _missing(_("per-page fee for this paper size and colour"))
    handling = _latest(FeeKind.HANDLING, on)
    if handling is None:
        raise _missing(_("handling fee"))
    zone = postal_zone(country=country)
    weight = parcel_weight(pages=pages, paper_size=paper_size or PaperSize.A4)
    # Per weight bracket, the line in force; then the lightest bracket that holds the parcel.
    brackets: dict[int, Decimal] = {}
    for grams, amount in (
        FeeRate.objects.filter(kind=FeeKind.POSTAGE, zone=zone, effective_from__lte=on)
        .order_by("up_to_grams", "-effective_from", "-pk")
        .values_list("up_to_grams", "amount")
    ):
        if grams is not None:
            brackets.setdefault(grams, amount)
    fitting = sorted(g for g in brackets if g >= weight)
    if not fitting:
        raise _missing(
            _("postage for a parcel of %(grams)s g to zone %(zone)s")
            % {
                "grams": weight,
                "zone": zone,
            }
        )
    copying = (page.amount * pages).quantize(CENT)
    return Quote(
        on=on,
        pages=pages,
        page_rate=page.amount,
        copying_fee=copying,
        handling_fee=handling.amount.quantize(CENT),
        postage=brackets[fitting[0]].quantize(CENT),
        weight_grams=weight,
        zone=zone,
    )
