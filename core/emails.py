"""One place that renders and queues email.

A notice is rendered from ``templates/emails/<name>-subject.txt``,
``<name>-body.txt`` and ``<name>-body.html`` in the recipient's language,
stored as an ``OutgoingMail`` row, and sent by a Celery task after commit.
Rendering is done before the caller locks its rows (``mail_render``, then
``mail_queue(rendered=…)`` inside the transaction), so template work never
holds a lock; only a mail whose words depend on what was written under the
lock (a User ID just issued) is rendered by ``mail_queue`` itself.

No secret is stored: a mail that carries a set-password link holds a
placeholder instead, and ``outgoing_mail_send`` puts a freshly signed link in
the message it hands to the mail server. Django's token generator needs no
storage (it signs the user's password hash and a timestamp), so the database,
the admin, the audit log and every backup hold nothing that opens an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import OutgoingMail, User

# The language of mail to NDL staff (alerts, messages from libraries): the
# staff read Japanese.
STAFF_LANGUAGE = "ja"

# What the stored body shows where the set-password link will be.
LINK_PLACEHOLDER = "[set-password-link]"


def _render(name: str, context: dict[str, Any]) -> tuple[str, str, str]:
    ctx = {"portal_base_url": settings.NDL_PORTAL_BASE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", ctx).split())
    text = render_to_string(f"emails/{name}-body.txt", ctx)
    html = render_to_string(f"emails/{name}-body.html", ctx)
    return subject, text, html


@dataclass(frozen=True)
class RenderedMail:
    """An email's subject, text and HTML, rendered and not yet queued."""

    subject: str
    text: str
    html: str
    # The body holds ``LINK_PLACEHOLDER`` for this user's set-password link.
    password_set_for: User | None = None


def mail_render(
    *,
    template: str,
    context: dict[str, Any],
    language: str = "en",
    password_set_for: User | None = None,
) -> RenderedMail:
    """Render ``emails/<template>-subject.txt``, ``-body.txt`` and
    ``-body.html`` in ``language``; no database write.

    Call it before taking row locks (``select_for_update``), then hand the
    result to ``mail_queue(rendered=…)`` inside the transaction: template
    work never lengthens a lock. With ``password_set_for``, the templates'
    ``{{ password_set_url }}`` becomes ``LINK_PLACEHOLDER``.
    """
    if password_set_for is not None:
        context = {**context, "password_set_url": LINK_PLACEHOLDER}
    with translation.override(language):
        subject, text, html = _render(template, context)
    return RenderedMail(subject, text, html, password_set_for)


def mail_queue(
    *,
    to: list[str],
    dedupe_key: str,
    rendered: RenderedMail | None = None,
    template: str = "",
    context: dict[str, Any] | None = None,
    language: str = "en",
    password_set_for: User | None = None,
) -> OutgoingMail | None:
    """Queue one email; return None if a mail with this key was already queued.

    Must be called inside the caller's transaction: the row commits with the
    change it reports, and the send task is enqueued only after commit.
    ``rendered`` is the mail made by ``mail_render`` before the caller took
    its locks; ``template``, ``context``, ``language`` and
    ``password_set_for`` render it here instead (``mail_render``'s arguments),
    for a caller that holds no lock or whose mail depends on what it wrote
    under one. The set-password link is made when the mail is sent
    (``mail_secrets_fill``).
    """
    if rendered is None:
        rendered = mail_render(
            template=template,
            context=context or {},
            language=language,
            password_set_for=password_set_for,
        )
    subject, text, html = rendered.subject, rendered.text, rendered.html
    password_set_for = rendered.password_set_for
    try:
        with transaction.atomic():
            mail = OutgoingMail.objects.create(
                dedupe_key=dedupe_key,
                to=[addr for addr in to if addr],
                subject=subject,
                body_text=text,
                body_html=html,
                password_set_user=password_set_for,
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


def password_set_url(*, user: User) -> str:
    """A signed, single-use link to choose ``user``'s password.

    It stops working once the password is set, and after
    ``PASSWORD_RESET_TIMEOUT`` (72 hours). Never store it: make it when the
    email leaves (``mail_secrets_fill``).
    """
    path = reverse(
        "portal:password_set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.NDL_PORTAL_BASE_URL.rstrip("/") + path


def mail_secrets_fill(mail: OutgoingMail, text: str) -> str:
    """``text`` (a stored body) with its placeholders replaced by fresh links."""
    if mail.password_set_user is None:
        return text
    return text.replace(LINK_PLACEHOLDER, password_set_url(user=mail.password_set_user))
