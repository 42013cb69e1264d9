"""DC-NDL records, as the NDL's interfaces serve them.

One reader for every wrapper: a bare ``rdf:RDF`` record (NDL Search's
``….rdf``), any file holding many of them, SRU ``searchRetrieveResponse``
(the record escaped as text in ``recordData`` with ``recordPacking=string``,
or embedded as XML), OAI-PMH ``ListRecords`` pages (deleted records are
skipped) and OpenSearch RSS (``item`` elements with dc/dcndl children).
The file is read as a stream: memory stays flat on large files.
"""

from __future__ import annotations

from collections.abc import Iterator
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

_RDF_RDF = f"{{{RDF}}}RDF"
_ABOUT = f"{{{RDF}}}about"
_RESOURCE = f"{{{RDF}}}resource"
_DATATYPE = f"{{{RDF}}}datatype"
_XSI_TYPE = f"{{{XSI}}}type"
_VALUE = f"{{{RDF}}}value"
_DESCRIPTION = f"{{{RDF}}}Description"
_TRANSCRIPTION = f"{{{DCNDL}}}transcription"
_AGENT = f"{{{FOAF}}}Agent"
_NAME = f"{{{FOAF}}}name"
_RECORD_DATA = [f"{{{ns}}}recordData" for ns in SRW_NAMESPACES]
_OAI_RECORD = f"{{{OAI}}}record"
TAGS = [_RDF_RDF, "item", *_RECORD_DATA, _OAI_RECORD]


def read(source: IO[bytes]) -> Iterator[Entry]:
    """Every DC-NDL record in ``source``, in order (see the module docstring).

    Raises ``FormatError`` when the file is not XML, declares a DOCTYPE, or
    holds no record of a wrapper this reader knows.
    """
    number = 0
    for element in xmlsafe.iterparse(source, TAGS):
        tag = element.tag
        if tag == _RDF_RDF:
            if _inside_oai_record(element):
                continue  # read with its OAI record, which knows if it is deleted
            number += 1
            yield _entry(number, element.sourceline, lambda el=element: from_rdf(el))
            _release(element)
        elif tag == _OAI_RECORD:
            header = element.find(f"{{{OAI}}}header")
            if header is not None and header.get("status") == "deleted":
                _release(element)
                continue
            rdf = element.find(f".//{_RDF_RDF}")
            number += 1
            if rdf is None:
                yield Entry(number, element.sourceline, error="no DC-NDL record in the OAI record")
            else:
                yield _entry(number, element.sourceline, lambda el=rdf: from_rdf(el))
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


def _inside_oai_record(element: Any) -> bool:
    return any(a.tag == _OAI_RECORD for a in element.iterancestors())


def _is_rss_item(element: Any) -> bool:
    parent = element.getparent()
    return parent is not None and parent.tag == "channel"


def _from_escaped(text: str) -> BibRecord:
    root = xmlsafe.fromstring(text)
    rdf = root if root.tag == _RDF_RDF else root.find(f".//{_RDF_RDF}")
    if rdf is None:
        raise FormatError("recordData holds no rdf:RDF record (was recordSchema=dcndl asked?)")
    return from_rdf(rdf)


def _text(element: Any) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def _local(value: str) -> str:
    return value.rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]


def from_rdf(rdf: Any) -> BibRecord:
    """One ``rdf:RDF`` DC-NDL record as a ``BibRecord``."""
    record = BibRecord(source_format=SourceFormat.DCNDL)
    about = ""
    admin = rdf.find(f"{{{DCNDL}}}BibAdminResource")
    if admin is not None:
        about = admin.get(_ABOUT, "")
    for bib in rdf.iterfind(f"{{{DCNDL}}}BibResource"):
        about = about or bib.get(_ABOUT, "")
        _read_bib(bib, record)
    for item in rdf.iterfind(f"{{{DCNDL}}}Item"):
        _read_item(item, record)
    if not record.ndl_id:
        record.ndl_id = ndl_id_of_uri(about)
    if not record.ndl_id:
        raise ValueError("no NDL bibliographic ID (not a record of the NDL's own holdings)")
    return record


def _read_bib(bib: Any, record: BibRecord) -> None:
    responsibility: list[str] = []
    source_ndl_id = ""
    for child in bib:
        tag = child.tag
        if tag == f"{{{DCTERMS}}}title":
            record.title = record.title or _text(child)
        elif tag == f"{{{DC}}}title":
            description = child.find(_DESCRIPTION)
            if description is not None:
                record.title = record.title or _text(description.find(_VALUE))
                if not record.title_transcription:
                    record.title_transcription = _text(description.find(_TRANSCRIPTION))
            else:
                record.title = record.title or _text(child)
        elif tag == f"{{{DCTERMS}}}creator":
            agent = child.find(_AGENT)
            if agent is not None:
                name = _text(agent.find(_NAME))
                if name:
                    record.author_names.append(name)
                    record.author_transcriptions.append(_text(agent.find(_TRANSCRIPTION)))
        elif tag == f"{{{DC}}}creator":
            text = _text(child)
            if text:
                responsibility.append(text)
        elif tag == f"{{{DCTERMS}}}publisher":
            agent = child.find(_AGENT)
            name = _text(agent.find(_NAME)) if agent is not None else _text(child)
            record.publisher = record.publisher or name
        elif tag == f"{{{DCTERMS}}}issued":
            record.date_issued = record.date_issued or _text(child)
        elif tag == f"{{{DCTERMS}}}extent":
            record.extent = record.extent or _text(child)
        elif tag == f"{{{DCTERMS}}}language":
            code = _text(child)
            if "ISO639-2" in child.get(_DATATYPE, "") or not record.language_code:
                record.language_code = record.language_code or code
        elif (
            tag == f"{{{DCNDL}}}materialType"
            or tag == f"{{{DC}}}type"
            or tag == f"{{{DCTERMS}}}type"
        ):
            record.type_words.append(child.get(_RESOURCE) or _text(child))
        elif tag == f"{{{DCTERMS}}}identifier":
            _identifier(record, _local(child.get(_DATATYPE, "")), _text(child))
        elif tag == f"{{{DCNDL}}}sourceIdentifier":
            # A digitized copy's record names the NDL record of the original.
            kind = _local(child.get(_DATATYPE, "")).upper()
            if kind == "NDLBIBID":
                source_ndl_id = source_ndl_id or _text(child)
            elif kind == "JPNO":
                record.jp_number = record.jp_number or _text(child)
        elif tag == f"{{{DCNDL}}}publicationPeriodicity":
            record.periodicity = record.periodicity or _text(child)
        elif tag == f"{{{RDFS}}}seeAlso":
            uri = child.get(_RESOURCE, "")
            if is_digital_collections_link(uri) and not record.digitized_url:
                record.digitized_url = uri
    if source_ndl_id and not record.ndl_id:
        record.ndl_id = source_ndl_id
    if responsibility and not record.responsibility:
        record.responsibility = " ; ".join(responsibility)


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
    agent = item.find(f"{{{DCNDL}}}holdingAgent/{_AGENT}")
    held_by_ndl = False
    if agent is not None:
        code = ""
        for identifier in agent.iterfind(f"{{{DCTERMS}}}identifier"):
            if _local(identifier.get(_DATATYPE, "")).upper() == "NDLLIBCODE":
                code = _text(identifier)
        held_by_ndl = code == NDL_LIB_CODE or (not code and _text(agent.find(_NAME)) == NDL_NAME)
    if not held_by_ndl:
        return
    for identifier in item.iterfind(f"{{{DCTERMS}}}identifier"):
        if _local(identifier.get(_DATATYPE, "")).upper() == "NDLBIBID":
            record.ndl_id = record.ndl_id or _text(identifier)
    record.call_number = record.call_number or _text(item.find(f"{{{DCNDL}}}callNumber"))
    for see_also in item.iterfind(f"{{{RDFS}}}seeAlso"):
        uri = see_also.get(_RESOURCE, "")
        if is_digital_collections_link(uri) and not record.digitized_url:
            record.digitized_url = uri


def from_opensearch(item: Any) -> BibRecord:
    """One OpenSearch RSS ``item`` (dc/dcndl children) as a ``BibRecord``."""
    record = BibRecord(source_format=SourceFormat.DCNDL)
    link = ""
    for child in item:
        tag = child.tag
        if tag == f"{{{DC}}}title" or tag == "title":
            record.title = record.title or _text(child)
        elif tag == f"{{{DCNDL}}}titleTranscription":
            record.title_transcription = record.title_transcription or _text(child)
        elif tag == f"{{{DC}}}creator":
            name = _text(child)
            if name:
                record.author_names.append(name)
        elif tag == f"{{{DCNDL}}}creatorTranscription":
            record.author_transcriptions.append(_text(child))
        elif tag == "author":
            record.responsibility = _text(child).rstrip(",")
        elif tag == f"{{{DC}}}publisher":
            record.publisher = record.publisher or _text(child)
        elif tag == f"{{{DCTERMS}}}issued":
            record.date_issued = record.date_issued or _text(child)
        elif tag in (f"{{{DC}}}extent", f"{{{DCTERMS}}}extent"):
            record.extent = record.extent or _text(child)
        elif tag in (f"{{{DC}}}language", f"{{{DCTERMS}}}language"):
            record.language_code = record.language_code or _text(child)
        elif tag == "category":
            record.type_words.append(_text(child))
        elif tag == f"{{{DCNDL}}}materialType":
            record.type_words.append(child.get(_RESOURCE) or _text(child))
        elif tag == f"{{{DC}}}identifier":
            _identifier(record, _local(child.get(_XSI_TYPE, "")), _text(child))
        elif tag == f"{{{DCNDL}}}publicationPeriodicity":
            record.periodicity = record.periodicity or _text(child)
        elif tag in ("link", "guid"):
            link = link or _text(child)
        elif tag == f"{{{RDFS}}}seeAlso":
            uri = child.get(_RESOURCE, "")
            if is_digital_collections_link(uri) and not record.digitized_url:
                record.digitized_url = uri
    if not record.ndl_id:
        record.ndl_id = ndl_id_of_uri(link)
    if not record.ndl_id:
        raise ValueError("no NDL bibliographic ID (not a record of the NDL's own holdings)")
    return record
