"""Import NDL records (DC-NDL, MARC 21) into the catalogue.

``material_records_import`` writes what the readers of ``catalogue.formats``
read, in batches of one ``INSERT … ON CONFLICT (ndl_id) DO UPDATE`` each,
inside one transaction (on PostgreSQL through COPY and a temporary
table): either every good record is written or (when a
record is bad and ``skip_invalid`` is not given) nothing is. Each row is
written with its search index (``search_index.material_search_values``,
computed where the record is mapped: in the reading process for a large
file), so it is written once and found as soon as the import commits. A
re-import replaces the bibliographic facts only (``RECORD_FIELDS``) and
their search index; what staff keep (acquisition date, holding site,
condition, rarity, exclusions) is never touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.models import User

from ..formats import Entry
from ..models import Material
from ..records import RecordError, material_values
from . import search_index
from .materials import BATCH_SIZE, ImportResult, RecordProblem, import_finish
from .search_index import SEARCH_COLUMNS

# The fields a record decides (a re-import overwrites them, and only them).
RECORD_FIELDS = (
    "title",
    "title_transcription",
    "responsibility",
    "author_names",
    "author_transcriptions",
    "publisher",
    "date_issued",
    "year",
    "extent",
    "page_count",
    "isbn",
    "issn",
    "jp_number",
    "periodicity",
    "language_code",
    "language",
    "material_type",
    "call_number",
    "digitized_url",
    "source_format",
    "review_reasons",
)


class _Rollback(Exception):
    pass


def _upsert_postgresql(rows: list[dict[str, Any]]) -> int:
    """Write ``rows`` (field values by name, with their search columns) with
    COPY and one upsert; return how many already existed.

    COPY into a temporary table, then ``INSERT … SELECT … ON CONFLICT
    (ndl_id) DO UPDATE`` of the record fields and the search index only, and
    only where they changed: one round trip for the data instead of Django's
    per-value preparation, several times faster on large files, and each row
    written once, already indexed. Fields a record does not set get the
    model's defaults on insert (staff facts: none yet).
    """
    fields = [f for f in Material._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    column_of = {f.name: str(f.column) for f in fields}
    # What a re-import may change: the record's fields and what search finds
    # it by (derived from them, written with them).
    changing = [column_of[name] for name in RECORD_FIELDS] + list(SEARCH_COLUMNS)
    # Copied: what each record gives. The other columns (what staff keep, the
    # time of the import) are the same for every new row: one parameter each.
    copied = ["ndl_id", *RECORD_FIELDS, *SEARCH_COLUMNS]
    copied_columns = ", ".join(quote(column_of.get(name, name)) for name in copied)
    constant = [f for f in fields if f.name not in copied]
    now = timezone.now()
    defaults: dict[str, Any] = {f.name: f.get_default() for f in fields}
    defaults["updated_at"] = now
    defaults["search_vector"] = None
    columns = [quote(column_of.get(name, name)) for name in copied]
    columns += [quote(str(f.column)) for f in constant]
    selected = [quote(column_of.get(name, name)) for name in copied]
    selected += [f"%s::{f.db_type(connection)}" for f in constant]
    parameters = [f.get_db_prep_save(defaults[f.name], connection) for f in constant]
    updates = ", ".join(
        f"{quote(c)} = EXCLUDED.{quote(c)}" for c in [*changing, column_of["updated_at"]]
    )
    target = ", ".join(f"catalogue_material.{quote(c)}" for c in changing)
    excluded = ", ".join(f"EXCLUDED.{quote(c)}" for c in changing)
    pairs = [(name, defaults[name]) for name in copied]
    reasons_at = copied.index("review_reasons")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS catalogue_import ON COMMIT DROP AS "  # noqa: S608  # nosec B608
            f"SELECT {copied_columns} FROM catalogue_material WITH NO DATA"
        )
        cursor.execute("TRUNCATE catalogue_import")
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY catalogue_import ({copied_columns}) FROM STDIN") as copy:
            write_row = copy.write_row
            for row in rows:
                values = [row.get(name, default) for name, default in pairs]
                reasons = values[reasons_at]
                values[reasons_at] = json.dumps(reasons) if reasons else "[]"
                write_row(values)
        cursor.execute(
            f"INSERT INTO catalogue_material ({', '.join(columns)}) "  # noqa: S608  # nosec B608
            f"SELECT {', '.join(selected)} FROM catalogue_import "
            f"ON CONFLICT (ndl_id) DO UPDATE SET {updates} "
            f"WHERE ({target}) IS DISTINCT FROM ({excluded}) RETURNING (xmax = 0)",
            parameters,
        )
        # Unchanged records are not written again (no new row version, no
        # index update): a monthly re-import of a large file costs little.
        inserted = sum(1 for (new,) in cursor.fetchall() if new)
        return len(rows) - inserted


def _upsert_django(rows: list[dict[str, Any]], batch_size: int) -> int:
    """``_upsert_postgresql`` on other databases (SQLite): ``bulk_create`` with
    the search texts (there is no tsvector); return how many already existed."""
    existing = Material.objects.filter(ndl_id__in=[v["ndl_id"] for v in rows]).count()
    Material.objects.bulk_create(
        [Material(**{k: v for k, v in values.items() if k != "search_vector"}) for values in rows],
        update_conflicts=True,
        unique_fields=["ndl_id"],
        update_fields=[*RECORD_FIELDS, "search_title", "search_names", "updated_at"],
        batch_size=batch_size,
    )
    return existing


def material_records_import(
    *,
    entries: Iterable[Entry],
    actor: User | None,
    skip_invalid: bool = False,
    source: str = "",
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], object] | None = None,
) -> ImportResult:
    """Insert or update materials by NDL ID from the entries of a reader.

    Every bad record (unreadable, no NDL ID, no title, an NDL ID repeated in
    the file) is in ``result.errors`` with its position. With any error and
    without ``skip_invalid`` nothing is written (the transaction is rolled
    back); the errors are still all reported. ``progress`` is called with
    the number of records read after each batch. Raises ``DomainError`` if
    the database refuses the import (nothing is written then either).
    """
    result = ImportResult()
    seen: set[str] = set()
    batch: list[dict[str, Any]] = []
    fast = connection.vendor == "postgresql"

    def flush() -> None:
        if not batch:
            return
        if not result.errors or skip_invalid:
            existing = _upsert_postgresql(batch) if fast else _upsert_django(batch, batch_size)
            result.updated += existing
            result.created += len(batch) - existing
        if progress is not None:
            progress(len(batch))
        batch.clear()

    try:
        with transaction.atomic():
            for entry in entries:
                if entry.values is not None:
                    values, reasons = entry.values, entry.reasons or []
                    if "search_title" not in values:  # not folded by the reader
                        values.update(search_index.material_search_values(values))
                elif entry.record is None:
                    result.errors.append(RecordProblem(entry.position, entry.error))
                    continue
                else:
                    try:
                        values, reasons = material_values(entry.record)
                    except RecordError as exc:
                        result.errors.append(RecordProblem(entry.position, str(exc)))
                        continue
                    values.update(search_index.material_search_values(values))
                ndl_id = str(values["ndl_id"])
                if ndl_id in seen:
                    result.errors.append(
                        RecordProblem(entry.position, f"NDL ID {ndl_id} repeats an earlier record")
                    )
                    continue
                seen.add(ndl_id)
                if reasons:
                    result.to_review += 1
                batch.append(values)
                if len(batch) >= batch_size:
                    flush()
            flush()
            if result.errors and not skip_invalid:
                raise _Rollback
            import_finish(
                actor=actor,
                source=source,
                data={
                    "created": result.created,
                    "updated": result.updated,
                    "skipped": len(result.errors),
                    "to_review": result.to_review,
                },
            )
    except _Rollback:
        result.created = result.updated = 0
    except IntegrityError as exc:
        raise DomainError(
            _("The catalogue refused the import (%(error)s); nothing was imported.")
            % {"error": exc},
            code="integrity",
        ) from exc
    return result
