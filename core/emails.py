"""One place that renders and queues email.

A notice is rendered from ``templates/emails/<name>-subject.txt``,
``<name>-body.txt`` and ``<name>-body.html`` in the recipient's language,
stored as an ``OutgoingMail`` row, and sent by a Celery task after commit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from .models import OutgoingMail


def _render(name: str, context: dict[str, Any]) -> tuple[str, str, str]:
    ctx = {"portal_base_url": settings.NDL_PORTAL_BASE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", ctx).split())
    text = render_to_string(f"emails/{name}-body.txt", ctx)
    html = render_to_string(f"emails/{name}-body.html", ctx)
    return subject, text, html


def mail_queue(
    *,
    to: list[str],
    template: str,
    context: dict[str, Any],
    dedupe_key: str,
    language: str = "en",
) -> OutgoingMail | None:
    """Queue one email; return None if a mail with this key was already queued.

    Must be called inside the caller's transaction: the row commits with the
    change it reports, and the send task is enqueued only after commit.
    """
    with translation.override(language):
        subject, text, html = _render(template, context)
    try:
        with transaction.atomic():
            mail = OutgoingMail.objects.create(
                dedupe_key=dedupe_key,
                to=[addr for addr in to if addr],
                subject=subject,
                body_text=text,
                body_html=html,
            )
    except IntegrityError:
        return None
    # robust: a broker that is down must not undo or interrupt the caller's
    # committed work; the row stays queued and ``outbox_sweep_task`` sends it.
    transaction.on_commit(lambda: _enqueue(mail.pk), robust=True)
    return mail


def _enqueue(mail_id: int) -> None:
    from .tasks import mail_send_task

    mail_send_task.delay(mail_id)
