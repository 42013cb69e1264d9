"""Copy and CopyOrLoan requests by ISO 18626 become photocopy requests through
the copies app's services: its rules, its quote, its staff's decisions; every
message we send validates against the XSD of the peer's version."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from catalogue.models import MaterialType
from catalogue.rules import loanability
from copies.models import ColourMode, CopyRequest, CopyStatus
from copies.rules import Reason
from copies.services.requests import (
    copy_dispatch,
    copy_pages_record,
    copy_request_accept,
    copy_request_refuse,
)
from copies.tests.factories import BookFactory, fee_table
from core.tests.factories import StaffFactory
from iso18626.models import IsoTransaction, TransactionState
from iso18626.xml import NS
from loans.models import LoanRequest
from loans.tests.factories import LoanRequestFactory, MaterialFactory

from .conftest import make_peer
from .helpers import assert_valid, reqmsg_xml, request_xml, root_of, status_of, text

pytestmark = pytest.mark.django_db

URL = "/iso18626/"


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-11-20 10:00 +0900", tick=False)


@pytest.fixture(autouse=True)
def _fees(db: None) -> None:
    fee_table()


def _post(client, body: bytes, capture) -> bytes:
    with capture(execute=True):
        response = client.post(URL, data=body, content_type="application/xml")
    assert_valid(response.content)
    return response.content


def _sent(wire) -> list[tuple[str, str]]:
    return [
        (text(root, "reasonForMessage"), text(root, "status"))
        for root in (assert_valid(body) for body in wire.sent)
    ]


def _serial():  # type: ignore[no-untyped-def]
    return MaterialFactory(material_type=MaterialType.SERIAL, title="Toshokan zasshi")


@pytest.mark.parametrize("version", ["1.2", "2021-2"])
def test_a_serial_article_is_copied_quoted_and_sent(
    client, wire, django_capture_on_commit_callbacks, version
) -> None:
    capture = django_capture_on_commit_callbacks
    peer = make_peer(version=version)
    serial = _serial()
    staff = StaffFactory()
    body = request_xml(
        **peer.auth,
        ndl_id=serial.ndl_id,
        service_type="Copy",
        version=version,
        component="Interlibrary loan in Japan",
        component_author="Sato Hanako",
        volume="112",
        issue="3",
        pages="pp. 45-60",
    )
    assert status_of(_post(client, body, capture)) == ("OK", "")
    tx = IsoTransaction.objects.get()
    copy = tx.copy
    assert copy is not None and tx.loan is None and tx.state == TransactionState.LINKED
    assert (copy.status, copy.pages_from, copy.pages_to) == (CopyStatus.REQUESTED, 45, 60)
    assert copy.article_title == "Interlibrary loan in Japan"
    assert copy.article_author == "Sato Hanako"
    assert copy.volume_issue == "112, 3"
    assert copy.colour == ColourMode.MONOCHROME
    assert copy.research_declared
    assert copy.library_id == peer.peer.library_id
    assert copy.quoted_total is not None
    assert LoanRequest.objects.count() == 0

    with capture(execute=True):
        copy_request_accept(request=copy, actor=staff)
    with capture(execute=True):
        copy_pages_record(request=copy, actor=staff, pages=16)
        copy_dispatch(request=copy, actor=staff, sent_on=dt.date(2026, 11, 20))
    # The library's system may say it received them: logged, nothing else.
    received = _post(client, reqmsg_xml(**peer.auth, action="Received", version=version), capture)
    assert status_of(received) == ("OK", "")

    assert _sent(wire) == [
        ("RequestResponse", "ExpectToSupply"),
        ("RequestResponse", "WillSupply"),
        ("StatusChange", "CopyCompleted"),
    ]
    will = root_of(wire.sent[1])
    costs = will.find(f".//{{{NS}}}offeredCosts")
    assert costs is not None
    assert costs.getparent().tag == f"{{{NS}}}" + (
        "messageInfo" if version == "1.2" else "retryInfo"
    )
    assert text(will, "offeredCosts/currencyCode") == "JPY"
    assert Decimal(text(will, "offeredCosts/monetaryValue")) == copy.quoted_total
    assert text(will, "supplyingAgencyRequestId") == f"NDL-C{copy.pk}"
    assert "円" in text(will, "note")
    assert "2026-11-20" in text(root_of(wire.sent[2]), "note")


def test_more_than_half_of_a_book_is_unfilled_with_the_half_rule(
    client, wire, peer, django_capture_on_commit_callbacks
) -> None:
    book = BookFactory()  # 300 pages
    body = request_xml(**peer.auth, ndl_id=book.ndl_id, service_type="Copy", pages="1-151")
    _post(client, body, django_capture_on_commit_callbacks)
    root = root_of(wire.sent[-1])
    assert (text(root, "status"), text(root, "reasonUnfilled")) == ("Unfilled", "PolicyProblem")
    note = text(root, "note")
    assert f"[{Reason.MORE_THAN_HALF}]" in note
    assert "151/300" in note and "Article 31" in note and "著作権法第31条" in note
    assert CopyRequest.objects.count() == 0
    assert IsoTransaction.objects.get().state == TransactionState.UNFILLED


def test_exactly_half_of_a_book_is_copied_as_a_chapter(
    client, wire, peer, django_capture_on_commit_callbacks
) -> None:
    book = BookFactory()
    body = request_xml(
        **peer.auth, isbn="", ndl_id=book.ndl_id, service_type="Copy", pages="151-300",
        component="Chapter 5", note="Please copy in colour.",
    )  # fmt: skip
    _post(client, body, django_capture_on_commit_callbacks)
    copy = CopyRequest.objects.get()
    assert (copy.pages_from, copy.pages_to, copy.chapter_title) == (151, 300, "Chapter 5")
    assert copy.colour == ColourMode.COLOUR
    assert _sent(wire) == [("RequestResponse", "ExpectToSupply")]


def test_every_copy_reason_is_in_the_note(
    client, wire, peer, django_capture_on_commit_callbacks
) -> None:
    serial = _serial()
    body = request_xml(**peer.auth, ndl_id=serial.ndl_id, service_type="Copy")
    _post(client, body, django_capture_on_commit_callbacks)
    root = root_of(wire.sent[-1])
    assert text(root, "status") == "Unfilled"
    assert f"[{Reason.PART_NOT_GIVEN}]" in text(root, "note")
    assert "複写する箇所を特定してください" in text(root, "note")


def test_copy_or_loan_of_a_loanable_book_is_a_loan(
    client, wire, peer, django_capture_on_commit_callbacks
) -> None:
    material = MaterialFactory()
    assert loanability(material) == []
    body = request_xml(**peer.auth, ndl_id=material.ndl_id, service_type="CopyOrLoan", pages="1-9")
    _post(client, body, django_capture_on_commit_callbacks)
    tx = IsoTransaction.objects.get()
    assert tx.loan is not None and tx.copy is None
    assert CopyRequest.objects.count() == 0
    assert _sent(wire) == [("RequestResponse", "ExpectToSupply")]


def test_copy_or_loan_of_a_serial_is_a_copy(
    client, wire, peer, django_capture_on_commit_callbacks
) -> None:
    serial = _serial()
    assert loanability(serial) != []
    body = request_xml(
        **peer.auth, ndl_id=serial.ndl_id, service_type="CopyOrLoan", component="An article",
        volume="7", issue="2", pages="10-12",
    )  # fmt: skip
    _post(client, body, django_capture_on_commit_callbacks)
    tx = IsoTransaction.objects.get()
    assert tx.copy is not None and tx.loan is None
    assert LoanRequest.objects.count() == 0


def test_staff_refusal_is_unfilled_with_the_reasons(
    client, wire, peer, django_capture_on_commit_callbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    serial = _serial()
    body = request_xml(
        **peer.auth, ndl_id=serial.ndl_id, service_type="Copy", component="An article",
        volume="7", issue="2", pages="10-12",
    )  # fmt: skip
    _post(client, body, capture)
    copy = CopyRequest.objects.get()
    with capture(execute=True):
        copy_request_refuse(request=copy, actor=StaffFactory(), codes=[Reason.NOT_ON_SHELF])
    root = root_of(wire.sent[-1])
    assert _sent(wire)[-1] == ("RequestResponse", "Unfilled")
    assert text(root, "reasonUnfilled") == "NotOnShelf"
    assert f"[{Reason.NOT_ON_SHELF}]" in text(root, "note")


def test_cancel_before_copying_yes(client, wire, peer, django_capture_on_commit_callbacks) -> None:
    capture = django_capture_on_commit_callbacks
    serial = _serial()
    body = request_xml(
        **peer.auth, ndl_id=serial.ndl_id, service_type="Copy", component="An article",
        volume="7", issue="2", pages="10-12",
    )  # fmt: skip
    _post(client, body, capture)
    _post(client, reqmsg_xml(**peer.auth, action="Cancel"), capture)
    assert CopyRequest.objects.get().status == CopyStatus.CANCELLED
    assert _sent(wire) == [("RequestResponse", "ExpectToSupply"), ("CancelResponse", "Cancelled")]
    assert text(root_of(wire.sent[-1]), "answerYesNo") == "Y"


def test_a_transaction_is_a_loan_or_a_copy_not_both(peer) -> None:
    loan = LoanRequestFactory(library=peer.peer.library)
    serial = _serial()
    copy = CopyRequest.objects.create(
        library=peer.peer.library, material=serial, channel="portal", research_declared=True
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        IsoTransaction.objects.create(
            peer=peer.peer, requesting_request_id="both", state=TransactionState.LINKED,
            loan=loan, copy=copy, version="1.2",
        )  # fmt: skip
    IsoTransaction.objects.create(
        peer=peer.peer, requesting_request_id="copy", state=TransactionState.LINKED, copy=copy,
        version="1.2",
    )  # fmt: skip


def test_a_held_copy_request_identified_by_staff_becomes_a_copy(
    client, wire, peer, django_capture_on_commit_callbacks
) -> None:
    from iso18626.services import transaction_identify

    capture = django_capture_on_commit_callbacks
    serial = _serial()
    body = request_xml(
        **peer.auth, service_type="Copy", title="Unknown journal", component="An article",
        volume="7", issue="2", pages="10-12",
    )  # fmt: skip
    _post(client, body, capture)
    tx = IsoTransaction.objects.get()
    assert tx.state == TransactionState.IDENTIFY
    with capture(execute=True):
        transaction_identify(transaction_id=tx.pk, ndl_id=serial.ndl_id, actor=StaffFactory())
    tx.refresh_from_db()
    assert tx.copy is not None and (tx.copy.pages_from, tx.copy.pages_to) == (10, 12)
    assert _sent(wire) == [
        ("RequestResponse", "ExpectToSupply"),
        ("RequestResponse", "ExpectToSupply"),
    ]
