"""The catalogue: bulk import from CSV rows, and staff edits in the admin.

The CSV columns are documented in ``loans/CATALOGUE.md`` and in the
``import_catalogue`` command.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import DomainError
from core.models import AuditEntry, Site, User
from core.pagecache import portal_pages_touch_all

from ..models import LanguageCategory, Material, MaterialType, Unsuitability
from ..selectors import normalize_isbn

REQUIRED_COLUMNS = ("ndl_id", "title", "language", "acquired_on", "site")
TEXT_COLUMNS = {
    # column: max length (the model's)
    "ndl_id": 20,
    "title": 500,
    "responsibility": 300,
    "publisher": 300,
    "call_number": 60,
}
FLAG_COLUMNS = {
    # CSV column: model field
    "digitized": "is_digitized",
    "deteriorated": "is_deteriorated",
    "rare": "is_rare",
    "collection": "is_collection",
    "market_available": "market_available",
    "amusement": "is_amusement",
    "staff_excluded": "staff_excluded",
}
OTHER_COLUMNS = ("year", "isbn", "material_type", "unsuitable", "staff_note")
COLUMNS = (*REQUIRED_COLUMNS, *TEXT_COLUMNS, *FLAG_COLUMNS, *OTHER_COLUMNS)
# Where a CSV column is stored when its name differs.
FIELD_OF_COLUMN = {**FLAG_COLUMNS}
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"", "0", "false", "no", "n", "f"}
BATCH_SIZE = 2000


@dataclass
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return _("line %(line)s: %(reason)s") % {"line": self.line, "reason": self.reason}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


def _flag(value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(
        _("“%(value)s” is not yes/no (use 1/0, true/false or yes/no)") % {"value": value}
    )


def _choice(value: str, choices: list[str], column: str) -> str:
    v = value.strip().lower()
    if v not in choices:
        raise ValueError(
            _("%(column)s “%(value)s” is not one of %(choices)s")
            % {"column": column, "value": value, "choices": ", ".join(c for c in choices if c)}
        )
    return v


def _parse_row(row: dict[str, str], sites: dict[str, int]) -> dict[str, Any]:
    """Validate one CSV row into model field values; raise ValueError with the reason."""
    values: dict[str, Any] = {}
    if None in row:
        raise ValueError(_("the row has more fields than the header"))
    for column in REQUIRED_COLUMNS:
        if not (row.get(column) or "").strip():
            raise ValueError(_("%(column)s is empty") % {"column": column})
    for column, max_length in TEXT_COLUMNS.items():
        if column in row:
            text = (row[column] or "").strip()
            if len(text) > max_length:
                raise ValueError(
                    _("%(column)s is longer than %(max)s characters")
                    % {"column": column, "max": max_length}
                )
            values[column] = text
    if any(ch.isspace() for ch in values["ndl_id"]):
        raise ValueError(_("ndl_id contains spaces"))
    values["language"] = _choice(row["language"], LanguageCategory.values, "language")
    try:
        values["acquired_on"] = dt.date.fromisoformat(row["acquired_on"].strip())
    except ValueError:
        raise ValueError(
            _("acquired_on “%(value)s” is not a date (YYYY-MM-DD)") % {"value": row["acquired_on"]}
        ) from None
    site_code = row["site"].strip().lower()
    if site_code not in sites:
        raise ValueError(
            _("site “%(value)s” is not one of %(choices)s")
            % {"value": row["site"], "choices": ", ".join(sites)}
        )
    values["site_id"] = sites[site_code]
    if "year" in row:
        year = (row["year"] or "").strip()
        if year and not (year.isdigit() and 1 <= int(year) <= 9999):
            raise ValueError(_("year “%(value)s” is not a year") % {"value": year})
        values["year"] = int(year) if year else None
    if "isbn" in row:
        isbn = normalize_isbn(row["isbn"] or "")
        if isbn and not (len(isbn) in (10, 13) and isbn[:-1].isdigit()):
            raise ValueError(_("isbn “%(value)s” is not an ISBN-10 or ISBN-13") % {"value": isbn})
        values["isbn"] = isbn
    if "material_type" in row:
        values["material_type"] = _choice(
            row["material_type"] or MaterialType.BOOK, MaterialType.values, "material_type"
        )
    if "unsuitable" in row:
        values["unsuitable"] = _choice(row["unsuitable"] or "", Unsuitability.values, "unsuitable")
    for column, field_name in FLAG_COLUMNS.items():
        if column in row:
            try:
                values[field_name] = _flag(row[column] or "")
            except ValueError as exc:
                raise ValueError(f"{column}: {exc}") from None
    if "staff_note" in row:
        values["staff_note"] = (row["staff_note"] or "").strip()
    if values.get("staff_excluded") and not values.get("staff_note"):
        raise ValueError(_("staff_excluded is set but staff_note does not say why"))
    return values


def check_header(columns: Iterable[str]) -> list[str]:
    """Problems with a CSV header (missing required or unknown columns)."""
    present = [c.strip() for c in columns]
    problems = []
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    if missing:
        problems.append(_("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
    unknown = [c for c in present if c not in COLUMNS]
    if unknown:
        problems.append(_("unknown columns: %(columns)s") % {"columns": ", ".join(unknown)})
    return problems


def _batches(items: list[Material], size: int) -> Iterator[list[Material]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def material_import(
    *,
    rows: Iterable[tuple[int, dict[str, str]]],
    columns: list[str],
    actor: User | None,
    skip_invalid: bool = False,
    source: str = "",
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Insert or update materials by NDL ID from ``(line number, row)`` pairs.

    Every row is validated first. If any is bad, nothing is written unless
    ``skip_invalid``, in which case only the good rows are. A re-import
    updates by NDL ID; only the columns present in the file are overwritten,
    so a file without ``staff_excluded`` keeps the staff's exclusions.
    """
    header_problems = check_header(columns)
    if header_problems:
        raise DomainError("; ".join(header_problems), code="bad_header")
    sites = dict(Site.objects.values_list("code", "pk"))
    result = ImportResult()
    parsed: dict[str, Material] = {}
    first_line: dict[str, int] = {}
    for line, row in rows:
        try:
            values = _parse_row(row, sites)
        except ValueError as exc:
            result.errors.append(RowError(line, str(exc)))
            continue
        ndl_id = values["ndl_id"]
        if ndl_id in parsed:
            result.errors.append(
                RowError(
                    line,
                    _("NDL ID %(id)s repeats line %(first)s")
                    % {"id": ndl_id, "first": first_line[ndl_id]},
                )
            )
            continue
        parsed[ndl_id] = Material(**values)
        first_line[ndl_id] = line
    if result.errors and not skip_invalid:
        return result

    materials = list(parsed.values())
    fields_in_file = [FIELD_OF_COLUMN.get(c, c) for c in columns if c in COLUMNS]
    update_fields = [f for f in fields_in_file if f != "ndl_id"] + ["updated_at"]
    try:
        _write(materials, update_fields, batch_size, result, progress, actor, source)
    except IntegrityError as exc:
        raise DomainError(
            _("The catalogue refused the import (%(error)s); nothing was imported.")
            % {"error": exc},
            code="integrity",
        ) from exc
    return result


def _write(
    materials: list[Material],
    update_fields: list[str],
    batch_size: int,
    result: ImportResult,
    progress: Callable[[int], None] | None,
    actor: User | None,
    source: str,
) -> None:
    with transaction.atomic():
        for batch in _batches(materials, batch_size):
            ids = [m.ndl_id for m in batch]
            existing = set(Material.objects.filter(ndl_id__in=ids).values_list("ndl_id", flat=True))
            Material.objects.bulk_create(
                batch,
                update_conflicts=True,
                unique_fields=["ndl_id"],
                update_fields=update_fields,
            )
            result.updated += len(existing)
            result.created += len(batch) - len(existing)
            if progress is not None:
                progress(len(batch))
        # One entry for the whole file: a row per material would double the work.
        AuditEntry.objects.create(
            actor=actor if actor is not None and actor.pk else None,
            action="loans.material.import",
            object_type=Material._meta.label_lower,
            object_id="*",
            object_repr=(source or "catalogue import")[:200],
            data={
                "created": result.created,
                "updated": result.updated,
                "skipped": len(result.errors),
            },
        )
        # bulk_create() sends no signal; titles show on every library's pages.
        portal_pages_touch_all()


def material_save(
    *, material: Material, actor: User | None, changed: list[str] | None = None
) -> Material:
    """Staff create or edit one material (the admin's save)."""
    try:
        material.full_clean()
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), code="invalid") from exc
    adding = material.pk is None
    with transaction.atomic():
        if not adding:
            Material.objects.select_for_update().filter(pk=material.pk).first()
        material.save()
        audit_log(
            actor=actor,
            action="loans.material.create" if adding else "loans.material.update",
            obj=material,
            data={"changed": changed or []},
        )
    return material
