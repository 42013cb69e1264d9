"""Two workers running the night at the same moment send every notice once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.core import mail
from django.db import connection

from core.models import MailStatus, OutgoingMail
from loans.models import LoanStatus
from loans.services.nightly import NightlyReport, nightly_run
from loans.tests.factories_nightly import HeldLoanFactory, NightlyShipmentFactory
from registration.tests.factories import LibraryFactory

DUE = dt.date(2026, 5, 10)


def _in_threads(target: Callable[[], object], n: int = 2) -> list[object]:
    barrier = threading.Barrier(n)
    results: list[object] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if errors:
        raise errors[0]
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_runs_send_each_notice_once(settings):
    settings.NDL_OVERDUE_NOTICE_DAYS = [1, 8, 22, 43]
    libraries = LibraryFactory.create_batch(5)
    for library in libraries:
        HeldLoanFactory.create_batch(2, library=library, due_on=DUE)
    for library in libraries[:3]:
        # A parcel is late only while an item of it is still in transit.
        shipment = NightlyShipmentFactory(
            library=library, shipped_on=dt.date(2026, 5, 1), delivered_on=dt.date(2026, 5, 5)
        )
        HeldLoanFactory(
            library=library,
            shipment=shipment,
            status=LoanStatus.SHIPPED,
            received_on=None,
            due_on=None,
        )

    reports = _in_threads(lambda: nightly_run(today=DUE + dt.timedelta(days=1)))

    assert all(isinstance(r, NightlyReport) for r in reports)
    assert sum(r.overdue_notices for r in reports) == 5  # type: ignore[attr-defined]
    assert sum(r.late_receipt_notices for r in reports) == 3  # type: ignore[attr-defined]
    assert sum(r.overdue_flagged for r in reports) == 10  # type: ignore[attr-defined]
    assert OutgoingMail.objects.count() == 8
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {MailStatus.SENT}
    assert len(mail.outbox) == 8
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [lib.email for lib in libraries] + [lib.email for lib in libraries[:3]]
    )
    assert (
        HeldLoanFactory._meta.model.objects.filter(
            status=LoanStatus.OVERDUE, overdue_notices_sent=1
        ).count()
        == 10
    )
