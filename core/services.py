"""Outbox operations: claim a queued mail, send it, record the outcome."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from .models import MailStatus, OutgoingMail


def outgoing_mail_send(*, mail_id: int) -> bool:
    """Send one queued mail exactly once. Return True if this call sent it.

    The row is locked while it is sent: a second worker given the same id
    waits, then sees it is no longer queued and does nothing.
    """
    with transaction.atomic():
        mail = (
            OutgoingMail.objects.select_for_update()
            .filter(pk=mail_id, status__in=[MailStatus.QUEUED, MailStatus.FAILED])
            .first()
        )
        if mail is None:
            return False
        if mail.status == MailStatus.FAILED and mail.attempts >= settings.NDL_OUTBOX_MAX_ATTEMPTS:
            return False
        message = EmailMultiAlternatives(
            subject=mail.subject,
            body=mail.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=mail.to,
        )
        if mail.body_html:
            message.attach_alternative(mail.body_html, "text/html")
        mail.attempts += 1
        try:
            message.send()
        except Exception as exc:  # noqa: BLE001 - any transport error is recorded and retried
            mail.status = MailStatus.FAILED
            mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            mail.next_attempt_at = timezone.now() + timedelta(minutes=2**mail.attempts)
            mail.save(update_fields=["status", "last_error", "next_attempt_at", "attempts"])
            return False
        mail.status = MailStatus.SENT
        mail.sent_at = timezone.now()
        mail.last_error = ""
        mail.save(update_fields=["status", "sent_at", "last_error", "attempts"])
        return True


def outgoing_mail_sweep(*, older_than: timedelta = timedelta(minutes=5)) -> list[int]:
    """Ids of mail left queued (lost broker message) or due for a retry."""
    now = timezone.now()
    queued = OutgoingMail.objects.filter(
        status=MailStatus.QUEUED, created_at__lt=now - older_than
    ).values_list("pk", flat=True)
    retry = OutgoingMail.objects.filter(
        status=MailStatus.FAILED,
        next_attempt_at__lte=now,
        attempts__lt=settings.NDL_OUTBOX_MAX_ATTEMPTS,
    ).values_list("pk", flat=True)
    return [*queued, *retry]
