"""The catalogue: bulk import from CSV files, and staff edits in the admin.

The CSV columns are documented in ``catalogue/CATALOGUE.md`` and in the
``import_catalogue`` command. ``catalogue_file_read`` reads the file as Excel
and older systems save it (the encoding is detected); ``material_import``
checks and writes the rows. Identifiers are read by ``core.identifiers``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import DomainError
from core.identifiers import (
    IdentifierError,
    date_parse,
    fold,
    isbn_normalize,
    ndl_id_normalize,
)
from core.models import AuditEntry, Site, User
from core.pagecache import portal_pages_touch_all

from ..models import LanguageCategory, Material, MaterialType, ReviewReason, Unsuitability
from .search_index import material_search_vector_update

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
class RecordProblem:
    """A record of an NDL file that was not imported, and where it is."""

    position: str  # "record 12 (line 340)"
    reason: str

    def __str__(self) -> str:
        return f"{self.position}: {self.reason}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError | RecordProblem] = field(default_factory=list)
    # Records that wait for staff (a type or language that could not be mapped).
    to_review: int = 0


def _flag(value: str) -> bool:
    v = fold(value).lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(
        _("“%(value)s” is not yes/no (use 1/0, true/false or yes/no)") % {"value": value}
    )


def _choice(value: str, choices: list[str], column: str) -> str:
    v = fold(value).lower()
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
    try:
        values["ndl_id"] = ndl_id_normalize(values["ndl_id"])
        values["isbn"] = isbn_normalize(row.get("isbn") or "")
    except IdentifierError as exc:
        raise ValueError(exc.messages[0]) from None
    if "isbn" not in row:
        del values["isbn"]
    values["language"] = _choice(row["language"], LanguageCategory.values, "language")
    try:
        values["acquired_on"] = date_parse(row["acquired_on"])
    except IdentifierError:
        raise ValueError(
            _("acquired_on “%(value)s” is not a date (YYYY-MM-DD)") % {"value": row["acquired_on"]}
        ) from None
    site_code = fold(row["site"]).lower()
    if site_code not in sites:
        raise ValueError(
            _("site “%(value)s” is not one of %(choices)s")
            % {"value": row["site"], "choices": ", ".join(sites)}
        )
    values["site_id"] = sites[site_code]
    if "year" in row:
        year = fold(row["year"] or "")
        if year and not (year.isascii() and year.isdigit() and 1 <= int(year) <= 9999):
            raise ValueError(_("year “%(value)s” is not a year") % {"value": year})
        values["year"] = int(year) if year else None
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


# --- reading the file ---------------------------------------------------------

ENCODING_UTF8 = "UTF-8"
ENCODING_UTF8_BOM = "UTF-8 with BOM"
ENCODING_UTF16 = "UTF-16"
ENCODING_CP932 = "CP932 (Shift_JIS)"
DELIMITER_NAMES = {",": "comma-separated", "\t": "tab-separated"}

# Signs that bytes which decode as CP932 were written in another encoding
# (a Latin, Cyrillic, Thai, Arabic or Chinese file read as Japanese): a
# private-use or control character, a kanji inside a Latin word
# ("Universit舩sbibliothek"), or a half-width katakana touching a Latin letter,
# ASCII symbol or kanji ("ﾄrzte", "鰌ﾔﾏﾒﾉﾑ"). Japanese text written by Excel or
# an older system does not mix them so.
_HALF_KANA = "\uff61-\uff9f"
_FULL_JAPANESE = "\u3040-\u30fa\u4e00-\u9fff\uf900-\ufaff"  # kana (not ・ー) and kanji
_MOJIBAKE = re.compile(
    "[\ue000-\uf8ff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
    "|[A-Za-z][\u4e00-\u9fff\uf900-\ufaff][A-Za-z]"
    f"|[{_HALF_KANA}][A-Za-z@\\[\\]^_`{{|}}~{_FULL_JAPANESE}]"
    f"|[A-Za-z@\\[\\]^_`{{|}}~{_FULL_JAPANESE}][{_HALF_KANA}]"
)


@dataclass(frozen=True)
class CatalogueFile:
    """A catalogue file read as text: its rows, and how it was read."""

    text: str
    encoding: str
    delimiter: str

    @property
    def description(self) -> str:
        return f"{self.encoding}, {DELIMITER_NAMES[self.delimiter]}"


def _line_of(data: bytes, offset: int, *, newline: bytes = b"\n") -> int:
    """The line (1-based) of the byte at ``offset``; ``newline`` in the file's encoding."""
    width = len(newline)
    count = 0
    position = data.find(newline, 0, offset)
    while position != -1:
        if position % width == 0:
            count += 1
        position = data.find(newline, position + 1, offset)
    return count + 1


def _unreadable(line: int) -> DomainError:
    return DomainError(
        _(
            "Line %(line)s of the file is not text in UTF-8, UTF-16 with a byte order mark or "
            "Japanese Shift_JIS (CP932), so the file cannot be read. Save it from Excel as "
            "“CSV UTF-8 (Comma delimited) (*.csv)” and import it again."
        )
        % {"line": line},
        code="encoding",
    )


def _decode(data: bytes) -> tuple[str, str]:
    """The text of ``data`` and the name of its encoding; see ``catalogue_file_read``."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), ENCODING_UTF8_BOM
        except UnicodeDecodeError as exc:
            raise _unreadable(_line_of(data, exc.start + len(codecs.BOM_UTF8))) from None
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise _unreadable(1)
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            body = data[len(bom) :]
            try:
                return body.decode(codec), ENCODING_UTF16
            except UnicodeDecodeError as exc:
                newline = "\n".encode(codec)
                raise _unreadable(_line_of(body, exc.start, newline=newline)) from None
    if b"\x00" in data:
        # UTF-16 without its byte order mark, UTF-32, or not text at all.
        raise _unreadable(_line_of(data, data.index(b"\x00")))
    try:
        return data.decode("utf-8"), ENCODING_UTF8
    except UnicodeDecodeError as exc:
        utf8_error = exc.start
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError as exc:
        # Name the line where the likelier encoding stops making sense.
        raise _unreadable(_line_of(data, max(utf8_error, exc.start))) from None
    if _MOJIBAKE.search(text) is not None:
        # Not Japanese: the first line that is not UTF-8 is the one to look at.
        raise _unreadable(_line_of(data, utf8_error))
    return text, ENCODING_CP932


# What ``--encoding`` may force: the codec and the name in the summary.
FORCED_ENCODINGS = {
    "utf-8": ("utf-8-sig", ENCODING_UTF8),
    "utf-16": ("utf-16", ENCODING_UTF16),
    "cp932": ("cp932", ENCODING_CP932),
}


def _decode_as(data: bytes, name: str) -> tuple[str, str]:
    codec, label = FORCED_ENCODINGS[name]
    try:
        return data.decode(codec), label
    except UnicodeDecodeError as exc:
        newline = b"\n" if name != "utf-16" else "\n".encode("utf-16-le")
        raise _unreadable(_line_of(data, exc.start, newline=newline)) from None


def catalogue_file_read(*, data: bytes, encoding: str | None = None) -> CatalogueFile:
    """Read a catalogue file's bytes as Excel and older systems save them.

    Accepted: UTF-8 with or without a byte order mark, UTF-16 with a byte
    order mark (Excel's "Unicode text", tab-separated), and Japanese
    Shift_JIS as Windows writes it (CP932), recognised when the bytes are not
    UTF-8, decode as CP932 and read as Japanese rather than as another
    language's text. The delimiter is a tab if the header line has one, else
    a comma. Raises ``DomainError`` (code ``encoding``) for anything else,
    naming the first line that cannot be read and the encoding to save as.

    ``encoding`` (a key of ``FORCED_ENCODINGS``) skips the detection, for a
    Japanese file the detection refuses (half-width katakana written next to
    kanji, as some older systems do).
    """
    text, name = _decode_as(data, encoding) if encoding else _decode(data)
    header = text.split("\n", 1)[0]
    return CatalogueFile(text=text, encoding=name, delimiter="\t" if "\t" in header else ",")


def catalogue_rows(
    *, file: CatalogueFile
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header's columns and the ``(line, row)`` pairs of a read catalogue file.

    ``line`` is the file's own line where the row starts, so a row after a
    quoted field that spans lines is named by the line an editor shows.
    Blank lines are skipped. A row with more fields than the header has them
    under the key ``None`` (as ``csv.DictReader``); missing fields are
    ``None``. A malformed CSV line raises ``DomainError`` (code ``csv``).
    """
    reader = csv.reader(io.StringIO(file.text, newline=""), delimiter=file.delimiter)
    try:
        header = next(reader, [])
    except csv.Error as exc:
        raise _csv_error(1, exc) from None
    columns = [c.strip() for c in header]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        last = reader.line_num
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _csv_error(last + 1, exc) from None
            start, last = last + 1, reader.line_num
            if not record:
                continue
            row: dict[Any, Any] = dict(zip(columns, record, strict=False))
            if len(record) > len(columns):
                row[None] = record[len(columns) :]
            for column in columns[len(record) :]:
                row[column] = None
            yield start, row

    return columns, rows()


def _csv_error(line: int, exc: csv.Error) -> DomainError:
    return DomainError(
        _("Line %(line)s of the file is not valid CSV (%(error)s); nothing was imported.")
        % {"line": line, "error": exc},
        code="csv",
    )


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
            material_search_vector_update(ndl_ids=ids)
            if progress is not None:
                progress(len(batch))
        # One entry for the whole file: a row per material would double the work.
        import_finish(
            actor=actor,
            source=source,
            data={
                "created": result.created,
                "updated": result.updated,
                "skipped": len(result.errors),
            },
        )


def material_save(
    *, material: Material, actor: User | None, changed: list[str] | None = None
) -> Material:
    """Staff create or edit one material (the admin's save).

    The NDL ID and ISBN are stored as ``core.identifiers`` reads them (the
    ISBN as its compact ISBN-13). A review reason an import gave (type or
    language unknown) is dropped once staff have set that fact, which takes
    the material out of the review queue. Raises ``DomainError`` for a
    malformed identifier or any other invalid field; nothing is written then.
    """
    try:
        material.ndl_id = ndl_id_normalize(material.ndl_id or "")
        material.isbn = isbn_normalize(material.isbn or "")
    except IdentifierError as exc:
        raise DomainError(exc.messages[0], code=exc.code or "invalid") from exc
    try:
        material.full_clean()
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), code="invalid") from exc
    # What staff have now set leaves the review queue.
    known = {
        ReviewReason.UNKNOWN_TYPE: material.material_type in MaterialType.values,
        ReviewReason.UNKNOWN_LANGUAGE: material.language in LanguageCategory.values,
    }
    material.review_reasons = [r for r in material.review_reasons or [] if not known.get(r, False)]
    adding = material.pk is None
    with transaction.atomic():
        if not adding:
            Material.objects.select_for_update().filter(pk=material.pk).first()
        material.save()
        material_search_vector_update(material_ids=[material.pk])
        audit_log(
            actor=actor,
            action="catalogue.material.create" if adding else "catalogue.material.update",
            obj=material,
            data={"changed": changed or []},
        )
    return material


def import_finish(*, actor: User | None, source: str, data: dict[str, int]) -> None:
    """Write the one audit entry of a catalogue import and refresh portal pages.

    In: the staff ``actor`` (``None`` or unsaved: the entry has no actor), the
    ``source`` named in the entry (a file name; ``"catalogue import"`` when
    empty, cut to 200 characters) and the counts ``data``. Call it inside the
    import's transaction: ``bulk_create()`` sends no signal, and titles show on
    every library's pages.
    """
    AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action="catalogue.material.import",
        object_type=Material._meta.label_lower,
        object_id="*",
        object_repr=(source or "catalogue import")[:200],
        data=data,
    )
    portal_pages_touch_all()
