"""XML from outside, read safely: no DTD, no entities, no network.

A document that declares a DOCTYPE (where external entities and the
"billion laughs" expansion live) is refused before parsing; the parser
itself resolves no entities, loads no DTD and fetches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from lxml import etree

from . import FormatError

HOSTILE = (
    "XML with a DOCTYPE or entity declarations is refused "
    "(external entities and entity expansion are not read)."
)
_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def parser_options() -> dict[str, Any]:
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "dtd_validation": False,
        "huge_tree": False,
        "remove_comments": True,
        "remove_pis": True,
    }


def check_prolog(head: bytes) -> None:
    """Raise ``FormatError`` if the document's prolog declares a DOCTYPE.

    A DOCTYPE can only come before the root element, so the bytes up to the
    first element are enough to look at.
    """
    if _DECLARATION.search(head):
        raise FormatError(HOSTILE)


def fromstring(data: bytes | str) -> Any:
    """The root element of a (small) document; ``FormatError`` if hostile or broken."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if _DECLARATION.search(raw):
        raise FormatError(HOSTILE)
    try:
        root = etree.fromstring(raw, etree.XMLParser(**parser_options()))  # nosec B320 - DTDs refused above
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise FormatError(HOSTILE)
    return root


def iterparse(source: IO[bytes], tags: list[str]) -> Iterator[Any]:
    """The ``end`` events of ``tags`` in a document read as a stream.

    The caller clears each element when done with it. Raises ``FormatError``
    for hostile or ill-formed XML (with the parser's line).
    """
    head = source.read(65536)
    check_prolog(head[: _root_start(head)])
    source.seek(0)
    context = etree.iterparse(  # nosec B320 - hardened options, DOCTYPE refused above
        source, events=("end",), tag=tags, **parser_options()
    )
    try:
        for _event, element in context:
            yield element
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"not well-formed XML: {exc}") from None


def _root_start(head: bytes) -> int:
    """Where the root element starts in ``head`` (or its end)."""
    for match in re.finditer(rb"<([^?!])", head):
        return match.start()
    return len(head)
