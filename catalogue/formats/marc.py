"""MARC 21 bibliographic records (JAPAN/MARC and others), read with pymarc.

ISO 2709 files are read by ``pymarc.MARCReader``; MARCXML is read with the
hardened parser of ``xmlsafe`` into ``pymarc.Record`` objects, so both go
through one mapping (``from_marc``). The type mapping (Leader/06-07, 007,
008/21, 008/23-24, 502, 336-338) is the table in ``CATALOGUE.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any, BinaryIO, cast

import pymarc

from ..models import MaterialType, SourceFormat
from ..records import BibRecord, is_digital_collections_link
from . import Entry, FormatError, xmlsafe

MARC_NS = "http://www.loc.gov/MARC21/slim"
_T = MaterialType


def read_iso2709(source: IO[bytes]) -> Iterator[Entry]:
    """Every record of an ISO 2709 file; a broken one is an error entry."""
    reader = pymarc.MARCReader(
        cast(BinaryIO, source), to_unicode=True, force_utf8=True, utf8_handling="replace"
    )
    number = 0
    for marc in reader:
        number += 1
        if marc is None:
            problem = reader.current_exception
            yield Entry(number, error=f"not a readable MARC record ({problem})")
            if isinstance(problem, pymarc.exceptions.BaseAddressInvalid | EOFError):
                break
            continue
        try:
            yield Entry(number, record=from_marc(marc))
        except ValueError as exc:
            yield Entry(number, error=str(exc))
    if number == 0:
        raise FormatError("no MARC record found")


def read_marcxml(source: IO[bytes]) -> Iterator[Entry]:
    """Every ``record`` of a MARCXML file (a ``collection`` or a single record)."""
    number = 0
    for element in xmlsafe.iterparse(source, [f"{{{MARC_NS}}}record"]):
        number += 1
        line = element.sourceline
        try:
            yield Entry(number, line, record=from_marc(_record_of(element)))
        except ValueError as exc:
            yield Entry(number, line, error=str(exc))
        element.clear()
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]
    if number == 0:
        raise FormatError("no MARCXML record found")


def _record_of(element: Any) -> pymarc.Record:
    record = pymarc.Record(force_utf8=True)
    for child in element:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "leader":
            leader = child.text or ""
            if len(leader) != 24:
                raise ValueError(f"the leader has {len(leader)} characters, not 24")
            record.leader = pymarc.Leader(leader)
        elif tag == "controlfield":
            record.add_field(pymarc.Field(tag=child.get("tag", ""), data=child.text or ""))
        elif tag == "datafield":
            subfields = [
                pymarc.Subfield(code=sub.get("code", ""), value=sub.text or "")
                for sub in child
                if sub.tag.rsplit("}", 1)[-1] == "subfield"
            ]
            record.add_field(
                pymarc.Field(
                    tag=child.get("tag", ""),
                    indicators=pymarc.Indicators(child.get("ind1", " "), child.get("ind2", " ")),
                    subfields=subfields,
                )
            )
    return record


class _Fields:
    """A record's fields by tag, built once (``get_fields`` scans them all)."""

    __slots__ = ("by_tag", "leader")

    def __init__(self, marc: pymarc.Record) -> None:
        self.leader = str(marc.leader or "")
        self.by_tag: dict[str, list[pymarc.Field]] = {}
        for f in marc.fields:
            self.by_tag.setdefault(f.tag, []).append(f)

    def get_fields(self, *tags: str) -> list[pymarc.Field]:
        if len(tags) == 1:
            return self.by_tag.get(tags[0], [])
        return [f for tag in tags for f in self.by_tag.get(tag, [])]

    def get(self, tag: str) -> pymarc.Field | None:
        found = self.by_tag.get(tag)
        return found[0] if found else None


def _first(marc: _Fields, tag: str, code: str) -> str:
    for f in marc.get_fields(tag):
        for value in f.get_subfields(code):
            if value.strip():
                return value.strip()
    return ""


_TRAILING = re.compile(r"[\s/:;,.=]+$")


def _clean(value: str) -> str:
    return _TRAILING.sub("", " ".join(value.split()))


def _linked(marc: _Fields, tag: str, occurrence: str) -> pymarc.Field | None:
    """The 880 field linked to field ``tag`` occurrence ``occurrence`` ($6)."""
    for f in marc.get_fields("880"):
        link = (f.get_subfields("6") or [""])[0]
        if link.startswith(f"{tag}-{occurrence}"):
            return f
    return None


def from_marc(marc: pymarc.Record) -> BibRecord:
    """One MARC 21 bibliographic record as a ``BibRecord``.

    The NDL bibliographic ID is field 001. A reading (yomi) is taken from
    the 880 field linked to 245 / 1XX / 7XX, as JAPAN/MARC records it.
    """
    record = BibRecord(source_format=SourceFormat.MARC)
    fields = _Fields(marc)
    control = fields.get("001")
    record.ndl_id = (control.data or "").strip() if control is not None else ""
    if not record.ndl_id:
        raise ValueError("no NDL bibliographic ID (field 001 is empty)")
    title = fields.get("245")
    if title is not None:
        parts = [*title.get_subfields("a", "b", "n", "p")]
        record.title = _clean(" ".join(parts))
        record.responsibility = _clean(" ".join(title.get_subfields("c")))
        occurrence = (title.get_subfields("6") or ["-"])[0].split("-")[-1][:2]
        reading = _linked(fields, "245", occurrence)
        if reading is not None:
            record.title_transcription = _clean(" ".join(reading.get_subfields("a", "b")))
    for tag in ("100", "110", "111", "700", "710", "711"):
        for f in fields.get_fields(tag):
            name = _clean(" ".join(f.get_subfields("a")))
            if not name:
                continue
            record.author_names.append(name)
            occurrence = (f.get_subfields("6") or ["-"])[0].split("-")[-1][:2]
            reading = _linked(fields, tag, occurrence) if f.get_subfields("6") else None
            record.author_transcriptions.append(
                _clean(" ".join(reading.get_subfields("a"))) if reading is not None else ""
            )
    record.publisher = _clean(_first(fields, "264", "b") or _first(fields, "260", "b"))
    fixed = fields.get("008")
    data = fixed.data if fixed is not None and fixed.data else ""
    date1 = data[7:11] if len(data) >= 11 else ""
    if date1.isdigit():
        record.date_issued = date1
    else:
        raw = _first(fields, "264", "c") or _first(fields, "260", "c")
        found = re.search(r"[0-9]{4}(?:[-.][0-9]{1,2})?", raw)
        record.date_issued = found.group(0).replace(".", "-") if found else ""
    extent = fields.get("300")
    if extent is not None:
        a = _clean(" ".join(extent.get_subfields("a", "b")))
        c = _clean(" ".join(extent.get_subfields("c")))
        record.extent = " ; ".join(p for p in (a, c) if p)
    language = data[35:38] if len(data) >= 38 else ""
    if not language.strip() or not language.isalpha():
        language = _first(fields, "041", "a")[:3]
    record.language_code = language.strip()
    for value in (v for f in fields.get_fields("020") for v in f.get_subfields("a")):
        record.isbn = value.split()[0] if value.split() else ""
        if record.isbn:
            break
    record.issn = _first(fields, "022", "a")
    for f in fields.get_fields("015"):
        numbers = f.get_subfields("a")
        if numbers and (not f.get_subfields("2") or f.get_subfields("2")[0] == "jnb"):
            record.jp_number = numbers[0]
            break
    record.periodicity = _clean(_first(fields, "310", "a"))
    for f in fields.get_fields("856"):
        for uri in f.get_subfields("u"):
            if is_digital_collections_link(uri) and not record.digitized_url:
                record.digitized_url = uri.strip()
    record.material_type = _type_of(fields)
    return record


def _codes(marc: _Fields, tag: str) -> set[str]:
    return {v.strip().lower() for f in marc.get_fields(tag) for v in f.get_subfields("b")}


def _terms(marc: _Fields, tag: str) -> set[str]:
    return {v.strip().lower() for f in marc.get_fields(tag) for v in f.get_subfields("a")}


_ONE_SHEET = re.compile(r"^\s*(?:1 (?:map|sheet)\b|地図\s*1\s*枚|1\s*枚)", re.IGNORECASE)
_ANALOG_DISC_SPEEDS = set("abcde")  # 007/03 of a sound disc: 16-78 rpm


def material_type_of_marc(marc: pymarc.Record) -> str:
    """The ``MaterialType`` a MARC 21 record gives, or ``""`` (see ``_type_of``)."""
    return _type_of(_Fields(marc))


def _type_of(marc: _Fields) -> str:
    """The ``MaterialType`` a MARC 21 record gives, or ``""`` (staff decide).

    First what the item physically is (a microform: 007/00 ``h``, 008/23
    ``a``/``b``/``c`` or 337 ``h``), then manuscripts (Leader/06 ``t``,
    ``d``, ``f``), theses (502, or 008/24-27 ``m`` in a book), serials and
    component parts (Leader/07 ``s``, ``i``, ``a``, ``b``; 008/21 ``n``
    newspaper, ``p`` periodical), then the type of record (Leader/06), with
    007 and 33X for the carrier; 336 alone when the leader says nothing.
    """
    leader = marc.leader
    kind = leader[6:7]
    level = leader[7:8]
    fixed = marc.get("008")
    data = fixed.data if fixed is not None and fixed.data else ""
    physical = [f.data or "" for f in marc.get_fields("007")]
    first007 = physical[0] if physical else ""
    media = _codes(marc, "337") | _terms(marc, "337")
    carriers = _codes(marc, "338") | _terms(marc, "338")
    contents = _codes(marc, "336") | _terms(marc, "336")
    form = data[23:24] if kind in ("a", "t", "c", "d", "i", "j", "m", "p") else data[29:30]

    # Microforms, whatever they reproduce.
    if first007[:1] == "h" or form in ("a", "b", "c") or "h" in media or "microform" in media:
        code = first007[1:2]
        if code in ("e", "f", "g") or form == "b" or carriers & {"he", "hf", "hg", "microfiche"}:
            return _T.MICROFICHE
        if (
            code in ("a", "b", "c", "d", "h", "j")
            or form == "a"
            or carriers
            & {
                "ha",
                "hb",
                "hc",
                "hd",
                "hh",
                "hj",
                "microfilm reel",
                "microfilm roll",
                "microfilm cassette",
                "microfilm cartridge",
            }
        ):
            return _T.MICROFILM
        return _T.MICROFORM
    if kind in ("t", "d", "f"):
        return _T.MANUSCRIPT
    is_book = kind == "a" and level not in ("s", "i", "b")
    if marc.get_fields("502") or (is_book and "m" in data[24:28]):
        return _T.DOCTORAL_DISSERTATION
    if level in ("a", "b"):
        return _T.ARTICLE
    if kind == "a" and level in ("s", "i"):
        continuing = data[21:22]
        if continuing == "n":
            return _T.NEWSPAPER
        if continuing == "p":
            return _T.PERIODICAL
        return _T.SERIAL
    electronic = (
        first007[:1] == "c" or form in ("o", "q", "s") or "c" in media or ("computer" in media)
    )
    if kind == "a":
        return _T.ELECTRONIC_RESOURCE if electronic else _T.BOOK
    if kind == "c":
        return _T.MUSIC_SCORE
    if kind == "e":
        extent = " ".join(v for f in marc.get_fields("300") for v in f.get_subfields("a"))
        if first007[:2] == "ad":
            return _T.BOOK  # an atlas
        if "nb" in carriers or "sheet" in carriers or _ONE_SHEET.match(extent):
            return _T.SINGLE_SHEET_MAP
        return _T.MAP
    if kind in ("i", "j"):
        if first007[:2] == "sd" and first007[3:4] in _ANALOG_DISC_SPEEDS:
            return _T.PHONOGRAPHIC_RECORD
        return _T.SOUND
    if kind == "g":
        if first007[:1] == "g":
            return _T.STILL_IMAGE  # slides, transparencies
        return _T.MOVING_IMAGE
    if kind == "k":
        return _T.STILL_IMAGE
    if kind == "m":
        return _T.ELECTRONIC_RESOURCE
    if kind == "o":
        return _T.KIT
    if kind == "r":
        return _T.PHYSICAL_OBJECT
    # Leader/06 missing or "p" (mixed materials): the content type may say.
    by_content = {
        "txt": _T.BOOK,
        "text": _T.BOOK,
        "cri": _T.MAP,
        "cartographic image": _T.MAP,
        "ntm": _T.MUSIC_SCORE,
        "notated music": _T.MUSIC_SCORE,
        "spw": _T.SOUND,
        "prm": _T.SOUND,
        "snd": _T.SOUND,
        "sti": _T.STILL_IMAGE,
        "still image": _T.STILL_IMAGE,
        "tdi": _T.MOVING_IMAGE,
        "two-dimensional moving image": _T.MOVING_IMAGE,
        "tdf": _T.PHYSICAL_OBJECT,
        "cod": _T.ELECTRONIC_RESOURCE,
        "cop": _T.ELECTRONIC_RESOURCE,
    }
    found = {by_content[c] for c in contents if c in by_content}
    if len(found) == 1:
        return found.pop()
    return ""
