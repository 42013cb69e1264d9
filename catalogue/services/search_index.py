"""The search index of the catalogue: kept current after every write.

What a material is found by is derived from its catalogue fields by
``catalogue.search_text`` and stored on the row: ``search_title`` and
``search_names`` (normalised text, on every database) and, on PostgreSQL, the
``search_vector`` tsvector of their bigrams and words under a GIN index
(``catalogue_material_search_gin``, created by migration 0003, outside the
model: SQLite has no such type). Whoever writes catalogue fields calls
``material_search_vector_update`` with the ids written, inside the same
transaction, or writes ``material_search_values`` in the same statement (the
NDL-record import), so a search never sees a half-indexed material.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from ..models import Material
from ..search_text import IndexText, index_text

BATCH = 2000
INDEXED_FIELDS = (
    "title",
    "title_transcription",
    "author_names",
    "author_transcriptions",
    "responsibility",
    "publisher",
)


def tsvector_literal(lexemes: Sequence[str]) -> str:
    """``lexemes`` as PostgreSQL's tsvector input (each quoted, no positions)."""
    if not lexemes:
        return ""
    text = "' '".join(lexemes)
    if "\\" not in text and text.count("'") == 2 * (len(lexemes) - 1):
        return "'" + text + "'"  # no quote or backslash to escape (tokens never have one)
    return " ".join("'" + lex.replace("\\", "\\\\").replace("'", "''") + "'" for lex in lexemes)


def material_index_text(values: dict[str, Any]) -> IndexText:
    """The ``IndexText`` of a material given its ``INDEXED_FIELDS`` (missing ones empty)."""
    return index_text(**{name: values.get(name) or "" for name in INDEXED_FIELDS})


# The columns ``material_search_values`` gives: the two texts (model fields)
# and, on PostgreSQL, the tsvector (outside the model).
SEARCH_COLUMNS = ("search_title", "search_names", "search_vector")


def material_search_values(values: dict[str, Any]) -> dict[str, str]:
    """The search columns of a material whose fields are ``values`` (a pure
    function of its ``INDEXED_FIELDS``): ``search_title``, ``search_names`` and
    ``search_vector`` (the tsvector's input text). An import computes them
    beside the record's fields, in the process that reads the file, and writes
    them in the same statement."""
    text = material_index_text(values)
    return {
        "search_title": text.title,
        "search_names": text.names,
        # In any order: PostgreSQL sorts a tsvector's lexemes itself.
        "search_vector": tsvector_literal(list(text.found) if text.found else text.lexemes()),
    }


def _batches(ids: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(ids)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def material_search_vector_update(
    *, material_ids: Iterable[int] | None = None, ndl_ids: Iterable[str] | None = None
) -> int:
    """Re-derive the search index of the given materials (by primary key or by
    NDL ID; every material if neither is given).

    In: material primary keys or NDL IDs (any iterable; unknown ones are
    skipped). Out: the number of rows updated. Call it after any write to
    ``INDEXED_FIELDS``, including bulk imports (one statement per 2,000 rows),
    unless the write stored ``material_search_values`` with the fields (as the
    NDL-record import does).
    Derived data, so no audit entry; it runs in the caller's transaction (or
    its own). Raises nothing of its own; database errors propagate.
    """
    lookup = "ndl_id__in" if ndl_ids is not None else "pk__in"
    keys: Iterable[Any] = ndl_ids if ndl_ids is not None else material_ids or []
    if material_ids is None and ndl_ids is None:
        keys = Material.objects.order_by("pk").values_list("pk", flat=True).iterator()
    updated = 0
    # No savepoint: inside an import it is one more write of the import's transaction.
    with transaction.atomic(savepoint=False):
        for batch in _batches(keys):
            rows = Material.objects.filter(**{lookup: batch}).values("pk", *INDEXED_FIELDS)
            texts = [(row["pk"], material_index_text(row)) for row in rows]
            updated += write_index(connection, texts)
    return updated


def write_index(db: BaseDatabaseWrapper, texts: list[tuple[int, IndexText]]) -> int:
    """Store each ``(pk, IndexText)`` on its material through the connection ``db``,
    one statement for them all on PostgreSQL; return how many were given.
    (Migration 0003 calls it too, to index the materials it finds.)"""
    if not texts:
        return 0
    table = "catalogue_material"
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS m SET search_title = v.t, search_names = v.n, "  # noqa: S608 - our table name  # nosec B608
                "search_vector = v.vec::tsvector "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS v(id, t, n, vec) "
                "WHERE m.id = v.id",
                [
                    [pk for pk, _ in texts],
                    [text.title for _, text in texts],
                    [text.names for _, text in texts],
                    [tsvector_literal(text.lexemes()) for _, text in texts],
                ],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET search_title = %s, search_names = %s WHERE id = %s",  # noqa: S608  # nosec B608
                [(text.title, text.names, pk) for pk, text in texts],
            )
    return len(texts)
