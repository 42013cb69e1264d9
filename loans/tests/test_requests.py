import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction

from catalogue.models import MaterialType
from catalogue.rules import Reason
from catalogue.tests.factories import MaterialFactory
from core.errors import DomainError
from core.models import AuditEntry, OutgoingMail, Site, SiteCode
from core.tests.factories import StaffFactory
from loans.models import (
    CAP_COUNTING_STATUSES,
    ISO18626_STATUS,
    LOAN_CAP,
    LoanRequest,
    LoanStatus,
    RequestChannel,
    Shipment,
)
from loans.services.requests import (
    loan_request_accept,
    loan_request_cancel,
    loan_request_create,
    loan_request_reject,
)
from loans.tests.factories import LoanRequestFactory
from registration.models import Language, LibraryStatus
from registration.tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db

NDL_WORDING = "We cannot accept any form other than the designated request form."


def _create(library, *materials, channel=RequestChannel.PORTAL, **kwargs):
    return loan_request_create(
        library=library,
        ndl_ids=[m.ndl_id for m in materials],
        channel=channel,
        actor=None,
        **kwargs,
    )


def _shipment(library) -> Shipment:
    return Shipment.objects.create(
        site=Site.objects.get(code=SiteCode.TOKYO),
        library=library,
        tracking_number=f"RR{Shipment.objects.count():09d}JP",
        shipped_on=dt.date(2026, 3, 1),
    )


def _holding(library, n, status=LoanStatus.RECEIVED):
    """``n`` requests of ``library`` in ``status``."""
    for _ in range(n):
        extra = {}
        if status not in (
            LoanStatus.REQUESTED,
            LoanStatus.ACCEPTED,
            LoanStatus.REJECTED,
            LoanStatus.CANCELLED,
        ):
            extra["shipment"] = _shipment(library)
        LoanRequestFactory(library=library, status=status, **extra)


# --- creating ------------------------------------------------------------------
def test_it_creates_a_request_and_audits_it():
    library = LibraryFactory()
    material = MaterialFactory()
    [loan] = _create(library, material)
    assert loan.status == LoanStatus.REQUESTED
    assert loan.channel == RequestChannel.PORTAL
    entry = AuditEntry.objects.get(action="loans.loan_request.create")
    assert entry.object_id == str(loan.pk)
    assert entry.data["ndl_id"] == material.ndl_id


def test_it_creates_several_at_once():
    library = LibraryFactory()
    loans = _create(library, *MaterialFactory.create_batch(3))
    assert len(loans) == 3
    assert LoanRequest.objects.filter(library=library).count() == 3


def test_several_items_are_all_or_nothing():
    library = LibraryFactory()
    good = MaterialFactory.create_batch(2)
    rare = MaterialFactory(is_rare=True)
    with pytest.raises(DomainError) as exc:
        _create(library, *good, rare)
    assert exc.value.code == "not_loanable"
    assert rare.ndl_id in exc.value.message
    assert "Rare and precious" in exc.value.message
    assert not LoanRequest.objects.exists()
    assert not AuditEntry.objects.exists()


def test_it_refuses_an_unknown_ndl_id():
    library = LibraryFactory()
    good = MaterialFactory()
    with pytest.raises(DomainError) as exc:
        loan_request_create(
            library=library, ndl_ids=[good.ndl_id, "999999999"], channel="portal", actor=None
        )
    assert exc.value.code == "unknown"
    assert "999999999" in exc.value.message
    assert not LoanRequest.objects.exists()


def test_it_refuses_an_empty_request():
    with pytest.raises(DomainError) as exc:
        loan_request_create(library=LibraryFactory(), ndl_ids=[" "], channel="portal", actor=None)
    assert exc.value.code == "empty"


def test_it_refuses_a_material_that_is_not_loanable_with_every_reason():
    library = LibraryFactory()
    m = MaterialFactory(acquired_on=dt.date(1995, 12, 31), material_type=MaterialType.MICROFICHE)
    with pytest.raises(DomainError) as exc:
        _create(library, m)
    assert "1 January 1996" in exc.value.message
    assert "microfiche" in exc.value.message
    assert not LoanRequest.objects.exists()


@pytest.mark.parametrize("status", [LibraryStatus.SUSPENDED, LibraryStatus.WITHDRAWN])
def test_a_suspended_or_withdrawn_library_cannot_request(status):
    library = LibraryFactory(status=status)
    with pytest.raises(DomainError) as exc:
        _create(library, MaterialFactory())
    assert exc.value.code == "library_cannot_request"
    assert not LoanRequest.objects.exists()


@pytest.mark.parametrize("channel", [RequestChannel.FAX, RequestChannel.POST])
def test_fax_or_post_must_be_on_the_designated_form(channel):
    library = LibraryFactory()
    m = MaterialFactory()
    with pytest.raises(DomainError) as exc:
        _create(library, m, channel=channel, on_designated_form=False)
    assert exc.value.message == NDL_WORDING
    assert not LoanRequest.objects.exists()
    [loan] = _create(library, m, channel=channel, on_designated_form=True)
    assert loan.channel == channel


def test_it_refuses_an_unknown_channel():
    with pytest.raises(DomainError):
        _create(LibraryFactory(), MaterialFactory(), channel="email")


# --- one active request per item ----------------------------------------------
def test_an_item_requested_by_another_library_is_unavailable():
    m = MaterialFactory()
    _create(LibraryFactory(), m)
    other = LibraryFactory()
    with pytest.raises(DomainError) as exc:
        _create(other, m)
    assert exc.value.code == "unavailable"
    assert "already requested or out on loan" in exc.value.message
    assert not LoanRequest.objects.filter(library=other).exists()


def test_the_same_items_twice_is_a_duplicate():
    library = LibraryFactory()
    items = MaterialFactory.create_batch(2)
    _create(library, *items)
    with pytest.raises(DomainError) as exc:
        _create(library, *items)
    assert exc.value.code == "duplicate"
    assert LoanRequest.objects.count() == 2


def test_an_item_back_at_the_ndl_can_be_requested_again():
    library = LibraryFactory()
    m = MaterialFactory()
    _holding_item = LoanRequestFactory(
        library=library, material=m, status=LoanStatus.CHECKED_IN, shipment=_shipment(library)
    )
    [loan] = _create(library, m)
    assert loan.pk != _holding_item.pk


def test_the_database_refuses_a_second_active_request_for_an_item():
    m = MaterialFactory()
    LoanRequestFactory(material=m)
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanRequest.objects.create(library=LibraryFactory(), material=m, channel="portal")


def test_a_race_on_the_same_item_becomes_a_clear_message(monkeypatch):
    # Pretend the check saw nothing (the other library committed just after it).
    m = MaterialFactory()
    LoanRequestFactory(material=m)
    monkeypatch.setattr("loans.services.requests.ACTIVE_STATUSES", ())
    library = LibraryFactory()
    with pytest.raises(DomainError) as exc:
        _create(library, m)
    assert exc.value.code == "unavailable"
    assert not LoanRequest.objects.filter(library=library).exists()


# --- the ten-item cap ---------------------------------------------------------
def test_nine_held_and_one_more_is_allowed():
    library = LibraryFactory()
    _holding(library, 9)
    assert len(_create(library, MaterialFactory())) == 1


def test_ten_held_and_one_more_is_refused_naming_the_count():
    library = LibraryFactory()
    _holding(library, 10)
    with pytest.raises(DomainError) as exc:
        _create(library, MaterialFactory())
    assert exc.value.code == "cap"
    assert "already has 10 of 10 items" in exc.value.message
    assert "at most 0 more" in exc.value.message
    assert LoanRequest.objects.filter(library=library).count() == 10


def test_eight_held_two_more_fit_but_three_do_not():
    library = LibraryFactory()
    _holding(library, 8, status=LoanStatus.REQUESTED)
    with pytest.raises(DomainError) as exc:
        _create(library, *MaterialFactory.create_batch(3))
    assert "Your library already has 8 of 10 items; you can request at most 2 more." in (
        exc.value.message
    )
    assert LoanRequest.objects.filter(library=library).count() == 8
    assert len(_create(library, *MaterialFactory.create_batch(2))) == 2


def test_eleven_at_once_is_refused():
    with pytest.raises(DomainError) as exc:
        _create(LibraryFactory(), *MaterialFactory.create_batch(LOAN_CAP + 1))
    assert exc.value.code == "cap"
    assert not LoanRequest.objects.exists()


@pytest.mark.parametrize("status", list(CAP_COUNTING_STATUSES))
def test_every_counting_status_counts(status):
    library = LibraryFactory()
    _holding(library, 10, status=status)
    with pytest.raises(DomainError):
        _create(library, MaterialFactory())


@pytest.mark.parametrize(
    "status",
    [LoanStatus.REJECTED, LoanStatus.CANCELLED, LoanStatus.CHECKED_IN, LoanStatus.LOSS_SETTLED],
)
def test_closed_requests_do_not_count(status):
    library = LibraryFactory()
    _holding(library, 10, status=status)
    assert len(_create(library, MaterialFactory())) == 1


def test_another_librarys_items_do_not_count():
    _holding(LibraryFactory(), 10)
    assert len(_create(LibraryFactory(), MaterialFactory())) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_cap_holds_under_thirty_concurrent_requests():
    library = LibraryFactory()
    materials = MaterialFactory.create_batch(30)
    barrier = threading.Barrier(30)
    results: list[str] = []
    lock = threading.Lock()

    def request(ndl_id: str) -> None:
        try:
            barrier.wait()
            loan_request_create(library=library, ndl_ids=[ndl_id], channel="portal", actor=None)
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=request, args=(m.ndl_id,)) for m in materials]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 10
    assert results.count("cap") == 20
    assert LoanRequest.objects.filter(library=library).count() == 10


# --- cancelling ---------------------------------------------------------------
@pytest.mark.parametrize("status", [LoanStatus.REQUESTED, LoanStatus.ACCEPTED])
def test_a_library_can_cancel_before_shipment(status):
    loan = LoanRequestFactory(status=status)
    loan_request_cancel(loan=loan, actor=None)
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CANCELLED
    assert loan.cancelled_at is not None
    assert AuditEntry.objects.filter(action="loans.loan_request.cancel").count() == 1


def test_a_shipped_request_cannot_be_cancelled():
    library = LibraryFactory()
    loan = LoanRequestFactory(
        library=library, status=LoanStatus.SHIPPED, shipment=_shipment(library)
    )
    with pytest.raises(DomainError) as exc:
        loan_request_cancel(loan=loan, actor=None)
    assert exc.value.code == "not_allowed_now"
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SHIPPED
    assert loan.cancelled_at is None


def test_a_cancelled_request_frees_a_place_under_the_cap():
    library = LibraryFactory()
    _holding(library, 9)
    [loan] = _create(library, MaterialFactory())
    with pytest.raises(DomainError):
        _create(library, MaterialFactory())
    loan_request_cancel(loan=loan, actor=None)
    assert len(_create(library, MaterialFactory())) == 1


@pytest.mark.parametrize(
    ("closed", "frees"),
    [
        (LoanStatus.LOST, False),  # a lost item counts until its case is settled
        (LoanStatus.RETURN_SHIPPED, False),  # on its way back: not yet checked in
        (LoanStatus.LOSS_SETTLED, True),
        (LoanStatus.CHECKED_IN, True),
    ],
)
def test_an_item_leaves_the_cap_only_when_back_or_its_loss_is_settled(closed, frees):
    from returns.tests.factories import ShippedLoanFactory

    library = LibraryFactory()
    _holding(library, 9)
    ShippedLoanFactory(library=library, status=closed)
    if frees:
        assert len(_create(library, MaterialFactory())) == 1
    else:
        with pytest.raises(DomainError) as exc:
            _create(library, MaterialFactory())
        assert exc.value.code == "cap"
        assert "10 of 10" in exc.value.message


# --- deciding -----------------------------------------------------------------
def test_staff_accept_and_the_library_is_told_in_its_language(django_capture_on_commit_callbacks):
    staff = StaffFactory()
    library = LibraryFactory(language=Language.JA)
    loan = LoanRequestFactory(library=library)
    with django_capture_on_commit_callbacks(execute=True):
        loan_request_accept(loan=loan, actor=staff)
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACCEPTED
    assert loan.decided_by == staff
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [library.email]
    assert loan.material.ndl_id in mail.outbox[0].subject


def test_staff_cannot_accept_a_material_that_is_not_loanable():
    loan = LoanRequestFactory()
    loan.material.is_digitized = True
    loan.material.save()
    with pytest.raises(DomainError) as exc:
        loan_request_accept(loan=loan, actor=None)
    assert "digitized" in exc.value.message
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REQUESTED
    assert not OutgoingMail.objects.exists()


def test_accepting_twice_is_refused():
    loan = LoanRequestFactory()
    loan_request_accept(loan=loan, actor=None)
    with pytest.raises(DomainError):
        loan_request_accept(loan=loan, actor=None)
    assert OutgoingMail.objects.count() == 1


def test_staff_reject_with_reasons_and_email_in_japanese(django_capture_on_commit_callbacks):
    library = LibraryFactory(language=Language.JA)
    loan = LoanRequestFactory(library=library)
    with django_capture_on_commit_callbacks(execute=True):
        loan_request_reject(
            loan=loan, actor=StaffFactory(), codes=[Reason.NOT_ON_SHELF, Reason.IN_USE]
        )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REJECTED
    assert loan.reject_codes == [Reason.NOT_ON_SHELF, Reason.IN_USE]
    [message] = mail.outbox
    assert "資料が所定の書架に見当たりません。" in message.body
    assert "資料は当館で利用中です。" in message.body
    entry = AuditEntry.objects.get(action="loans.loan_request.reject")
    assert entry.data["codes"] == [Reason.NOT_ON_SHELF, Reason.IN_USE]


def test_reject_in_english_with_other_and_a_note(django_capture_on_commit_callbacks):
    loan = LoanRequestFactory()
    with django_capture_on_commit_callbacks(execute=True):
        loan_request_reject(loan=loan, actor=None, codes=[Reason.OTHER], note="Under repair")
    assert "Under repair" in mail.outbox[0].body
    assert "cannot lend" in mail.outbox[0].subject


@pytest.mark.parametrize(
    ("codes", "note", "code"),
    [
        ([], "", "no_reason"),
        (["made_up"], "", "unknown_reason"),
        ([Reason.OTHER], "  ", "note_required"),
    ],
)
def test_a_bad_rejection_writes_nothing(codes, note, code):
    loan = LoanRequestFactory()
    with pytest.raises(DomainError) as exc:
        loan_request_reject(loan=loan, actor=None, codes=codes, note=note)
    assert exc.value.code == code
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REQUESTED
    assert not OutgoingMail.objects.exists()
    assert not AuditEntry.objects.exists()


def test_an_accepted_request_can_still_be_rejected_when_not_on_shelf():
    loan = LoanRequestFactory(status=LoanStatus.ACCEPTED)
    loan_request_reject(loan=loan, actor=None, codes=[Reason.NOT_ON_SHELF])
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REJECTED


def test_every_status_maps_to_iso_18626():
    assert set(ISO18626_STATUS) == set(LoanStatus.values)
    iso = {
        "RequestReceived",
        "ExpectToSupply",
        "WillSupply",
        "Loaned",
        "Overdue",
        "Recalled",
        "RetryPossible",
        "Unfilled",
        "CopyCompleted",
        "LoanCompleted",
        "CompletedWithoutReturn",
        "Cancelled",
    }
    assert set(ISO18626_STATUS.values()) <= iso
    loan = LoanRequestFactory()
    assert loan.iso18626_status == "RequestReceived"
