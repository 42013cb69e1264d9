"""Demo data of the copy service for ``seed_demo``: an example fee table, the
postal zones of the demo's countries, and the demo library's copy requests,
one waiting for the NDL's decision and one sent with an invoice it has partly
paid. Made through the services like any request; safe to run again.

The amounts are an example for the demo only: the NDL's fees are whatever
staff enter in the fee table.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from catalogue.models import Material
from core.models import User
from registration.models import Library

from .models import ColourMode, CopyChannel, CopyRequest, FeeKind, FeeRate, PaperSize, PostalZone
from .rules import Part
from .services.invoices import invoice_payment_record
from .services.requests import (
    copy_dispatch,
    copy_pages_record,
    copy_request_accept,
    copy_request_create,
)

DEMO_FEES_FROM = dt.date(2026, 1, 1)
# (paper size, colour) -> yen per page; handling; postage by zone and grams.
DEMO_PAGE_FEES = {
    (PaperSize.A4, ColourMode.MONOCHROME): "25",
    (PaperSize.A4, ColourMode.COLOUR): "80",
    (PaperSize.B4, ColourMode.MONOCHROME): "35",
    (PaperSize.A3, ColourMode.MONOCHROME): "50",
    (PaperSize.A3, ColourMode.COLOUR): "160",
}
DEMO_HANDLING = "500"
DEMO_POSTAGE = {
    1: ((250, "700"), (500, "1100"), (2000, "2600")),
    2: ((250, "900"), (500, "1400"), (2000, "3100")),
    3: ((250, "1100"), (500, "1800"), (2000, "3900")),
}
DEMO_ZONES = {
    "KR": 1, "CN": 1, "TW": 1, "HK": 1, "SG": 1, "TH": 1,
    "US": 2, "CA": 2, "AU": 2, "NZ": 2, "GB": 2, "DE": 2, "FR": 2, "IT": 2, "ES": 2,
    "NL": 2, "SE": 2, "AT": 2, "CH": 2, "BE": 2, "DK": 2, "NO": 2, "FI": 2, "PL": 2,
    "BR": 3, "AR": 3, "MX": 3, "ZA": 3, "EG": 3,
}  # fmt: skip


def seed_demo_fees() -> None:
    """The example fee table and postal zones, unless staff already keep one."""
    if not FeeRate.objects.exists():
        rows = [
            FeeRate(
                kind=FeeKind.PAGE,
                effective_from=DEMO_FEES_FROM,
                paper_size=size,
                colour=colour,
                amount=Decimal(amount),
                note="demo",
            )
            for (size, colour), amount in DEMO_PAGE_FEES.items()
        ]
        rows.append(
            FeeRate(
                kind=FeeKind.HANDLING,
                effective_from=DEMO_FEES_FROM,
                amount=Decimal(DEMO_HANDLING),
                note="demo",
            )
        )
        rows += [
            FeeRate(
                kind=FeeKind.POSTAGE,
                effective_from=DEMO_FEES_FROM,
                zone=zone,
                up_to_grams=grams,
                amount=Decimal(amount),
                note="demo",
            )
            for zone, brackets in DEMO_POSTAGE.items()
            for grams, amount in brackets
        ]
        FeeRate.objects.bulk_create(rows)
    for country, zone in DEMO_ZONES.items():
        PostalZone.objects.get_or_create(country=country, defaults={"zone": zone})


def seed_demo_copies(*, library: Library, staff: User) -> int:
    """The demo library's copy requests; return how many it has."""
    seed_demo_fees()
    if CopyRequest.objects.filter(library=library).exists():
        return CopyRequest.objects.filter(library=library).count()
    books = list(
        Material.objects.filter(material_type="book", is_digitized=False).order_by("ndl_id")[:2]
    )
    if len(books) < 2:
        return 0
    today = timezone.localdate()
    declared = Part(pages_from=1, pages_to=12, chapter_title="Introduction", research_declared=True)
    copy_request_create(
        library=library,
        material=books[0],
        part=declared,
        paper_size=PaperSize.A4,
        colour=ColourMode.MONOCHROME,
        channel=CopyChannel.PORTAL,
        actor=None,
        note=(
            "For a seminar on the history of Japanese libraries. / "
            "日本の図書館史のゼミで使用します。"
        ),
    )
    sent = copy_request_create(
        library=library,
        material=books[1],
        part=Part(pages_from=21, pages_to=48, research_declared=True),
        paper_size=PaperSize.A4,
        colour=ColourMode.MONOCHROME,
        channel=CopyChannel.PORTAL,
        actor=None,
    )
    copy_request_accept(request=sent, actor=staff)
    copy_pages_record(request=sent, actor=staff, pages=28)
    invoice = copy_dispatch(request=sent, actor=staff, sent_on=today)
    invoice_payment_record(
        invoice=invoice,
        amount=invoice.total / 2,
        received_on=today,
        method="bank_transfer",
        actor=staff,
        reference="DEMO-TRANSFER-1",
    )
    return 2
