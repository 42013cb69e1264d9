"""The outbox: queued -> sent, or failed -> retried with back-off -> sent."""

from __future__ import annotations

import datetime as dt
import threading
import time
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.utils import timezone

from core.emails import mail_queue
from core.models import MailStatus, OutgoingMail
from core.services import outgoing_mail_send, outgoing_mail_sweep
from core.tasks import outbox_sweep_task

START = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)


class FlakyBackend(EmailBackend):
    """Refuses the first ``failures`` messages, like a mail server that is down."""

    failures = 0

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise ConnectionRefusedError("mail server unavailable")
        return super().send_messages(messages)


class SlowBackend(EmailBackend):
    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        time.sleep(0.5)
        return super().send_messages(messages)


def _queue(key: str = "test-1") -> OutgoingMail:
    # A row whose broker message never arrives: the enqueue is lost.
    with mock.patch("core.emails._enqueue"):
        mail_row = OutgoingMail.objects.create(
            dedupe_key=key, to=["ill@library.example.org"], subject="Hello", body_text="Body"
        )
    return mail_row


@pytest.mark.django_db
def test_it_sends_a_queued_mail_once():
    row = _queue()
    assert outgoing_mail_send(mail_id=row.pk) is True
    assert outgoing_mail_send(mail_id=row.pk) is False
    row.refresh_from_db()
    assert row.status == MailStatus.SENT
    assert row.sent_at is not None
    assert row.attempts == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failure_is_recorded_and_retried_with_back_off(settings):
    settings.EMAIL_BACKEND = "core.tests.test_outbox.FlakyBackend"
    FlakyBackend.failures = 2
    with time_machine.travel(START, tick=False) as clock:
        row = _queue()
        assert outgoing_mail_send(mail_id=row.pk) is False
        row.refresh_from_db()
        assert row.status == MailStatus.FAILED
        assert row.attempts == 1
        assert "ConnectionRefusedError: mail server unavailable" in row.last_error
        assert row.next_attempt_at == START + dt.timedelta(minutes=2)

        # Too early: neither the sweeper nor a stray message retries it.
        clock.shift(dt.timedelta(minutes=1))
        assert outgoing_mail_sweep() == []
        assert outgoing_mail_send(mail_id=row.pk) is False
        assert FlakyBackend.failures == 1

        clock.shift(dt.timedelta(minutes=1))
        assert outgoing_mail_sweep() == [row.pk]
        outbox_sweep_task()  # eager in tests: sends now, fails again
        row.refresh_from_db()
        assert row.attempts == 2
        assert row.next_attempt_at == timezone.now() + dt.timedelta(minutes=4)

        clock.shift(dt.timedelta(minutes=4))
        outbox_sweep_task()
        row.refresh_from_db()
        assert row.status == MailStatus.SENT
        assert row.attempts == 3
        assert row.last_error == ""
        assert row.next_attempt_at is None
        assert len(mail.outbox) == 1

        clock.shift(dt.timedelta(hours=1))
        assert outgoing_mail_sweep() == []


@pytest.mark.django_db
def test_it_gives_up_after_the_last_attempt(settings):
    settings.EMAIL_BACKEND = "core.tests.test_outbox.FlakyBackend"
    settings.NDL_OUTBOX_MAX_ATTEMPTS = 3
    FlakyBackend.failures = 10
    with time_machine.travel(START, tick=False) as clock:
        row = _queue()
        for _ in range(5):
            outgoing_mail_send(mail_id=row.pk)
            clock.shift(dt.timedelta(days=1))
        row.refresh_from_db()
    assert row.status == MailStatus.FAILED
    assert row.attempts == 3
    assert outgoing_mail_sweep() == []
    FlakyBackend.failures = 0


@pytest.mark.django_db
def test_the_sweeper_resends_a_mail_whose_broker_message_was_lost():
    with time_machine.travel(START, tick=False) as clock:
        row = _queue()
        # Fresh rows are left to the message still on its way.
        outbox_sweep_task()
        assert mail.outbox == []
        clock.shift(dt.timedelta(minutes=6))
        outbox_sweep_task()
        outbox_sweep_task()
    row.refresh_from_db()
    assert row.status == MailStatus.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_mail_queue_renders_dedupes_and_sends_after_commit(django_capture_on_commit_callbacks):
    from registration.tests.factories import LibraryFactory

    library = LibraryFactory()
    context = {"library": library, "items": [], "sites": [], "is_final": False, "lang": "en"}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = mail_queue(to=[library.email], template="overdue", context=context, dedupe_key="k")
        second = mail_queue(to=[library.email], template="overdue", context=context, dedupe_key="k")
        assert mail.outbox == []  # nothing leaves before commit
    assert first is not None
    assert second is None
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    assert first.body_html.startswith("<!DOCTYPE html>")


@pytest.mark.django_db
def test_a_broker_that_is_down_does_not_undo_the_callers_work(django_capture_on_commit_callbacks):
    from registration.tests.factories import LibraryFactory

    library = LibraryFactory()
    context = {"library": library, "items": [], "sites": [], "is_final": False, "lang": "en"}
    with (
        mock.patch("core.tasks.mail_send_task.delay", side_effect=ConnectionError("no broker")),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        row = mail_queue(to=[library.email], template="overdue", context=context, dedupe_key="b")
    assert row is not None
    row.refresh_from_db()
    assert row.status == MailStatus.QUEUED  # the sweeper will send it


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_given_the_same_mail_send_it_once(settings):
    settings.EMAIL_BACKEND = "core.tests.test_outbox.SlowBackend"
    row = _queue()
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(outgoing_mail_send(mail_id=row.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.status == MailStatus.SENT
