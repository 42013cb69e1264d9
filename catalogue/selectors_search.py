"""Catalogue search: one query for the portal's search box and the admin's.

A query finds materials in three ranks:

1. identifier hits: the whole query read as an ISBN (10 or 13 digits, any
   dashes, full-width), an ISSN, a JP number or an NDL ID (``core.identifiers``);
2. title hits: every term of the query is in the title or its reading;
3. other hits: every term is in the title, the reading, the authors, their
   readings, the statement of responsibility or the publisher.

Terms are ``catalogue.search_text.query_terms``: a CJK run must appear as typed
(after normalisation) as a substring, a word as a whole word, in any order.
On PostgreSQL the GIN-indexed ``search_vector`` (bigrams and words, see
``services.search_index``) finds the candidates and the same substring test
on the stored normalised text verifies them, so that ``歴史図書館`` does not
find ``図書館の歴史``, whose bigrams it shares. SQLite (the embedded default,
a few thousand rows) runs the verifying test alone.

Each rank is cut at ``MAX_HITS`` rows, taken in the order the index gives
them and then sorted shortest title first: a librarian refines a query that
finds more than a few hundred titles rather than paging through them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q

from core.identifiers import (
    IdentifierError,
    fold,
    isbn_search_key,
    issn_normalize,
    jp_number_normalize,
    ndl_id_normalize,
)

from .models import Material
from .search_text import QueryTerm, query_terms

MAX_HITS = 200
# A label typed before an identifier ("ISBN 4-...", "NDL ID: 0246...").
_ISBN_SHAPE = re.compile(r"^(?:[0-9]{9}[0-9X]|[0-9]{13})$")
_LABEL = re.compile(r"^(?:isbn|issn|ndl\s*id|ndl|jp\s*no|jpno|jp)\s*:?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class SearchHits:
    """The materials a query finds, best first.

    ``ids``: primary keys in rank order (identifier, title, other hits);
    ``identifier_ids``/``title_ids``: which of them are of the first two ranks;
    ``truncated``: some rank had more than ``MAX_HITS`` hits (not all shown).
    """

    ids: list[int]
    identifier_ids: frozenset[int]
    title_ids: frozenset[int]
    truncated: bool


def identifier_q(query: str) -> Q | None:
    """A filter for the materials whose ISBN, ISSN, JP number or NDL ID is the whole
    ``query`` in any typed form; ``None`` if it can be none of them."""
    text = _LABEL.sub("", fold(query))
    if not text:
        return None
    match = Q()
    # A valid ISBN in either form is its ISBN-13; a malformed one still finds a
    # record imported before ISBNs were checked (core.identifiers.isbn_search_key).
    if _ISBN_SHAPE.match(isbn := isbn_search_key(text)):
        match |= Q(isbn=isbn)
    for field, normalize in (
        ("issn", issn_normalize),
        ("jp_number", jp_number_normalize),
        ("ndl_id", ndl_id_normalize),
    ):
        with contextlib.suppress(IdentifierError):
            if value := normalize(text):
                match |= Q(**{field: value})
    return match or None


def _contains(field: str, term: QueryTerm) -> Q:
    return Q(**{f"{field}__contains": term.pattern})


def _tsquery(terms: Sequence[QueryTerm], *, title_only: bool) -> str:
    """The tsquery (PostgreSQL input syntax) that every hit's ``search_vector`` matches."""

    def field(prefix: str, term: QueryTerm) -> str:
        star = ":*" if term.prefix else ""
        return "(" + " & ".join(f"'{prefix}{token}'{star}" for token in term.tokens) + ")"

    parts = []
    for term in terms:
        if title_only:
            parts.append(field("T", term))
        else:
            parts.append(f"({field('T', term)} | {field('N', term)})")
    return " & ".join(parts)


def _verify(terms: Sequence[QueryTerm], *, title_only: bool) -> Q:
    """Every term is in the title (and reading), or in any searched field."""
    verify = Q()
    for term in terms:
        if title_only:
            verify &= _contains("search_title", term)
        else:
            verify &= _contains("search_title", term) | _contains("search_names", term)
    return verify


# --- PostgreSQL: a head index, then the whole one -------------------------------------
#
# A GIN index returns every match before the LIMIT applies: for a common word
# (東京 is in one Japanese title in sixty) that is 80,000 rows of 5,000,000 to
# collect and cut to MAX_HITS, 50-100 ms. A second, partial GIN index over the
# first HEAD_IDS materials (``catalogue_material_search_head``, migration
# 0003) holds a twentieth of the rows of a national catalogue: a word common
# enough to fill MAX_HITS there is answered from it in a few milliseconds; a
# rarer one falls through to the whole index, whose posting lists are then
# short. Either way the hits are in the order the index gives them.

HEAD_IDS = 250_000


def _candidates(
    terms: Sequence[QueryTerm], *, title_only: bool, limit: int
) -> list[tuple[int, str]]:
    """Up to ``limit + 1`` hits as ``(pk, title)``, in the order the database finds them."""
    qs = Material.objects.order_by().filter(_verify(terms, title_only=title_only))
    if connection.vendor != "postgresql":
        return list(qs.values_list("pk", "title")[: limit + 1])
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Plans for one short query: no JIT compilation, no parallel workers.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        # Lexemes are letters, digits and CJK only (search_text.runs): nothing to quote.
        gin = qs.extra(
            where=["search_vector @@ %s::tsquery"], params=[_tsquery(terms, title_only=title_only)]
        )
        head = list(gin.filter(pk__lte=HEAD_IDS).values_list("pk", "title")[: limit + 1])
        if len(head) > limit:
            return head
        return list(gin.values_list("pk", "title")[: limit + 1])


def _ranked(rows: list[tuple[int, str]]) -> list[int]:
    """Shortest title first (the title that is most nearly the query), then by title."""
    return [pk for pk, _ in sorted(rows, key=lambda row: (len(row[1]), row[1], row[0]))]


def material_search(*, query: str, limit: int | None = None) -> SearchHits:
    """The materials ``query`` finds, in rank order (see the module doc).

    In: the text typed in a search box (any script, width, case). Out:
    ``SearchHits``; empty for an empty query or one without letters or digits.
    A few queries, each bounded by ``limit`` rows (``MAX_HITS`` unless given). Never raises for any
    typed text.
    """
    limit = limit or MAX_HITS
    ids: list[int] = []
    truncated = False
    identifiers: frozenset[int] = frozenset()
    if (match := identifier_q(query)) is not None:
        found = list(Material.objects.order_by("pk").filter(match).values_list("pk", flat=True))
        identifiers = frozenset(found[:limit])
        ids.extend(found[:limit])
    terms = query_terms(query)
    titles: frozenset[int] = frozenset()
    if terms:
        rows = _candidates(terms, title_only=True, limit=limit)
        truncated = len(rows) > limit
        title_ids = [pk for pk in _ranked(rows[:limit]) if pk not in identifiers]
        titles = frozenset(title_ids)
        ids.extend(title_ids)
        room = limit - len(title_ids)
        if room > 0 and not truncated:
            seen = identifiers | titles
            others = _candidates(terms, title_only=False, limit=limit)
            truncated = len(others) > limit
            ids.extend([pk for pk in _ranked(others) if pk not in seen][:room])
    return SearchHits(ids=ids, identifier_ids=identifiers, title_ids=titles, truncated=truncated)
