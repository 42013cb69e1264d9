"""Reads of the catalogue and of loan requests, for the portal and the admin."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Exists, OuterRef, QuerySet

from catalogue.models import Material
from catalogue.selectors_search import material_search as catalogue_search
from registration.models import Library

from .models import (
    ACTIVE_STATUSES,
    CANCELLABLE_STATUSES,
    CAP_COUNTING_STATUSES,
    LoanRequest,
    LoanStatus,
)


def materials_in_order(*, ids: Sequence[int]) -> list[Material]:
    """The materials of ``ids`` in that order (a page of search hits), each with
    its holding site and ``is_unavailable`` (requested or out on loan now): one
    query, whatever the number of ids."""
    found = {
        m.pk: m
        for m in with_availability(Material.objects.filter(pk__in=ids).select_related("site"))
    }
    return [found[pk] for pk in ids if pk in found]


def with_availability(materials: QuerySet[Material]) -> QuerySet[Material]:
    """``materials`` with ``is_unavailable``: requested or out on loan now (by
    anyone), computed in the same query (an EXISTS per row, on an index)."""
    active = LoanRequest.objects.filter(material=OuterRef("pk"), status__in=ACTIVE_STATUSES)
    return materials.annotate(is_unavailable=Exists(active))


def material_search(*, query: str) -> list[Material]:
    """The materials ``query`` finds, best first, with their availability: the
    catalogue's one search (``catalogue.selectors_search``), cut at its limit."""
    return materials_in_order(ids=catalogue_search(query=query).ids)


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
