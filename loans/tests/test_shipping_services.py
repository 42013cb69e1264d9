import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from core.errors import DomainError
from core.models import AuditEntry, OutgoingMail, Site
from core.tests.factories import StaffFactory
from loans.models import LoanRequest, LoanStatus, ReceiptChannel, Shipment
from loans.services.shipping import (
    loan_pack,
    receipt_letter_record,
    shipment_confirm_receipt,
    shipment_dispatch,
    shipment_record_delivery,
)
from loans.tests.factories import (
    AcceptedLoanFactory,
    LoanRequestFactory,
    MaterialFactory,
    PackedLoanFactory,
    ShipmentFactory,
)
from registration.tests.factories import LibraryFactory
from returns.tests.factories import ShippedLoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)


TODAY = dt.date(2026, 3, 20)
GOOD = "RR123456785JP"


@pytest.fixture
def tokyo_staff(tokyo: Site):
    return StaffFactory(is_superuser=False, site=tokyo)


def _packed(n: int = 2, **kwargs):
    library = kwargs.pop("library", None) or LibraryFactory()
    return [PackedLoanFactory(library=library, **kwargs) for _ in range(n)]


# --- pack -----------------------------------------------------------------------


def test_it_packs_an_accepted_item(tokyo_staff) -> None:
    loan = AcceptedLoanFactory()
    loan_pack(loan_id=loan.pk, actor=tokyo_staff)
    loan.refresh_from_db()
    assert loan.packed_at is not None
    assert loan.status == LoanStatus.ACCEPTED
    assert AuditEntry.objects.filter(action="loans.loan.pack", object_id=str(loan.pk)).exists()


def test_it_refuses_to_pack_twice_or_a_requested_item(tokyo_staff) -> None:
    with pytest.raises(DomainError, match="already packed"):
        loan_pack(loan_id=PackedLoanFactory().pk, actor=tokyo_staff)
    with pytest.raises(DomainError, match="“Requested”, so you cannot pull and pack"):
        loan_pack(loan_id=LoanRequestFactory().pk, actor=tokyo_staff)


def test_staff_cannot_pack_another_sites_item(tokyo_staff, kansai: Site) -> None:
    loan = AcceptedLoanFactory(material=MaterialFactory(site=kansai))
    with pytest.raises(DomainError, match="another NDL site"):
        loan_pack(loan_id=loan.pk, actor=tokyo_staff)
    loan.refresh_from_db()
    assert loan.packed_at is None


# --- dispatch -------------------------------------------------------------------


def test_it_dispatches_packed_items_and_emails_the_library(
    tokyo_staff, django_capture_on_commit_callbacks
) -> None:
    loans = _packed(2)
    with django_capture_on_commit_callbacks(execute=True):
        shipment = shipment_dispatch(
            loan_ids=[loan.pk for loan in loans],
            tracking_number=" rr 123456785 jp",
            shipped_on=TODAY,
            actor=tokyo_staff,
        )
    assert shipment.tracking_number == GOOD
    assert shipment.site.code == "tokyo"
    assert shipment.library == loans[0].library
    for loan in loans:
        loan.refresh_from_db()
        assert loan.status == LoanStatus.SHIPPED
        assert loan.shipment == shipment
    mail = OutgoingMail.objects.get(dedupe_key=f"shipment-dispatched-{shipment.pk}")
    assert mail.to == [loans[0].library.email]
    assert GOOD in mail.subject
    assert GOOD in mail.body_text
    # Where the due date is told, so is the rule: no extension, ask again later.
    assert (
        "Loans are not extended; the item may be requested again after its return."
        in mail.body_text
        or "貸出期間は延長されません。返却後に改めて貸出を申し込むことができます。"
        in mail.body_text
    )
    assert AuditEntry.objects.filter(action="loans.shipment.dispatch").count() == 1


def _refused(loans, *, match: str, actor, number: str = GOOD, shipped_on=TODAY) -> None:
    with pytest.raises(DomainError, match=match):
        shipment_dispatch(
            loan_ids=[loan.pk for loan in loans],
            tracking_number=number,
            shipped_on=shipped_on,
            actor=actor,
        )
    assert not Shipment.objects.exists()
    assert not LoanRequest.objects.filter(status=LoanStatus.SHIPPED).exists()


@pytest.mark.parametrize(
    ("number", "match"),
    [("RR123456784JP", "wrong check digit"), ("RR1234567JP", "two letters, nine digits")],
)
def test_it_refuses_a_bad_tracking_number(tokyo_staff, number, match) -> None:
    _refused(_packed(1), match=match, actor=tokyo_staff, number=number)


def test_it_refuses_a_future_shipping_date_but_accepts_today(tokyo_staff) -> None:
    loans = _packed(1)
    _refused(loans, match="future", actor=tokyo_staff, shipped_on=TODAY + dt.timedelta(days=1))
    shipment_dispatch(
        loan_ids=[loans[0].pk], tracking_number=GOOD, shipped_on=TODAY, actor=tokyo_staff
    )


def test_it_refuses_mixing_libraries(tokyo_staff) -> None:
    _refused([PackedLoanFactory(), PackedLoanFactory()], match="several", actor=tokyo_staff)


def test_it_refuses_mixing_sites(kansai: Site) -> None:
    library = LibraryFactory()
    loans = [
        PackedLoanFactory(library=library),
        PackedLoanFactory(library=library, material=MaterialFactory(site=kansai)),
    ]
    _refused(loans, match="one NDL site", actor=StaffFactory())


def test_it_refuses_another_sites_items(tokyo_staff, kansai: Site) -> None:
    loans = _packed(1, material=MaterialFactory(site=kansai))
    _refused(loans, match="another NDL site", actor=tokyo_staff)


def test_it_refuses_an_item_not_accepted_or_not_packed(tokyo_staff) -> None:
    library = LibraryFactory()
    _refused([LoanRequestFactory(library=library)], match="cannot dispatch", actor=tokyo_staff)
    _refused([AcceptedLoanFactory(library=library)], match="not packed", actor=tokyo_staff)


def test_it_refuses_a_tracking_number_used_before(tokyo_staff) -> None:
    ShipmentFactory(tracking_number=GOOD)
    with pytest.raises(DomainError, match="already used"):
        shipment_dispatch(
            loan_ids=[_packed(1)[0].pk], tracking_number=GOOD, shipped_on=TODAY, actor=tokyo_staff
        )


def test_the_database_refuses_a_malformed_tracking_number() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ShipmentFactory(tracking_number="12345")


def test_the_database_refuses_delivery_before_shipping() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ShipmentFactory(shipped_on=TODAY, delivered_on=TODAY - dt.timedelta(days=1))


# --- delivery and receipt ---------------------------------------------------------


def test_it_records_the_delivery_date(tokyo_staff) -> None:
    shipment = ShipmentFactory(shipped_on=dt.date(2026, 3, 2))
    shipment_record_delivery(
        shipment_id=shipment.pk, delivered_on=dt.date(2026, 3, 9), actor=tokyo_staff
    )
    shipment.refresh_from_db()
    assert shipment.delivered_on == dt.date(2026, 3, 9)
    with pytest.raises(DomainError, match="before the shipment"):
        shipment_record_delivery(
            shipment_id=shipment.pk, delivered_on=dt.date(2026, 3, 1), actor=tokyo_staff
        )
    with pytest.raises(DomainError, match="future"):
        shipment_record_delivery(
            shipment_id=shipment.pk, delivered_on=TODAY + dt.timedelta(days=1), actor=tokyo_staff
        )
    shipment.refresh_from_db()
    assert shipment.delivered_on == dt.date(2026, 3, 9)


def test_the_library_confirms_receipt_and_the_due_date_is_set() -> None:
    loan = ShippedLoanFactory()
    other = ShippedLoanFactory(library=loan.library, shipment=loan.shipment)
    shipment_confirm_receipt(
        shipment_id=loan.shipment.pk,
        library=loan.library,
        received_on=dt.date(2026, 3, 10),
        conditions={loan.pk: "Good", other.pk: "Corner slightly bent"},
        actor=None,
    )
    loan.refresh_from_db()
    other.refresh_from_db()
    assert loan.status == other.status == LoanStatus.RECEIVED
    assert loan.received_on == dt.date(2026, 3, 10)
    assert loan.due_on == dt.date(2026, 4, 10)
    assert other.condition_on_receipt == "Corner slightly bent"
    loan.shipment.refresh_from_db()
    assert loan.shipment.received_on == dt.date(2026, 3, 10)
    assert loan.shipment.receipt_channel == ReceiptChannel.PORTAL


def test_received_on_31_january_is_due_on_28_february(time_machine) -> None:
    time_machine.move_to("2026-02-02 10:00 +0900", tick=False)
    loan = ShippedLoanFactory(shipment__shipped_on=dt.date(2026, 1, 20))
    shipment_confirm_receipt(
        shipment_id=loan.shipment.pk,
        library=loan.library,
        received_on=dt.date(2026, 1, 31),
        conditions={},
        actor=None,
    )
    loan.refresh_from_db()
    assert loan.due_on == dt.date(2026, 2, 28)


@pytest.mark.parametrize(
    ("received_on", "match"),
    [
        (dt.date(2026, 3, 1), "before the shipment date"),  # shipped 2026-03-02
        (TODAY + dt.timedelta(days=1), "future"),
    ],
)
def test_it_refuses_a_bad_receipt_date(received_on, match) -> None:
    loan = ShippedLoanFactory()
    with pytest.raises(DomainError, match=match):
        shipment_confirm_receipt(
            shipment_id=loan.shipment.pk,
            library=loan.library,
            received_on=received_on,
            conditions={},
            actor=None,
        )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SHIPPED
    assert loan.due_on is None
    assert loan.shipment.received_on is None


def test_receipt_on_the_shipping_day_and_today_are_accepted() -> None:
    first, second = ShippedLoanFactory(), ShippedLoanFactory()
    for loan, day in ((first, dt.date(2026, 3, 2)), (second, TODAY)):
        shipment_confirm_receipt(
            shipment_id=loan.shipment.pk,
            library=loan.library,
            received_on=day,
            conditions={},
            actor=None,
        )
        loan.refresh_from_db()
        assert loan.received_on == day


def test_a_library_cannot_confirm_another_librarys_shipment() -> None:
    loan = ShippedLoanFactory()
    with pytest.raises(DomainError, match="does not exist"):
        shipment_confirm_receipt(
            shipment_id=loan.shipment.pk,
            library=LibraryFactory(),
            received_on=TODAY,
            conditions={},
            actor=None,
        )


def test_receipt_cannot_be_recorded_twice(tokyo_staff) -> None:
    loan = ShippedLoanFactory()
    shipment_confirm_receipt(
        shipment_id=loan.shipment.pk,
        library=loan.library,
        received_on=TODAY,
        conditions={},
        actor=None,
    )
    with pytest.raises(DomainError, match="already recorded"):
        shipment_confirm_receipt(
            shipment_id=loan.shipment.pk,
            library=loan.library,
            received_on=TODAY,
            conditions={},
            actor=None,
        )
    # The faxed letter that follows a portal confirmation is filed with it
    # (loans/tests/test_moves_examples.py); a second letter is refused.
    letter = {
        "shipment_id": loan.shipment.pk,
        "channel": ReceiptChannel.FAX,
        "letter_on": TODAY,
        "received_on": TODAY,
        "conditions": {},
        "actor": tokyo_staff,
    }
    receipt_letter_record(**letter)
    with pytest.raises(DomainError, match="already recorded"):
        receipt_letter_record(**letter)


def test_staff_record_a_faxed_receipt_letter(tokyo_staff) -> None:
    loan = ShippedLoanFactory()
    receipt_letter_record(
        shipment_id=loan.shipment.pk,
        channel=ReceiptChannel.FAX,
        letter_on=dt.date(2026, 3, 12),
        received_on=dt.date(2026, 3, 10),
        conditions={loan.pk: "Good"},
        actor=tokyo_staff,
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.RECEIVED
    assert loan.due_on == dt.date(2026, 4, 10)
    shipment = loan.shipment
    shipment.refresh_from_db()
    assert shipment.receipt_letter_on == dt.date(2026, 3, 12)
    assert shipment.receipt_channel == ReceiptChannel.FAX


@pytest.mark.parametrize(
    ("channel", "letter_on", "received_on", "match"),
    [
        (ReceiptChannel.PORTAL, dt.date(2026, 3, 12), dt.date(2026, 3, 10), "by fax or email"),
        (ReceiptChannel.EMAIL, dt.date(2026, 3, 9), dt.date(2026, 3, 10), "before the items"),
        (ReceiptChannel.EMAIL, dt.date(2026, 3, 21), dt.date(2026, 3, 10), "future"),
        (ReceiptChannel.EMAIL, dt.date(2026, 3, 12), dt.date(2026, 3, 1), "before the shipment"),
    ],
)
def test_it_refuses_a_bad_receipt_letter(
    tokyo_staff, channel, letter_on, received_on, match
) -> None:
    loan = ShippedLoanFactory()
    with pytest.raises(DomainError, match=match):
        receipt_letter_record(
            shipment_id=loan.shipment.pk,
            channel=channel,
            letter_on=letter_on,
            received_on=received_on,
            conditions={},
            actor=tokyo_staff,
        )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SHIPPED


@pytest.mark.django_db
def test_a_shipment_cannot_be_dated_before_its_items_were_packed(time_machine):
    from loans.services.shipping import loan_pack, shipment_dispatch
    from loans.tests.factories import AcceptedLoanFactory

    loan = AcceptedLoanFactory()
    staff = StaffFactory()
    time_machine.move_to("2026-03-05 09:00 +0900", tick=False)
    loan_pack(loan_id=loan.pk, actor=staff)
    with pytest.raises(DomainError, match="packed on 2026-03-05"):
        shipment_dispatch(
            loan_ids=[loan.pk],
            tracking_number="RR123456785JP",
            shipped_on=dt.date(2026, 3, 4),
            actor=staff,
        )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACCEPTED
    assert not Shipment.objects.exists()
    shipment = shipment_dispatch(
        loan_ids=[loan.pk],
        tracking_number="RR123456785JP",
        shipped_on=dt.date(2026, 3, 5),
        actor=staff,
    )
    assert shipment.shipped_on == dt.date(2026, 3, 5)
