"""ISO 18626 on the wire: read one message safely, write the messages we send.

The only module that touches ISO 18626 XML. Reading uses lxml with every
dangerous feature off (no DTD, no entity expansion, no network, no huge
trees) and refuses any document that declares a DOCTYPE, so XXE and
"billion laughs" payloads never expand. Both schemas share one namespace;
``ill:version`` tells them apart: "1.0"/"1.2" are the 2017 schema,
"2021-2"/"2021-3" the 2021 one (element order, headers and delivery
fields differ, so the writers below follow each schema's sequence).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from lxml import etree

logger = logging.getLogger(__name__)

NS = "http://illtransactions.org/2013/iso18626"
VERSION_ATTR = f"{{{NS}}}version"
MAX_BYTES = 100 * 1024

S2017 = "2017"
S2021 = "2021"
# ill:version -> schema family.
VERSIONS = {"1.0": S2017, "1.1": S2017, "1.2": S2017, "2021-2": S2021, "2021-3": S2021}
# The version we write for each family.
WRITE_VERSION = {S2017: "1.2", S2021: "2021-2"}
XSD_FILES = {S2017: "ISO-18626-v1_2.xsd", S2021: "ISO-18626-2021-2.xsd"}

REQUEST = "request"
REQUESTING_MESSAGE = "requestingAgencyMessage"
SUPPLYING_MESSAGE = "supplyingAgencyMessage"
CONFIRMATION_OF = {
    REQUEST: "requestConfirmation",
    REQUESTING_MESSAGE: "requestingAgencyMessageConfirmation",
    SUPPLYING_MESSAGE: "supplyingAgencyMessageConfirmation",
    "requestConfirmation": "requestConfirmation",
    "requestingAgencyMessageConfirmation": "requestingAgencyMessageConfirmation",
    "supplyingAgencyMessageConfirmation": "supplyingAgencyMessageConfirmation",
}
ACTIONS = {
    S2017: ("StatusRequest", "Received", "Cancel", "Renew", "ShippedReturn", "ShippedForward",
            "Notification"),
    S2021: ("StatusRequest", "Received", "Cancel", "Renew", "HoldReturn", "ShippedReturn",
            "ShippedForward", "Notification", "Lost"),
}  # fmt: skip
SERVICE_TYPES = ("Copy", "Loan", "CopyOrLoan")


class ErrorType:
    """``type_errorType`` exactly as both schemas spell it (British spelling)."""

    UNSUPPORTED_ACTION = "UnsupportedActionType"
    UNSUPPORTED_REASON = "UnsupportedReasonForMessageType"
    UNRECOGNISED_ELEMENT = "UnrecognisedDataElement"
    UNRECOGNISED_VALUE = "UnrecognisedDataValue"
    BADLY_FORMED = "BadlyFormedMessage"


@dataclass
class Incoming:
    """What we could read of one message; enough to answer it even when bad."""

    kind: str = REQUEST
    version: str = "1.2"
    schema: str = S2017
    element: Any = None
    header: dict[str, str] = field(default_factory=dict)
    schema_errors: list[str] = field(default_factory=list)

    def text(self, path: str) -> str:
        """The stripped text at ``path`` (slash-separated local names) under the message."""
        node = self.find(path)
        return (node.text or "").strip() if node is not None else ""

    def find(self, path: str) -> Any:
        if self.element is None:
            return None
        return self.element.find("/".join(f"{{{NS}}}{p}" for p in path.split("/")))

    def findall(self, path: str) -> list[Any]:
        if self.element is None:
            return []
        return list(self.element.findall("/".join(f"{{{NS}}}{p}" for p in path.split("/"))))


class ProtocolError(Exception):
    """A message we answer with ERROR: ``error_type`` is the schema's code."""

    def __init__(self, error_type: str, value: str, incoming: Incoming | None = None) -> None:
        super().__init__(f"{error_type}: {value}")
        self.error_type = error_type
        self.value = value
        self.incoming = incoming or Incoming()


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


@cache
def _schema(family: str) -> etree.XMLSchema | None:
    """The XSD of ``family`` from ``NDL_ISO18626_XSD_DIR``; None where absent
    (then incoming messages are checked by the handlers' own rules only)."""
    directory = Path(settings.NDL_ISO18626_XSD_DIR) if settings.NDL_ISO18626_XSD_DIR else None
    if directory is None or not (directory / XSD_FILES[family]).is_file():
        return None
    doc = etree.parse(str(directory / XSD_FILES[family]), _parser())  # nosec B320 - hardened parser
    return etree.XMLSchema(doc)


def schema_errors(root: Any, family: str) -> list[str]:
    """What the XSD of ``family`` says about ``root`` ([] if valid or no XSD)."""
    schema = _schema(family)
    if schema is None:
        return []
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log][:20]


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def parse(body: bytes) -> Incoming:
    """Read one ISO18626Message; raise ProtocolError with what to answer.

    Lenient where the header is usable: a message element sent without the
    ``ISO18626Message`` wrapper, a missing ``ill:version`` (read as 1.2) and
    schema errors are logged and accepted. Strict where we would have to
    guess: not XML, a DOCTYPE, a foreign namespace, an unknown version, no
    message element, or a header without the requesting agency or request id.
    """
    incoming = Incoming()
    if len(body) > MAX_BYTES:
        raise ProtocolError(
            ErrorType.BADLY_FORMED, f"message larger than {MAX_BYTES} bytes", incoming
        )
    head = body[:2048].lower()
    if b"<!doctype" in head or b"<!entity" in body.lower():
        raise ProtocolError(
            ErrorType.BADLY_FORMED, "DOCTYPE and entities are not accepted", incoming
        )
    try:
        root = etree.fromstring(body, _parser())  # nosec B320 - hardened parser, DTDs refused
    except etree.XMLSyntaxError as exc:
        raise ProtocolError(
            ErrorType.BADLY_FORMED, f"not well-formed XML: {exc}", incoming
        ) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise ProtocolError(ErrorType.BADLY_FORMED, "DOCTYPE is not accepted", incoming)
    if etree.QName(root).namespace != NS:
        raise ProtocolError(
            ErrorType.BADLY_FORMED, f"root element is not in the namespace {NS}", incoming
        )
    wrapper = root
    if _local(root.tag) in CONFIRMATION_OF:
        # Lenient: a bare message element; its version is the attribute if any.
        message = root
        logger.info("iso18626: message without the ISO18626Message wrapper")
    elif _local(root.tag) == "ISO18626Message":
        children = [c for c in root if isinstance(c.tag, str)]
        if len(children) != 1 or _local(children[0].tag) not in CONFIRMATION_OF:
            raise ProtocolError(
                ErrorType.BADLY_FORMED, "ISO18626Message must hold exactly one message", incoming
            )
        message = children[0]
    else:
        raise ProtocolError(
            ErrorType.BADLY_FORMED, f"unknown root element {_local(root.tag)}", incoming
        )
    incoming.kind = _local(message.tag)
    incoming.element = message
    version = (wrapper.get(VERSION_ATTR) or wrapper.get("version") or "").strip()
    if not version:
        logger.info("iso18626: no ill:version, read as 1.2")
        version = "1.2"
    if version not in VERSIONS:
        raise ProtocolError(
            ErrorType.UNRECOGNISED_VALUE, f"version: {version} is not supported", incoming
        )
    incoming.version = version
    incoming.schema = VERSIONS[version]
    incoming.header = _header(incoming)
    if wrapper is root and _local(root.tag) == "ISO18626Message":
        incoming.schema_errors = schema_errors(root, incoming.schema)
    if incoming.schema_errors:
        logger.info("iso18626: schema %s errors: %s", incoming.schema, incoming.schema_errors[:3])
    return incoming


def _header(incoming: Incoming) -> dict[str, str]:
    h = (
        "header"
        if incoming.kind in (REQUEST, REQUESTING_MESSAGE, SUPPLYING_MESSAGE)
        else ("confirmationHeader")
    )
    return {
        "supplying_type": incoming.text(f"{h}/supplyingAgencyId/agencyIdType"),
        "supplying_value": incoming.text(f"{h}/supplyingAgencyId/agencyIdValue"),
        "requesting_type": incoming.text(f"{h}/requestingAgencyId/agencyIdType"),
        "requesting_value": incoming.text(f"{h}/requestingAgencyId/agencyIdValue"),
        "request_id": incoming.text(f"{h}/requestingAgencyRequestId"),
        "supplying_request_id": incoming.text(f"{h}/supplyingAgencyRequestId"),
        "multiple_item_request_id": incoming.text(f"{h}/multipleItemRequestId"),
        "account_id": incoming.text(f"{h}/requestingAgencyAuthentication/accountId"),
        "security_code": incoming.text(f"{h}/requestingAgencyAuthentication/securityCode"),
        "has_supplying": "1" if incoming.find(f"{h}/supplyingAgencyId") is not None else "",
        "has_requesting": "1" if incoming.find(f"{h}/requestingAgencyId") is not None else "",
    }


def mask_secrets(body: bytes) -> str:
    """``body`` as text for the protocol log, with every securityCode masked."""
    text = body.decode("utf-8", errors="replace")
    try:
        root = etree.fromstring(body, _parser())  # nosec B320 - hardened parser
    except etree.XMLSyntaxError:
        import re

        return re.sub(r"(securityCode[^>]*>)[^<]*(<)", r"\1***\2", text)
    for node in root.iter(f"{{{NS}}}securityCode"):
        node.text = "***"
    return etree.tostring(root, encoding="unicode")


# --- writing -------------------------------------------------------------------------------


def _el(parent: Any, name: str, text: str | None = None) -> Any:
    node = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        node.text = text
    return node


def _agency(parent: Any, name: str, id_type: str, value: str) -> None:
    node = _el(parent, name)
    _el(node, "agencyIdType", id_type)
    _el(node, "agencyIdValue", value)


def xml_datetime(value: dt.datetime | dt.date) -> str:
    """An ``xs:dateTime``: a date is its midnight in Japan (the NDL's day)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(0, 0), tzinfo=timezone.get_default_timezone())
    return value.isoformat(timespec="seconds")


def _document(family: str) -> Any:
    root = etree.Element(f"{{{NS}}}ISO18626Message", nsmap={None: NS, "ill": NS})
    root.set(VERSION_ATTR, WRITE_VERSION[family])
    return root


def _serialise(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def confirmation(
    *,
    incoming: Incoming,
    ok: bool,
    received_at: dt.datetime,
    error_type: str = "",
    error_value: str = "",
) -> bytes:
    """The confirmation of ``incoming`` in its schema: OK, or ERROR with ``errorData``."""
    family = incoming.schema
    root = _document(family)
    kind = CONFIRMATION_OF.get(incoming.kind, "requestConfirmation")
    message = _el(root, kind)
    header = _el(message, "confirmationHeader")
    h = incoming.header
    if h.get("has_supplying"):
        _agency(header, "supplyingAgencyId", h["supplying_type"], h["supplying_value"])
    if h.get("has_requesting"):
        _agency(header, "requestingAgencyId", h["requesting_type"], h["requesting_value"])
    _el(header, "timestamp", xml_datetime(timezone.now()))
    if h.get("request_id"):
        _el(header, "requestingAgencyRequestId", h["request_id"])
    if family == S2017 and h.get("multiple_item_request_id"):
        _el(header, "multipleItemRequestId", h["multiple_item_request_id"])
    _el(header, "timestampReceived", xml_datetime(received_at))
    _el(header, "messageStatus", "OK" if ok else "ERROR")
    if kind == "supplyingAgencyMessageConfirmation":
        reason = incoming.text("messageInfo/reasonForMessage")
        if reason in REASONS_FOR_MESSAGE:
            _el(message, "reasonForMessage", reason)
    if kind == "requestingAgencyMessageConfirmation":
        action = incoming.text("action")
        if action in ACTIONS[family]:
            _el(message, "action", action)
    if not ok:
        data = _el(message, "errorData")
        _el(data, "errorType", error_type or ErrorType.BADLY_FORMED)
        if error_value:
            _el(data, "errorValue", error_value[:500])
    return _serialise(root)


REASONS_FOR_MESSAGE = (
    "RequestResponse",
    "StatusRequestResponse",
    "RenewResponse",
    "CancelResponse",
    "StatusChange",
    "Notification",
)


@dataclass(frozen=True)
class Delivery:
    """What the ``Loaned`` message says about the parcel."""

    date_sent: dt.date
    item_id: str
    tracking_number: str
    conditions: tuple[str, ...]


@dataclass(frozen=True)
class ReturnTo:
    """The NDL site the item goes back to."""

    agency_type: str
    agency_value: str
    name: str
    line1: str
    line2: str
    country: str = "JP"


@dataclass(frozen=True)
class SupplyingMessage:
    """Everything one ``supplyingAgencyMessage`` says, in either schema."""

    supplying_agency: tuple[str, str]
    requesting_agency: tuple[str, str]
    request_id: str
    supplying_request_id: str
    reason: str
    status: str
    answer: str = ""
    note: str = ""
    reason_unfilled: str = ""
    reason_retry: str = ""
    retry_after: dt.datetime | None = None
    due_date: dt.date | None = None
    delivery: Delivery | None = None
    return_to: ReturnTo | None = None
    last_change: dt.datetime | None = None
    # What the NDL charges for a copy, in yen (``offeredCosts``, currency JPY).
    offered_cost: Decimal | None = None


def supplying_message(message: SupplyingMessage, *, family: str) -> bytes:
    """``message`` as an ISO18626Message of ``family`` (``S2017`` or ``S2021``).

    The 2017 schema has one ``loanCondition`` and no tracking element, so
    the further conditions and the tracking number travel in ``note``; the
    2021 schema carries both as elements (``loanCondition``*, ``shippingInfo``).
    ``offered_cost`` goes in ``messageInfo/offeredCosts`` (2017) or, the only
    place the 2021 schema has for it, ``retryInfo/offeredCosts``.
    """
    root = _document(family)
    sam = _el(root, SUPPLYING_MESSAGE)
    header = _el(sam, "header")
    _agency(header, "supplyingAgencyId", *message.supplying_agency)
    _agency(header, "requestingAgencyId", *message.requesting_agency)
    if family == S2017:
        _el(header, "multipleItemRequestId", "")
    _el(header, "timestamp", xml_datetime(timezone.now()))
    _el(header, "requestingAgencyRequestId", message.request_id)
    _el(header, "supplyingAgencyRequestId", message.supplying_request_id)

    notes = [message.note] if message.note else []
    delivery = message.delivery
    if delivery is not None and family == S2017:
        notes.append(f"Loan conditions: {', '.join(delivery.conditions)}.")
        notes.append(f"Registered air mail, tracking number {delivery.tracking_number}.")
    info = _el(sam, "messageInfo")
    _el(info, "reasonForMessage", message.reason)
    if message.answer:
        _el(info, "answerYesNo", message.answer)
    if notes:
        _el(info, "note", "\n".join(notes))
    if message.reason_unfilled:
        _el(info, "reasonUnfilled", message.reason_unfilled)
    if message.reason_retry:
        _el(info, "reasonRetry", message.reason_retry)
    if family == S2017 and message.offered_cost is not None:
        _costs(info, "offeredCosts", message.offered_cost)
    if family == S2017 and message.retry_after is not None:
        _el(info, "retryAfter", xml_datetime(message.retry_after))

    status = _el(sam, "statusInfo")
    _el(status, "status", message.status)
    if message.due_date is not None:
        _el(status, "dueDate", xml_datetime(message.due_date))
    _el(status, "lastChange", xml_datetime(message.last_change or timezone.now()))

    if family == S2021 and (message.retry_after is not None or message.offered_cost is not None):
        retry = _el(sam, "retryInfo")
        if message.offered_cost is not None:
            _costs(retry, "offeredCosts", message.offered_cost)
        if message.retry_after is not None:
            _el(retry, "retryAfter", xml_datetime(message.retry_after))
    if delivery is not None:
        node = _el(sam, "deliveryInfo")
        _el(node, "dateSent", xml_datetime(delivery.date_sent))
        _el(node, "itemId", delivery.item_id)
        if family == S2017:
            _el(node, "sentVia", "Mail")
            _el(node, "loanCondition", delivery.conditions[0])
        else:
            _el(node, "deliveryMethod", "Mail")
            for condition in delivery.conditions:
                _el(node, "loanCondition", condition)
            _el(node, "serviceType", "Loan")
            shipping = _el(sam, "shippingInfo")
            _el(shipping, "courierName", "Japan Post registered air mail")
            _el(shipping, "trackingId", delivery.tracking_number)
    if message.return_to is not None:
        to = message.return_to
        node = _el(sam, "returnInfo")
        _agency(node, "returnAgencyId", to.agency_type, to.agency_value)
        _el(node, "name", to.name)
        address = _el(node, "physicalAddress")
        _el(address, "line1", to.line1)
        if to.line2:
            _el(address, "line2", to.line2)
        _el(address, "country", to.country)
    return _serialise(root)


def _costs(parent: Any, name: str, amount: Decimal) -> None:
    """A ``type_costs`` element: ISO 4217 JPY and the amount in yen."""
    node = _el(parent, name)
    _el(node, "currencyCode", "JPY")
    whole = amount == amount.to_integral_value()
    _el(node, "monetaryValue", str(amount.quantize(Decimal(1)) if whole else amount))


def read_confirmation(body: bytes) -> tuple[str, str]:
    """A peer's answer to our message: (messageStatus, error text); ("", why) if unusable."""
    try:
        incoming = parse(body)
    except ProtocolError as exc:
        return "", exc.value
    status = incoming.text("confirmationHeader/messageStatus")
    error = " ".join(
        filter(None, [incoming.text("errorData/errorType"), incoming.text("errorData/errorValue")])
    )
    return status, error
