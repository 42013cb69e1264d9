"""A loan by ISO 18626 goes through the portal's and the admin's services, and
every move is told to the requester in order, in its schema's version."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import connection

from catalogue.models import Material
from core.tests.factories import StaffFactory
from iso18626.models import DeliveryStatus, IsoMessage, IsoTransaction
from iso18626.services import (
    iso18626_nightly,
    iso_message_resend,
    iso_outbox_deliver,
    transaction_identify,
    transaction_not_held,
)
from loans.models import LoanRequest, LoanStatus
from loans.services.requests import loan_request_accept, loan_request_reject
from loans.services.shipping import loan_pack, shipment_dispatch
from loans.tests.factories import LoanRequestFactory, MaterialFactory, s10_number
from returns.models import CaseKind, ItemCondition
from returns.services import damage_case_report, loan_check_in

from .conftest import make_peer
from .helpers import assert_valid, reqmsg_xml, request_xml, root_of, status_of, text

pytestmark = pytest.mark.django_db

URL = "/iso18626/"


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-11-20 10:00 +0900", tick=False)


def _post(client, body: bytes, capture) -> bytes:
    with capture(execute=True):
        response = client.post(URL, data=body, content_type="application/xml")
    assert_valid(response.content)
    return response.content


def _statuses(wire) -> list[tuple[str, str]]:
    out = []
    for body in wire.sent:
        root = assert_valid(body)
        out.append((text(root, "reasonForMessage"), text(root, "status")))
    return out


@pytest.mark.parametrize("version", ["1.2", "2021-2"])
def test_a_whole_loan(client, wire, tokyo, django_capture_on_commit_callbacks, version) -> None:
    capture = django_capture_on_commit_callbacks
    peer = make_peer(version=version)
    material = MaterialFactory()
    staff = StaffFactory()
    answer = _post(
        client, request_xml(**peer.auth, ndl_id=material.ndl_id, version=version), capture
    )
    assert status_of(answer) == ("OK", "")
    tx = IsoTransaction.objects.get()
    loan = tx.loan
    assert loan is not None and loan.status == LoanStatus.REQUESTED
    assert loan.library_id == peer.peer.library_id

    with capture(execute=True):
        loan_request_accept(loan=loan, actor=staff)
    with capture(execute=True):
        loan_pack(loan_id=loan.pk, actor=staff)
        shipment_dispatch(
            loan_ids=[loan.pk],
            tracking_number=s10_number(4242),
            shipped_on=dt.date(2026, 11, 20),
            actor=staff,
        )
    _post(client, reqmsg_xml(**peer.auth, action="Received", version=version), capture)
    loan.refresh_from_db()
    assert loan.status == LoanStatus.RECEIVED
    assert loan.due_on == dt.date(2026, 12, 20)
    renew = _post(client, reqmsg_xml(**peer.auth, action="Renew", version=version), capture)
    assert status_of(renew)[0] == "OK"
    _post(
        client,
        reqmsg_xml(
            **peer.auth, action="ShippedReturn", note=s10_number(777, "US"), version=version
        ),
        capture,
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.RETURN_SHIPPED
    with capture(execute=True):
        loan_check_in(
            loan_id=loan.pk,
            site=tokyo,
            checked_in_on=dt.date(2026, 11, 20),
            condition=ItemCondition.GOOD,
            loan_slip_enclosed=True,
            to_borrowers_enclosed=True,
            note="",
            actor=staff,
        )
    assert _statuses(wire) == [
        ("RequestResponse", "ExpectToSupply"),
        ("RequestResponse", "WillSupply"),
        ("StatusChange", "Loaned"),
        ("StatusChange", "Loaned"),
        ("RenewResponse", "Loaned"),
        ("StatusChange", "LoanCompleted"),
    ]
    loaned = root_of(wire.sent[2])
    assert text(loaned, "itemId") == material.ndl_id
    assert text(loaned, "returnInfo/name").endswith(tokyo.name)
    assert "100-8924" in text(loaned, "physicalAddress/line2")
    conditions = [
        n.text for n in loaned.iter("{http://illtransactions.org/2013/iso18626}loanCondition")
    ]
    if version == "1.2":
        assert conditions == ["WatchLibraryUseOnly"]
        assert "NoReproduction" in text(loaned, "note")
        assert s10_number(4242) in text(loaned, "note")
    else:
        assert conditions == ["WatchLibraryUseOnly", "NoReproduction"]
        assert text(loaned, "trackingId") == s10_number(4242)
    assert text(root_of(wire.sent[3]), "dueDate").startswith("2026-12-20")
    assert text(root_of(wire.sent[4]), "answerYesNo") == "N"
    assert IsoMessage.objects.filter(direction="out", status=DeliveryStatus.SENT).count() == 6


def test_a_refusal_maps_each_ndl_reason(
    client, wire, peer, django_capture_on_commit_callbacks
) -> None:
    material = MaterialFactory()
    _post(
        client, request_xml(**peer.auth, ndl_id=material.ndl_id), django_capture_on_commit_callbacks
    )
    loan = IsoTransaction.objects.get().loan
    with django_capture_on_commit_callbacks(execute=True):
        loan_request_reject(loan=loan, actor=StaffFactory(), codes=["deteriorated", "rare"])
    unfilled = root_of(wire.sent[-1])
    assert text(unfilled, "status") == "Unfilled"
    assert text(unfilled, "reasonUnfilled") == "PoorCondition"
    note = text(unfilled, "note")
    assert "[deteriorated]" in note and "[rare]" in note
    assert "劣化" in note or "資料" in note


def test_an_item_that_cannot_be_lent_is_unfilled_at_once(
    client, wire, peer, django_capture_on_commit_callbacks
) -> None:
    material = MaterialFactory(is_digitized=True)
    _post(
        client, request_xml(**peer.auth, ndl_id=material.ndl_id), django_capture_on_commit_callbacks
    )
    assert IsoTransaction.objects.get().state == "unfilled"
    assert LoanRequest.objects.count() == 0
    root = root_of(wire.sent[-1])
    assert (text(root, "status"), text(root, "reasonUnfilled")) == (
        "Unfilled",
        "NotAvailableForILL",
    )
    assert "[digitized]" in text(root, "note")


def test_the_ten_item_cap_answers_retry_possible(
    client, wire, peer, django_capture_on_commit_callbacks
) -> None:
    for _ in range(10):
        LoanRequestFactory(library=peer.peer.library)
    material = MaterialFactory()
    _post(
        client, request_xml(**peer.auth, ndl_id=material.ndl_id), django_capture_on_commit_callbacks
    )
    assert IsoTransaction.objects.get().state == "retry"
    root = root_of(wire.sent[-1])
    assert (text(root, "status"), text(root, "reasonRetry")) == (
        "RetryPossible",
        "NotCurrentAvailableForILL",
    )
    assert "10" in text(root, "note")
    assert LoanRequest.objects.filter(material=material).count() == 0


def test_cancel_before_shipment_yes_after_no(
    client, wire, peer, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    first, second = MaterialFactory(), MaterialFactory()
    _post(client, request_xml(**peer.auth, request_id="a", ndl_id=first.ndl_id), capture)
    _post(client, reqmsg_xml(**peer.auth, request_id="a", action="Cancel"), capture)
    assert IsoTransaction.objects.get(requesting_request_id="a").loan.status == LoanStatus.CANCELLED
    yes = root_of(wire.sent[-1])
    assert (text(yes, "reasonForMessage"), text(yes, "answerYesNo"), text(yes, "status")) == (
        "CancelResponse", "Y", "Cancelled",
    )  # fmt: skip
    _post(client, request_xml(**peer.auth, request_id="b", ndl_id=second.ndl_id), capture)
    loan = IsoTransaction.objects.get(requesting_request_id="b").loan
    staff = StaffFactory()
    with capture(execute=True):
        loan_request_accept(loan=loan, actor=staff)
        loan_pack(loan_id=loan.pk, actor=staff)
        shipment_dispatch(loan_ids=[loan.pk], tracking_number=s10_number(99),
                          shipped_on=dt.date(2026, 11, 20), actor=staff)  # fmt: skip
    _post(client, reqmsg_xml(**peer.auth, request_id="b", action="Cancel"), capture)
    no = root_of(wire.sent[-1])
    assert (text(no, "answerYesNo"), text(no, "status")) == ("N", "Loaned")
    assert [s for s in _statuses(wire) if s[0] == "StatusChange" and s[1] == "Cancelled"] == []


def test_an_unidentified_item_is_held_for_staff(
    client, wire, peer, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    _post(client, request_xml(**peer.auth, title="Something we must look up"), capture)
    tx = IsoTransaction.objects.get()
    assert tx.state == "identify" and tx.loan is None
    material = MaterialFactory()
    with capture(execute=True):
        transaction_identify(transaction_id=tx.pk, ndl_id=material.ndl_id, actor=StaffFactory())
    tx.refresh_from_db()
    assert tx.state == "linked" and tx.loan.material == material
    # The requester heard ExpectToSupply already; WillSupply or Unfilled come next.
    assert _statuses(wire) == [("RequestResponse", "ExpectToSupply")]


def test_staff_can_say_not_held(client, wire, peer, django_capture_on_commit_callbacks) -> None:
    _post(client, request_xml(**peer.auth, title="Nowhere"), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        transaction_not_held(transaction_id=IsoTransaction.objects.get().pk, actor=StaffFactory())
    assert text(root_of(wire.sent[-1]), "reasonUnfilled") == "NotHeld"


def test_an_isbn_finds_the_item(client, wire, peer, django_capture_on_commit_callbacks) -> None:
    material = MaterialFactory(isbn="9784812215531")
    _post(
        client, request_xml(**peer.auth, isbn="4-8122-1553-6"), django_capture_on_commit_callbacks
    )
    assert IsoTransaction.objects.get().loan.material == material


def test_status_request_and_notification(
    client, wire, peer, django_capture_on_commit_callbacks
) -> None:
    material = MaterialFactory()
    capture = django_capture_on_commit_callbacks
    _post(client, request_xml(**peer.auth, ndl_id=material.ndl_id), capture)
    _post(client, reqmsg_xml(**peer.auth, action="StatusRequest"), capture)
    assert text(root_of(wire.sent[-1]), "status") == "RequestReceived"
    _post(client, reqmsg_xml(**peer.auth, action="Notification", note="Patron asks when"), capture)
    assert IsoMessage.objects.filter(direction="in", summary__contains="Patron asks").exists()


def test_damage_and_the_nightly_overdue(
    client, wire, peer, django_capture_on_commit_callbacks, time_machine
) -> None:
    capture = django_capture_on_commit_callbacks
    material = MaterialFactory()
    _post(client, request_xml(**peer.auth, ndl_id=material.ndl_id), capture)
    loan = IsoTransaction.objects.get().loan
    staff = StaffFactory()
    with capture(execute=True):
        loan_request_accept(loan=loan, actor=staff)
        loan_pack(loan_id=loan.pk, actor=staff)
        shipment_dispatch(loan_ids=[loan.pk], tracking_number=s10_number(5),
                          shipped_on=dt.date(2026, 11, 20), actor=staff)  # fmt: skip
    _post(client, reqmsg_xml(**peer.auth, action="Received"), capture)
    with capture(execute=True):
        damage_case_report(loan_id=loan.pk, kind=CaseKind.DAMAGE, description="Torn page",
                           reported_on=dt.date(2026, 11, 20), actor=staff)  # fmt: skip
    assert _statuses(wire)[-1] == ("Notification", "Loaned")
    LoanRequest.objects.filter(pk=loan.pk).update(status=LoanStatus.OVERDUE)
    with capture(execute=True):
        assert iso18626_nightly() == (1, 0)
    with capture(execute=True):
        assert iso18626_nightly() == (0, 0)
    assert _statuses(wire)[-1] == ("StatusChange", "Overdue")


def test_messages_wait_in_order_and_are_retried(
    client, wire, peer, django_capture_on_commit_callbacks, time_machine
) -> None:
    capture = django_capture_on_commit_callbacks
    wire.http_status = 503
    material = MaterialFactory()
    _post(client, request_xml(**peer.auth, ndl_id=material.ndl_id), capture)
    loan = IsoTransaction.objects.get().loan
    with capture(execute=True):
        loan_request_accept(loan=loan, actor=StaffFactory())
    first, second = IsoMessage.objects.filter(direction="out").order_by("pk")
    assert first.status == DeliveryStatus.FAILED and first.attempts == 1
    assert second.status == DeliveryStatus.QUEUED and second.attempts == 0  # waits for the first
    assert len(wire.sent) == 1
    wire.http_status = 200
    assert not iso_outbox_deliver(peer_id=first.transaction.peer_id)  # not due yet
    time_machine.move_to("2026-11-20 10:01 +0900", tick=False)
    with capture(execute=True):
        assert iso_outbox_deliver(peer_id=first.transaction.peer_id)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (DeliveryStatus.SENT, DeliveryStatus.SENT)
    assert _statuses(wire)[1:] == [
        ("RequestResponse", "ExpectToSupply"),
        ("RequestResponse", "WillSupply"),
    ]
    with capture(execute=True):
        assert not iso_outbox_deliver(peer_id=first.transaction.peer_id)  # sent once
    with capture(execute=True):
        again = iso_message_resend(message_id=second.pk, actor=StaffFactory())
    again.refresh_from_db()
    assert again.status == DeliveryStatus.SENT and len(wire.sent) == 4


def test_a_peer_error_is_stored_and_not_retried(
    client, wire, peer, django_capture_on_commit_callbacks
) -> None:
    wire.answer_status = "ERROR"
    _post(
        client,
        request_xml(**peer.auth, ndl_id=MaterialFactory().ndl_id),
        django_capture_on_commit_callbacks,
    )
    row = IsoMessage.objects.get(direction="out")
    assert (row.status, row.result) == (DeliveryStatus.REFUSED, "ERROR")
    assert "ERROR" in row.response


def test_material_lookup_uses_the_catalogue(peer) -> None:
    assert Material.objects.count() == 0


def test_the_post_holds_no_transaction_and_a_claimed_message_is_not_sent_twice(
    client, wire, peer, django_capture_on_commit_callbacks, time_machine
) -> None:
    capture = django_capture_on_commit_callbacks
    wire.http_status = 503
    material = MaterialFactory()
    _post(client, request_xml(**peer.auth, ndl_id=material.ndl_id), capture)
    loan = IsoTransaction.objects.get().loan
    with capture(execute=True):
        loan_request_accept(loan=loan, actor=StaffFactory())
    first = IsoMessage.objects.filter(direction="out").order_by("pk").first()
    assert first is not None
    time_machine.move_to("2026-11-20 10:01 +0900", tick=False)
    depth = len(connection.atomic_blocks)  # the test's own transaction
    seen: list[int] = []
    overlapping: list[bool] = []
    recorder = wire.__call__

    def post(url: str, body: bytes) -> tuple[int, bytes]:
        seen.append(len(connection.atomic_blocks))
        # Another worker meanwhile finds the message claimed.
        overlapping.append(bool(iso_outbox_deliver(peer_id=first.transaction.peer_id)))
        return recorder(url, body)

    wire.http_status = 200
    with mock.patch("iso18626.services._post", post), capture(execute=True):
        assert iso_outbox_deliver(peer_id=first.transaction.peer_id)
    assert seen[0] == depth  # no transaction or row lock over the network
    assert overlapping[0] is False
    first.refresh_from_db()
    assert first.status == DeliveryStatus.SENT and first.attempts == 2


@pytest.mark.parametrize("request_id", ["x" * 201, "あ" * 300])
def test_an_over_long_request_id_is_an_error_with_nothing_written(
    client, peer, django_capture_on_commit_callbacks, request_id
) -> None:
    material = MaterialFactory()
    body = request_xml(**peer.auth, ndl_id=material.ndl_id, request_id=request_id)
    root = root_of(_post(client, body, django_capture_on_commit_callbacks))
    assert text(root, "messageStatus") == "ERROR"
    assert text(root, "errorType") == "UnrecognisedDataValue"
    assert not IsoTransaction.objects.exists() and not LoanRequest.objects.exists()


def test_a_request_id_of_200_characters_is_taken(
    client, peer, django_capture_on_commit_callbacks
) -> None:
    material = MaterialFactory()
    body = request_xml(**peer.auth, ndl_id=material.ndl_id, request_id="x" * 200)
    root = root_of(_post(client, body, django_capture_on_commit_callbacks))
    assert text(root, "messageStatus") == "OK"
    assert IsoTransaction.objects.get().requesting_request_id == "x" * 200
