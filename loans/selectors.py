"""Reads of the catalogue and of loan requests, for the portal and the admin."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from catalogue.models import Material
from core.identifiers import IdentifierError, fold, isbn_search_key, ndl_id_normalize
from registration.models import Library

from .models import (
    ACTIVE_STATUSES,
    CANCELLABLE_STATUSES,
    CAP_COUNTING_STATUSES,
    LoanRequest,
    LoanStatus,
)


def material_search(*, query: str) -> QuerySet[Material]:
    """Materials whose title, author, ISBN or NDL ID match ``query``.

    Every word must match the title or author; an ISBN or NDL ID matches
    whole, in any form it is typed (full-width, any dash or space; an ISBN-10
    finds the book stored under its ISBN-13, see ``core.identifiers``).
    """
    query = fold(query)
    qs = Material.objects.select_related("site").order_by("title", "ndl_id")
    if not query:
        return qs.none()
    words = Q()
    for word in query.split():
        words &= Q(title__icontains=word) | Q(responsibility__icontains=word)
    match = words
    isbn = isbn_search_key(query)
    if isbn:
        match |= Q(isbn=isbn)
    try:
        ndl_id = ndl_id_normalize(query)
    except IdentifierError:
        ndl_id = ""  # not an NDL ID: the words and the ISBN still match
    if ndl_id:
        match |= Q(ndl_id=ndl_id)
    return qs.filter(match)


def unavailable_material_ids(*, material_ids: Iterable[int]) -> set[int]:
    """Of ``material_ids``, those already requested or out on loan (by anyone)."""
    ids = list(material_ids)
    if not ids:
        return set()
    return set(
        LoanRequest.objects.filter(material_id__in=ids, status__in=ACTIVE_STATUSES).values_list(
            "material_id", flat=True
        )
    )


def library_outstanding_count(*, library: Library) -> int:
    """The items that count toward the library's ten-item cap."""
    return LoanRequest.objects.filter(library=library, status__in=CAP_COUNTING_STATUSES).count()


def library_requests(*, library: Library) -> QuerySet[LoanRequest]:
    # iso18626: the request arrived from the library's ILL system (one join, no query per row).
    return LoanRequest.objects.filter(library=library).select_related(
        "material", "material__site", "iso18626"
    )


def library_open_requests(*, library: Library) -> QuerySet[LoanRequest]:
    """Requests that are not yet shipped (the library may still cancel them)."""
    return library_requests(library=library).filter(status__in=CANCELLABLE_STATUSES)


def library_request_get(*, library: Library, pk: int) -> LoanRequest | None:
    return library_requests(library=library).filter(pk=pk).first()


def requests_to_decide() -> QuerySet[LoanRequest]:
    return LoanRequest.objects.filter(status=LoanStatus.REQUESTED).select_related(
        "library", "material", "material__site"
    )
