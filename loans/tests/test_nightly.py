"""The nightly jobs at every boundary, run twice, and at constant query cost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.models import Material
from catalogue.tests.factories import MaterialFactory
from core.models import AuditEntry, MailStatus, OutgoingMail
from loans.models import LoanRequest, LoanStatus, Shipment
from loans.services.nightly import NightlyReport, nightly_run
from loans.tests.factories_nightly import HeldLoanFactory, NightlyShipmentFactory
from registration.models import Language, Library
from registration.tests.factories import LibraryFactory

TOKYO = ZoneInfo("Asia/Tokyo")
DUE = dt.date(2026, 5, 10)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _notice_days(settings):  # type: ignore[no-untyped-def]
    settings.NDL_OVERDUE_NOTICE_DAYS = [1, 8, 22, 43]
    settings.NDL_ESTIMATED_TRANSIT_DAYS = 10


@pytest.fixture
def run(django_capture_on_commit_callbacks) -> Callable[..., NightlyReport]:  # type: ignore[no-untyped-def]
    """Run the night at 02:00 in Tokyo on ``day``, sending what it queues."""

    def _run(day: dt.date, *, hour: int = 2, minute: int = 0) -> NightlyReport:
        moment = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)
        with (
            time_machine.travel(moment, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return nightly_run()

    return _run


def _day(offset: int) -> dt.date:
    return DUE + dt.timedelta(days=offset)


# --- Overdue ------------------------------------------------------------------


def test_it_leaves_a_loan_alone_on_its_due_day(run):
    loan = HeldLoanFactory(due_on=DUE)
    report = run(DUE, hour=23, minute=59)
    loan.refresh_from_db()
    assert loan.status == LoanStatus.RECEIVED
    assert report.overdue_flagged == 0
    assert mail.outbox == []


def test_it_flags_the_day_after_in_tokyo_time(run):
    loan = HeldLoanFactory(due_on=DUE)
    # 00:05 on the 11th in Tokyo is still the 10th in UTC.
    report = run(_day(1), hour=0, minute=5)
    loan.refresh_from_db()
    assert loan.status == LoanStatus.OVERDUE
    assert loan.overdue_since == _day(1)
    assert loan.overdue_notices_sent == 1
    assert report.overdue_flagged == 1
    assert report.overdue_notices == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [loan.library.email]
    assert loan.material.title in mail.outbox[0].body
    assert AuditEntry.objects.filter(action="loan.overdue", object_id=str(loan.pk)).count() == 1


def test_it_ignores_loans_not_held(run):
    shipped_back = HeldLoanFactory(due_on=DUE, status=LoanStatus.RETURN_SHIPPED)
    run(_day(5))
    shipped_back.refresh_from_db()
    assert shipped_back.status == LoanStatus.RETURN_SHIPPED
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("offset", "notices"),
    [(1, 1), (7, 1), (8, 2), (21, 2), (22, 3), (42, 3), (43, 4)],
)
def test_it_sends_reminders_on_the_configured_days(run, offset, notices):
    loan = HeldLoanFactory(due_on=DUE)
    for day in range(1, offset + 1):
        run(_day(day))
    loan.refresh_from_db()
    assert loan.overdue_notices_sent == notices
    assert len(mail.outbox) == notices
    assert loan.escalated_on == (_day(43) if notices == 4 else None)


def test_it_escalates_after_the_last_reminder_and_then_stays_quiet(run):
    loan = HeldLoanFactory(due_on=DUE)
    for offset in (1, 8, 22, 43):
        run(_day(offset))
    assert "Final reminder" in mail.outbox[-1].subject
    report = run(_day(60))
    loan.refresh_from_db()
    assert loan.escalated_on == _day(43)
    assert report.escalated == 0
    assert len(mail.outbox) == 4


def test_a_missed_night_does_not_send_two_notices_at_once(run):
    loan = HeldLoanFactory(due_on=DUE)
    run(_day(10))  # the job did not run on days 1 to 9
    loan.refresh_from_db()
    assert loan.overdue_since == _day(1)
    assert loan.overdue_notices_sent == 2
    assert len(mail.outbox) == 1
    run(_day(11))
    assert len(mail.outbox) == 1


def test_running_twice_sends_one_notice(run):
    HeldLoanFactory(due_on=DUE)
    first = run(_day(1))
    second = run(_day(1), hour=3)
    assert (first.overdue_notices, second.overdue_notices) == (1, 0)
    assert OutgoingMail.objects.count() == 1
    assert len(mail.outbox) == 1


def test_it_groups_a_librarys_loans_in_one_notice(run):
    library = LibraryFactory()
    other = LibraryFactory()
    mine = HeldLoanFactory.create_batch(3, library=library, due_on=DUE)
    HeldLoanFactory(library=library, due_on=_day(-7))  # already on its second notice day
    HeldLoanFactory(library=other, due_on=DUE)
    report = run(_day(1))
    assert report.overdue_notices == 2
    assert report.overdue_loans_noticed == 5
    (to_mine,) = [m for m in mail.outbox if m.to == [library.email]]
    for loan in mine:
        assert loan.material.title in to_mine.body
    # The first notice the library gets says "notice 1", even for the loan
    # already on its second notice day.
    assert "notice 1" in to_mine.body
    assert "notice 2" not in to_mine.body
    html, mimetype = to_mine.alternatives[0]
    assert mimetype == "text/html"
    assert mine[0].material.title in html


def test_a_japanese_library_gets_its_notice_in_japanese(run):
    loan = HeldLoanFactory(due_on=DUE, library__language=Language.JA)
    run(_day(1))
    (sent,) = mail.outbox
    assert "返送期限" in sent.subject
    assert "返送期限: 2026-05-10" in sent.body
    assert loan.shipment.site.name_ja in sent.body
    assert "超過日数" in sent.alternatives[0][0]


def test_the_notice_names_the_return_address_of_the_sending_site(run, kansai):
    loan = HeldLoanFactory(due_on=DUE, shipment__site=kansai)
    run(_day(1))
    body = mail.outbox[0].body
    assert kansai.return_address_lines[0] in body
    assert loan.material.title in body


# --- Late receipt letters ---------------------------------------------------


def _parcel(**kwargs):  # type: ignore[no-untyped-def]
    shipment = NightlyShipmentFactory(**kwargs)
    HeldLoanFactory(
        library=shipment.library,
        shipment=shipment,
        status=LoanStatus.SHIPPED,
        received_on=None,
        due_on=None,
    )
    return shipment


def test_delivered_three_days_ago_is_not_late(run):
    shipment = _parcel(shipped_on=dt.date(2026, 4, 1), delivered_on=dt.date(2026, 4, 10))
    run(dt.date(2026, 4, 13))
    shipment.refresh_from_db()
    assert shipment.late_letter_flagged_on is None
    assert mail.outbox == []


def test_delivered_four_days_ago_is_late(run, tokyo):
    shipment = _parcel(shipped_on=dt.date(2026, 4, 1), delivered_on=dt.date(2026, 4, 10))
    report = run(dt.date(2026, 4, 14))
    shipment.refresh_from_db()
    assert shipment.late_letter_flagged_on == dt.date(2026, 4, 14)
    assert shipment.delivery_estimated is False
    assert (report.late_receipts_flagged, report.late_receipt_notices) == (1, 1)
    (sent,) = mail.outbox
    assert sent.to == [shipment.library.email]
    assert shipment.tracking_number in sent.subject
    assert tokyo.fax in sent.body
    assert tokyo.email in sent.body
    assert "estimate" not in sent.body
    assert tokyo.fax in sent.alternatives[0][0]


@pytest.mark.parametrize(("offset", "late"), [(13, False), (14, True)])
def test_an_unknown_delivery_date_is_estimated(run, offset, late):
    shipped = dt.date(2026, 4, 1)
    shipment = _parcel(shipped_on=shipped, delivered_on=None)
    run(shipped + dt.timedelta(days=offset))
    shipment.refresh_from_db()
    assert (shipment.late_letter_flagged_on is not None) is late
    assert shipment.delivery_estimated is late
    if late:
        (sent,) = mail.outbox
        assert "about 2026-04-11 (an estimate)" in sent.body
    else:
        assert mail.outbox == []


def test_a_japanese_late_receipt_notice_says_the_date_is_an_estimate(run, tokyo):
    _parcel(shipped_on=dt.date(2026, 4, 1), delivered_on=None, library__language=Language.JA)
    run(dt.date(2026, 4, 20))
    (sent,) = mail.outbox
    assert "推定" in sent.body
    assert tokyo.fax in sent.body
    assert "受領書" in sent.subject


@pytest.mark.parametrize(
    "state",
    [
        {"receipt_letter_on": dt.date(2026, 4, 12)},
        {"received_on": dt.date(2026, 4, 11)},
    ],
)
def test_a_parcel_with_a_letter_or_receipt_is_not_late(run, state):
    _parcel(shipped_on=dt.date(2026, 4, 1), delivered_on=dt.date(2026, 4, 10), **state)
    run(dt.date(2026, 4, 30))
    assert mail.outbox == []
    assert not Shipment.objects.filter(late_letter_flagged_on__isnull=False).exists()


def test_a_late_receipt_is_noticed_once(run):
    _parcel(shipped_on=dt.date(2026, 4, 1), delivered_on=dt.date(2026, 4, 10))
    run(dt.date(2026, 4, 14))
    run(dt.date(2026, 4, 14), hour=4)
    run(dt.date(2026, 4, 20))
    assert len(mail.outbox) == 1
    assert OutgoingMail.objects.get().status == MailStatus.SENT


# --- Cost ------------------------------------------------------------------------


def _quiet_loans(n: int) -> None:
    """``n`` held loans that need nothing tonight, inserted in bulk, ten per
    library (no library may hold more)."""
    libraries = Library.objects.bulk_create(LibraryFactory.build() for _ in range((n + 9) // 10))
    shipment = NightlyShipmentFactory(
        library=libraries[0],
        delivered_on=dt.date(2026, 4, 10),
        receipt_letter_on=dt.date(2026, 4, 11),
    )
    tokyo_site = shipment.site
    materials = Material.objects.bulk_create(
        MaterialFactory.build(site=tokyo_site) for _ in range(n)
    )
    LoanRequest.objects.bulk_create(
        LoanRequest(
            library=libraries[i // 10],
            material=material,
            status=LoanStatus.RECEIVED,
            channel="portal",
            shipment=shipment,
            received_on=dt.date(2026, 4, 10),
            due_on=_day(30),
        )
        for i, material in enumerate(materials)
    )


def _queries_for_a_night(run, quiet: int) -> int:  # type: ignore[no-untyped-def]
    _quiet_loans(quiet)
    for _ in range(3):
        HeldLoanFactory(due_on=DUE)
    # Delivered six days before the night: late, and its assumed receipt is
    # not yet a month old (an older one would add an overdue notice).
    _parcel(shipped_on=dt.date(2026, 4, 25), delivered_on=dt.date(2026, 5, 5))
    with CaptureQueriesContext(connection) as ctx:
        report = run(_day(1))
    assert report.overdue_notices == 3
    assert report.late_receipt_notices == 1
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_loans(run):
    small = _queries_for_a_night(run, 10)
    LoanRequest.objects.all().delete()
    OutgoingMail.objects.all().delete()
    mail.outbox.clear()
    large = _queries_for_a_night(run, 1000)
    assert large == small


def test_quiet_loans_cost_nothing_beyond_the_selecting_queries(run, django_assert_max_num_queries):
    _quiet_loans(1000)
    # One SELECT per step finds nothing to do (late receipts, receipt
    # reminders, overdue, notices, escalation); four of them open a savepoint
    # inside the test's transaction.
    with django_assert_max_num_queries(13):
        run(_day(1))
    assert mail.outbox == []


# --- By hand ------------------------------------------------------------------


def test_run_nightly_prints_what_it_did(capsys, django_capture_on_commit_callbacks):
    HeldLoanFactory(due_on=DUE)
    HeldLoanFactory(
        due_on=_day(-42),
        received_on=dt.date(2026, 2, 20),
        shipment__shipped_on=dt.date(2026, 2, 1),
        shipment__received_on=dt.date(2026, 2, 20),
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_nightly", "--date", _day(1).isoformat())
    out = capsys.readouterr().out
    assert "Nightly run for 2026-05-11" in out
    assert "loans flagged overdue:        2" in out
    assert "overdue notices queued:       2" in out
    assert "loans escalated to staff:     1" in out
    assert len(mail.outbox) == 2


def test_run_nightly_rejects_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("run_nightly", "--date", "11/05/2026")


# --- Staff's overdue list ------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?escalated=yes", "?escalated=no", "?overdue_for=gt30"])
def test_the_overdue_list_filters_in_constant_queries(
    admin_client, django_assert_max_num_queries, query
):
    HeldLoanFactory(due_on=_day(-40), received_on=dt.date(2026, 3, 1))
    HeldLoanFactory.create_batch(5, due_on=DUE, status=LoanStatus.OVERDUE, escalated_on=_day(43))
    HeldLoanFactory(due_on=_day(100))  # not due: not listed
    with (
        time_machine.travel(dt.datetime(2026, 5, 20, 9, tzinfo=TOKYO), tick=False),
        django_assert_max_num_queries(12),
    ):
        response = admin_client.get(f"/admin/loans/overdueloan/{query}")
    assert response.status_code == 200
    listed = response.context["cl"].result_count
    assert listed == {"": 6, "?escalated=yes": 5, "?escalated=no": 1, "?overdue_for=gt30": 1}[query]


def test_the_first_notice_a_library_gets_is_numbered_1_even_when_sent_late(run):
    # The job did not run until day 10: the schedule is at its second step,
    # but this is the first notice the library reads.
    loan = HeldLoanFactory(due_on=DUE, library__language=Language.EN)
    run(_day(10))
    assert len(mail.outbox) == 1
    assert "notice 1" in mail.outbox[0].body
    assert "notice 2" not in mail.outbox[0].body
    entry = AuditEntry.objects.get(action="loan.overdue_notice", object_id=str(loan.pk))
    assert (entry.data["notice"], entry.data["stage"]) == (1, 2)
    # The next notice on the schedule (day 22) is the library's second.
    run(_day(22))
    assert len(mail.outbox) == 2
    assert "notice 2" in mail.outbox[1].body
    loan.refresh_from_db()
    assert loan.overdue_notices_sent == 3


def test_a_japanese_library_reads_its_first_late_notice_as_number_1(run):
    HeldLoanFactory(due_on=DUE, library__language=Language.JA)
    run(_day(25))
    assert "第1回" in mail.outbox[0].body
    assert "第3回" not in mail.outbox[0].body
