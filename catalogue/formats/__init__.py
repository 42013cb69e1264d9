"""Readers of the catalogue's file formats.

Each reader yields ``Entry`` items in file order: a record read (a
``BibRecord``) or the reason one could not be read, with its position (the
record's number in the file and, for XML, its line). ``detect`` names the
format of a file from its first bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..records import BibRecord


class FormatError(ValueError):
    """The file as a whole cannot be read (not the format, hostile XML …)."""


@dataclass
class Entry:
    number: int  # 1-based position of the record in the file
    line: int | None = None  # the line where the record starts, when known
    record: BibRecord | None = None
    error: str = ""
    # The record already mapped to Material field values (by a reader that
    # runs in a process of its own), with its review reasons.
    values: dict[str, Any] | None = None
    reasons: list[str] | None = None

    @property
    def position(self) -> str:
        if self.line is not None:
            return f"record {self.number} (line {self.line})"
        return f"record {self.number}"


FORMATS = ("csv", "dcndl", "marc", "marcxml")


def detect(head: bytes) -> str:
    """The format of a file from its first bytes: csv, dcndl, marc or marcxml.

    ISO 2709 starts with a five-digit record length and a leader; XML is
    MARCXML when its first element is in the MARC 21 slim namespace (or is
    a ``collection``/``record`` of it), DC-NDL otherwise (RDF, SRU, OAI-PMH,
    OpenSearch RSS); anything else is read as CSV.
    """
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if len(text) >= 24 and text[:5].isdigit() and text[20:24] == b"4500":
        return "marc"
    if text.startswith(b"<"):
        sample = text[:4096]
        if b"http://www.loc.gov/MARC21/slim" in sample:
            return "marcxml"
        return "dcndl"
    return "csv"
