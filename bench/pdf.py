"""Time the PDFs: the first render of a process (the fonts are read then) and
the median and 95th percentile of the renders after it.

    python bench/pdf.py [--renders 200]

Runs on an in-memory SQLite database with the test settings (nothing to set
up). Each document is rendered for a library whose name is in one script, as
the NDL's borrowers write them; the target is a median of at most 10 ms for
the one-page Certificate of User Registration. ``bench/perf/run.py`` times the
same documents again on its PostgreSQL data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "ndl_ill.settings.test"
os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")

TARGET_MS = 10.0

NAMES = [  # (script, country, name in the original script, name in Latin letters)
    ("Latin", "GB", "Bodleian Japanese Library", "ボドリアン日本図書館"),
    ("Hangul", "KR", "한빛대학교 중앙도서관", "Hanbit University Central Library"),
    ("simplified Chinese", "CN", "北京示范大学图书馆", "Beijing Demonstration University"),
    ("traditional Chinese", "TW", "臺灣示範大學圖書館", "Taiwan Demonstration University"),
    ("Cyrillic", "RU", "Научная библиотека Примерного университета", "Primer University"),
    ("Vietnamese", "VN", "Thư viện Trường Đại học Mẫu Hà Nội", "Hanoi Model University"),
    ("Thai", "TH", "หอสมุดมหาวิทยาลัยตัวอย่าง", "Tuayang University Library"),
    ("Arabic", "EG", "مكتبة جامعة المثال", "Al-Mithal University Library"),
    ("Japanese, beyond the BMP", "JP", "𩸽田記念日本学研究所図書室", "Hokke-da Memorial Library"),
]


def make(factory: Any, **fields: Any) -> Any:
    """A row made by a factory_boy factory (whose types mypy cannot follow)."""
    return factory(**fields)


def timed(render: Callable[[], bytes], n: int) -> tuple[float, float, float, float]:
    """(first render, median, 95th percentile, median CPU time) in ms. The CPU
    time is the process's own: what a render costs when other processes
    share the cores."""
    start = time.perf_counter()
    render()
    first = (time.perf_counter() - start) * 1000
    times, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        render()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    times.sort()
    return first, statistics.median(times), times[int(n * 0.95)], statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=200)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)

    from catalogue.tests.factories import MaterialFactory
    from loans.models import LoanStatus
    from loans.pdf.letters import RefusalLetter
    from loans.pdf.shipping import LoanSlip, ToBorrowers
    from loans.tests.factories import LoanRequestFactory
    from registration.pdf import ApprovalLetter, RegistrationCertificate
    from registration.tests.factories import LibraryFactory
    from returns.pdf import ReturnAddressLabel
    from returns.tests.factories import ShippedLoanFactory

    rows: list[tuple[str, tuple[float, float, float, float]]] = []
    for number, (script, country, original, latin) in enumerate(NAMES, 1):
        library = make(
            LibraryFactory,
            name=original,
            name_original=latin,
            country=country,
            postal_address=f"{original}\n12 Example Road",
            user_id=f"ILL-{country}-{number:05d}",
            registered_on=dt.date(2026, 11, 2),
        )
        certificate = RegistrationCertificate(library=library)
        rows.append(
            (f"Certificate of User Registration, {script}", timed(certificate.render, args.renders))
        )
        if script != "Latin":
            continue
        refused = make(
            LoanRequestFactory,
            library=library,
            status=LoanStatus.REJECTED,
            reject_codes=["not_on_shelf"],
            decided_at=timezone.now(),
        )
        shipped = [make(ShippedLoanFactory, library=library, material=make(MaterialFactory))]
        shipment = shipped[0].shipment
        for _ in range(9):
            shipped.append(
                make(
                    ShippedLoanFactory,
                    library=library,
                    shipment=shipment,
                    material=make(MaterialFactory, site=shipment.site),
                )
            )
        documents = [
            ("approval letter", ApprovalLetter(library=library)),
            ("refusal letter", RefusalLetter(loan=refused)),
            ("loan slip, 10 items", LoanSlip(shipment=shipment, loans=shipped)),
            ("To Borrowers sheet, 10 items", ToBorrowers(shipment=shipment, loans=shipped)),
            ("return label", ReturnAddressLabel(site=shipment.site, library=library)),
        ]
        for title, document in documents:
            rows.append((f"{title}, {script}", timed(document.render, args.renders)))

    print(f"PDF rendering, {args.renders} renders each after the first (ms)\n")
    print("| document | first render | median | p95 | median CPU |")
    print("|---|---:|---:|---:|---:|")
    for title, (first, median, p95, cpu) in rows:
        print(f"| {title} | {first:.1f} | {median:.1f} | {p95:.1f} | {cpu:.1f} |")
    certificates = [times for title, times in rows if title.startswith("Certificate")]
    worst = max(median for _, median, _, _ in certificates)
    worst_cpu = max(cpu for _, _, _, cpu in certificates)
    for label, value in (("median", worst), ("median CPU time", worst_cpu)):
        verdict = "met" if value <= TARGET_MS else "MISSED"
        print(f"Certificate {label}, worst script: {value:.1f} ms ", end="")
        print(f"(target <= {TARGET_MS:.0f} ms: {verdict})")


if __name__ == "__main__":
    main()
