"""What an NDL record says about a material, whatever format it came in.

The readers of ``catalogue.formats`` turn DC-NDL (RDF/XML, SRU, OAI-PMH,
OpenSearch) and MARC 21 records into ``BibRecord``: the bibliographic facts
only. The facts the records do not carry (acquisition date, holding site,
condition, rarity, the staff's judgements) are not here, so an import never
overwrites them. The mapping tables are documented in ``CATALOGUE.md``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from core.identifiers import (
    IdentifierError,
    fold,
    isbn_normalize,
    issn_normalize,
    jp_number_normalize,
    ndl_id_normalize,
)

from .models import LanguageCategory, MaterialType, ReviewReason, SourceFormat

# Field lengths of ``Material`` (a longer value is cut, never refused: a
# record's title is the record's, and 500 characters name it).
MAX_LENGTHS = {
    "title": 500,
    "title_transcription": 500,
    "responsibility": 300,
    "publisher": 300,
    "date_issued": 30,
    "extent": 200,
    "periodicity": 100,
    "call_number": 60,
    "digitized_url": 200,
}


class RecordError(ValueError):
    """A record that cannot be imported; the message says why."""


@dataclass
class BibRecord:
    """One material as a record describes it (strings as given, trimmed)."""

    source_format: str = SourceFormat.DCNDL
    ndl_id: str = ""
    title: str = ""
    title_transcription: str = ""
    responsibility: str = ""
    author_names: list[str] = field(default_factory=list)
    author_transcriptions: list[str] = field(default_factory=list)
    publisher: str = ""
    date_issued: str = ""
    extent: str = ""
    language_code: str = ""
    # Type words as the record gives them (ndltype / DCMI URIs, labels, or
    # the type ``formats.marc`` read); ``material_type_of`` decides.
    type_words: list[str] = field(default_factory=list)
    material_type: str | None = None  # set directly by the MARC reader
    isbn: str = ""
    issn: str = ""
    jp_number: str = ""
    periodicity: str = ""
    call_number: str = ""
    digitized_url: str = ""


# --- language ----------------------------------------------------------------

# ISO 639-2/B codes (and the /T and 639-1 forms records also use) of Japanese.
JAPANESE_CODES = frozenset({"jpn", "ja"})
# Codes that say nothing about the language: staff decide.
UNKNOWN_CODES = frozenset({"und", "mul", "zxx", "mis", "|||", "   ", "xxx"})
_CODE = re.compile(r"^[a-z]{2,3}$")


def language_category(code: str) -> str:
    """The loan rules' category of an ISO 639-2 (or 639-1) code.

    ``jpn`` is Japanese; any other well-formed code is foreign; an empty,
    malformed, ``und`` (undetermined), ``mul`` (several) or ``zxx`` (no
    linguistic content) code gives ``""``: the record waits for staff.
    """
    value = code.strip().lower()
    if value in JAPANESE_CODES:
        return LanguageCategory.JAPANESE
    if not value or value in UNKNOWN_CODES or not _CODE.match(value):
        return ""
    return LanguageCategory.FOREIGN


# --- material type -----------------------------------------------------------

_T = MaterialType
# The ndltype vocabulary (http://ndl.go.jp/ndltype/...), its Japanese labels
# (rdfs:label, OpenSearch <category>) and the DCMI types
# (http://purl.org/dc/dcmitype/...), folded to lower case without spaces.
TYPE_WORDS: dict[str, str] = {
    "book": _T.BOOK,
    "図書": _T.BOOK,
    "journal": _T.PERIODICAL,
    "periodical": _T.PERIODICAL,
    "雑誌": _T.PERIODICAL,
    "newspaper": _T.NEWSPAPER,
    "新聞": _T.NEWSPAPER,
    "serial": _T.SERIAL,
    "逐次刊行物": _T.SERIAL,
    "article": _T.ARTICLE,
    "記事": _T.ARTICLE,
    "記事・論文": _T.ARTICLE,
    "map": _T.MAP,
    "地図": _T.MAP,
    "musicscore": _T.MUSIC_SCORE,
    "楽譜": _T.MUSIC_SCORE,
    "doctoraldissertation": _T.DOCTORAL_DISSERTATION,
    "doctoralthesis": _T.DOCTORAL_DISSERTATION,
    "thesis": _T.DOCTORAL_DISSERTATION,
    "博士論文": _T.DOCTORAL_DISSERTATION,
    "japaneseclassicalbook": _T.JAPANESE_CLASSICAL_BOOK,
    "oldjapanesebook": _T.JAPANESE_CLASSICAL_BOOK,
    "和古書": _T.JAPANESE_CLASSICAL_BOOK,
    "chineseclassicalbook": _T.CHINESE_CLASSICAL_BOOK,
    "漢籍": _T.CHINESE_CLASSICAL_BOOK,
    "manuscript": _T.MANUSCRIPT,
    "写本": _T.MANUSCRIPT,
    "electronicresource": _T.ELECTRONIC_RESOURCE,
    "電子資料": _T.ELECTRONIC_RESOURCE,
    "software": _T.ELECTRONIC_RESOURCE,
    "dataset": _T.ELECTRONIC_RESOURCE,
    "interactiveresource": _T.ELECTRONIC_RESOURCE,
    "microform": _T.MICROFORM,
    "マイクロ資料": _T.MICROFORM,
    "microfilm": _T.MICROFILM,
    "マイクロフィルム": _T.MICROFILM,
    "microfiche": _T.MICROFICHE,
    "マイクロフィッシュ": _T.MICROFICHE,
    "sound": _T.SOUND,
    "録音資料": _T.SOUND,
    "音楽録音・映像資料": _T.SOUND,
    "phonographicrecord": _T.PHONOGRAPHIC_RECORD,
    "レコード": _T.PHONOGRAPHIC_RECORD,
    "movingimage": _T.MOVING_IMAGE,
    "映像資料": _T.MOVING_IMAGE,
    "stillimage": _T.STILL_IMAGE,
    "image": _T.STILL_IMAGE,
    "静止画資料": _T.STILL_IMAGE,
    "kit": _T.KIT,
    "キット": _T.KIT,
    "physicalobject": _T.PHYSICAL_OBJECT,
    "博物資料": _T.PHYSICAL_OBJECT,
}
# Words that qualify a type rather than name one (who published it, how it
# was deposited, the DCMI "Text"); they neither decide nor block.
# OpenSearch's <category> "本" is NDL Search's "books" facet, which holds
# periodicals too: it names no type.
QUALIFIER_WORDS = frozenset(
    {
        "本",
        "governmentpublication",
        "官庁出版物",
        "nationalpublication",
        "国内出版物",
        "text",
        "collection",
        "children",
        "児童書",
        "largeprint",
        "点字",
        "braille",
        "webpage",
        "onlinepublication",
        "other",
    }
)
# When a record names several types, the most specific one decides (a
# microfilm of a newspaper is a microfilm; a thesis published as a book is a
# thesis); the order of this list is that precedence.
_PRECEDENCE: list[str] = [
    _T.MICROFILM,
    _T.MICROFICHE,
    _T.MICROFORM,
    _T.JAPANESE_CLASSICAL_BOOK,
    _T.CHINESE_CLASSICAL_BOOK,
    _T.MANUSCRIPT,
    _T.DOCTORAL_DISSERTATION,
    _T.ARTICLE,
    _T.NEWSPAPER,
    _T.PERIODICAL,
    _T.SERIAL,
    _T.SINGLE_SHEET_MAP,
    _T.MAP,
    _T.MUSIC_SCORE,
    _T.PHONOGRAPHIC_RECORD,
    _T.SOUND,
    _T.MOVING_IMAGE,
    _T.STILL_IMAGE,
    _T.KIT,
    _T.PHYSICAL_OBJECT,
    _T.ELECTRONIC_RESOURCE,
    _T.BOOK,
]


@lru_cache(maxsize=1024)
def _type_key(word: str) -> str:
    word = word.strip().rstrip("/")
    word = word.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return unicodedata.normalize("NFKC", word).replace(" ", "").replace("_", "").lower()


def material_type_of(words: list[str]) -> str:
    """The ``MaterialType`` of the type words a record gives, or ``""``.

    Each word is an ndltype or DCMI type URI, its local name, or its
    Japanese label. Qualifiers (GovernmentPublication, DCMI Text …) are
    ignored; of the types named, the most specific wins. ``""`` when no
    word names a type the loan rules know, or when one word is unknown and
    no known one names the material (staff decide; nothing is guessed).
    """
    found: set[str] = set()
    unknown = False
    for word in words:
        key = _type_key(word)
        if not key or key in QUALIFIER_WORDS:
            continue
        if key in TYPE_WORDS:
            found.add(TYPE_WORDS[key])
        else:
            unknown = True
    if not found:
        return ""
    if unknown and found == {_T.BOOK}:
        # "Book" and a type we do not know: the unknown one may be what the
        # item really is (a kind of non-book); staff look.
        return ""
    return next(t for t in _PRECEDENCE if t in found)


# --- dates and extent ---------------------------------------------------------

_YEAR = re.compile(r"(?<![0-9])([0-9]{4})(?![0-9])")


def year_of(date_issued: str) -> int | None:
    """The year of a W3CDTF (or looser) date: its first four-digit number."""
    if date_issued[:4].isdigit() and date_issued[:4].isascii() and not date_issued[4:5].isdigit():
        year = int(date_issued[:4])
        return year if year >= 1 else None
    match = _YEAR.search(unicodedata.normalize("NFKC", date_issued))
    if not match:
        return None
    year = int(match.group(1))
    return year if 1 <= year <= 9999 else None


# "300p", "xii, 300 p.", "300 pages", "300頁", "300ページ", "2冊 (前182, 後編178p)"
_PAGES = re.compile(r"([0-9]+)\s*(?:p\b|p\.|pp\b|pages?\b|頁|ページ|ﾍﾟｰｼﾞ|丁)", re.IGNORECASE)


_VOLUMES = re.compile(r"[0-9]+\s*(?:冊|v\.|vols?\b|volumes?\b)", re.IGNORECASE)


def page_count_of(extent: str) -> int | None:
    """The number of pages an extent statement gives, or None.

    The largest numbered pagination before the dimensions is taken (roman
    preliminaries and plates are not counted): ``"xii, 300 p ; 22 cm"`` and
    ``"300p 図版14p"`` are 300; ``"300頁"`` is 300. A statement of several volumes
    (``"2冊 (前182, 後編178p)"``) or with no pages gives None.
    """
    text = extent if extent.isascii() else unicodedata.normalize("NFKC", extent)
    text = text.split(";")[0]
    if _VOLUMES.search(text):
        return None
    numbers = [int(m.group(1)) for m in _PAGES.finditer(text)]
    if not numbers:
        return None
    pages = max(numbers)
    return pages if 0 < pages < 2_000_000 else None


# --- identifiers ---------------------------------------------------------------

_NDL_BIB_IN_URI = re.compile(r"R100000002-I([0-9A-Za-z]+)")


def ndl_id_of_uri(uri: str) -> str:
    """The NDL bibliographic ID in an NDL Search URI of an NDL record, or ``""``."""
    match = _NDL_BIB_IN_URI.search(uri)
    return match.group(1) if match else ""


_DIGITIZED = re.compile(r"^https?://(?:dl\.ndl\.go\.jp|dl\.ndl\.go\.jp/info:ndljp)/", re.IGNORECASE)


def is_digital_collections_link(uri: str) -> bool:
    """Whether ``uri`` is a link to the NDL Digital Collections."""
    return bool(_DIGITIZED.match(uri.strip()))


def cut(value: str, name: str) -> str:
    """``value`` trimmed and cut to the model's length for field ``name``."""
    text = " ".join(value.split())
    limit = MAX_LENGTHS.get(name)
    return text[:limit] if limit else text


# The carrier an extent statement starts with ("録音ディスク 1枚 : CD",
# "1 videodisc", "地図 1枚"): what the item is, whatever search category
# (OpenSearch's "本") the record was listed under.
_CARRIERS: list[tuple[str, str]] = [
    (r"録音ディスク|録音カセット|録音テープ|sound ?(?:disc|cassette|tape)", _T.SOUND),
    (
        r"ビデオディスク|ビデオカセット|video ?(?:disc|cassette)|videodisc|videocassette",
        _T.MOVING_IMAGE,
    ),
    (r"マイクロフィッシュ|microfiche", _T.MICROFICHE),
    (r"マイクロフィルム|microfilm", _T.MICROFILM),
    (r"地図|[0-9]+ maps?\b", _T.MAP),
    (r"楽譜|[0-9]+ scores?\b", _T.MUSIC_SCORE),
    (
        r"光ディスク|CD-ROM|DVD-ROM|computer (?:disc|optical disc)|online resource",
        _T.ELECTRONIC_RESOURCE,
    ),
]
_CARRIER = re.compile(
    "^(?:" + "|".join(f"(?P<c{i}>{pattern})" for i, (pattern, _kind) in enumerate(_CARRIERS)) + ")",
    re.IGNORECASE,
)


_ONE_SHEET = re.compile(r"^\s*(?:地図\s*1\s*枚|1 (?:map|sheet)\b)", re.I)


def carrier_of(extent: str) -> str:
    """The ``MaterialType`` the extent statement's first word names, or ``""``."""
    text = extent if extent.isascii() else unicodedata.normalize("NFKC", extent)
    match = _CARRIER.match(text.strip())
    if match is None or match.lastgroup is None:
        return ""
    return _CARRIERS[int(match.lastgroup[1:])][1]


def isbn13(value: str) -> str:
    """The compact ISBN-13 of a record's ISBN statement, or ``""`` when it is not one.

    The number is read by ``core.identifiers.isbn_normalize`` (ISO 2108 check
    digits); a qualifier after it (``4-8122-1553-6 (pbk.)``) is left out. A
    wrong check digit gives ``""`` (the record is kept, without the ISBN).
    """
    try:
        return isbn_normalize(fold(value).split("(")[0])
    except IdentifierError:
        return ""


def material_values(record: BibRecord) -> tuple[dict[str, object], list[str]]:
    """The ``Material`` field values of ``record`` and its review reasons.

    Raises ``RecordError`` when the record cannot be a material: no NDL
    bibliographic ID or no title, or an identifier that is malformed in a
    way the record cannot mean (an ISBN whose check digit is wrong is kept
    out, not refused: the record is still the material).
    """
    try:
        ndl_id = ndl_id_normalize(record.ndl_id)
    except IdentifierError as exc:
        raise RecordError(exc.messages[0]) from None
    if not ndl_id:
        raise RecordError("no NDL bibliographic ID")
    title = cut(record.title, "title")
    if not title:
        raise RecordError("no title")
    isbn = isbn13(record.isbn) if record.isbn else ""
    issn = ""
    if record.issn:
        try:
            issn = issn_normalize(record.issn)
        except IdentifierError:
            issn = ""
    jp_number = ""
    if record.jp_number:
        try:
            jp_number = jp_number_normalize(record.jp_number)
        except IdentifierError:
            jp_number = record.jp_number.strip()[:20]
    if record.material_type is not None:
        material_type = record.material_type
    else:
        material_type = material_type_of(record.type_words)
        carrier = carrier_of(record.extent)
        if carrier and material_type in ("", _T.BOOK):
            material_type = carrier
        if material_type == _T.MAP and _ONE_SHEET.match(
            unicodedata.normalize("NFKC", record.extent)
        ):
            material_type = _T.SINGLE_SHEET_MAP
    code = record.language_code.strip().lower()[:3]
    language = language_category(code)
    reasons: list[str] = []
    if not material_type:
        reasons.append(ReviewReason.UNKNOWN_TYPE.value)
    if not language:
        reasons.append(ReviewReason.UNKNOWN_LANGUAGE.value)
    date_issued = cut(record.date_issued, "date_issued")
    extent = cut(record.extent, "extent")
    digitized_url = record.digitized_url.strip()
    if len(digitized_url) > MAX_LENGTHS["digitized_url"]:
        digitized_url = ""
    values: dict[str, object] = {
        "ndl_id": ndl_id,
        "title": title,
        "title_transcription": cut(record.title_transcription, "title_transcription"),
        "responsibility": cut(
            record.responsibility or ", ".join(record.author_names), "responsibility"
        ),
        "author_names": "\n".join(n.strip() for n in record.author_names if n.strip()),
        "author_transcriptions": "\n".join(
            n.strip() for n in record.author_transcriptions if n.strip()
        ),
        "publisher": cut(record.publisher, "publisher"),
        "date_issued": date_issued,
        "year": year_of(date_issued),
        "extent": extent,
        "page_count": page_count_of(extent),
        "isbn": isbn,
        "issn": issn,
        "jp_number": jp_number,
        "periodicity": cut(record.periodicity, "periodicity"),
        "language_code": code if _CODE.match(code) else "",
        "language": language,
        "material_type": material_type,
        "call_number": cut(record.call_number, "call_number"),
        "digitized_url": digitized_url,
        "source_format": record.source_format,
        "review_reasons": reasons,
    }
    return values, reasons
