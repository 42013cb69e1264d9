"""Reads of conversations.

The portal's reads select from ``Message`` only; nothing here that a portal
view calls touches ``StaffNote``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet

from core.roles import staff_site
from loans.models import LoanRequest
from registration.models import Library

from .models import Message, Side, StaffNote, Thread

if TYPE_CHECKING:
    from core.models import User


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


def staff_thread_scope(*, user: User | AnonymousUser, own_site_only: bool = False) -> Q | None:
    """The threads ``user`` may read in the admin, as a filter on ``Thread``
    (None: no thread at all).

    Registration threads for those who may read applications, request threads
    for those who may read loan requests (``services.staff_may_read``). With
    ``own_site_only``, lending staff bound to a site (``core.roles.staff_site``)
    keep the requests for their site's items only: the work that is theirs.
    """
    if not user.is_authenticated or not user.has_perm("conversations.view_message"):
        return None
    parts = []
    if user.has_perm("registration.view_application"):
        parts.append(Q(loan_request__isnull=True))
    if user.has_perm("loans.view_loanrequest"):
        own = staff_site(user) if own_site_only else None
        requests = Q(loan_request__isnull=False)
        if own is not None:
            requests &= Q(loan_request__material__site_id=own.pk)
        parts.append(requests)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts[0] | parts[1]


def staff_unread_count(*, user: User | AnonymousUser) -> int:
    """Messages from libraries that no NDL staff member has opened yet, in the
    threads ``user`` may read, for lending staff those about their own site's
    items (``staff_thread_scope(own_site_only=True)``). One query (a count
    over the unread index), whatever the number of threads."""
    scope = staff_thread_scope(user=user, own_site_only=True)
    if scope is None:
        return 0
    return Message.objects.filter(
        sender=Side.LIBRARY,
        read_at__isnull=True,
        thread__in=Thread.objects.filter(scope).values("pk"),
    ).count()


def staff_unread_query(*, user: User | AnonymousUser) -> str:
    """The query string of the admin's conversations list that shows the
    threads ``staff_unread_count`` counts: unread, and for lending staff
    their own site's."""
    own = staff_site(user)
    return "unread=yes" + (f"&site={own.pk}" if own is not None else "")


def threads_with_unread_from_library() -> QuerySet[Thread]:
    return Thread.objects.filter(
        messages__sender=Side.LIBRARY, messages__read_at__isnull=True
    ).distinct()
