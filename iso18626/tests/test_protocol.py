"""POST /iso18626/: every message gets its confirmation, valid against its schema;
bad and hostile ones get ERROR with the schema's errorType and change nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from iso18626.models import IsoMessage, IsoTransaction, PeerAgency
from iso18626.xml import ErrorType

from .conftest import Peer, make_peer
from .helpers import SAMPLES, assert_valid, reqmsg_xml, request_xml, require_shared, status_of

pytestmark = pytest.mark.django_db

URL = "/iso18626/"

# The deliberately invalid samples and the errorType each must get.
INVALID = {
    "msg-invalid.xml": ErrorType.BADLY_FORMED,
    "reqmsg-invalid-action.xml": ErrorType.UNSUPPORTED_ACTION,
    "request-no-reqid.xml": ErrorType.UNRECOGNISED_VALUE,
}


def _post(client, body: bytes):
    return client.post(URL, data=body, content_type="application/xml")


def _samples() -> list[str]:
    if not SAMPLES.is_dir():
        return []
    return sorted(str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*.xml"))


def test_the_endpoint_has_its_address() -> None:
    assert reverse("iso18626:endpoint") == URL


@pytest.mark.parametrize("name", _samples() or ["(none)"])
def test_every_sample_gets_a_valid_confirmation(client, name: str) -> None:
    require_shared()
    body = (SAMPLES / name).read_bytes()
    response = _post(client, body)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = assert_valid(response.content)
    status, error = status_of(response.content)
    # None of them authenticates as a peer of ours: all are ERROR, nothing is written.
    assert status == "ERROR"
    if Path_name(name) in INVALID:
        assert error == INVALID[Path_name(name)]
    assert root is not None
    assert IsoTransaction.objects.count() == 0


def Path_name(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _as_peer(body: bytes, peer: Peer) -> bytes:
    """A crosslink sample re-addressed: from ``peer`` (with its code) to the NDL."""
    text = body.decode()
    text = re.sub(
        r"(<(?:\w+:)?supplyingAgencyId>\s*<(?:\w+:)?agencyIdType>)[^<]*(</(?:\w+:)?agencyIdType>"
        r"\s*<(?:\w+:)?agencyIdValue>)[^<]*",
        r"\1ISIL\2JP-1000001",
        text,
    )
    text = re.sub(
        r"(<(?:\w+:)?requestingAgencyId>\s*<(?:\w+:)?agencyIdType>)[^<]*(</(?:\w+:)?agencyIdType>"
        r"\s*<(?:\w+:)?agencyIdValue>)[^<]*",
        rf"\1ISIL\2{peer.isil}",
        text,
    )
    prefix = re.search(r"<(\w+:)?header>", text)
    p = (prefix.group(1) or "") if prefix else ""
    auth = (
        f"<{p}requestingAgencyAuthentication><{p}accountId>{peer.user_id}</{p}accountId>"
        f"<{p}securityCode>{peer.code}</{p}securityCode></{p}requestingAgencyAuthentication>"
    )
    return re.sub(rf"(</{p}header>)", auth + r"\1", text, count=1).encode()


@pytest.mark.parametrize(
    "name",
    [n for n in _samples() if n.startswith("crosslink/") and "/request" in "/" + n.split("/")[1]]
    or ["(none)"],
)
def test_crosslink_requests_from_a_peer_are_answered_ok(client, peer, wire, name: str) -> None:
    require_shared()
    body = _as_peer((SAMPLES / name).read_bytes(), peer)
    response = _post(client, body)
    assert_valid(response.content)
    status, error = status_of(response.content)
    if Path_name(name) in INVALID:
        assert (status, error) == ("ERROR", INVALID[Path_name(name)])
    else:
        assert status == "OK", response.content
        assert IsoTransaction.objects.filter(peer=peer.peer).count() == 1


@pytest.mark.parametrize("version", ["1.2", "2021-2"])
def test_a_request_is_confirmed_in_its_own_version(client, peer, wire, version) -> None:
    response = _post(client, request_xml(**peer.auth, version=version, title="Unknown"))
    root = assert_valid(response.content)
    assert root.get("{http://illtransactions.org/2013/iso18626}version") == (
        "1.2" if version == "1.2" else "2021-2"
    )
    assert status_of(response.content) == ("OK", "")


def test_the_same_request_id_twice_is_one_request(client, peer, wire) -> None:
    body = request_xml(**peer.auth, request_id="dup-1", title="Unknown")
    assert status_of(_post(client, body).content)[0] == "OK"
    assert status_of(_post(client, body).content)[0] == "OK"
    assert IsoTransaction.objects.count() == 1
    assert IsoMessage.objects.filter(direction="in").count() == 2


def test_an_unknown_action_is_unsupported(client, peer) -> None:
    response = _post(client, reqmsg_xml(**peer.auth, action="Recall"))
    assert_valid(response.content)
    assert status_of(response.content) == ("ERROR", ErrorType.UNSUPPORTED_ACTION)


def test_lost_is_a_2021_action_only(client, peer) -> None:
    response = _post(client, reqmsg_xml(**peer.auth, action="Lost", version="1.2"))
    assert status_of(response.content) == ("ERROR", ErrorType.UNSUPPORTED_ACTION)


def test_an_unknown_version_is_refused(client, peer) -> None:
    body = request_xml(**peer.auth).replace(b'ill:version="1.2"', b'ill:version="3.0"')
    response = _post(client, body)
    assert status_of(response.content) == ("ERROR", ErrorType.UNRECOGNISED_VALUE)
    assert b"version" in response.content


def test_not_xml_is_badly_formed(client) -> None:
    response = _post(client, b"this is not xml")
    assert_valid(response.content)
    assert status_of(response.content) == ("ERROR", ErrorType.BADLY_FORMED)


def test_get_is_not_allowed(client) -> None:
    assert client.get(URL).status_code == 405


# --- security ---------------------------------------------------------------------------------


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626"
 xmlns:ill="http://illtransactions.org/2013/iso18626" ill:version="1.2">
<request><header><requestingAgencyRequestId>&xxe;</requestingAgencyRequestId></header>
</request></ISO18626Message>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626"
 xmlns:ill="http://illtransactions.org/2013/iso18626" ill:version="1.2">
<request><header><requestingAgencyRequestId>&lol4;</requestingAgencyRequestId></header>
</request></ISO18626Message>"""


@pytest.mark.parametrize("payload", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_entities_and_doctypes_are_refused(client, peer, payload: bytes) -> None:
    response = _post(client, payload)
    assert_valid(response.content)
    assert status_of(response.content) == ("ERROR", ErrorType.BADLY_FORMED)
    assert b"root:" not in response.content
    assert b"lollol" not in response.content
    assert IsoTransaction.objects.count() == 0


def test_a_doctype_in_utf16_is_refused_too(client) -> None:
    response = _post(
        client,
        XXE.decode().replace('version="1.0"?', 'version="1.0" encoding="UTF-16"?').encode("utf-16"),
    )
    assert status_of(response.content)[0] == "ERROR"


def test_an_oversized_body_is_not_read(client, peer) -> None:
    body = request_xml(**peer.auth, title="x" * (101 * 1024))
    response = _post(client, body)
    assert response.status_code == 413
    assert_valid(response.content)
    assert status_of(response.content) == ("ERROR", ErrorType.BADLY_FORMED)
    assert IsoTransaction.objects.count() == 0


def test_a_body_just_under_the_limit_is_read(client, peer, wire) -> None:
    body = request_xml(**peer.auth, title="x")
    body = body.replace(
        b"<title>x</title>", b"<title>" + b"x" * (100 * 1024 - len(body)) + b"</title>"
    )
    assert len(body) <= 100 * 1024 + 8
    response = _post(client, body)
    assert response.status_code in (200, 413)


def test_a_wrong_code_is_refused_and_nothing_is_written(client, peer) -> None:
    guess = "s3cr3t-guess"
    response = _post(client, request_xml(isil=peer.isil, user_id=peer.user_id, code=guess))
    assert_valid(response.content)
    assert status_of(response.content) == ("ERROR", ErrorType.UNRECOGNISED_VALUE)
    assert IsoTransaction.objects.count() == 0
    assert IsoMessage.objects.count() == 0
    assert guess.encode() not in response.content
    peer.peer.refresh_from_db()
    assert peer.peer.failed_attempts == 1


def test_the_right_code_of_another_account_is_refused(client, peer) -> None:
    other = make_peer("GB-UkOxU")
    body = request_xml(isil=peer.isil, user_id=other.user_id, code=peer.code)
    assert status_of(_post(client, body).content)[0] == "ERROR"
    body = request_xml(isil=peer.isil, user_id=peer.user_id, code=other.code)
    assert status_of(_post(client, body).content)[0] == "ERROR"


def test_an_unknown_agency_is_refused(client) -> None:
    body = request_xml(isil="DE-1", user_id="ILL-DE-00001", code="x")
    assert status_of(_post(client, body).content) == ("ERROR", ErrorType.UNRECOGNISED_VALUE)


def test_five_wrong_codes_lock_the_peer_out_for_a_quarter_hour(
    client, peer, wire, time_machine
) -> None:
    time_machine.move_to("2026-11-20 10:00 +0900", tick=False)
    wrong = request_xml(isil=peer.isil, user_id=peer.user_id, code="wrong")
    for _ in range(5):
        _post(client, wrong)
    peer.peer.refresh_from_db()
    assert peer.peer.failed_attempts == 5
    assert peer.peer.locked_until == timezone.now() + dt.timedelta(minutes=15)
    right = request_xml(**peer.auth, title="Unknown")
    response = _post(client, right)
    assert status_of(response.content)[0] == "ERROR"
    assert b"too many failed attempts" in response.content
    time_machine.move_to("2026-11-20 10:14:59 +0900", tick=False)
    assert status_of(_post(client, right).content)[0] == "ERROR"
    time_machine.move_to("2026-11-20 10:15:00 +0900", tick=False)
    assert status_of(_post(client, right).content)[0] == "OK"
    peer.peer.refresh_from_db()
    assert (peer.peer.failed_attempts, peer.peer.locked_until) == (0, None)


def test_a_suspended_library_is_refused(client, peer) -> None:
    library = peer.peer.library
    library.status = "suspended"
    library.save(update_fields=["status"])
    response = _post(client, request_xml(**peer.auth))
    assert status_of(response.content)[0] == "ERROR"
    assert IsoTransaction.objects.count() == 0


def test_another_librarys_request_id_is_refused_and_nothing_written(client, peer, wire) -> None:
    other = make_peer("GB-UkOxU")
    _post(client, request_xml(**other.auth, request_id="theirs", title="Unknown"))
    before = IsoMessage.objects.count()
    response = _post(client, reqmsg_xml(**peer.auth, action="Cancel", request_id="theirs"))
    assert_valid(response.content)
    assert status_of(response.content) == ("ERROR", ErrorType.UNRECOGNISED_VALUE)
    assert IsoMessage.objects.count() == before
    assert IsoTransaction.objects.get().state == "identify"


def test_the_security_code_is_kept_only_as_a_keyed_hash(peer) -> None:
    row = PeerAgency.objects.get(pk=peer.peer.pk)
    assert peer.code not in (row.code_digest, row.code_salt)
    assert len(row.code_digest) == 64


def test_the_protocol_log_masks_the_security_code(client, peer, wire) -> None:
    _post(client, request_xml(**peer.auth, title="Unknown"))
    logged = IsoMessage.objects.get(direction="in")
    assert peer.code not in logged.body
    assert "***" in logged.body


def test_a_duplicate_arriving_at_the_same_moment_is_still_one_request(client, peer, wire) -> None:
    from unittest import mock

    body = request_xml(**peer.auth, request_id="race", title="Unknown")
    assert status_of(_post(client, body).content)[0] == "OK"
    real_filter = IsoTransaction.objects.filter
    missed: list[bool] = []

    def filter_missing_once(*args, **kwargs):
        # The other connection's row is not yet visible when this one looks.
        if kwargs.get("requesting_request_id") == "race" and not missed:
            missed.append(True)
            return real_filter(pk=-1)
        return real_filter(*args, **kwargs)

    with mock.patch.object(IsoTransaction.objects, "filter", filter_missing_once):
        response = _post(client, body)
    assert missed
    assert status_of(response.content) == ("OK", "")
    assert IsoTransaction.objects.filter(requesting_request_id="race").count() == 1
