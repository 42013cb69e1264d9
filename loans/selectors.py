"""Reads of the catalogue and of loan requests, for the portal and the admin."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from catalogue.models import Material
from catalogue.selectors_search import material_search as catalogue_search
from core.models import Site
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


# --- the portal's page of search hits ------------------------------------------------
#
# The portal's search page runs for every query typed, so its page of hits is read
# by one statement written out once per process, not compiled by the ORM for every
# request (which cost more than the search itself): only the columns the page
# shows and the loanability rules read, the holding site's names and, per hit,
# whether it is requested or out on loan now.

# What ``catalogue.rules.loanability`` reads and what the page shows of a hit.
SEARCH_HIT_FIELDS = (
    "id",
    "ndl_id",
    "title",
    "year",
    "isbn",
    "responsibility",
    "site_id",
    "material_type",
    "language",
    "review_reasons",
    "acquired_on",
    "digitized_url",
    "is_digitized",
    "is_deteriorated",
    "is_rare",
    "unsuitable",
    "is_collection",
    "market_available",
    "is_amusement",
    "staff_excluded",
    "staff_note",
)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One hit of a page of search results: the material (only
    ``SEARCH_HIT_FIELDS`` loaded), its site's names and its availability."""

    material: Material
    site_name: str
    site_name_ja: str
    unavailable: bool


@cache
def _hit_attnames() -> tuple[str, ...]:
    """``SEARCH_HIT_FIELDS`` in the model's field order (as ``Model.from_db`` reads them)."""
    return tuple(
        f.attname for f in Material._meta.concrete_fields if f.attname in SEARCH_HIT_FIELDS
    )


@cache
def _search_hits_sql(count: int) -> str:
    meta, loan = Material._meta, LoanRequest._meta
    wanted = _hit_attnames()
    columns = ", ".join(f"m.{f.column}" for f in meta.concrete_fields if f.attname in wanted)
    statuses = ", ".join(["%s"] * len(ACTIVE_STATUSES))
    ids = ", ".join(["%s"] * count)
    return (
        f"SELECT {columns}, s.name, s.name_ja, EXISTS(SELECT 1 FROM {loan.db_table} r "  # noqa: S608 - no user text here  # nosec B608
        f"WHERE r.{loan.get_field('material').attname} = m.id AND r.status IN ({statuses})) "
        f"FROM {meta.db_table} m LEFT JOIN {Site._meta.db_table} s "
        f"ON s.id = m.{meta.get_field('site').attname} WHERE m.id IN ({ids})"
    )


def search_hits(*, ids: Sequence[int]) -> list[SearchHit]:
    """The materials of ``ids`` in that order (a page of search hits) as
    ``SearchHit``: one query, whatever the number of ids."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_search_hits_sql(len(ids)), [*map(str, ACTIVE_STATUSES), *ids])
        fetched = cursor.fetchall()
    attnames = _hit_attnames()
    width = len(attnames)
    reasons_at = attnames.index("review_reasons")
    found: dict[int, SearchHit] = {}
    for row in fetched:
        values = list(row[:width])
        if isinstance(values[reasons_at], str):  # JSON as text (both backends)
            values[reasons_at] = json.loads(values[reasons_at])
        material = Material.from_db(connection.alias, attnames, values)
        name, name_ja, unavailable = row[width:]
        found[material.pk] = SearchHit(material, name or "", name_ja or "", bool(unavailable))
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


@cache
def _outstanding_sql() -> str:
    statuses = ", ".join(["%s"] * len(CAP_COUNTING_STATUSES))
    return (
        f"SELECT COUNT(*) FROM {LoanRequest._meta.db_table} "  # noqa: S608 - no user text here  # nosec B608
        f"WHERE {LoanRequest._meta.get_field('library').attname} = %s AND status IN ({statuses})"
    )


def library_outstanding_count(*, library: Library) -> int:
    """The items that count toward the library's ten-item cap (on every portal
    search: written out, not compiled by the ORM each time)."""
    with connection.cursor() as cursor:
        cursor.execute(_outstanding_sql(), [library.pk, *map(str, CAP_COUNTING_STATUSES)])
        (count,) = cursor.fetchone()
    return int(count)


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
