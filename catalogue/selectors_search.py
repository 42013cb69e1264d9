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
from typing import Any

from django.db import connection
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


def identifier_fields(query: str) -> list[tuple[str, str]]:
    """The ``(field, value)`` pairs of the materials whose ISBN, ISSN, JP number or
    NDL ID is the whole ``query`` in any typed form; ``[]`` if it can be none of them."""
    text = _LABEL.sub("", fold(query))
    if not text:
        return []
    match = []
    # A valid ISBN in either form is its ISBN-13; a malformed one still finds a
    # record imported before ISBNs were checked (core.identifiers.isbn_search_key).
    if _ISBN_SHAPE.match(isbn := isbn_search_key(text)):
        match.append(("isbn", isbn))
    for field, normalize in (
        ("issn", issn_normalize),
        ("jp_number", jp_number_normalize),
        ("ndl_id", ndl_id_normalize),
    ):
        with contextlib.suppress(IdentifierError):
            if value := normalize(text):
                match.append((field, value))
    return match


def _identifier_q(pairs: Sequence[tuple[str, str]]) -> Q | None:
    """``identifier_fields`` as a filter; ``None`` for none."""
    match = Q()
    for field, value in pairs:
        match |= Q(**{field: value})
    return match or None


def _contains(field: str, term: QueryTerm) -> Q:
    return Q(**{f"{field}__contains": term.pattern})


# Where the terms are looked for: the title and its reading ("T"), the names and
# publisher ("N"), or each term in either ("TN"). Title hits are "T"; the other
# hits of a one-term query are "N" (a term in the title is a title hit already),
# of a longer query "TN".
_FIELD = {"T": "search_title", "N": "search_names"}


def _other_scope(terms: Sequence[QueryTerm]) -> str:
    return "N" if len(terms) == 1 else "TN"


def _tsquery(terms: Sequence[QueryTerm], *, scope: str) -> str:
    """The tsquery (PostgreSQL input syntax) that every hit's ``search_vector`` matches."""

    def field(prefix: str, term: QueryTerm) -> str:
        star = ":*" if term.prefix else ""
        return "(" + " & ".join(f"'{prefix}{token}'{star}" for token in term.tokens) + ")"

    return " & ".join(
        "(" + " | ".join(field(prefix, term) for prefix in scope) + ")" for term in terms
    )


def _verify(terms: Sequence[QueryTerm], *, scope: str) -> Q:
    """Every term is a substring of the fields of ``scope``."""
    verify = Q()
    for term in terms:
        either = Q()
        for prefix in scope:
            either |= _contains(_FIELD[prefix], term)
        verify &= either
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
# A one-character CJK term ("正" of "坂本 正") is a prefix look-up: the index
# collects every posting of every lexeme it begins (70,000 titles hold a bigram
# starting with 正) before the other terms narrow them, 30-40 ms per tier on
# the whole index however rare the other terms are. When a query has other
# terms, the whole-index tiers first take the rows those terms find, up to
# CANDIDATES of them, and test the one-character terms on them as substrings;
# only if the other terms find more do they run the prefix look-up.
CANDIDATES = 2_000
# All of a search in one round trip (a loaded server answers each round trip
# late): plans for short queries (no JIT compilation, no parallel workers) for
# this statement only, the identifier look-up, the title hits (from the head
# index if it holds enough, else the whole one) and, when those do not fill
# MAX_HITS, the other hits the same way. A tier runs only when the one before
# it left room (a one-time filter on its count); ``tc``/``ac`` (the candidates
# of a query with a one-character term) only when their tier runs.
_STATEMENT = """
SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0;
WITH ids AS ({ids}),
  th AS ({title_head}),
  tc AS ({title_candidates}),
  tf AS (SELECT * FROM ({title_all}) AS s WHERE (SELECT count(*) FROM th) <= {limit}),
  t AS (SELECT * FROM th WHERE (SELECT count(*) FROM th) > {limit} UNION ALL SELECT * FROM tf),
  ah AS (SELECT * FROM ({any_head}) AS s WHERE (SELECT count(*) FROM t) <= {limit}),
  ac AS ({any_candidates}),
  af AS (SELECT * FROM ({any_all}) AS s WHERE (SELECT count(*) FROM t) <= {limit}
         AND (SELECT count(*) FROM ah) <= {limit})
SELECT 'i', * FROM ids UNION ALL SELECT 't', * FROM t
UNION ALL SELECT 'h', * FROM ah UNION ALL SELECT 'a', * FROM af
"""


Rows = list[tuple[int, str]]


def _verify_sql(terms: Sequence[QueryTerm], *, scope: str) -> str:
    """``_verify`` written out: each term's pattern bound as a parameter
    (``_verify_params``), in any field of ``scope``."""
    either = " OR ".join(f"{_FIELD[prefix]} LIKE %s" for prefix in scope)
    return " AND ".join(f"({either})" for _ in terms)


def _verify_params(terms: Sequence[QueryTerm], *, scope: str) -> list[str]:
    # Patterns are letters, digits, CJK and spaces only (search_text.runs): no LIKE
    # wildcard or escape character to quote.
    return [f"%{term.pattern}%" for term in terms for _ in scope]


def _gin_sql(terms: Sequence[QueryTerm], *, scope: str, head: bool, limit: int) -> str:
    """One tier's SQL: the index condition, the verifying substrings (bound as
    parameters by ``_gin_params``), the head bound if ``head``, ``limit + 1`` rows.

    Written out rather than built by the ORM: it runs for every search, and
    compiling five querysets costs more than the query itself."""
    bound = f" AND id <= {HEAD_IDS}" if head else ""
    return (
        "SELECT id AS pk, title FROM catalogue_material "  # noqa: S608 - no user text here  # nosec B608
        f"WHERE search_vector @@ %s::tsquery AND {_verify_sql(terms, scope=scope)}{bound} "
        f"LIMIT {limit + 1}"
    )


def _gin_params(terms: Sequence[QueryTerm], *, scope: str) -> list[str]:
    return [_tsquery(terms, scope=scope), *_verify_params(terms, scope=scope)]


def _narrowing(terms: Sequence[QueryTerm]) -> list[QueryTerm] | None:
    """The terms that find a query's candidates without a prefix look-up, if it
    has both kinds (see ``CANDIDATES``); ``None`` otherwise."""
    exact = [term for term in terms if not term.prefix]
    return exact if exact and len(exact) < len(terms) else None


def _candidates_sql(*, narrowed: bool) -> str:
    """Up to ``CANDIDATES + 1`` rows that the narrowing terms find (their tsquery
    bound as the one parameter), with the fields the verification reads; for a
    query without narrowing terms, no rows (and no statement reads them)."""
    if not narrowed:
        return "SELECT 0 AS pk, '' AS title, '' AS search_title, '' AS search_names WHERE false"
    return (
        "SELECT id AS pk, title, search_title, search_names FROM catalogue_material "  # noqa: S608 - no user text here  # nosec B608
        f"WHERE search_vector @@ %s::tsquery LIMIT {CANDIDATES + 1}"
    )


def _all_sql(terms: Sequence[QueryTerm], *, scope: str, limit: int, candidates: str | None) -> str:
    """A whole-index tier: ``_gin_sql``, or for a query with a one-character term
    (``candidates`` names its CTE) the candidates that pass the verification if
    there are at most ``CANDIDATES`` of them, else ``_gin_sql``."""
    whole = _gin_sql(terms, scope=scope, head=False, limit=limit)
    if candidates is None:
        return whole
    count = f"(SELECT count(*) FROM {candidates})"  # noqa: S608 - a CTE's name  # nosec B608
    return (
        f"SELECT * FROM (SELECT pk, title FROM {candidates} "  # noqa: S608 - no user text here  # nosec B608
        f"WHERE {_verify_sql(terms, scope=scope)} LIMIT {limit + 1}) AS c "
        f"WHERE {count} <= {CANDIDATES} "
        f"UNION ALL SELECT * FROM ({whole}) AS g WHERE {count} > {CANDIDATES}"
    )


def _all_params(terms: Sequence[QueryTerm], *, scope: str, narrowed: bool) -> list[str]:
    whole = _gin_params(terms, scope=scope)
    return [*_verify_params(terms, scope=scope), *whole] if narrowed else whole


def _ids_sql(pairs: Sequence[tuple[str, str]], limit: int) -> str:
    """The identifier look-up (each value bound as a parameter), first ``limit`` by id;
    for a query that can be no identifier, no rows (the statement stays whole)."""
    meta = Material._meta
    columns = {f.name: f.column for f in meta.concrete_fields}
    either = " OR ".join(f"{columns[field]} = %s" for field, _ in pairs)
    return (
        f"SELECT id AS pk, title FROM {meta.db_table} "  # noqa: S608 - no user text here  # nosec B608
        f"WHERE {either or 'false'} ORDER BY id LIMIT {limit}"
    )


def _fetch(
    pairs: Sequence[tuple[str, str]], terms: Sequence[QueryTerm], limit: int
) -> tuple[Rows, Rows, Rows]:
    """Identifier hits (of ``identifier_fields``), title hits and other hits as
    ``(pk, title)``, each list up to ``limit + 1`` long (the other hits only if
    the title hits leave room)."""
    match = _identifier_q(pairs)
    by_id = Material.objects.order_by("pk").values_list("pk", "title")
    ids: Rows = list(by_id.filter(match)[:limit]) if match is not None and not terms else []
    if not terms:
        return ids, [], []
    if connection.vendor != "postgresql":
        if match is not None:
            ids = list(by_id.filter(match)[:limit])
        rows = Material.objects.order_by().values_list("pk", "title")
        titles = list(rows.filter(_verify(terms, scope="T"))[: limit + 1])
        if len(titles) > limit:
            return ids, titles, []
        others = rows.filter(_verify(terms, scope=_other_scope(terms)))
        return ids, titles, list(others[: limit + 1])
    sql = {"ids": _ids_sql(pairs, limit)}
    params: list[Any] = [value for _, value in pairs]
    other = _other_scope(terms)
    narrowing = _narrowing(terms)
    # In the order the statement names them; a CTE that nothing reads never runs.
    for tier, scope in (("title", "T"), ("any", other)):
        sql[f"{tier}_head"] = _gin_sql(terms, scope=scope, head=True, limit=limit)
        params.extend(_gin_params(terms, scope=scope))
        sql[f"{tier}_candidates"] = _candidates_sql(narrowed=narrowing is not None)
        if narrowing is not None:
            params.append(_tsquery(narrowing, scope=scope))
        cte = f"{tier[0]}c" if narrowing is not None else None
        sql[f"{tier}_all"] = _all_sql(terms, scope=scope, limit=limit, candidates=cte)
        params.extend(_all_params(terms, scope=scope, narrowed=narrowing is not None))
    with connection.cursor() as cursor:
        cursor.execute(_STATEMENT.format(limit=limit, **sql), params)
        cursor.nextset()  # past the two SET LOCAL
        cursor.nextset()
        tagged = cursor.fetchall()
    found: dict[str, Rows] = {"i": [], "t": [], "h": [], "a": []}
    for tag, pk, title in tagged:
        found[tag].append((pk, title))
    other_rows = found["h"] if len(found["h"]) > limit else found["a"]
    return found["i"], found["t"], other_rows


def _ranked(rows: Rows) -> list[int]:
    """Shortest title first (the title that is most nearly the query), then by title."""
    return [pk for pk, _ in sorted(rows, key=lambda row: (len(row[1]), row[1], row[0]))]


def material_search(*, query: str, limit: int | None = None) -> SearchHits:
    """The materials ``query`` finds, in rank order (see the module doc).

    In: the text typed in a search box (any script, width, case). Out:
    ``SearchHits``; empty for an empty query or one without letters or digits.
    One statement on PostgreSQL, each part bounded by ``limit`` rows (``MAX_HITS``
    unless given). Never raises for any typed text.
    """
    limit = limit or MAX_HITS
    terms = query_terms(query)
    id_rows, title_rows, other_rows = _fetch(identifier_fields(query), terms, limit)
    ids = [pk for pk, _ in id_rows]
    identifiers = frozenset(ids)
    truncated = len(title_rows) > limit
    title_ids = [pk for pk in _ranked(title_rows[:limit]) if pk not in identifiers]
    titles = frozenset(title_ids)
    ids.extend(title_ids)
    room = limit - len(title_ids)
    if room > 0 and not truncated and other_rows:
        seen = identifiers | titles
        truncated = len(other_rows) > limit
        ids.extend([pk for pk in _ranked(other_rows) if pk not in seen][:room])
    return SearchHits(ids=ids, identifier_ids=identifiers, title_ids=titles, truncated=truncated)
