"""DC-NDL records, as the NDL's interfaces serve them.

One reader for every wrapper: a bare ``rdf:RDF`` record (NDL Search's
``….rdf``), any file holding many of them, SRU ``searchRetrieveResponse``
(the record escaped as text in ``recordData`` with ``recordPacking=string``,
or embedded as XML), OAI-PMH ``ListRecords`` pages (deleted records are
skipped) and OpenSearch RSS (``item`` elements with dc/dcndl children).
The file is read as a stream: memory stays flat on large files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import IO, Any

from ..models import SourceFormat
from ..records import BibRecord, is_digital_collections_link, ndl_id_of_uri
from . import Entry, FormatError, xmlsafe

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
DCNDL = "http://ndl.go.jp/dcndl/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI = "http://www.openarchives.org/OAI/2.0/"
SRW_NAMESPACES = (
    "http://www.loc.gov/zing/srw/",
    "http://docs.oasis-open.org/ns/search-ws/sruResponse",
)
# The NDL as holding agent of a dcndl:Item (NDLLibCode), and its name.
NDL_LIB_CODE = "0000"
NDL_NAME = "国立国会図書館"

_XSI_TYPE = f"{{{XSI}}}type"
_RECORD_DATA = [f"{{{ns}}}recordData" for ns in SRW_NAMESPACES]
_RDF_RDF = f"{{{RDF}}}RDF"
_OAI_RECORD = f"{{{OAI}}}record"
TAGS = [_RDF_RDF, "item", *_RECORD_DATA, _OAI_RECORD]

# Element names, computed once (compared for every child of every record).
_DC_CREATOR = f"{{{DC}}}creator"
_DC_EXTENT = f"{{{DC}}}extent"
_DC_IDENTIFIER = f"{{{DC}}}identifier"
_DC_LANGUAGE = f"{{{DC}}}language"
_DC_PUBLISHER = f"{{{DC}}}publisher"
_DC_TITLE = f"{{{DC}}}title"
_DC_TYPE = f"{{{DC}}}type"
_DCNDL_BIBADMINRESOURCE = f"{{{DCNDL}}}BibAdminResource"
_DCNDL_BIBRESOURCE = f"{{{DCNDL}}}BibResource"
_DCNDL_ITEM = f"{{{DCNDL}}}Item"
_DCNDL_HOLDINGAGENT = f"{{{DCNDL}}}holdingAgent"
_DCNDL_CALLNUMBER = f"{{{DCNDL}}}callNumber"
_DCNDL_CREATORTRANSCRIPTION = f"{{{DCNDL}}}creatorTranscription"
_DCNDL_MATERIALTYPE = f"{{{DCNDL}}}materialType"
_DCNDL_PUBLICATIONPERIODICITY = f"{{{DCNDL}}}publicationPeriodicity"
_DCNDL_SOURCEIDENTIFIER = f"{{{DCNDL}}}sourceIdentifier"
_DCNDL_TITLETRANSCRIPTION = f"{{{DCNDL}}}titleTranscription"
_DCNDL_TRANSCRIPTION = f"{{{DCNDL}}}transcription"
_DCTERMS_CREATOR = f"{{{DCTERMS}}}creator"
_DCTERMS_EXTENT = f"{{{DCTERMS}}}extent"
_DCTERMS_IDENTIFIER = f"{{{DCTERMS}}}identifier"
_DCTERMS_ISSUED = f"{{{DCTERMS}}}issued"
_DCTERMS_LANGUAGE = f"{{{DCTERMS}}}language"
_DCTERMS_PUBLISHER = f"{{{DCTERMS}}}publisher"
_DCTERMS_TITLE = f"{{{DCTERMS}}}title"
_DCTERMS_TYPE = f"{{{DCTERMS}}}type"
_FOAF_AGENT = f"{{{FOAF}}}Agent"
_FOAF_NAME = f"{{{FOAF}}}name"
_OAI_HEADER = f"{{{OAI}}}header"
_OAI_METADATA = f"{{{OAI}}}metadata"
_RDF_DESCRIPTION = f"{{{RDF}}}Description"
_RDF_ABOUT = f"{{{RDF}}}about"
_RDF_DATATYPE = f"{{{RDF}}}datatype"
_RDF_RESOURCE = f"{{{RDF}}}resource"
_RDF_VALUE = f"{{{RDF}}}value"
_RDFS_SEEALSO = f"{{{RDFS}}}seeAlso"
_ABOUT = _RDF_ABOUT
_RESOURCE = _RDF_RESOURCE
_DATATYPE = _RDF_DATATYPE
_VALUE = _RDF_VALUE
_DESCRIPTION = _RDF_DESCRIPTION
_TRANSCRIPTION = _DCNDL_TRANSCRIPTION
_AGENT = _FOAF_AGENT
_NAME = _FOAF_NAME


def read(source: IO[bytes]) -> Iterator[Entry]:
    """Every DC-NDL record in ``source``, in order (see the module docstring).

    Raises ``FormatError`` when the file is not XML, declares a DOCTYPE, or
    holds no record of a wrapper this reader knows.
    """
    number = 0
    for element in xmlsafe.iterparse(source, TAGS):
        tag = element.tag
        if tag == _RDF_RDF:
            # Bare, in a bulk file, embedded in SRU, or the metadata of an
            # OAI-PMH record: read where it ends.
            number += 1
            yield _entry(number, element.sourceline, lambda el=element: from_rdf(el))
            _release(element)
        elif tag == _OAI_RECORD:
            header = _child(element, _OAI_HEADER)
            deleted = header is not None and header.get("status") == "deleted"
            metadata = _child(element, _OAI_METADATA)
            if not deleted and (metadata is None or _child(metadata, _RDF_RDF) is None):
                number += 1
                yield Entry(number, element.sourceline, error="no DC-NDL record in the OAI record")
            _release(element)
        elif tag in _RECORD_DATA:
            if len(element):
                continue  # embedded XML: its rdf:RDF was read already
            text = (element.text or "").strip()
            number += 1
            line = element.sourceline
            if not text:
                yield Entry(number, line, error="empty recordData")
            else:
                yield _entry(number, line, lambda t=text: _from_escaped(t))
            _release(element)
        elif tag == "item" and _is_rss_item(element):
            number += 1
            yield _entry(number, element.sourceline, lambda el=element: from_opensearch(el))
            _release(element)
    if number == 0:
        raise FormatError(
            "no DC-NDL record found (expected rdf:RDF records, an SRU "
            "searchRetrieveResponse, OAI-PMH ListRecords or OpenSearch RSS)"
        )


def _entry(number: int, line: int | None, read_one: Any) -> Entry:
    try:
        return Entry(number, line, record=read_one())
    except (FormatError, ValueError) as exc:
        return Entry(number, line, error=str(exc))


def _release(element: Any) -> None:
    """Free what was read: the element and the siblings before it."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _is_rss_item(element: Any) -> bool:
    parent = element.getparent()
    return parent is not None and parent.tag == "channel"


def _from_escaped(text: str) -> BibRecord:
    root = xmlsafe.fromstring(text)
    rdf = root if root.tag == _RDF_RDF else root.find(f".//{_RDF_RDF}")
    if rdf is None:
        raise FormatError("recordData holds no rdf:RDF record (was recordSchema=dcndl asked?)")
    return from_rdf(rdf)


def _child(element: Any, tag: str) -> Any:
    """The first child named ``tag`` (children are few; ``find`` parses a path)."""
    for child in element:
        if child.tag == tag:
            return child
    return None


def _text(element: Any) -> str:
    if element is None:
        return ""
    text = element.text
    if not text:
        return ""
    text = text.strip()
    return " ".join(text.split()) if "  " in text or "\n" in text or "\t" in text else text


@lru_cache(maxsize=512)
def _local(value: str) -> str:
    return value.rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]


def from_rdf(rdf: Any) -> BibRecord:
    """One ``rdf:RDF`` DC-NDL record as a ``BibRecord``."""
    record = BibRecord(source_format=SourceFormat.DCNDL)
    about = ""
    admin = _child(rdf, _DCNDL_BIBADMINRESOURCE)
    if admin is not None:
        about = admin.get(_ABOUT, "")
    items = []
    for child in rdf:
        tag = child.tag
        if tag == _DCNDL_BIBRESOURCE:
            about = about or child.get(_ABOUT, "")
            _read_bib(child, record)
        elif tag == _DCNDL_ITEM:
            items.append(child)
    for item in items:
        _read_item(item, record)
    if not record.ndl_id:
        record.ndl_id = ndl_id_of_uri(about)
    if not record.ndl_id:
        raise ValueError("no NDL bibliographic ID (not a record of the NDL's own holdings)")
    return record


class _Bib:
    """What one BibResource is read into, beside the record."""

    __slots__ = ("record", "responsibility", "source_ndl_id")

    def __init__(self, record: BibRecord) -> None:
        self.record = record
        self.responsibility: list[str] = []
        self.source_ndl_id = ""


def _bib_title(child: Any, bib: _Bib) -> None:
    bib.record.title = bib.record.title or _text(child)


def _bib_dc_title(child: Any, bib: _Bib) -> None:
    record = bib.record
    description = _child(child, _DESCRIPTION)
    if description is None:
        record.title = record.title or _text(child)
        return
    record.title = record.title or _text(_child(description, _VALUE))
    if not record.title_transcription:
        record.title_transcription = _text(_child(description, _TRANSCRIPTION))


def _bib_creator(child: Any, bib: _Bib) -> None:
    agent = _child(child, _AGENT)
    if agent is not None:
        name = _text(_child(agent, _NAME))
        if name:
            bib.record.author_names.append(name)
            bib.record.author_transcriptions.append(_text(_child(agent, _TRANSCRIPTION)))


def _bib_dc_creator(child: Any, bib: _Bib) -> None:
    text = _text(child)
    if text:
        bib.responsibility.append(text)


def _bib_publisher(child: Any, bib: _Bib) -> None:
    agent = _child(child, _AGENT)
    name = _text(_child(agent, _NAME)) if agent is not None else _text(child)
    bib.record.publisher = bib.record.publisher or name


def _bib_issued(child: Any, bib: _Bib) -> None:
    bib.record.date_issued = bib.record.date_issued or _text(child)


def _bib_extent(child: Any, bib: _Bib) -> None:
    bib.record.extent = bib.record.extent or _text(child)


def _bib_language(child: Any, bib: _Bib) -> None:
    # The first ISO 639-2 code; another scheme only when no code came first.
    if not bib.record.language_code:
        bib.record.language_code = _text(child)


def _bib_type(child: Any, bib: _Bib) -> None:
    bib.record.type_words.append(child.get(_RESOURCE) or _text(child))


def _bib_identifier(child: Any, bib: _Bib) -> None:
    _identifier(bib.record, _local(child.get(_DATATYPE, "")), _text(child))


def _bib_source_identifier(child: Any, bib: _Bib) -> None:
    # A digitized copy's record names the NDL record of the original.
    kind = _local(child.get(_DATATYPE, "")).upper()
    if kind == "NDLBIBID":
        bib.source_ndl_id = bib.source_ndl_id or _text(child)
    elif kind == "JPNO":
        bib.record.jp_number = bib.record.jp_number or _text(child)


def _bib_periodicity(child: Any, bib: _Bib) -> None:
    bib.record.periodicity = bib.record.periodicity or _text(child)


def _bib_see_also(child: Any, bib: _Bib) -> None:
    uri = child.get(_RESOURCE, "")
    if not bib.record.digitized_url and is_digital_collections_link(uri):
        bib.record.digitized_url = uri


# One look-up a child instead of a chain of comparisons: this runs for every
# element of every record of a large import.
_BIB_READERS: dict[str, Callable[[Any, _Bib], None]] = {
    _DCTERMS_TITLE: _bib_title,
    _DC_TITLE: _bib_dc_title,
    _DCTERMS_CREATOR: _bib_creator,
    _DC_CREATOR: _bib_dc_creator,
    _DCTERMS_PUBLISHER: _bib_publisher,
    _DCTERMS_ISSUED: _bib_issued,
    _DCTERMS_EXTENT: _bib_extent,
    _DCTERMS_LANGUAGE: _bib_language,
    _DCNDL_MATERIALTYPE: _bib_type,
    _DC_TYPE: _bib_type,
    _DCTERMS_TYPE: _bib_type,
    _DCTERMS_IDENTIFIER: _bib_identifier,
    _DCNDL_SOURCEIDENTIFIER: _bib_source_identifier,
    _DCNDL_PUBLICATIONPERIODICITY: _bib_periodicity,
    _RDFS_SEEALSO: _bib_see_also,
}


def _read_bib(element: Any, record: BibRecord) -> None:
    bib = _Bib(record)
    readers = _BIB_READERS
    for child in element:
        reader = readers.get(child.tag)
        if reader is not None:
            reader(child, bib)
    if bib.source_ndl_id and not record.ndl_id:
        record.ndl_id = bib.source_ndl_id
    if bib.responsibility and not record.responsibility:
        record.responsibility = " ; ".join(bib.responsibility)


def _identifier(record: BibRecord, kind: str, value: str) -> None:
    kind = kind.upper()
    if not value:
        return
    if kind == "NDLBIBID":
        record.ndl_id = record.ndl_id or value
    elif kind == "JPNO":
        record.jp_number = record.jp_number or value
    elif kind == "ISBN":
        record.isbn = record.isbn or value
    elif kind == "ISSN":
        record.issn = record.issn or value


def _read_item(item: Any, record: BibRecord) -> None:
    holder = _child(item, _DCNDL_HOLDINGAGENT)
    agent = _child(holder, _AGENT) if holder is not None else None
    held_by_ndl = False
    if agent is not None:
        code = ""
        for identifier in agent.iterchildren(_DCTERMS_IDENTIFIER):
            if _local(identifier.get(_DATATYPE, "")).upper() == "NDLLIBCODE":
                code = _text(identifier)
        held_by_ndl = code == NDL_LIB_CODE or (not code and _text(_child(agent, _NAME)) == NDL_NAME)
    if not held_by_ndl:
        return
    for identifier in item.iterchildren(_DCTERMS_IDENTIFIER):
        if _local(identifier.get(_DATATYPE, "")).upper() == "NDLBIBID":
            record.ndl_id = record.ndl_id or _text(identifier)
    record.call_number = record.call_number or _text(_child(item, _DCNDL_CALLNUMBER))
    for see_also in item.iterchildren(_RDFS_SEEALSO):
        uri = see_also.get(_RESOURCE, "")
        if is_digital_collections_link(uri) and not record.digitized_url:
            record.digitized_url = uri


def from_opensearch(item: Any) -> BibRecord:
    """One OpenSearch RSS ``item`` (dc/dcndl children) as a ``BibRecord``."""
    record = BibRecord(source_format=SourceFormat.DCNDL)
    link = ""
    for child in item:
        tag = child.tag
        if tag == _DC_TITLE or tag == "title":
            record.title = record.title or _text(child)
        elif tag == _DCNDL_TITLETRANSCRIPTION:
            record.title_transcription = record.title_transcription or _text(child)
        elif tag == _DC_CREATOR:
            name = _text(child)
            if name:
                record.author_names.append(name)
        elif tag == _DCNDL_CREATORTRANSCRIPTION:
            record.author_transcriptions.append(_text(child))
        elif tag == "author":
            record.responsibility = _text(child).rstrip(",")
        elif tag == _DC_PUBLISHER:
            record.publisher = record.publisher or _text(child)
        elif tag == _DCTERMS_ISSUED:
            record.date_issued = record.date_issued or _text(child)
        elif tag in (_DC_EXTENT, _DCTERMS_EXTENT):
            record.extent = record.extent or _text(child)
        elif tag in (_DC_LANGUAGE, _DCTERMS_LANGUAGE):
            record.language_code = record.language_code or _text(child)
        elif tag == "category":
            record.type_words.append(_text(child))
        elif tag == _DCNDL_MATERIALTYPE:
            record.type_words.append(child.get(_RESOURCE) or _text(child))
        elif tag == _DC_IDENTIFIER:
            _identifier(record, _local(child.get(_XSI_TYPE, "")), _text(child))
        elif tag == _DCNDL_PUBLICATIONPERIODICITY:
            record.periodicity = record.periodicity or _text(child)
        elif tag in ("link", "guid"):
            link = link or _text(child)
        elif tag == _RDFS_SEEALSO:
            uri = child.get(_RESOURCE, "")
            if is_digital_collections_link(uri) and not record.digitized_url:
                record.digitized_url = uri
    if not record.ndl_id:
        record.ndl_id = ndl_id_of_uri(link)
    if not record.ndl_id:
        raise ValueError("no NDL bibliographic ID (not a record of the NDL's own holdings)")
    return record
