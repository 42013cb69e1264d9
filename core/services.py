"""Outbox operations: claim a queued mail, send it, record the outcome."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .emails import mail_secrets_fill
from .models import MailStatus, OutgoingMail

# Rows re-enqueued per sweep: a backlog is worked off over several sweeps
# instead of flooding the broker with duplicates of messages it still holds.
SWEEP_BATCH = 500


def outgoing_mail_backoff(*, attempts: int) -> timedelta:
    """Wait before retry number ``attempts + 1``: 2, 4, 8 … minutes, at most a day."""
    return min(timedelta(minutes=2**attempts), timedelta(days=1))


def outgoing_mail_send(*, mail_id: int) -> bool:
    """Send one queued mail exactly once. Return True if this call sent it.

    The row stays locked while the message goes to the mail server, and the
    lock is the claim: a second worker given the same id skips it (SKIP
    LOCKED) and, once the first has committed, no longer finds it queued. A
    worker killed mid-send rolls back with its connection, so the row is
    still queued and the sweeper hands it to another worker. A separate
    "sending" status would instead be stranded by such a crash.
    """
    now = timezone.now()
    with transaction.atomic():
        mail = (
            OutgoingMail.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=MailStatus.QUEUED)
                | Q(
                    status=MailStatus.FAILED,
                    attempts__lt=settings.NDL_OUTBOX_MAX_ATTEMPTS,
                    next_attempt_at__lte=now,
                ),
                pk=mail_id,
            )
            .first()
        )
        if mail is None:
            return False
        # Links with a secret are made now, into the message only.
        message = EmailMultiAlternatives(
            subject=mail.subject,
            body=mail_secrets_fill(mail, mail.body_text),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=mail.to,
        )
        if mail.body_html:
            message.attach_alternative(mail_secrets_fill(mail, mail.body_html), "text/html")
        mail.attempts += 1
        try:
            message.send()
        except Exception as exc:  # noqa: BLE001 - any transport error is recorded and retried
            mail.status = MailStatus.FAILED
            mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            mail.next_attempt_at = timezone.now() + outgoing_mail_backoff(attempts=mail.attempts)
            mail.save(update_fields=["status", "last_error", "next_attempt_at", "attempts"])
            return False
        mail.status = MailStatus.SENT
        mail.sent_at = timezone.now()
        mail.last_error = ""
        mail.next_attempt_at = None
        mail.save(update_fields=["status", "sent_at", "last_error", "next_attempt_at", "attempts"])
        return True


def outgoing_mail_sweep(*, older_than: timedelta = timedelta(minutes=5)) -> list[int]:
    """Ids of mail left queued (broker message lost) or due for a retry.

    ``older_than`` leaves alone what was queued moments ago, whose message
    is most likely still on its way to a worker.
    """
    now = timezone.now()
    stale = Q(status=MailStatus.QUEUED, created_at__lte=now - older_than)
    retry = Q(
        status=MailStatus.FAILED,
        next_attempt_at__lte=now,
        attempts__lt=settings.NDL_OUTBOX_MAX_ATTEMPTS,
    )
    return list(
        OutgoingMail.objects.filter(stale | retry)
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
