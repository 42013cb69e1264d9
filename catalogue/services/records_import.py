"""Import NDL records (DC-NDL, MARC 21) into the catalogue.

``material_records_import`` writes what the readers of ``catalogue.formats``
read, in batches of one ``INSERT … ON CONFLICT (ndl_id) DO UPDATE`` each,
inside one transaction: either every good record is written or (when a
record is bad and ``skip_invalid`` is not given) nothing is. A re-import
replaces the bibliographic facts only (``RECORD_FIELDS``); what staff keep
(acquisition date, holding site, condition, rarity, exclusions) is never
touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.models import AuditEntry, User
from core.pagecache import portal_pages_touch_all

from ..formats import Entry
from ..models import Material
from ..records import RecordError, material_values
from .materials import BATCH_SIZE, ImportResult, RecordProblem

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


def material_records_import(
    *,
    entries: Iterable[Entry],
    actor: User | None,
    skip_invalid: bool = False,
    source: str = "",
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
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
    batch: list[Material] = []

    def flush() -> None:
        if not batch:
            return
        if not result.errors or skip_invalid:
            ids = [m.ndl_id for m in batch]
            existing = Material.objects.filter(ndl_id__in=ids).count()
            Material.objects.bulk_create(
                batch,
                update_conflicts=True,
                unique_fields=["ndl_id"],
                update_fields=[*RECORD_FIELDS, "updated_at"],
                batch_size=batch_size,
            )
            result.updated += existing
            result.created += len(batch) - existing
        if progress is not None:
            progress(len(batch))
        batch.clear()

    try:
        with transaction.atomic():
            for entry in entries:
                if entry.record is None:
                    result.errors.append(RecordProblem(entry.position, entry.error))
                    continue
                try:
                    values, reasons = material_values(entry.record)
                except RecordError as exc:
                    result.errors.append(RecordProblem(entry.position, str(exc)))
                    continue
                ndl_id = str(values["ndl_id"])
                if ndl_id in seen:
                    result.errors.append(
                        RecordProblem(entry.position, f"NDL ID {ndl_id} repeats an earlier record")
                    )
                    continue
                seen.add(ndl_id)
                if reasons:
                    result.to_review += 1
                batch.append(Material(**values))
                if len(batch) >= batch_size:
                    flush()
            flush()
            if result.errors and not skip_invalid:
                raise _Rollback
            AuditEntry.objects.create(
                actor=actor if actor is not None and actor.pk else None,
                action="catalogue.material.import",
                object_type=Material._meta.label_lower,
                object_id="*",
                object_repr=(source or "catalogue import")[:200],
                data={
                    "created": result.created,
                    "updated": result.updated,
                    "skipped": len(result.errors),
                    "to_review": result.to_review,
                },
            )
            # bulk_create() sends no signal; titles show on every library's pages.
            portal_pages_touch_all()
    except _Rollback:
        result.created = result.updated = 0
    except IntegrityError as exc:
        raise DomainError(
            _("The catalogue refused the import (%(error)s); nothing was imported.")
            % {"error": exc},
            code="integrity",
        ) from exc
    return result
