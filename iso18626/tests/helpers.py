"""Building ISO 18626 messages as a peer would, and checking ours against the XSDs."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.conf import settings
from lxml import etree

from iso18626.xml import NS, VERSION_ATTR, VERSIONS, XSD_FILES

SHARED = Path(settings.BASE_DIR).parent / "shared" / "iso18626"
SAMPLES = SHARED / "samples"


def require_shared() -> None:
    if (SHARED / "xsd").is_dir():
        return
    if os.environ.get("NDL_SHARED_REQUIRED") == "1":
        pytest.fail(f"{SHARED} is missing and NDL_SHARED_REQUIRED=1")
    pytest.skip("../shared/iso18626 is not present")


@cache
def _schema(family: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(SHARED / "xsd" / XSD_FILES[family]), parser))


def root_of(body: bytes | str) -> etree._Element:
    data = body.encode() if isinstance(body, str) else body
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def assert_valid(body: bytes | str) -> etree._Element:
    """``body`` validates against the XSD of the version it declares; its root."""
    require_shared()
    root = root_of(body)
    family = VERSIONS[root.get(VERSION_ATTR)]
    schema = _schema(family)
    assert schema.validate(root), [str(e) for e in schema.error_log]
    return root


def text(root: etree._Element, path: str) -> str:
    node = root.find(".//" + "/".join(f"{{{NS}}}{p}" for p in path.split("/")))
    return (node.text or "") if node is not None else ""


def status_of(body: bytes | str) -> tuple[str, str]:
    """(messageStatus, errorType) of a confirmation."""
    root = root_of(body)
    return text(root, "messageStatus"), text(root, "errorType")


def _auth(user_id: str, code: str) -> str:
    if not user_id and not code:
        return ""
    return (
        f"<requestingAgencyAuthentication><accountId>{escape(user_id)}</accountId>"
        f"<securityCode>{escape(code)}</securityCode></requestingAgencyAuthentication>"
    )


def request_xml(
    *,
    isil: str,
    user_id: str = "",
    code: str = "",
    request_id: str = "req-1",
    ndl_id: str = "",
    isbn: str = "",
    title: str = "Nihon no toshokan",
    service_type: str = "Loan",
    version: str = "1.2",
    component: str = "",
    component_author: str = "",
    volume: str = "",
    issue: str = "",
    pages: str = "",
    note: str = "",
) -> bytes:
    """A ``request`` as a 2017 or 2021 peer sends it (the part of a Copy request
    in ``titleOfComponent``, ``authorOfComponent``, ``volume``, ``issue``,
    ``pagesRequested``; ``note`` in ``serviceInfo``)."""
    supplier = "<supplyingAgencyId><agencyIdType>ISIL</agencyIdType>"
    supplier += "<agencyIdValue>JP-1000001</agencyIdValue></supplyingAgencyId>"
    requester = f"<requestingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>{isil}"
    requester += "</agencyIdValue></requestingAgencyId>"
    if VERSIONS[version] == "2017":
        header = (
            f"{supplier}{requester}<multipleItemRequestId></multipleItemRequestId>"
            f"<timestamp>2026-11-20T10:00:00Z</timestamp>"
            f"<requestingAgencyRequestId>{escape(request_id)}</requestingAgencyRequestId>"
            f"{_auth(user_id, code)}"
        )
    else:
        header = (
            f"{supplier}{requester}<timestamp>2026-11-20T10:00:00Z</timestamp>"
            f"<requestingAgencyRequestId>{escape(request_id)}</requestingAgencyRequestId>"
            f"{_auth(user_id, code)}"
        )
    biblio = f"<supplierUniqueRecordId>{ndl_id}</supplierUniqueRecordId>" if ndl_id else ""
    biblio += f"<title>{escape(title)}</title>"
    for name, value in (
        ("titleOfComponent", component),
        ("authorOfComponent", component_author),
        ("volume", volume),
        ("issue", issue),
        ("pagesRequested", pages),
    ):
        biblio += f"<{name}>{escape(value)}</{name}>" if value else ""
    if isbn:
        if VERSIONS[version] == "2017":
            biblio += (
                f"<bibliographicItemId><bibliographicItemIdentifier>{isbn}"
                "</bibliographicItemIdentifier><bibliographicItemIdentifierCode>ISBN"
                "</bibliographicItemIdentifierCode></bibliographicItemId>"
            )
        else:
            biblio += (
                "<bibliographicItemId><bibliographicItemIdentifierCode>ISBN"
                f"</bibliographicItemIdentifierCode><bibliographicItemIdentifier>{isbn}"
                "</bibliographicItemIdentifier></bibliographicItemId>"
            )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ISO18626Message xmlns="{NS}" '
        f'xmlns:ill="{NS}" ill:version="{version}"><request><header>{header}</header>'
        f"<bibliographicInfo>{biblio}</bibliographicInfo>"
        f"<serviceInfo><serviceType>{service_type}</serviceType>"
        + (f"<note>{escape(note)}</note>" if note else "")
        + "</serviceInfo>"
        "</request></ISO18626Message>"
    ).encode()


def reqmsg_xml(
    *,
    isil: str,
    action: str,
    user_id: str = "",
    code: str = "",
    request_id: str = "req-1",
    note: str = "",
    version: str = "1.2",
) -> bytes:
    """A ``requestingAgencyMessage`` (Received, ShippedReturn, Cancel, Renew, …)."""
    supplier = "<supplyingAgencyId><agencyIdType>ISIL</agencyIdType>"
    supplier += "<agencyIdValue>JP-1000001</agencyIdValue></supplyingAgencyId>"
    requester = f"<requestingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>{isil}"
    requester += "</agencyIdValue></requestingAgencyId>"
    multiple = "<multipleItemRequestId></multipleItemRequestId>"
    if VERSIONS[version] != "2017":
        multiple = ""
    note_xml = f"<note>{escape(note)}</note>" if note else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ISO18626Message xmlns="{NS}" '
        f'xmlns:ill="{NS}" ill:version="{version}"><requestingAgencyMessage><header>'
        f"{supplier}{requester}{multiple}<timestamp>2026-11-20T10:00:00Z</timestamp>"
        f"<requestingAgencyRequestId>{escape(request_id)}</requestingAgencyRequestId>"
        f"{_auth(user_id, code)}</header><action>{action}</action>{note_xml}"
        "</requestingAgencyMessage></ISO18626Message>"
    ).encode()
