"""Load NDL materials from NDL records (DC-NDL, MARC 21) or a CSV file.

``--format`` (default ``auto``: detected from the content) is one of:

``dcndl``    DC-NDL RDF/XML: NDL Search's ``.rdf`` records, SRU
             ``searchRetrieveResponse`` (records escaped in ``recordData`` or
             embedded), OAI-PMH ``ListRecords`` pages, OpenSearch RSS
``marc``     MARC 21 in ISO 2709 (JAPAN/MARC), read with pymarc
``marcxml``  MARCXML (a ``collection`` of ``record`` elements)
``csv``      the house CSV, described below

Records are mapped as ``catalogue/CATALOGUE.md`` describes; a re-import
replaces what the records say and never what staff keep (acquisition date,
holding site, condition, rarity, exclusions). A record whose type or
language cannot be mapped is imported into the review queue. Every bad
record is reported with its position (record number and line) and reason;
nothing is imported unless every record is good, or ``--skip-invalid`` is
given. XML with a DOCTYPE (external entities, entity expansion) is refused.

CSV: a file with a header row.

The file may be UTF-8 (with or without a BOM), UTF-16 with a BOM (Excel's
"Unicode text", tab-separated) or Japanese Shift_JIS as Excel writes it
(CP932); the encoding is detected and named in the summary, and anything else
is refused with the encoding to save as. ``--encoding`` skips the detection.
Comma- or tab-separated (a tab in the header line means tab-separated).

Columns (the first five are required; the others may be left out, and a
column left out of a re-import keeps the values already stored):

=================  ==========================================================
ndl_id             NDL bibliographic ID, unique; a re-import updates by it
title              title (up to 500 characters)
language           ``japanese`` or ``foreign`` (decides the acquisition rule)
acquired_on        acquisition date, ``YYYY-MM-DD``
site               holding site: ``tokyo``, ``kansai`` or ``ilcl``
responsibility     author / responsibility
publisher          publisher
year               year of publication (a number)
isbn               ISBN-10 or ISBN-13, hyphens allowed, full-width digits too;
                   stored as ISBN-13, a wrong check digit is refused
call_number        call number
material_type      ``book`` (default), ``serial``, ``newspaper``, ``periodical``,
                   ``doctoral_dissertation``, ``single_sheet_map``,
                   ``electronic_resource``, ``music_score``,
                   ``phonographic_record``, ``microfilm``, ``microfiche``
unsuitable         empty, ``large_sized``, ``reference`` or ``pamphlet``
digitized          yes/no (also 1/0, true/false; empty is no)
deteriorated       yes/no
rare               yes/no
collection         yes/no
market_available   yes/no
amusement          yes/no
staff_excluded     yes/no; needs ``staff_note``
staff_note         why staff excluded the material
=================  ==========================================================

Every row is checked before anything is written. Bad rows are listed with
their line number (the file's own line, where the row starts) and reason and
nothing is imported, unless ``--skip-invalid`` is given, in which case the
good rows are imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalogue.formats import FORMATS, Entry, FormatError, detect
from catalogue.formats import dcndl as dcndl_format
from catalogue.formats import marc as marc_format
from catalogue.formats.background import read_in_background
from catalogue.services.materials import (
    BATCH_SIZE,
    FORCED_ENCODINGS,
    ImportResult,
    catalogue_file_read,
    catalogue_rows,
    material_import,
)
from catalogue.services.records_import import material_records_import
from core.errors import DomainError
from core.models import User

# From this size on, records are read and mapped in a second process.
BACKGROUND_FROM_BYTES = 4_000_000
READERS = {
    "dcndl": dcndl_format.read,
    "marc": marc_format.read_iso2709,
    "marcxml": marc_format.read_marcxml,
}


class Command(BaseCommand):
    help = (
        "Import or update NDL materials from DC-NDL, MARC 21 (ISO 2709 or MARCXML) "
        "or CSV (see the module docstring)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format",
            choices=("auto", *FORMATS),
            default="auto",
            help="The file's format (default: detected from its content).",
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the good rows and report the bad ones (default: import nothing).",
        )
        parser.add_argument("--user", help="Username of the staff member, for the audit log.")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
        parser.add_argument(
            "--encoding",
            choices=sorted(FORCED_ENCODINGS),
            help="Read the file in this encoding instead of detecting it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_staff=True).first()
            if actor is None:
                raise CommandError(f"No staff user {options['user']!r}.")
        hide = options["no_progress"] or options["verbosity"] == 0
        try:
            with path.open("rb") as head_file:
                head = head_file.read(4096)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        kind = options["format"] if options["format"] != "auto" else detect(head)
        if kind != "csv":
            self._records(path, kind, actor, hide or not self.stderr.isatty(), options)
            return
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        try:
            file = catalogue_file_read(data=data, encoding=options["encoding"])
            columns, records = catalogue_rows(file=file)

            def rows() -> Iterator[tuple[int, dict[str, str]]]:
                yield from tqdm(
                    records, desc="Checking", unit=" rows", disable=hide, file=self.stderr
                )

            with tqdm(desc="Writing", unit=" rows", disable=hide, file=self.stderr) as writing:
                result = material_import(
                    rows=rows(),
                    columns=columns,
                    actor=actor,
                    skip_invalid=options["skip_invalid"],
                    source=path.name,
                    batch_size=options["batch_size"],
                    progress=writing.update,
                )
        except DomainError as exc:
            raise CommandError(exc.message) from exc

        for error in result.errors:
            self.stderr.write(str(error))
        if result.errors and not options["skip_invalid"]:
            raise CommandError(
                f"{len(result.errors)} invalid row(s) (read as {file.description}); "
                "nothing was imported. "
                "Fix them, or use --skip-invalid to import the good rows."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.created} created, {result.updated} updated, "
                f"{len(result.errors)} skipped (read as {file.description})."
            )
        )

    def _records(
        self, path: Path, kind: str, actor: User | None, hide: bool, options: dict[str, Any]
    ) -> None:
        size = path.stat().st_size
        background = size >= BACKGROUND_FROM_BYTES and (os.cpu_count() or 1) > 1
        try:
            if background:
                # A large file: read and mapped in a second process while
                # this one writes (catalogue.formats.background).
                with tqdm(desc="Importing", unit=" records", disable=hide, file=self.stderr) as bar:
                    result = self._import(
                        read_in_background(str(path), READERS[kind]),
                        path,
                        actor,
                        options,
                        bar.update,
                    )
            else:
                with (
                    path.open("rb") as raw,
                    tqdm.wrapattr(
                        raw, "read", total=size, desc="Reading", disable=hide, file=self.stderr
                    ) as source,
                ):
                    result = self._import(READERS[kind](source), path, actor, options, None)
        except FormatError as exc:
            raise CommandError(f"{path.name} ({kind}): {exc} Nothing was imported.") from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for error in result.errors:
            self.stderr.write(str(error))
        if result.errors and not options["skip_invalid"]:
            raise CommandError(
                f"{len(result.errors)} invalid record(s) (read as {kind}); nothing was imported. "
                "Fix them, or use --skip-invalid to import the good records."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.created} created, {result.updated} updated, "
                f"{len(result.errors)} skipped, {result.to_review} to review "
                f"(read as {kind})."
            )
        )

    def _import(
        self,
        entries: Iterator[Entry],
        path: Path,
        actor: User | None,
        options: dict[str, Any],
        progress: Callable[[int], object] | None,
    ) -> ImportResult:
        return material_records_import(
            entries=entries,
            actor=actor,
            skip_invalid=options["skip_invalid"],
            source=path.name,
            batch_size=options["batch_size"],
            progress=progress,
        )
