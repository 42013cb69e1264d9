"""Reads of conversations.

The portal's reads select from ``Message`` only; nothing here that a portal
view calls touches ``StaffNote``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from loans.models import LoanRequest
from registration.models import Library

from .models import Message, Side, StaffNote, Thread


def thread_messages(*, subject: LoanRequest | Library) -> QuerySet[Message]:
    """The messages both sides see, oldest first, with their authors."""
    query = Message.objects.select_related("author")
    if isinstance(subject, LoanRequest):
        return query.filter(thread__loan_request_id=subject.pk)
    return query.filter(thread__library_id=subject.pk, thread__loan_request__isnull=True)


def thread_staff_notes(*, subject: LoanRequest | Library) -> QuerySet[StaffNote]:
    """Staff only: the notes kept from the library. Never call from the portal."""
    query = StaffNote.objects.select_related("author")
    if isinstance(subject, LoanRequest):
        return query.filter(thread__loan_request_id=subject.pk)
    return query.filter(thread__library_id=subject.pk, thread__loan_request__isnull=True)


@dataclass(frozen=True)
class UnreadThread:
    loan_request_id: int | None
    unread: int


def library_unread_threads(*, library_id: int) -> list[UnreadThread]:
    """The library's threads with messages from the NDL it has not opened (one query)."""
    rows = (
        Thread.objects.filter(library_id=library_id)
        .annotate(
            unread=Count(
                "messages",
                filter=Q(messages__sender=Side.NDL, messages__read_at__isnull=True),
            )
        )
        .filter(unread__gt=0)
        .order_by("-last_message_at", "-pk")
        .values_list("loan_request_id", "unread")
    )
    return [UnreadThread(loan_request_id=pk, unread=n) for pk, n in rows]


def library_unread_count(*, subject: LoanRequest | Library) -> int:
    """Messages from the NDL in ``subject``'s thread that the library has not opened."""
    return thread_messages(subject=subject).filter(sender=Side.NDL, read_at__isnull=True).count()


def threads_with_unread_from_library() -> QuerySet[Thread]:
    return Thread.objects.filter(
        messages__sender=Side.LIBRARY, messages__read_at__isnull=True
    ).distinct()
