"""Every write of a conversation: posting a message or a staff note, and
marking the other side's messages read.

The rules: a library writes only in the threads of its own requests and of its
own registration; staff write by role (``staff_may_write``); notes are written
by staff only and never leave the NDL. Each message emails the other side
through the outbox, in the recipient's language: the library in its language
for notices, the ILL Section (``NDL_ILL_SECTION_EMAIL``) in Japanese.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.emails import STAFF_LANGUAGE, RenderedMail, mail_queue, mail_render
from core.errors import DomainError
from core.pagecache import library_pages_touch
from loans.models import LoanRequest
from registration.models import Library

from .models import MESSAGE_MAX_LENGTH, Message, Side, StaffNote, Thread

if TYPE_CHECKING:
    from core.models import User

# What a conversation is about: one loan request, or a library's registration.
Subject = LoanRequest | Library

# The ILL Section reads in Japanese.
NDL_LANGUAGE = STAFF_LANGUAGE


def subject_library_id(subject: Subject) -> int:
    return subject.library_id if isinstance(subject, LoanRequest) else subject.pk


def staff_may_read(user: User | AnonymousUser, subject: Subject) -> bool:
    """Registration officers read registration threads; lending staff and
    officers read request threads; supervisors and superusers read all."""
    if not user.is_authenticated or not user.is_staff:
        return False
    if not user.has_perm("conversations.view_message"):
        return False
    if isinstance(subject, LoanRequest):
        return user.has_perm("loans.view_loanrequest")
    return user.has_perm("registration.view_application")


def staff_may_write(user: User | AnonymousUser, subject: Subject) -> bool:
    return staff_may_read(user, subject) and user.has_perm("conversations.add_message")


def staff_may_note(user: User | AnonymousUser, subject: Subject) -> bool:
    return staff_may_read(user, subject) and user.has_perm("conversations.add_staffnote")


def _body_clean(body: str) -> str:
    body = body.strip()
    if not body:
        raise DomainError(_("Write a message before sending it."), code="empty")
    if len(body) > MESSAGE_MAX_LENGTH:
        raise DomainError(
            _("A message may be at most %(max)d characters long; this one has %(count)d.")
            % {"max": MESSAGE_MAX_LENGTH, "count": len(body)},
            code="too_long",
        )
    return body


def _thread_lock(subject: Subject) -> Thread:
    """The subject's thread, created if needed, locked for this transaction."""
    library_id = subject_library_id(subject)
    if isinstance(subject, LoanRequest):
        thread, _created = Thread.objects.get_or_create(
            loan_request_id=subject.pk, defaults={"library_id": library_id}
        )
    else:
        thread, _created = Thread.objects.get_or_create(
            library_id=library_id, loan_request__isnull=True
        )
    return Thread.objects.select_for_update().get(pk=thread.pk)


def message_post(
    *,
    subject: Subject,
    author: User,
    body: str,
    staff_only: bool = False,
) -> Message | StaffNote:
    """Post ``body`` in the conversation about ``subject``.

    ``author`` is a library's portal login (it writes to the NDL) or a staff
    member (to the library, or with ``staff_only`` a note kept from the
    library). Returns the new ``Message`` or ``StaffNote``. A message emails
    the other side after commit; a note emails nobody.

    Raises ``DomainError`` with code ``empty`` or ``too_long`` (the body),
    ``not_yours`` (a library writing about another library's object) or
    ``forbidden`` (a library writing a note; staff without the role).
    Nothing is written when it raises.
    """
    body = _body_clean(body)
    if author.library_id is not None:
        if author.library_id != subject_library_id(subject):
            raise DomainError(_("This conversation is not your library's."), code="not_yours")
        if staff_only:
            raise DomainError(_("Only NDL staff may write notes."), code="forbidden")
        sender = Side.LIBRARY
    else:
        allowed = staff_may_note if staff_only else staff_may_write
        if not allowed(author, subject):
            raise DomainError(
                _("Your role does not allow you to write in this conversation."),
                code="forbidden",
            )
        sender = Side.NDL
    if staff_only:
        return _note_write(subject=subject, author=author, body=body)
    return _message_write(subject=subject, author=author, sender=sender, body=body, email=True)


def ndl_message_record(*, subject: Subject, actor: User | None, body: str, email: bool) -> Message:
    """Post a message from the NDL as part of another service's change (a
    refusal's reasons, a letter asking for more information), whose caller
    already checked that ``actor`` may make it. ``email=False`` when that
    service already emails the same text. Raises ``DomainError`` for a bad body.
    """
    body = _body_clean(body)
    return _message_write(subject=subject, author=actor, sender=Side.NDL, body=body, email=email)


def _message_write(
    *, subject: Subject, author: User | None, sender: str, body: str, email: bool
) -> Message:
    now = timezone.now()
    # The other side's email is rendered before the thread is locked.
    mail = _message_mail(subject=subject, sender=sender, body=body) if email else None
    with transaction.atomic():
        thread = _thread_lock(subject)
        message = Message.objects.create(
            thread=thread,
            sender=sender,
            author=author if author is not None and author.pk else None,
            body=body,
            created_at=now,
        )
        thread.last_message_at = now
        thread.save(update_fields=["last_message_at"])
        audit_log(
            actor=author,
            action="conversations.message.post",
            obj=thread,
            data={"message": message.pk, "sender": sender, "length": len(body)},
        )
        if mail is not None:
            to, rendered = mail
            mail_queue(to=to, rendered=rendered, dedupe_key=f"conversation-message:{message.pk}")
        if sender == Side.NDL:
            # The library's dashboard lists unread messages from the NDL.
            library_pages_touch(library_ids=[thread.library_id])
    return message


def _note_write(*, subject: Subject, author: User, body: str) -> StaffNote:
    with transaction.atomic():
        thread = _thread_lock(subject)
        note = StaffNote.objects.create(thread=thread, author=author, body=body)
        audit_log(
            actor=author,
            action="conversations.note.post",
            obj=thread,
            data={"note": note.pk, "length": len(body)},
        )
    return note


def _message_mail(*, subject: Subject, sender: str, body: str) -> tuple[list[str], RenderedMail]:
    """The recipients and the rendered email that tell the other side of a
    message: the library in its language, the ILL Section in Japanese."""
    library = subject.library if isinstance(subject, LoanRequest) else subject
    loan_request_id = subject.pk if isinstance(subject, LoanRequest) else None
    base = settings.NDL_PORTAL_BASE_URL.rstrip("/")
    if sender == Side.NDL:
        if loan_request_id is not None:
            path = reverse("conversations:request", kwargs={"pk": loan_request_id})
        else:
            path = reverse("conversations:registration")
        to, language, template = [library.email], library.language, "message-to-library"
    else:
        if loan_request_id is not None:
            path = reverse(
                "admin:conversations_thread_request", kwargs={"loan_pk": loan_request_id}
            )
        else:
            path = reverse("admin:conversations_thread_library", kwargs={"library_pk": library.pk})
        to = [settings.NDL_ILL_SECTION_EMAIL]
        language, template = NDL_LANGUAGE, "message-to-ndl"
    rendered = mail_render(
        template=template,
        context={
            "library": library,
            "loan_request_id": loan_request_id,
            # Not saved yet: the templates quote its words only.
            "message": Message(sender=sender, body=body),
            "url": base + path,
        },
        language=language,
    )
    return to, rendered


def thread_mark_read(*, subject: Subject, reader: User) -> int:
    """Mark read the messages the other side sent in ``subject``'s thread.

    ``reader`` is the library's login (reads the NDL's messages) or staff
    allowed to read the thread (reads the library's). Returns how many were
    marked. Not audited: opening a page is not a decision.
    """
    side = Side.NDL if reader.library_id is not None else Side.LIBRARY
    query = Message.objects.filter(sender=side, read_at__isnull=True)
    if isinstance(subject, LoanRequest):
        query = query.filter(thread__loan_request_id=subject.pk)
    else:
        query = query.filter(thread__library_id=subject.pk, thread__loan_request__isnull=True)
    marked = query.update(read_at=timezone.now())
    if marked and side == Side.NDL:
        library_pages_touch(library_ids=[subject_library_id(subject)])
    return marked
