"""The number on an overdue notice is a counter on the loan
(``overdue_notice_number``), raised in the conditional UPDATE that claims the
notice's step: the first notice is numbered 1, the next 2, and two runs can
never both send notice n."""

from __future__ import annotations

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.models import AuditEntry, OutgoingMail
from loans.models import LoanRequest, LoanStatus
from loans.services import nightly
from loans.services.nightly import nightly_run
from loans.tests.factories_nightly import HeldLoanFactory
from registration.models import Language
from registration.tests.factories import LibraryFactory

TOKYO = ZoneInfo("Asia/Tokyo")
DUE = dt.date(2026, 5, 10)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _notice_days(settings) -> None:
    settings.NDL_OVERDUE_NOTICE_DAYS = [1, 8, 22, 43]


def _run(offset: int, callbacks) -> None:
    day = DUE + dt.timedelta(days=offset)
    with (
        time_machine.travel(dt.datetime(day.year, day.month, day.day, 2, tzinfo=TOKYO), tick=False),
        callbacks(execute=True),
    ):
        nightly_run()


def _numbers(loan: LoanRequest) -> tuple[int, int]:
    loan.refresh_from_db()
    return loan.overdue_notices_sent, loan.overdue_notice_number


def test_the_day_before_the_first_step_no_number_is_given(django_capture_on_commit_callbacks):
    loan = HeldLoanFactory(due_on=DUE)
    _run(0, django_capture_on_commit_callbacks)
    assert _numbers(loan) == (0, 0)
    assert mail.outbox == []


def test_each_notice_raises_the_counter_by_one_from_1(django_capture_on_commit_callbacks):
    loan = HeldLoanFactory(due_on=DUE, library__language=Language.EN)
    _run(1, django_capture_on_commit_callbacks)
    assert _numbers(loan) == (1, 1)
    _run(7, django_capture_on_commit_callbacks)  # the day before the second step
    assert _numbers(loan) == (1, 1)
    _run(8, django_capture_on_commit_callbacks)  # the day of it
    assert _numbers(loan) == (2, 2)
    _run(9, django_capture_on_commit_callbacks)  # the day after: nothing more
    assert _numbers(loan) == (2, 2)
    assert ["notice 1" in m.body for m in mail.outbox] == [True, False]
    assert "notice 2" in mail.outbox[1].body


def test_a_late_first_notice_is_number_1_at_a_later_step(django_capture_on_commit_callbacks):
    loan = HeldLoanFactory(due_on=DUE, library__language=Language.EN)
    _run(23, django_capture_on_commit_callbacks)
    assert _numbers(loan) == (3, 1)
    assert "notice 1" in mail.outbox[0].body
    _run(43, django_capture_on_commit_callbacks)
    assert _numbers(loan) == (4, 2)
    assert "notice 2" in mail.outbox[1].body
    entries = AuditEntry.objects.filter(action="loan.overdue_notice").order_by("pk")
    assert [(e.data["notice"], e.data["stage"]) for e in entries] == [(1, 3), (2, 4)]


def test_a_run_that_finds_the_loans_moved_on_sends_nothing(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """Another run sends the notice between this run's read (and render) and
    its lock: this run finds the loans changed, reads again, finds nothing
    due and queues nothing; the other run's numbers stand."""
    loan = HeldLoanFactory(due_on=DUE, status=LoanStatus.OVERDUE)
    real = nightly._notices_owed

    def claimed_meanwhile(**kwargs):  # type: ignore[no-untyped-def]
        LoanRequest.objects.filter(pk=loan.pk).update(
            overdue_notices_sent=1, overdue_notice_number=1
        )
        return real(**kwargs)

    monkeypatch.setattr(nightly, "_notices_owed", claimed_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        covered = nightly.library_overdue_notify(
            library_id=loan.library_id, today=DUE + dt.timedelta(days=1), days=[1, 8, 22, 43]
        )
    assert covered == 0
    assert OutgoingMail.objects.count() == 0
    assert not AuditEntry.objects.filter(action="loan.overdue_notice").exists()
    assert _numbers(loan) == (1, 1)


def test_a_claim_that_fails_undoes_the_whole_notice(monkeypatch) -> None:
    """Without row locks (the check passed, the UPDATE finds the row moved):
    the conditional UPDATE refuses, and nothing of the notice is written."""
    loans = HeldLoanFactory.create_batch(2, due_on=DUE, status=LoanStatus.OVERDUE)
    LoanRequest.objects.filter(pk=loans[1].pk).update(library=loans[0].library)
    real = nightly._overdue_claim

    def moved_just_before(**kwargs):  # type: ignore[no-untyped-def]
        LoanRequest.objects.filter(pk=loans[1].pk).update(
            overdue_notices_sent=1, overdue_notice_number=1
        )
        return real(**kwargs)

    monkeypatch.setattr(nightly, "_overdue_claim", moved_just_before)
    covered = nightly.library_overdue_notify(
        library_id=loans[0].library_id, today=DUE + dt.timedelta(days=1), days=[1, 8, 22, 43]
    )
    assert covered == 0
    assert OutgoingMail.objects.count() == 0
    assert _numbers(loans[0]) == (0, 0)


def test_the_notice_is_rendered_before_any_row_is_locked(monkeypatch) -> None:
    library = LibraryFactory()
    HeldLoanFactory.create_batch(3, due_on=DUE, library=library, status=LoanStatus.OVERDUE)
    locks_at_render: list[int] = []
    real = nightly.mail_render

    with CaptureQueriesContext(connection) as queries:

        def spy(**kwargs):  # type: ignore[no-untyped-def]
            locks_at_render.append(sum("FOR UPDATE" in q["sql"] for q in queries.captured_queries))
            return real(**kwargs)

        monkeypatch.setattr(nightly, "mail_render", spy)
        covered = nightly.library_overdue_notify(
            library_id=library.pk, today=DUE + dt.timedelta(days=1), days=[1, 8, 22, 43]
        )
    assert covered == 3
    assert locks_at_render == [0]
    assert OutgoingMail.objects.count() == 1
    if connection.vendor == "postgresql":
        assert any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)


def test_the_number_never_runs_ahead_of_the_steps() -> None:
    loan = HeldLoanFactory(due_on=DUE)
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanRequest.objects.filter(pk=loan.pk).update(overdue_notice_number=1)


def test_the_migration_fills_the_counter_from_the_audit_entries() -> None:
    migration = importlib.import_module("loans.migrations.0011_overdue_notice_number")
    two = HeldLoanFactory(status=LoanStatus.OVERDUE, overdue_notices_sent=3)
    none = HeldLoanFactory(status=LoanStatus.OVERDUE, overdue_notices_sent=1)
    capped = HeldLoanFactory(status=LoanStatus.OVERDUE, overdue_notices_sent=1)
    quiet = HeldLoanFactory()
    for loan, count in ((two, 2), (capped, 2), (quiet, 0)):
        for n in range(count):
            AuditEntry.objects.create(
                action="loan.overdue_notice",
                object_type="loans.loanrequest",
                object_id=str(loan.pk),
                object_repr=str(loan),
                data={"notice": n + 1},
            )
    AuditEntry.objects.create(  # another action on the same loan: not a notice
        action="loan.overdue", object_type="loans.loanrequest", object_id=str(none.pk)
    )
    migration.numbers_fill(apps, None)
    assert [_numbers(loan)[1] for loan in (two, none, capped, quiet)] == [2, 0, 1, 0]


def test_the_japanese_notice_reads_as_japanese_with_a_readable_table(
    django_capture_on_commit_callbacks,
) -> None:
    HeldLoanFactory(due_on=DUE, library__language=Language.JA)
    _run(9, django_capture_on_commit_callbacks)
    html = OutgoingMail.objects.get().body_html
    assert "利用者ID\uff1a" in html and "返送先住所\uff1a" in html  # full-width colons
    assert "ID: " not in html and "住所:" not in html
    assert '<td style="border:1px solid' in html  # cells drawn in any mail client
    assert '<address style="font-style:normal' in html
