from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from catalogue.tests.factories import MaterialFactory
from copies.models import (
    ColourMode,
    CopyChannel,
    CopyRequest,
    CopyStatus,
    FeeKind,
    FeeRate,
    Invoice,
    PaperSize,
    PostalZone,
)
from registration.tests.factories import LibraryFactory


def fee_table(
    *,
    on: dt.date = dt.date(2026, 1, 1),
    a4_mono: str = "25",
    a4_colour: str = "80",
    handling: str = "500",
    zone: int = 2,
    postage: tuple[tuple[int, str], ...] = ((250, "900"), (500, "1400"), (2000, "3100")),
    countries: tuple[str, ...] = ("US", "GB", "DE", "FR", "KR", "CN", "AU"),
) -> None:
    """A small fee table in force from ``on``: the amounts are test data only."""
    rows = [
        FeeRate(
            kind=FeeKind.PAGE,
            effective_from=on,
            paper_size=PaperSize.A4,
            colour=ColourMode.MONOCHROME,
            amount=Decimal(a4_mono),
        ),
        FeeRate(
            kind=FeeKind.PAGE,
            effective_from=on,
            paper_size=PaperSize.A4,
            colour=ColourMode.COLOUR,
            amount=Decimal(a4_colour),
        ),
        FeeRate(
            kind=FeeKind.PAGE,
            effective_from=on,
            paper_size=PaperSize.A3,
            colour=ColourMode.MONOCHROME,
            amount=Decimal(a4_mono) * 2,
        ),
        FeeRate(kind=FeeKind.HANDLING, effective_from=on, amount=Decimal(handling)),
    ]
    rows += [
        FeeRate(
            kind=FeeKind.POSTAGE,
            effective_from=on,
            zone=zone,
            up_to_grams=grams,
            amount=Decimal(amount),
        )
        for grams, amount in postage
    ]
    FeeRate.objects.bulk_create(rows)
    for country in countries:
        PostalZone.objects.get_or_create(country=country, defaults={"zone": zone})


class BookFactory(MaterialFactory):
    """A 300-page book (its extent known from the record)."""

    page_count = 300


class CopyRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CopyRequest

    library = factory.SubFactory(LibraryFactory)
    material = factory.SubFactory(BookFactory)
    status = CopyStatus.REQUESTED
    channel = CopyChannel.PORTAL
    pages_from = 11
    pages_to = 40
    research_declared = True
    quoted_total = Decimal("2150")
    quoted_on = dt.date(2026, 3, 1)


class AcceptedCopyFactory(CopyRequestFactory):
    status = CopyStatus.ACCEPTED
    decided_at = factory.LazyFunction(lambda: dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))


class CopiedCopyFactory(AcceptedCopyFactory):
    status = CopyStatus.COPIED
    pages_copied = 30
    copied_at = factory.LazyFunction(lambda: dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC))


class DispatchedCopyFactory(CopiedCopyFactory):
    status = CopyStatus.DISPATCHED
    dispatched_on = dt.date(2026, 3, 4)


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An open invoice of 30 pages: 750 + 500 + 900 = 2150 yen."""

    class Meta:
        model = Invoice

    copy_request = factory.SubFactory(DispatchedCopyFactory)
    library = factory.LazyAttribute(lambda o: o.copy_request.library)
    number = factory.Sequence(lambda n: f"C2026-{n + 1:06d}")
    issued_on = dt.date(2026, 3, 4)
    pages = 30
    page_rate = Decimal("25")
    copying_fee = Decimal("750")
    handling_fee = Decimal("500")
    postage = Decimal("900")
    weight_grams = 170
    zone = 2
    total = Decimal("2150")
