"""The NDL as an ISO 18626 supplying agency: peers, incoming messages, the outbox.

This module only translates: every change to a loan goes through the same
services as the portal and the admin (``loans.services.requests``,
``loans.services.shipping``, ``returns.services``), so a request that
arrives by ISO 18626 obeys every rule of one typed in the portal (loan
rules, the ten-item cap, no extensions). A ``Copy`` request (and a
``CopyOrLoan`` request for an item the loan rules do not let out) becomes a
photocopy request through ``copies.services.requests`` in the same way. What we say back is a
``supplyingAgencyMessage`` row in the outbox (``IsoMessage``), written in the
same transaction as the change and POSTed to the peer after commit, in
order per request.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import http.client
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Min, Q
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from catalogue.models import Material
from catalogue.rules import Refusal, loanability, rejection_messages
from copies.models import CANCELLABLE_STATUSES as COPY_CANCELLABLE_STATUSES
from copies.models import ColourMode, CopyChannel, CopyRequest, CopyStatus, PaperSize
from copies.rules import Part, is_periodical
from copies.rules import Refusal as CopyRefusal
from copies.services.requests import (
    copy_refusal_messages,
    copy_request_cancel,
    copy_request_create,
    copy_request_preview,
)
from core.audit import audit_log
from core.errors import DomainError
from core.identifiers import (
    IdentifierError,
    isbn_normalize,
    isil_normalize,
    ndl_id_normalize,
    s10_is_valid,
    user_id_normalize,
)
from core.models import Site, User
from loans.models import (
    CANCELLABLE_STATUSES,
    CAP_COUNTING_STATUSES,
    ISO18626_STATUS,
    LoanRequest,
    LoanStatus,
    RequestChannel,
)
from loans.services.requests import cap_message, loan_request_cancel, loan_request_create
from loans.services.shipping import shipment_confirm_receipt
from loans.services.transitions import WHERE
from registration.models import Library, LibraryStatus
from returns.models import CaseKind, DamageCase, ReturnMethod
from returns.services import damage_case_report, return_parcel_record

from . import codes
from .models import (
    LOCKOUT_FAILURES,
    LOCKOUT_MINUTES,
    UNDELIVERED,
    DeliveryStatus,
    Direction,
    IsoMessage,
    IsoTransaction,
    PeerAgency,
    SchemaVersion,
    TransactionState,
    security_code_digest,
)
from .xml import (
    ACTIONS,
    NS,
    REQUEST,
    REQUESTING_MESSAGE,
    S2017,
    SERVICE_TYPES,
    SUPPLYING_MESSAGE,
    VERSIONS,
    Delivery,
    ErrorType,
    Incoming,
    ProtocolError,
    ReturnTo,
    SupplyingMessage,
    confirmation,
    mask_secrets,
    parse,
    read_confirmation,
    supplying_message,
)

logger = logging.getLogger(__name__)

# Inbound actions whose answer is the message itself: the loan's move they
# cause must not send a second message (Cancel -> CancelResponse, Lost).
_answering: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "iso18626_answering", default=frozenset()
)


_answering_copies: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "iso18626_answering_copies", default=frozenset()
)


@contextmanager
def _answering_for(loan_id: int) -> Iterator[None]:
    token = _answering.set(_answering.get() | {loan_id})
    try:
        yield
    finally:
        _answering.reset(token)


@contextmanager
def _answering_for_copy(copy_id: int) -> Iterator[None]:
    token = _answering_copies.set(_answering_copies.get() | {copy_id})
    try:
        yield
    finally:
        _answering_copies.reset(token)


# --- the NDL's own identity ---------------------------------------------------------------


def ndl_agency_id() -> tuple[str, str]:
    """The NDL's agency id (type, value) from ``NDL_ISO18626_AGENCY_ID`` ("ISIL:JP-1000001")."""
    id_type, _sep, value = settings.NDL_ISO18626_AGENCY_ID.partition(":")
    return id_type.strip(), value.strip()


def _library_user(library: Library) -> User | None:
    """The library's portal login: the actor of what its ILL system does."""
    return User.objects.filter(library=library).first()


# --- peers --------------------------------------------------------------------------------


def endpoint_url_clean(value: str) -> str:
    """A peer endpoint: ``https://`` with a host; in local and test settings
    (``NDL_ISO18626_ALLOW_LOOPBACK_HTTP``) also ``http://127.0.0.1``.

    Raises DomainError (code ``endpoint``) otherwise.
    """
    url = value.strip()
    parts = urlsplit(url)
    loopback = parts.scheme == "http" and parts.hostname == "127.0.0.1"
    if parts.scheme == "https" and parts.hostname:
        return url
    if loopback and settings.NDL_ISO18626_ALLOW_LOOPBACK_HTTP:
        return url
    raise DomainError(
        _("The peer's endpoint must be an https:// address: %(url)s") % {"url": url},
        code="endpoint",
    )


def peer_setup(
    *,
    library: Library,
    isil: str,
    endpoint_url: str,
    schema_version: str = SchemaVersion.V1_2,
    actor: User | None,
) -> tuple[PeerAgency, str]:
    """Let ``library``'s ILL system talk ISO 18626 to the NDL; return the peer
    and a new security code, to show once (only its keyed hash is kept).

    Run again for the same library, it updates the ISIL, endpoint and version
    and issues a new code (the old one stops working). Raises DomainError for
    an unregistered library, an invalid ISIL (ISO 15511) or one another peer
    holds, a non-https endpoint or an unknown schema version.
    """
    if library.user_id is None or library.status != LibraryStatus.ACTIVE:
        raise DomainError(
            _("Only a registered, active library can be an ISO 18626 peer."), code="library"
        )
    try:
        isil = isil_normalize(isil)
    except IdentifierError as exc:
        raise DomainError(str(exc.messages[0]), code="isil") from exc
    if not isil:
        raise DomainError(_("Enter the library's ISIL."), code="isil")
    url = endpoint_url_clean(endpoint_url)
    if schema_version not in SchemaVersion.values:
        raise DomainError(
            _("Unknown schema version %(version)s.") % {"version": schema_version},
            code="schema_version",
        )
    code = PeerAgency.new_code()
    with transaction.atomic():
        Library.objects.select_for_update().get(pk=library.pk)
        if PeerAgency.objects.filter(isil__iexact=isil).exclude(library=library).exists():
            raise DomainError(
                _("Another library already has the ISIL %(isil)s.") % {"isil": isil}, code="isil"
            )
        peer = PeerAgency.objects.filter(library=library).first() or PeerAgency(library=library)
        peer.isil = isil
        peer.endpoint_url = url
        peer.schema_version = schema_version
        peer.code_set(code)
        peer.code_set_at = timezone.now()
        peer.failed_attempts = 0
        peer.locked_until = None
        peer.save()
        audit_log(
            actor=actor,
            action="iso18626.peer.setup",
            obj=peer,
            data={"isil": isil, "endpoint": url, "schema_version": schema_version},
        )
    return peer, code


def peer_code_rotate(*, peer: PeerAgency, actor: User | None) -> str:
    """Issue ``peer`` a new security code (the old one stops working); return it once."""
    code = PeerAgency.new_code()
    with transaction.atomic():
        locked = PeerAgency.objects.select_for_update().get(pk=peer.pk)
        locked.code_set(code)
        locked.code_set_at = timezone.now()
        locked.failed_attempts = 0
        locked.locked_until = None
        locked.save(
            update_fields=[
                "code_salt",
                "code_digest",
                "code_set_at",
                "failed_attempts",
                "locked_until",
            ]
        )
        audit_log(actor=actor, action="iso18626.peer.code_rotate", obj=locked)
    return code


def _auth_error(value: str, incoming: Incoming) -> ProtocolError:
    return ProtocolError(
        ErrorType.UNRECOGNISED_VALUE, f"requestingAgencyAuthentication: {value}", incoming
    )


def peer_authenticate(*, incoming: Incoming) -> PeerAgency:
    """The peer that sent ``incoming``, or ProtocolError (nothing else written).

    The requesting agency's ISIL names the peer, ``accountId`` must be its
    library's User ID and ``securityCode`` its current code (compared as
    keyed hashes in constant time). After ``LOCKOUT_FAILURES`` wrong codes in
    a row the peer is locked for ``LOCKOUT_MINUTES``, right code or not. A
    suspended or withdrawn library is refused.
    """
    h = incoming.header
    try:
        isil = isil_normalize(h["requesting_value"])
    except IdentifierError:
        isil = ""
    peer = (
        PeerAgency.objects.select_related("library").filter(isil__iexact=isil).first()
        if isil
        else None
    )
    if peer is None:
        # The same answer as a wrong code: no one learns which agencies exist.
        raise _auth_error("unknown agency or wrong account or security code", incoming)
    now = timezone.now()
    if peer.locked_until is not None and peer.locked_until > now:
        raise _auth_error("too many failed attempts; try again later", incoming)
    account_ok = user_id_normalize(h["account_id"]) == peer.library.user_id
    code_ok = bool(peer.code_digest) and constant_time_compare(
        security_code_digest(code=h["security_code"], salt=peer.code_salt), peer.code_digest
    )
    if not (account_ok and code_ok):
        _peer_failure(peer=peer, now=now)
        raise _auth_error("unknown agency or wrong account or security code", incoming)
    if peer.library.status != LibraryStatus.ACTIVE:
        raise _auth_error(
            f"the library's registration is {peer.library.status}; it cannot request", incoming
        )
    if peer.failed_attempts or peer.locked_until:
        PeerAgency.objects.filter(pk=peer.pk).update(failed_attempts=0, locked_until=None)
    return peer


def _peer_failure(*, peer: PeerAgency, now: dt.datetime) -> None:
    with transaction.atomic():
        locked = PeerAgency.objects.select_for_update().get(pk=peer.pk)
        if locked.locked_until is not None and locked.locked_until <= now:
            locked.failed_attempts = 0  # an expired lockout starts a new count
            locked.locked_until = None
        locked.failed_attempts = F("failed_attempts") + 1
        locked.save(update_fields=["failed_attempts", "locked_until"])
        locked.refresh_from_db(fields=["failed_attempts"])
        if locked.failed_attempts >= LOCKOUT_FAILURES:
            locked.locked_until = now + timedelta(minutes=LOCKOUT_MINUTES)
            locked.save(update_fields=["locked_until"])
            audit_log(
                actor=None,
                action="iso18626.peer.locked",
                obj=locked,
                data={"failed_attempts": locked.failed_attempts},
            )


# --- incoming messages --------------------------------------------------------------------


def message_receive(*, body: bytes) -> tuple[bytes, bool]:
    """Handle one POSTed ISO18626Message; return (confirmation XML, OK?).

    Never raises for bad input: a message we cannot act on gets its
    confirmation with ``messageStatus`` ERROR and ``errorData`` (ISO 18626
    ``errorType``), and nothing is written for it but a failed-code count.
    """
    # The protocol's words are English; notes carry both languages.
    with translation.override("en"):
        return _message_receive(body=body)


def _message_receive(*, body: bytes) -> tuple[bytes, bool]:
    received_at = timezone.now()
    incoming: Incoming | None = None
    try:
        incoming = parse(body)
        _header_check(incoming)
        peer = peer_authenticate(incoming=incoming)
        try:
            with transaction.atomic():
                return _dispatch(peer=peer, incoming=incoming, body=body, received_at=received_at)
        except IntegrityError:
            # The same request id at the same moment from two connections: the
            # other one committed it; this one, run again, finds it.
            with transaction.atomic():
                return _dispatch(peer=peer, incoming=incoming, body=body, received_at=received_at)
    except ProtocolError as exc:
        logger.info("iso18626: answered ERROR %s %s", exc.error_type, exc.value)
        answer = confirmation(
            incoming=incoming or exc.incoming,
            ok=False,
            received_at=received_at,
            error_type=exc.error_type,
            error_value=exc.value,
        )
        return answer, False


def _header_check(incoming: Incoming) -> None:
    """What makes a message unusable whoever sent it, checked before anything is looked up."""
    h = incoming.header
    if incoming.kind not in (REQUEST, REQUESTING_MESSAGE):
        if incoming.kind == SUPPLYING_MESSAGE:
            raise ProtocolError(
                ErrorType.UNSUPPORTED_REASON,
                "supplyingAgencyMessage: the NDL is the supplying agency and takes none",
                incoming,
            )
        raise ProtocolError(
            ErrorType.UNRECOGNISED_ELEMENT,
            f"{incoming.kind}: a confirmation answers a message; send it in the HTTP response",
            incoming,
        )
    if not h["has_requesting"] or not h["requesting_value"]:
        raise ProtocolError(
            ErrorType.UNRECOGNISED_VALUE, "requestingAgencyId: cannot be empty", incoming
        )
    if not h["request_id"]:
        raise ProtocolError(
            ErrorType.UNRECOGNISED_VALUE, "requestingAgencyRequestId: cannot be empty", incoming
        )
    longest = IsoTransaction._meta.get_field("requesting_request_id").max_length or 200
    if len(h["request_id"]) > longest:
        raise ProtocolError(
            ErrorType.UNRECOGNISED_VALUE,
            f"requestingAgencyRequestId: longer than {longest} characters",
            incoming,
        )
    if incoming.kind == REQUESTING_MESSAGE:
        action = incoming.text("action")
        if not action:
            raise ProtocolError(ErrorType.UNRECOGNISED_ELEMENT, "action: missing", incoming)
        if action not in ACTIONS[incoming.schema] or action in ("ShippedForward", "HoldReturn"):
            raise ProtocolError(
                ErrorType.UNSUPPORTED_ACTION, f"action: {action} is not supported", incoming
            )
    else:
        service_type = incoming.text("serviceInfo/serviceType")
        if service_type and service_type not in SERVICE_TYPES:
            raise ProtocolError(
                ErrorType.UNRECOGNISED_VALUE, f"serviceType: {service_type}", incoming
            )

    ours = ndl_agency_id()[1]
    if h["supplying_value"] and h["supplying_value"].upper() != ours.upper():
        raise ProtocolError(
            ErrorType.UNRECOGNISED_VALUE,
            f"supplyingAgencyId: {h['supplying_value']} is not the NDL ({ours})",
            incoming,
        )


def _dispatch(
    *, peer: PeerAgency, incoming: Incoming, body: bytes, received_at: dt.datetime
) -> tuple[bytes, bool]:
    if incoming.kind == REQUEST:
        return _on_request(peer=peer, incoming=incoming, body=body, received_at=received_at)
    return _on_requesting_message(peer=peer, incoming=incoming, body=body, received_at=received_at)


def _log_in(
    *, tx: IsoTransaction, incoming: Incoming, body: bytes, answer: bytes, ok: bool, summary: str
) -> IsoMessage:
    return IsoMessage.objects.create(
        transaction=tx,
        direction=Direction.IN,
        kind=incoming.kind,
        summary=summary[:200],
        body=mask_secrets(body),
        response=answer.decode(),
        result="OK" if ok else "ERROR",
        status=DeliveryStatus.ANSWERED,
        last_error="; ".join(incoming.schema_errors)[:2000],
    )


def _bibliographic(incoming: Incoming) -> dict[str, Any]:
    b = "bibliographicInfo"
    return {
        "supplier_unique_record_id": incoming.text(f"{b}/supplierUniqueRecordId"),
        "title": incoming.text(f"{b}/title"),
        "author": incoming.text(f"{b}/author"),
        "item_ids": [
            [
                (node.findtext(f"{{{NS}}}bibliographicItemIdentifierCode") or "").strip(),
                (node.findtext(f"{{{NS}}}bibliographicItemIdentifier") or "").strip(),
            ]
            for node in incoming.findall(f"{b}/bibliographicItemId")
        ],
        "record_ids": [
            [
                (node.findtext(f"{{{NS}}}bibliographicRecordIdentifierCode") or "").strip(),
                (node.findtext(f"{{{NS}}}bibliographicRecordIdentifier") or "").strip(),
            ]
            for node in incoming.findall(f"{b}/bibliographicRecordId")
        ],
        "publisher": incoming.text("publicationInfo/publisher"),
        "publication_date": incoming.text("publicationInfo/publicationDate"),
        # The part a Copy request asks for, and the requester's note.
        "title_of_component": incoming.text(f"{b}/titleOfComponent"),
        "author_of_component": incoming.text(f"{b}/authorOfComponent"),
        "volume": incoming.text(f"{b}/volume"),
        "issue": incoming.text(f"{b}/issue"),
        "pages_requested": incoming.text(f"{b}/pagesRequested"),
        "note": incoming.text("serviceInfo/note"),
    }


NDL_ID_CODES = {"NDLBIBID", "NDL", "NDLID", "NDL-BIB-ID", "NDLBIB"}


def material_identify(*, bibliographic: dict[str, Any]) -> Material | None:
    """The one NDL material a request describes, or None (staff identify it).

    Tried in order, each only if it names exactly one material: the
    ``supplierUniqueRecordId`` or an NDL bibliographic ID record id (the NDL
    ID), then an ISBN. A JP number alone is left to staff: the catalogue
    does not hold JP numbers.
    """
    ndl_ids: list[str] = []
    candidates = [bibliographic.get("supplier_unique_record_id", "")]
    candidates += [v for c, v in bibliographic.get("record_ids", []) if c.upper() in NDL_ID_CODES]
    for value in candidates:
        try:
            ndl_id = ndl_id_normalize(value)
        except IdentifierError:
            continue
        if ndl_id:
            ndl_ids.append(ndl_id)
    if ndl_ids:
        found = list(Material.objects.filter(ndl_id__in=ndl_ids)[:2])
        if len(found) == 1:
            return found[0]
    isbns: list[str] = []
    for code, value in bibliographic.get("item_ids", []):
        if code.upper() != "ISBN":
            continue
        try:
            isbn = isbn_normalize(value)
        except IdentifierError:
            continue
        if isbn:
            isbns.append(isbn)
    if isbns:
        found = list(Material.objects.filter(isbn__in=isbns)[:2])
        if len(found) == 1:
            return found[0]
    return None


def _on_request(
    *, peer: PeerAgency, incoming: Incoming, body: bytes, received_at: dt.datetime
) -> tuple[bytes, bool]:
    request_id = incoming.header["request_id"]
    answer = confirmation(incoming=incoming, ok=True, received_at=received_at)
    existing = IsoTransaction.objects.filter(peer=peer, requesting_request_id=request_id).first()
    if existing is not None:
        # The same request sent again (a retry after a lost answer): one request.
        _log_in(
            tx=existing, incoming=incoming, body=body, answer=answer, ok=True,
            summary="request (repeated: the same request id)",
        )  # fmt: skip
        return answer, True
    service_type = incoming.text("serviceInfo/serviceType") or "Loan"
    # No savepoint: a concurrent duplicate fails the whole transaction with
    # IntegrityError, and ``_message_receive`` runs it again.
    tx = IsoTransaction.objects.create(
        peer=peer,
        requesting_request_id=request_id,
        state=TransactionState.IDENTIFY,
        service_type=service_type,
        bibliographic=_bibliographic(incoming),
        version=incoming.version,
    )
    _log_in(tx=tx, incoming=incoming, body=body, answer=answer, ok=True, summary="request")
    material = material_identify(bibliographic=tx.bibliographic)
    if material is None:
        _queue(
            tx=tx,
            reason="RequestResponse",
            status="ExpectToSupply",
            note=_bilingual(
                "NDL staff will identify the item from your description.",
                "ご依頼の書誌事項から職員が資料を特定します。",
            ),
            key=f"expect:{tx.pk}",
            fresh=True,
        )
        return answer, True
    _supply_try(tx=tx, material=material, actor=_library_user(peer.library))
    return answer, True


def _supply_try(*, tx: IsoTransaction, material: Material, actor: User | None) -> None:
    """A loan or a copy, by ``serviceType``: Loan -> a loan; Copy -> a copy;
    CopyOrLoan -> a loan when the loan rules let ``material`` out
    (``catalogue.rules.loanability`` finds nothing), otherwise a copy."""
    if tx.service_type == "Copy" or (tx.service_type == "CopyOrLoan" and loanability(material)):
        _copy_try(tx=tx, material=material, actor=actor)
    else:
        _loan_try(tx=tx, material=material, actor=actor)


def _bilingual(en: str, ja: str) -> str:
    return f"{en}\n{ja}"


def _loan_try(*, tx: IsoTransaction, material: Material, actor: User | None) -> None:
    """Request ``material`` for the peer's library through ``loan_request_create``
    and say what came of it: ExpectToSupply, RetryPossible (cap, on loan) or Unfilled."""
    library = tx.peer.library
    try:
        with transaction.atomic():
            (loan,) = loan_request_create(
                library=library,
                ndl_ids=[material.ndl_id],
                channel=RequestChannel.PORTAL,
                actor=actor,
            )
    except DomainError as exc:
        refused = exc.message
        if exc.code == "cap":
            count = LoanRequest.objects.filter(
                library=library, status__in=CAP_COUNTING_STATUSES
            ).count()
            _answer(
                tx=tx,
                state=TransactionState.RETRY,
                status="RetryPossible",
                reason_retry=codes.REASON_RETRY["cap"],
                note=_in_both(lambda: cap_message(count=count, wanted=1)),
                key=f"retry:{tx.pk}",
            )
            return
        if exc.code in ("unavailable", "duplicate", "conflict"):
            _answer(
                tx=tx,
                state=TransactionState.RETRY,
                status="RetryPossible",
                reason_retry=codes.REASON_RETRY["unavailable"],
                note=_bilingual(
                    f"{material.ndl_id} is requested or on loan now; please ask again later.",
                    f"{material.ndl_id}は現在、申込み中または貸出中です。"
                    "後日あらためてお申し込みください。",
                ),
                key=f"retry:{tx.pk}",
            )
            return
        refusals = loanability(material)
        reason_codes = [r.code for r in refusals] or ["other"]
        _answer(
            tx=tx,
            state=TransactionState.UNFILLED,
            status="Unfilled",
            reason_unfilled=codes.reason_unfilled(reason_codes),
            note=_refusal_note(refusals) if refusals else refused,
            key=f"unfilled:{tx.pk}",
        )
        return
    tx.loan = loan
    tx.state = TransactionState.LINKED
    tx.save(update_fields=["loan", "state"])
    _queue(
        tx=tx,
        reason="RequestResponse",
        status="ExpectToSupply",
        note=_bilingual(
            f"Accepted for decision as NDL request #{loan.pk} ({material.ndl_id}).",
            f"国立国会図書館の申込み番号 {loan.pk}（{material.ndl_id}）として受け付けました。",  # noqa: RUF001
        ),
        key=f"expect:{tx.pk}",
    )


def _answer(*, tx: IsoTransaction, state: str, **message: Any) -> None:
    """Move ``tx`` to ``state`` and queue the RequestResponse that says so
    (``message``: the rest of ``_queue``'s keywords)."""
    tx.state = state
    tx.save(update_fields=["state"])
    _queue(tx=tx, reason="RequestResponse", **message)


def _in_both(message: Any) -> str:
    with translation.override("en"):
        en = message()
    with translation.override("ja"):
        ja = message()
    return en if en == ja else _bilingual(en, ja)


def _refusal_note(refusals: list[Refusal] | list[CopyRefusal]) -> str:
    lines = [f"[{r.code}] {r.message('en')} / {r.message('ja')}" for r in refusals]
    return "NDL reasons / 謝絶理由:\n" + "\n".join(lines)


# --- photocopy requests -------------------------------------------------------------------

_PAGES = re.compile(r"\d+")
_COLOUR = re.compile(r"colou?r|カラー", re.IGNORECASE)
_MONOCHROME = re.compile(r"black|mono|gr[ae]y|白黒|モノクロ", re.IGNORECASE)


def _pages(value: str) -> tuple[int | None, int | None]:
    """``pagesRequested`` as (first, last): "12-25", "pp. 12 to 25", "p. 7" (one page)."""
    numbers = [int(n) for n in _PAGES.findall(value)[:2]]
    if not numbers:
        return None, None
    return numbers[0], numbers[-1]


def copy_order_from_iso(
    *, bibliographic: dict[str, Any], material: Material
) -> tuple[Part, str, str, str]:
    """What an ISO 18626 Copy request asks the NDL to copy: (part, colour,
    article author, the library's note).

    ``pagesRequested`` gives the pages (the first two numbers, one number is
    one page); ``titleOfComponent`` is the article's title for a periodical
    and the chapter's for a book, ``authorOfComponent`` its author;
    ``volume`` and ``issue`` make the volume/issue ("12, 3"). The copy is in
    black and white unless ``serviceInfo/note`` asks for colour; A4.

    The declaration of study or research purpose (Copyright Act, Article 31)
    is taken as given: the requesting library's ILL system sends the request
    under its agreement with the NDL, as the library's staff declare it in
    the portal. Missing pages or article details are not guessed: the copy
    rules then refuse with ``part_not_given``.
    """
    pages_from, pages_to = _pages(str(bibliographic.get("pages_requested") or ""))
    component = str(bibliographic.get("title_of_component") or "").strip()
    volume_issue = ", ".join(
        v for v in (str(bibliographic.get(k) or "").strip() for k in ("volume", "issue")) if v
    )
    periodical = is_periodical(material)
    part = Part(
        pages_from=pages_from,
        pages_to=pages_to,
        chapter_title="" if periodical else component[:300],
        article_title=component[:300] if periodical else "",
        volume_issue=volume_issue[:100],
        research_declared=True,
    )
    note = str(bibliographic.get("note") or "").strip()
    colour = (
        ColourMode.COLOUR
        if _COLOUR.search(note) and not _MONOCHROME.search(note)
        else ColourMode.MONOCHROME
    )
    author = str(bibliographic.get("author_of_component") or "").strip()[:200]
    return part, str(colour), author, note


def _copy_try(*, tx: IsoTransaction, material: Material, actor: User | None) -> None:
    """Request a copy of the part ``tx`` describes through ``copy_request_create``
    (the portal's rules and quote) and say what came of it: ExpectToSupply
    with the estimated fee, or Unfilled with every NDL reason."""
    library = tx.peer.library
    part, colour, author, note = copy_order_from_iso(
        bibliographic=tx.bibliographic, material=material
    )
    try:
        with transaction.atomic():
            copy = copy_request_create(
                library=library,
                material=material,
                part=part,
                paper_size=PaperSize.A4,
                colour=colour,
                channel=CopyChannel.PORTAL,
                actor=actor,
                article_author=author,
                note=f"ISO 18626 {tx.requesting_request_id}\n{note}".strip(),
            )
    except DomainError as exc:
        refusals: list[CopyRefusal] = []
        if exc.code == "not_copiable":
            preview = copy_request_preview(
                library=library, material=material, part=part, paper_size=PaperSize.A4,
                colour=colour,
            )  # fmt: skip
            refusals = preview.check.refusals
        _answer(
            tx=tx,
            state=TransactionState.UNFILLED,
            status="Unfilled",
            reason_unfilled=codes.reason_unfilled(
                [r.code for r in refusals], codes.COPY_REASON_UNFILLED
            ),
            note=_refusal_note(refusals) if refusals else f"[{exc.code}] {exc.message}",
            key=f"unfilled:{tx.pk}",
        )
        return
    tx.copy = copy
    tx.state = TransactionState.LINKED
    tx.save(update_fields=["copy", "state"])
    _queue(
        tx=tx,
        reason="RequestResponse",
        status="ExpectToSupply",
        note=_bilingual(
            f"Accepted for decision as NDL copy request C{copy.pk} ({material.ndl_id}); "
            f"estimated fee {copy.quoted_total} JPY, invoiced after the copies are sent.",
            f"国立国会図書館の複写申込み番号 C{copy.pk}（{material.ndl_id}）として受け付けました。"  # noqa: RUF001
            f"概算料金は{copy.quoted_total}円で、複写物の発送後に請求します。",
        ),
        # Its own key: after a held request, this second answer carries the fee.
        key=f"copy-expect:{copy.pk}",
    )


def transaction_identify(*, transaction_id: int, ndl_id: str, actor: User) -> IsoTransaction:
    """Staff name the NDL material a held ISO 18626 request asks for; the
    request then goes through ``loan_request_create`` as any other.

    Raises DomainError for a request that is not waiting to be identified or
    an NDL ID that names no material.
    """
    try:
        ndl_id = ndl_id_normalize(ndl_id)
    except IdentifierError as exc:
        raise DomainError(str(exc.messages[0]), code="ndl_id") from exc
    with transaction.atomic():
        tx = (
            IsoTransaction.objects.select_for_update()
            .select_related("peer__library")
            .get(pk=transaction_id)
        )
        if tx.state != TransactionState.IDENTIFY:
            raise DomainError(_("This request is not waiting to be identified."), code="state")
        material = Material.objects.filter(ndl_id=ndl_id).first()
        if material is None:
            raise DomainError(
                _("No NDL material has the NDL ID %(ids)s.") % {"ids": ndl_id}, code="unknown"
            )
        audit_log(actor=actor, action="iso18626.request.identify", obj=tx, data={"ndl_id": ndl_id})
        _supply_try(tx=tx, material=material, actor=actor)
    return tx


def transaction_not_held(*, transaction_id: int, actor: User) -> IsoTransaction:
    """Staff found no NDL material for a held request: answer Unfilled / NotHeld."""
    with transaction.atomic():
        tx = IsoTransaction.objects.select_for_update().get(pk=transaction_id)
        if tx.state != TransactionState.IDENTIFY:
            raise DomainError(_("This request is not waiting to be identified."), code="state")
        tx.state = TransactionState.UNFILLED
        tx.save(update_fields=["state"])
        audit_log(actor=actor, action="iso18626.request.not_held", obj=tx)
        _queue(
            tx=tx,
            reason="RequestResponse",
            status="Unfilled",
            reason_unfilled=codes.REASON_UNFILLED["not_held"],
            note=_bilingual(
                "[not_held] The NDL holds no item matching this description.",
                "[not_held] ご依頼の資料は国立国会図書館に所蔵がありません。",
            ),
            key=f"unfilled:{tx.pk}",
        )
    return tx


# --- requesting agency messages -----------------------------------------------------------


# A photocopy request's status as an ISO 18626 status.
COPY_ISO18626_STATUS: dict[str, str] = {
    CopyStatus.REQUESTED: "ExpectToSupply",
    CopyStatus.ACCEPTED: "WillSupply",
    CopyStatus.COPIED: "WillSupply",
    CopyStatus.DISPATCHED: "CopyCompleted",
    CopyStatus.REFUSED: "Unfilled",
    CopyStatus.CANCELLED: "Cancelled",
}


def _status_of(tx: IsoTransaction) -> str:
    if tx.loan is not None:
        return ISO18626_STATUS[tx.loan.status]
    if tx.copy is not None:
        return COPY_ISO18626_STATUS[tx.copy.status]
    return {
        TransactionState.IDENTIFY: "ExpectToSupply",
        TransactionState.UNFILLED: "Unfilled",
        TransactionState.RETRY: "RetryPossible",
    }.get(TransactionState(tx.state), "Unfilled")


def _on_requesting_message(
    *, peer: PeerAgency, incoming: Incoming, body: bytes, received_at: dt.datetime
) -> tuple[bytes, bool]:
    h = incoming.header
    tx = (
        IsoTransaction.objects.select_related("loan", "loan__shipment", "copy", "peer__library")
        .filter(peer=peer, requesting_request_id=h["request_id"])
        .first()
    )
    if tx is None:
        # Another library's request id looks exactly like an unknown one.
        raise ProtocolError(
            ErrorType.UNRECOGNISED_VALUE,
            f"requestingAgencyRequestId: no request {h['request_id']} from this agency",
            incoming,
        )
    action = incoming.text("action")
    note = incoming.text("note")
    actor = _library_user(peer.library)
    answer = confirmation(incoming=incoming, ok=True, received_at=received_at)
    try:
        with transaction.atomic():
            _log_in(
                tx=tx, incoming=incoming, body=body, answer=answer, ok=True,
                summary=f"{action}: {note}" if note else action,
            )  # fmt: skip
            HANDLERS[action](tx=tx, note=note, actor=actor)
    except DomainError as exc:
        error = confirmation(
            incoming=incoming,
            ok=False,
            received_at=received_at,
            error_type=ErrorType.UNRECOGNISED_VALUE,
            error_value=f"action: {action}: {exc.message}",
        )
        _log_in(
            tx=tx, incoming=incoming, body=body, answer=error, ok=False,
            summary=f"{action} refused: {exc.message}",
        )  # fmt: skip
        return error, False
    return answer, True


def _loan_required(tx: IsoTransaction) -> LoanRequest:
    if tx.loan is None:
        raise DomainError("no loan was made for this request", code="no_loan")
    return tx.loan


def _today() -> dt.date:
    return timezone.localdate()


def _on_received(*, tx: IsoTransaction, note: str, actor: User | None) -> None:
    if tx.copy is not None:
        return  # copies are kept by the library: the receipt is only logged
    loan = _loan_required(tx)
    if loan.status in (LoanStatus.RECEIVED, LoanStatus.OVERDUE) or loan.shipment_id is None:
        if loan.shipment_id is None:
            raise DomainError("the item has not been sent yet", code="not_shipped")
        return  # the parcel's receipt is already recorded (another item in it)
    shipment_confirm_receipt(
        shipment_id=loan.shipment_id,
        library=tx.peer.library,
        received_on=_today(),
        conditions={loan.pk: note[:300]},
        actor=actor,
    )


_S10 = re.compile(r"\b([A-Z]{2}\s?\d{3}\s?\d{3}\s?\d{3}\s?[A-Z]{2})\b")


def _on_shipped_return(*, tx: IsoTransaction, note: str, actor: User | None) -> None:
    """The return parcel; its tracking number is read from the note when it
    holds a UPU S10 number (registered air mail), otherwise it is recorded as
    an air carrier's parcel with the note (or the request id) as its reference."""
    loan = _loan_required(tx)
    match = _S10.search(note.upper())
    number = match.group(1).replace(" ", "") if match else ""
    if number and s10_is_valid(number):
        method, carrier = ReturnMethod.REGISTERED_AIR_MAIL, ""
    else:
        method, carrier = ReturnMethod.AIR_CARRIER, "Stated by the library's ILL system"
        number = (note.strip() or f"ISO18626 {tx.requesting_request_id}")[:40]
    return_parcel_record(
        library=tx.peer.library,
        loan_ids=[loan.pk],
        method=method,
        carrier=carrier,
        tracking_number=number,
        sent_on=_today(),
        actor=actor,
    )


def _on_cancel(*, tx: IsoTransaction, note: str, actor: User | None) -> None:
    if tx.copy is not None:
        _on_cancel_copy(tx=tx, copy=tx.copy, actor=actor)
        return
    loan = tx.loan
    if loan is None:
        yes = tx.state == TransactionState.IDENTIFY
        if yes:
            tx.state = TransactionState.UNFILLED
            tx.save(update_fields=["state"])
        _queue(tx=tx, reason="CancelResponse", status="Cancelled" if yes else _status_of(tx),
               answer="Y" if yes else "N", key=f"cancel:{tx.pk}")  # fmt: skip
        return
    if loan.status in CANCELLABLE_STATUSES:
        with _answering_for(loan.pk):
            loan_request_cancel(loan=loan, actor=actor)
        loan.refresh_from_db(fields=["status"])
        _queue(tx=tx, reason="CancelResponse", status="Cancelled", answer="Y",
               key=f"cancel:{tx.pk}")  # fmt: skip
        return
    _queue(
        tx=tx,
        reason="CancelResponse",
        status=_status_of(tx),
        answer="N",
        note=_in_both(lambda: str(WHERE[LoanStatus(loan.status)])),
        key=None,
    )


def _on_cancel_copy(*, tx: IsoTransaction, copy: CopyRequest, actor: User | None) -> None:
    """Y while the copy is not made yet (``copy_request_cancel``), N after."""
    if copy.status in COPY_CANCELLABLE_STATUSES:
        with _answering_for_copy(copy.pk):
            copy_request_cancel(request=copy, actor=actor)
        copy.refresh_from_db(fields=["status"])
        _queue(tx=tx, reason="CancelResponse", status="Cancelled", answer="Y",
               key=f"cancel:{tx.pk}")  # fmt: skip
        return
    _queue(tx=tx, reason="CancelResponse", status=_status_of(tx), answer="N", key=None)


def _on_renew(*, tx: IsoTransaction, note: str, actor: User | None) -> None:
    _queue(
        tx=tx,
        reason="RenewResponse",
        status=_status_of(tx),
        answer="N",
        due_date=tx.loan.due_on if tx.loan else None,
        note=_bilingual(
            "The NDL never extends a loan: please ship the item back by its due date. "
            "You may request it again after it is back.",
            "国立国会図書館は貸出期間を延長しません。返送期限までに返送してください。"
            "返却後にあらためてお申し込みいただけます。",
        ),
        key=None,
    )


def _on_status_request(*, tx: IsoTransaction, note: str, actor: User | None) -> None:
    _queue(
        tx=tx,
        reason="StatusRequestResponse",
        status=_status_of(tx),
        due_date=tx.loan.due_on if tx.loan else None,
        key=None,
    )


def _on_notification(*, tx: IsoTransaction, note: str, actor: User | None) -> None:
    """Stored in the protocol log; with a loan, also posted in its conversation for staff."""
    if tx.loan is None or actor is None or not note:
        return
    from conversations.services import message_post

    try:
        with transaction.atomic():
            message_post(subject=tx.loan, author=actor, body=f"[ISO 18626] {note}")
    except DomainError:
        logger.info("iso18626: notification for %s kept in the protocol log only", tx.pk)


def _on_lost(*, tx: IsoTransaction, note: str, actor: User | None) -> None:
    loan = _loan_required(tx)
    with _answering_for(loan.pk):
        damage_case_report(
            loan_id=loan.pk,
            kind=CaseKind.LOSS,
            description=note or "Reported lost by the library's ILL system (ISO 18626 Lost).",
            reported_on=_today(),
            actor=actor,
            library=tx.peer.library,
        )


HANDLERS = {
    "Received": _on_received,
    "ShippedReturn": _on_shipped_return,
    "Cancel": _on_cancel,
    "Renew": _on_renew,
    "StatusRequest": _on_status_request,
    "Notification": _on_notification,
    "Lost": _on_lost,
}


# --- outgoing messages --------------------------------------------------------------------


def _family(peer: PeerAgency) -> str:
    return VERSIONS.get(peer.schema_version, S2017)


def _return_to(site: Site) -> ReturnTo:
    lines = site.return_address_lines
    return ReturnTo(
        agency_type=ndl_agency_id()[0],
        agency_value=ndl_agency_id()[1],
        name=f"National Diet Library, {site.name}",
        line1=lines[0] if lines else site.name,
        line2=", ".join(lines[1:]),
    )


def _queue(
    *,
    tx: IsoTransaction,
    reason: str,
    status: str,
    key: str | None,
    summary: str = "",
    fresh: bool = False,
    **fields: Any,
) -> IsoMessage | None:
    """Put one supplyingAgencyMessage for ``tx`` in the outbox; POST it after commit.

    ``key`` makes the message unique (None: every call is a new message);
    returns None when a message with that key was already queued. ``fresh``:
    ``tx`` was created in this transaction, so no key of it can exist yet.
    """
    message = SupplyingMessage(
        supplying_agency=ndl_agency_id(),
        requesting_agency=("ISIL", tx.peer.isil),
        request_id=tx.requesting_request_id,
        supplying_request_id=tx.supplying_request_id,
        reason=reason,
        status=status,
        **fields,
    )
    body = supplying_message(message, family=_family(tx.peer)).decode()
    fields_ = {
        "transaction": tx,
        "direction": Direction.OUT,
        "kind": SUPPLYING_MESSAGE,
        "summary": (summary or f"{reason}: {status}")[:200],
        "body": body,
        "status": DeliveryStatus.QUEUED,
        "dedupe_key": key,
    }
    if key is None or fresh:
        row = IsoMessage.objects.create(**fields_)
    else:
        # A savepoint only where the key can clash (a message already queued).
        try:
            with transaction.atomic():
                row = IsoMessage.objects.create(**fields_)
        except IntegrityError:
            return None
    peer_id, message_id = tx.peer_id, row.pk
    transaction.on_commit(lambda: _enqueue_peer(peer_id, message_id), robust=True)
    return row


def _enqueue_peer(peer_id: int, message_id: int | None = None) -> None:
    """A worker delivers the peer's outbox (``message_id`` and whatever else is ready)."""
    from .tasks import iso_outbox_deliver_task

    iso_outbox_deliver_task.delay(peer_id, message_id)


def loan_moved_message(*, loan: LoanRequest, action: str, old: str, new: str) -> None:
    """What the requester hears when its loan moves (``loans.signals.loan_moved``)."""
    if loan.pk in _answering.get():
        return
    tx = IsoTransaction.objects.select_related("peer").filter(loan_id=loan.pk).first()
    if tx is None:
        return
    status = LoanStatus(new)
    if status == LoanStatus.ACCEPTED:
        _queue(tx=tx, reason="RequestResponse", status="WillSupply", key=f"will:{loan.pk}")
    elif status == LoanStatus.REJECTED:
        material = Material.objects.get(pk=loan.material_id)
        refusals = [Refusal(c) for c in loan.reject_codes]
        en = rejection_messages(material=material, codes=loan.reject_codes,
                                note=loan.reject_note, language="en")  # fmt: skip
        ja = rejection_messages(material=material, codes=loan.reject_codes,
                                note=loan.reject_note, language="ja")  # fmt: skip
        lines = [f"[{r.code}] {e} / {j}" for r, e, j in zip(refusals, en, ja, strict=False)] or [
            f"{e} / {j}" for e, j in zip(en, ja, strict=False)
        ]
        _queue(
            tx=tx,
            reason="RequestResponse",
            status="Unfilled",
            reason_unfilled=codes.reason_unfilled(list(loan.reject_codes)),
            note="NDL reasons / 謝絶理由:\n" + "\n".join(lines),
            key=f"unfilled:{tx.pk}",
        )
    elif status == LoanStatus.SHIPPED and loan.shipment_id is not None:
        shipment = loan.shipment or LoanRequest.objects.get(pk=loan.pk).shipment
        if shipment is None:  # shipment_id is set: never
            return
        site = Site.objects.get(pk=shipment.site_id)
        material = Material.objects.get(pk=loan.material_id)
        _queue(
            tx=tx,
            reason="StatusChange",
            status="Loaned",
            delivery=Delivery(
                date_sent=shipment.shipped_on,
                item_id=material.ndl_id,
                tracking_number=shipment.tracking_number,
                conditions=codes.LOAN_CONDITIONS,
            ),
            return_to=_return_to(site),
            note=_bilingual(
                "For use in your library's reading room under staff supervision only; no "
                "copying by any means. Return it by registered air mail or an air carrier "
                "with tracking to the address in returnInfo.",
                "貴館の閲覧室内で職員の監督のもとでのみ利用でき、いかなる方法でも複製できません。"
                "返送は書留航空便または追跡可能な航空便で returnInfo の住所へお送りください。",
            ),
            key=f"loaned:{loan.pk}",
        )
    elif status == LoanStatus.RECEIVED and loan.due_on is not None:
        _due_message(tx=tx, loan=loan)
    elif status == LoanStatus.CHECKED_IN:
        _queue(tx=tx, reason="StatusChange", status="LoanCompleted", key=f"completed:{loan.pk}")
    elif status == LoanStatus.CANCELLED:
        _queue(tx=tx, reason="StatusChange", status="Cancelled", key=f"cancelled:{loan.pk}")
    elif status == LoanStatus.UNDELIVERED:
        _queue(
            tx=tx,
            reason="StatusChange",
            status="Unfilled",
            note=_bilingual(
                "The post brought the parcel back undelivered; the loan is closed.",
                "郵便物が配達されずに返送されたため、貸出を終了しました。",
            ),
            key=f"undelivered:{loan.pk}",
        )
    elif status == LoanStatus.LOSS_SETTLED:
        _queue(tx=tx, reason="StatusChange", status="CompletedWithoutReturn",
               key=f"settled:{loan.pk}")  # fmt: skip


def copy_moved_message(*, copy: CopyRequest, action: str, old: str, new: str) -> None:
    """What the requester hears when its copy request moves (``copies.signals.copy_moved``):
    accepted -> WillSupply with ``offeredCosts`` (the quote, JPY); refused ->
    Unfilled with every NDL reason; sent -> StatusChange CopyCompleted;
    cancelled in the portal -> StatusChange Cancelled."""
    if copy.pk in _answering_copies.get():
        return
    tx = IsoTransaction.objects.select_related("peer").filter(copy_id=copy.pk).first()
    if tx is None:
        return
    status = CopyStatus(new)
    if status == CopyStatus.ACCEPTED:
        cost = copy.quoted_total
        _queue(
            tx=tx,
            reason="RequestResponse",
            status="WillSupply",
            offered_cost=cost,
            note=_bilingual(
                f"The NDL will copy it; estimated fee {cost} JPY (copying, handling and "
                "postage), invoiced with the copies for the pages actually copied.",
                f"複写を承諾しました。概算料金は{cost}円（複写料金・事務手数料・送料）で、"  # noqa: RUF001
                "実際に複写したページ数により、複写物に同封する請求書でご請求します。",
            ),
            key=f"copy-will:{copy.pk}",
        )
    elif status == CopyStatus.REFUSED:
        en = copy_refusal_messages(request=copy, language="en")
        ja = copy_refusal_messages(request=copy, language="ja")
        tags = [f"[{c}] " for c in copy.refuse_codes] + [""] * max(
            0, len(en) - len(copy.refuse_codes)
        )
        lines = [f"{t}{e} / {j}" for t, e, j in zip(tags, en, ja, strict=False)]
        _queue(
            tx=tx,
            reason="RequestResponse",
            status="Unfilled",
            reason_unfilled=codes.reason_unfilled(
                list(copy.refuse_codes), codes.COPY_REASON_UNFILLED
            ),
            note="NDL reasons / 謝絶理由:\n" + "\n".join(lines),
            key=f"unfilled:{tx.pk}",
        )
    elif status == CopyStatus.DISPATCHED:
        sent = copy.dispatched_on
        _queue(
            tx=tx,
            reason="StatusChange",
            status="CopyCompleted",
            note=_bilingual(
                f"The copies were sent by post on {sent} with the invoice; they are yours to keep.",
                f"複写物を{sent}に請求書とともに郵送しました。返却は不要です。",
            ),
            key=f"copy-completed:{copy.pk}",
        )
    elif status == CopyStatus.CANCELLED:
        _queue(tx=tx, reason="StatusChange", status="Cancelled", key=f"copy-cancelled:{copy.pk}")


def _due_message(*, tx: IsoTransaction, loan: LoanRequest) -> None:
    _queue(
        tx=tx,
        reason="StatusChange",
        status="Loaned",
        due_date=loan.due_on,
        summary=f"StatusChange: Loaned, due {loan.due_on}",
        key=f"due:{loan.pk}:{loan.due_on}",
    )


def case_reported_message(*, case: DamageCase, loan: LoanRequest) -> None:
    """A Notification of a damage or loss case (``loans.signals.damage_case_reported``)."""
    if loan.pk in _answering.get():
        return
    tx = IsoTransaction.objects.select_related("peer").filter(loan_id=loan.pk).first()
    if tx is None:
        return
    if case.kind == CaseKind.LOSS:
        en, ja = "The item is recorded as lost", "資料は亡失として記録されました"
    else:
        en, ja = "Damage to the item is recorded", "資料の破損が記録されました"
    _queue(
        tx=tx,
        reason="Notification",
        status=ISO18626_STATUS[loan.status],
        note=_bilingual(
            f"{en} (case #{case.pk}). The NDL will instruct replacement or full compensation.",
            f"{ja}（案件番号 {case.pk}）。"  # noqa: RUF001
            "弁償または代替品について国立国会図書館から連絡します。",
        ),
        key=f"case:{case.pk}",
    )


def iso18626_nightly(*, today: dt.date | None = None) -> tuple[int, int]:
    """Overdue and due-date messages the night's set-based updates owe (the
    nightly job moves loans with ``QuerySet.update``, which sends no signal).

    Returns (Overdue messages, due-date messages) queued; idempotent: each
    message has a key, so a second run queues nothing.
    """
    overdue = due = 0
    txs = IsoTransaction.objects.select_related("peer", "loan").filter(
        loan__status__in=(LoanStatus.OVERDUE, LoanStatus.RECEIVED), loan__due_on__isnull=False
    )
    keys = set(
        IsoMessage.objects.filter(
            transaction__in=txs, direction=Direction.OUT, dedupe_key__isnull=False
        ).values_list("dedupe_key", flat=True)
    )
    for tx in txs.order_by("pk"):
        loan = tx.loan
        if loan is None:  # filtered on the loan: never
            continue
        with transaction.atomic():
            if f"due:{loan.pk}:{loan.due_on}" not in keys:
                _due_message(tx=tx, loan=loan)
                due += 1
            if loan.status == LoanStatus.OVERDUE and f"overdue:{loan.pk}" not in keys:
                _queue(
                    tx=tx,
                    reason="StatusChange",
                    status="Overdue",
                    due_date=loan.due_on,
                    note=_bilingual(
                        f"The item was due back by {loan.due_on}; please ship it now.",
                        f"返送期限（{loan.due_on}）を過ぎています。至急ご返送ください。",  # noqa: RUF001
                    ),
                    key=f"overdue:{loan.pk}",
                )
                overdue += 1
    return overdue, due


# --- delivery -----------------------------------------------------------------------------


def iso_message_backoff(*, attempts: int) -> timedelta:
    """Wait before retry ``attempts + 1``: 30 s, 1, 2, 4 … minutes, at most an hour."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), timedelta(hours=1))


# One keep-alive connection per peer endpoint and worker thread.
_connections = threading.local()


def _post(url: str, body: bytes) -> tuple[int, bytes]:
    """POST ``body`` to ``url``; (HTTP status, response body).

    Keeps the connection open for the next message to the same peer. A
    reused connection the peer had already closed is opened again once;
    raises OSError on network errors and timeouts.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url}")
    pool: dict[tuple[str, str, int | None], http.client.HTTPConnection] = getattr(
        _connections, "pool", {}
    )
    _connections.pool = pool
    key = (parts.scheme, parts.hostname, parts.port)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    for _attempt in range(2):
        conn = pool.get(key)
        reused = conn is not None
        if conn is None:
            cls = (
                http.client.HTTPSConnection
                if parts.scheme == "https"
                else http.client.HTTPConnection
            )
            conn = cls(parts.hostname, parts.port, timeout=settings.NDL_ISO18626_TIMEOUT)
            pool[key] = conn
        try:
            conn.request("POST", target, body, {"Content-Type": "application/xml; charset=utf-8"})
            response = conn.getresponse()
            data = response.read(2 * 1024 * 1024)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            conn.close()
            pool.pop(key, None)
            if reused:
                continue  # the peer closed an idle connection: open a new one
            raise
        except (OSError, http.client.HTTPException):
            conn.close()
            pool.pop(key, None)
            raise
        if response.will_close:
            conn.close()
            pool.pop(key, None)
        return response.status, data
    raise ConnectionError("the peer closed the connection twice")


@dataclass
class _Verdict:
    """What one POST's answer means for the row (the columns the outcome writes)."""

    status: str
    result: str
    http_status: int | None
    response: str
    last_error: str
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None

    @property
    def confirmed(self) -> bool:
        return self.status in (DeliveryStatus.SENT, DeliveryStatus.REFUSED)

    @property
    def settled(self) -> bool:
        """No retry: the request's next message may go."""
        return self.status != DeliveryStatus.FAILED


def _verdict(
    *, http_status: int, answer: bytes, error: str, elapsed: float, attempts: int
) -> _Verdict:
    """Judge one attempt: confirmed (OK: sent, ERROR: refused), retried with
    back-off (network errors, timeouts, 5xx, 408, 429) or given up (another
    4xx, or the last attempt)."""
    now = timezone.now()
    response = answer.decode("utf-8", errors="replace")[:100_000]
    if http_status and 200 <= http_status < 300:
        result, detail = read_confirmation(answer)
        if result in ("OK", "ERROR"):
            status = DeliveryStatus.SENT if result == "OK" else DeliveryStatus.REFUSED
            return _Verdict(status, result, http_status, response, detail, None, now)
        error = f"no confirmation in the answer: {detail}"
    elif http_status:
        error = f"HTTP {http_status}"
    retry = not http_status or http_status >= 500 or http_status in (408, 429)
    last_error = f"{error} after {elapsed:.2f} s"[:2000]
    if retry and attempts < settings.NDL_ISO18626_MAX_ATTEMPTS:
        again = now + iso_message_backoff(attempts=attempts)
        return _Verdict(DeliveryStatus.FAILED, "", http_status or None, response, last_error,
                        again, None)  # fmt: skip
    return _Verdict(DeliveryStatus.GAVE_UP, "", http_status or None, response, last_error,
                    None, None)  # fmt: skip


def _attempt(url: str, body: bytes, attempts: int) -> _Verdict:
    """POST one message and judge the answer; never raises for the peer's faults."""
    started = time.monotonic()
    try:
        http_status, answer = _post(url, body)
    except (OSError, ValueError, http.client.HTTPException) as exc:
        http_status, answer, error = 0, b"", f"{type(exc).__name__}: {exc}"
    else:
        error = ""
    return _verdict(
        http_status=http_status,
        answer=answer,
        error=error,
        elapsed=time.monotonic() - started,
        attempts=attempts,
    )


def _lease() -> timedelta:
    """How long a claim keeps other workers off a message: past the longest
    POST (two tries of the connection, each within the timeout)."""
    return timedelta(seconds=2 * settings.NDL_ISO18626_TIMEOUT + 30)


# --- the outbox's worker: batches, lanes ---------------------------------------------------


@dataclass
class _Claimed:
    """An outgoing message this worker claimed: ``attempts`` after the claim
    (the claim's token), ``was_due`` before it (restored if it is not sent)."""

    pk: int
    transaction_id: int
    attempts: int
    was_due: dt.datetime | None
    body: bytes


# Messages claimed at once from one peer, and the threads POSTing them (each
# its own keep-alive connection): a request's messages in order on one
# thread, different requests side by side.
def _outbox_batch() -> int:
    return max(1, int(getattr(settings, "NDL_ISO18626_OUTBOX_BATCH", 100)))


def _outbox_lanes() -> int:
    return max(1, int(getattr(settings, "NDL_ISO18626_OUTBOX_LANES", 4)))


# A batch starts POSTs for at most this long, so its claim (the lease plus
# this) outlives every POST it starts; the rest is let go for the next batch.
_SEND_WINDOW = timedelta(seconds=30)
# One drain (one task) stops after this long and leaves the rest to a fresh task.
_DRAIN_SECONDS = 300.0

_lanes_lock = threading.Lock()
_lanes_pool: tuple[int, ThreadPoolExecutor] | None = None


def _lanes(size: int) -> ThreadPoolExecutor:
    """This process's lane threads (made again after a fork: a Celery pool child)."""
    global _lanes_pool
    with _lanes_lock:
        if _lanes_pool is None or _lanes_pool[0] != os.getpid():
            _lanes_pool = (os.getpid(), ThreadPoolExecutor(size, thread_name_prefix="iso18626"))
        return _lanes_pool[1]


def _claim(*, peer_id: int, limit: int) -> list[list[_Claimed]]:
    """Claim up to ``limit`` of the peer's messages that may go now, as runs
    (one request's messages, in order, from its first undelivered one).

    The first undelivered message of each request is found in one pass over
    the backlog's partial index, whatever the planner's estimates. Then one
    transaction: the peer's among them that are due are locked (SKIP LOCKED:
    another worker's claim is passed over), the messages of those requests
    are taken in id order up to ``limit`` (so each run is a prefix of its
    request's queue), and one UPDATE counts the attempt and sets the lease.
    A message later in a request than a claimed one is never claimable by
    another worker: its earlier one is undelivered.
    """
    now = timezone.now()
    backlog = IsoMessage.objects.filter(direction=Direction.OUT, status__in=UNDELIVERED)
    # Every request's head, then the peer's requests among them, then the
    # lock: a join to the peer would let a planner that takes the backlog for
    # tiny (stale statistics) pair every backlog row with every request the
    # peer ever made.
    heads = dict(
        backlog.values("transaction_id")
        .annotate(head=Min("pk"))
        .values_list("transaction_id", "head")
    )
    mine = IsoTransaction.objects.filter(pk__in=list(heads), peer_id=peer_id).order_by()
    wanted = [heads[tx_id] for tx_id in mine.values_list("pk", flat=True)] if heads else []
    if not wanted:
        return []
    with transaction.atomic():
        firsts = dict(
            backlog.select_for_update(skip_locked=True)
            .filter(pk__in=wanted)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("pk")
            .values_list("transaction_id", "pk")[:limit]
        )
        if not firsts:
            return []
        rows = (
            backlog.filter(transaction_id__in=list(firsts))
            .order_by("pk")
            .values_list("pk", "transaction_id", "attempts", "next_attempt_at", "body")[:limit]
        )
        runs: dict[int, list[_Claimed]] = {}
        stopped: set[int] = set()
        for pk, tx_id, attempts, due, body in rows:
            if pk < firsts[tx_id] or tx_id in stopped:
                continue
            if pk != firsts[tx_id] and due is not None and due > now:
                stopped.add(tx_id)  # not ready (never the case for a queued follower)
                continue
            runs.setdefault(tx_id, []).append(_Claimed(pk, tx_id, attempts + 1, due, body.encode()))
        claimed = [m.pk for run in runs.values() for m in run]
        updated = IsoMessage.objects.filter(pk__in=claimed, status__in=UNDELIVERED).update(
            attempts=F("attempts") + 1, next_attempt_at=now + _lease() + _SEND_WINDOW
        )
        if updated != len(claimed):
            # A row changed under us (a stale claim's outcome): claim afresh.
            transaction.set_rollback(True)
            return []
    return sorted(runs.values(), key=lambda run: run[0].pk)


def _lane(
    url: str, runs: list[list[_Claimed]], until: float, down: threading.Event
) -> list[tuple[_Claimed, _Verdict]]:
    """POST runs one after the other, each in order; a run stops at the first
    message that is to be retried (the request's next one must wait), every
    run stops when the peer is unreachable or the send window is over."""
    done: list[tuple[_Claimed, _Verdict]] = []
    for run in runs:
        for message in run:
            if down.is_set() or time.monotonic() > until:
                return done
            verdict = _attempt(url, message.body, message.attempts)
            done.append((message, verdict))
            if not verdict.settled:
                if verdict.http_status is None:
                    down.set()  # no answer at all: leave the peer for the retries
                break
    return done


_COLUMNS = ("status", "result", "http_status", "response", "last_error", "next_attempt_at",
            "sent_at")  # fmt: skip


def _sql_names() -> tuple[str, dict[str, str]]:
    """The outbox table's quoted name and its columns by field name."""
    from django.db import connection

    quote = connection.ops.quote_name
    meta = IsoMessage._meta
    return quote(meta.db_table), {f.name: quote(f.column) for f in meta.concrete_fields}


def _outcomes_write(outcomes: list[tuple[int, int, _Verdict]]) -> int:
    """Write each (id, claim, verdict) if the claim is still ours (the message
    undelivered with the attempts the claim counted): one statement run for
    all (a pipeline on PostgreSQL). Returns how many were ours."""
    if not outcomes:
        return 0
    from django.db import connection

    table, column = _sql_names()
    assignments = ", ".join(f"{column[c]} = %s" for c in _COLUMNS)
    # The model's own table and column names; every value is a parameter.
    sql = (
        f"UPDATE {table} SET {assignments} WHERE {column['id']} = %s "  # noqa: S608 - table and column names from the model  # nosec B608
        f"AND {column['attempts']} = %s AND {column['status']} IN (%s, %s)"
    )
    stamp = connection.ops.adapt_datetimefield_value
    params = [
        [getattr(v, c) for c in _COLUMNS] + [pk, claim, *UNDELIVERED] for pk, claim, v in outcomes
    ]
    for row in params:  # the dates as the database takes them
        row[5], row[6] = stamp(row[5]), stamp(row[6])
    with connection.cursor() as cursor:
        if len(params) == 1:
            cursor.execute(sql, params[0])
            return max(cursor.rowcount, 0)
        cursor.executemany(sql, params)
        return len(params) if cursor.rowcount < 0 else cursor.rowcount


def _claims_release(messages: list[_Claimed]) -> None:
    """Give back claimed messages that were not POSTed: the attempt uncounted,
    the due time as it was."""
    if not messages:
        return
    from django.db import connection

    table, column = _sql_names()
    sql = (
        f"UPDATE {table} SET {column['attempts']} = %s, {column['next_attempt_at']} = %s "  # noqa: S608 - table and column names from the model  # nosec B608
        f"WHERE {column['id']} = %s AND {column['attempts']} = %s "
        f"AND {column['status']} IN (%s, %s)"
    )
    stamp = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [[m.attempts - 1, stamp(m.was_due), m.pk, m.attempts, *UNDELIVERED] for m in messages],
        )


def iso_outbox_waits_for_another(*, message_id: int) -> bool:
    """True if ``message_id`` needs no drain of its own: it is delivered, or
    its request's first undelivered message is claimed (the claiming worker
    goes on to the rest) or waiting for its retry (the sweeper's). One
    statement of two index probes, so the task published for each queued
    message costs little when a drain already took its request."""
    from django.db import connection

    table, column = _sql_names()
    tx, status, due, ident = (column[f] for f in ("transaction", "status", "next_attempt_at", "id"))
    # One statement, written out: compiling it with the ORM costs more than running it.
    sql = (
        f"SELECT m.{status}, (SELECT h.{due} FROM {table} h "  # noqa: S608 - table and column names from the model  # nosec B608
        f"WHERE h.{tx} = m.{tx} AND h.{column['direction']} = %s AND h.{status} IN (%s, %s) "
        f"ORDER BY h.{ident} LIMIT 1) FROM {table} m WHERE m.{ident} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Direction.OUT, *UNDELIVERED, message_id])
        found = cursor.fetchone()
    if found is None or found[0] not in UNDELIVERED:
        return True
    head = found[1]
    # SQLite answers a subquery's date as UTC text or a naive datetime.
    if isinstance(head, str):
        head = parse_datetime(head)
    if head is not None and timezone.is_naive(head):
        head = timezone.make_aware(head, dt.UTC)
    return head is not None and head > timezone.now()


def iso_outbox_deliver(*, peer_id: int) -> int:
    """Deliver what may go now of one peer's outbox; how many the peer confirmed.

    Claims a batch (``_claim``), POSTs it on the lane threads with no
    transaction or row lock held, and writes every outcome and gives back
    what was not sent in one transaction; again until nothing is ready, the
    peer cannot be reached, or the drain has run for ``_DRAIN_SECONDS`` (a
    fresh task then carries on). Several workers may drain one peer at once:
    their claims never overlap, and a request's messages go in order.
    """
    url = PeerAgency.objects.filter(pk=peer_id).values_list("endpoint_url", flat=True).first()
    if url is None:
        return 0
    confirmed = 0
    started = time.monotonic()
    lanes = _outbox_lanes()
    while time.monotonic() - started < _DRAIN_SECONDS:
        runs = _claim(peer_id=peer_id, limit=_outbox_batch())
        if not runs:
            return confirmed
        until = time.monotonic() + _SEND_WINDOW.total_seconds()
        down = threading.Event()
        if lanes == 1 or len(runs) == 1:
            done = _lane(url, runs, until, down)
        else:
            pool = _lanes(lanes)
            shares = [runs[i::lanes] for i in range(min(lanes, len(runs)))]
            done = [
                pair
                for future in [pool.submit(_lane, url, share, until, down) for share in shares]
                for pair in future.result()
            ]
        posted = {m.pk for m, _v in done}
        with transaction.atomic():
            _outcomes_write([(m.pk, m.attempts, v) for m, v in done])
            _claims_release([m for run in runs for m in run if m.pk not in posted])
        confirmed += sum(1 for _m, v in done if v.confirmed)
        if down.is_set():
            return confirmed
    _enqueue_peer(peer_id)
    return confirmed


def iso_message_sweep(*, older_than: timedelta = timedelta(minutes=2)) -> list[int]:
    """Ids of outgoing messages to try now: a retry that is due, or one left
    queued (its task lost) whose earlier messages are all delivered."""
    now = timezone.now()
    candidates = IsoMessage.objects.filter(direction=Direction.OUT).filter(
        Q(status=DeliveryStatus.FAILED, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.QUEUED, created_at__lte=now - older_than)
    )
    # The first undelivered message of each request only: the rest follow it.
    firsts: dict[int, int] = {}
    for pk, tx_id in (
        IsoMessage.objects.filter(direction=Direction.OUT, status__in=UNDELIVERED)
        .order_by("pk")
        .values_list("pk", "transaction_id")
    ):
        firsts.setdefault(tx_id, pk)
    wanted = set(firsts.values())
    return sorted(pk for pk in candidates.values_list("pk", flat=True)[:2000] if pk in wanted)


def iso_outbox_sweep_peers() -> list[int]:
    """The peers with a message to try now (see ``iso_message_sweep``)."""
    ids = iso_message_sweep()
    return sorted(
        set(IsoMessage.objects.filter(pk__in=ids).values_list("transaction__peer_id", flat=True))
    )


def iso_message_resend(*, message_id: int, actor: User) -> IsoMessage:
    """Staff send an outgoing message again, as a new row after the request's others."""
    with transaction.atomic():
        original = IsoMessage.objects.select_related("transaction").get(pk=message_id)
        if original.direction != Direction.OUT:
            raise DomainError(_("Only a message the NDL sent can be sent again."), code="direction")
        row = IsoMessage.objects.create(
            transaction=original.transaction,
            direction=Direction.OUT,
            kind=original.kind,
            summary=f"{original.summary} (resent)"[:200],
            body=original.body,
            status=DeliveryStatus.QUEUED,
            created_by=actor,
        )
        audit_log(
            actor=actor,
            action="iso18626.message.resend",
            obj=row,
            data={"original": original.pk},
        )
        peer_id, message_id = original.transaction.peer_id, row.pk
        transaction.on_commit(lambda: _enqueue_peer(peer_id, message_id), robust=True)
    return row
