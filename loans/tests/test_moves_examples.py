"""The days real parcels bring, each with its right outcome (issue: "a loan
moves only where the physical item can be").

* an item still with the post cannot be checked in; a parcel the post brings
  back undelivered is its own outcome;
* operations on several items handle each item by its own state and say what
  they did with each;
* a report or a check-in that meets an open case joins it;
* a library that never confirms receipt gets a due date from the delivery
  date, reminders, and overdue notices like any other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from catalogue.tests.factories import MaterialFactory
from core.errors import DomainError
from core.models import AuditEntry, OutgoingMail, Site, User
from core.tests.factories import StaffFactory
from loans.models import LoanRequest, LoanStatus, ReceiptChannel, Shipment
from loans.selectors import library_outstanding_count, unavailable_material_ids
from loans.services.nightly import NightlyReport, nightly_run
from loans.services.shipping import (
    receipt_letter_record,
    shipment_confirm_receipt,
    shipment_undelivered_record,
)
from loans.tests.factories import ShipmentFactory
from registration.models import Language
from registration.tests.factories import LibraryFactory
from returns.models import CaseKind, CaseStatus, CheckIn, DamageCase, ItemCondition
from returns.services import (
    damage_case_report,
    loan_check_in,
    return_parcel_check_in,
    return_parcel_record,
)
from returns.tests.factories import HeldLoanFactory, ShippedLoanFactory

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
TODAY = dt.date(2026, 3, 20)


@pytest.fixture(autouse=True)
def _settings(settings) -> None:  # type: ignore[no-untyped-def]
    settings.NDL_OVERDUE_NOTICE_DAYS = [1, 8, 22, 43]
    settings.NDL_RECEIPT_NOTICE_DAYS = [4, 11, 25]
    settings.NDL_ESTIMATED_TRANSIT_DAYS = 10


@pytest.fixture
def clock(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)
    return time_machine


@pytest.fixture
def run(django_capture_on_commit_callbacks) -> Callable[[dt.date], NightlyReport]:  # type: ignore[no-untyped-def]
    def _run(day: dt.date) -> NightlyReport:
        moment = dt.datetime(day.year, day.month, day.day, 2, tzinfo=TOKYO)
        with (
            time_machine.travel(moment, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return nightly_run()

    return _run


def _staff(site: Site, *apps: str) -> User:
    staff = StaffFactory(is_superuser=False, site=site)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label__in=apps))
    return staff


def _messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def _check_in(loan, site, staff, **overrides):  # type: ignore[no-untyped-def]
    kwargs = {
        "loan_id": loan.pk,
        "site": site,
        "checked_in_on": TODAY,
        "condition": ItemCondition.GOOD,
        "loan_slip_enclosed": True,
        "to_borrowers_enclosed": True,
        "note": "",
        "actor": staff,
    }
    return loan_check_in(**{**kwargs, **overrides})


# --- An item with the post cannot be checked in -----------------------------------


def test_staff_cannot_check_in_an_item_shipped_and_never_received(client, clock, tokyo) -> None:
    """The issue's example: D00000003, shipped minutes ago, checked in at the admin."""
    loan = ShippedLoanFactory(material=MaterialFactory(ndl_id="D00000003"))
    client.force_login(_staff(tokyo, "returns", "loans"))
    audit_before = AuditEntry.objects.count()
    response = client.post(
        reverse("admin:returns_checkin_add"),
        {
            "ndl_id": "D00000003",
            "checked_in_on": "2026-03-20",
            "condition": "good",
            "loan_slip_enclosed": "on",
            "to_borrowers_enclosed": "on",
            "note": "",
        },
    )
    assert response.status_code == 200  # the form again, with the reason
    content = response.content.decode()
    assert f"Request #{loan.pk} (D00000003) is “Shipped”, so you cannot check the item in." in (
        content
    )
    assert "The item is with the post or the library" in content
    assert "record the delivery date" in content
    assert "record the parcel as brought back undelivered by the post" in content
    assert "record the receipt letter" in content
    assert "checked in." not in content
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SHIPPED
    assert not CheckIn.objects.exists()
    assert AuditEntry.objects.count() == audit_before
    # Nothing else moved: the item is still out, and the library can still
    # confirm its receipt.
    assert unavailable_material_ids(material_ids=[loan.material_id]) == {loan.material_id}
    shipment_confirm_receipt(
        shipment_id=loan.shipment_id,
        library=loan.library,
        received_on=TODAY,
        conditions={},
        actor=None,
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.RECEIVED
    assert loan.due_on == dt.date(2026, 4, 20)


def test_a_parcel_brought_back_undelivered_is_its_own_outcome(
    client, clock, tokyo, run, django_capture_on_commit_callbacks
) -> None:
    library = LibraryFactory()
    first = ShippedLoanFactory(library=library)
    second = ShippedLoanFactory(library=library, shipment=first.shipment)
    assert library_outstanding_count(library=library) == 2
    client.force_login(_staff(tokyo, "loans"))
    url = reverse("admin:loans_shipment_undelivered", args=[first.shipment_id])
    assert client.get(url).status_code == 200
    response = client.post(url, {"returned_on": "2026-03-20", "note": "Addressee unknown"})
    assert response.status_code == 302
    messages = _messages(response)
    assert any(first.material.ndl_id in m and "undelivered" in m for m in messages)
    for loan in (first, second):
        loan.refresh_from_db()
        assert loan.status == LoanStatus.UNDELIVERED
        assert loan.received_on is None and loan.due_on is None
        assert loan.closed_at is not None
    shipment = Shipment.objects.get()
    assert shipment.undelivered_on == TODAY
    assert shipment.undelivered_note == "Addressee unknown"
    # Back at the site: no longer counted, offered to others, not a check-in.
    assert library_outstanding_count(library=library) == 0
    assert unavailable_material_ids(material_ids=[first.material_id]) == set()
    assert not CheckIn.objects.exists()
    # No late-receipt notice for a parcel that came back.
    mail.outbox.clear()
    report = run(dt.date(2026, 4, 30))
    assert (report.late_receipts_flagged, report.late_receipt_notices) == (0, 0)
    assert mail.outbox == []
    # Recording it twice is refused with the state.
    with pytest.raises(DomainError, match="“Returned undelivered by the post”"):
        shipment_undelivered_record(
            shipment_id=shipment.pk, returned_on=TODAY, note="", actor=StaffFactory()
        )


def test_the_portal_shows_an_undelivered_parcel(client, clock) -> None:
    loan = ShippedLoanFactory()
    shipment_undelivered_record(
        shipment_id=loan.shipment_id, returned_on=TODAY, note="", actor=StaffFactory()
    )
    client.force_login(User.objects.create_user(loan.library.user_id, library=loan.library))
    response = client.get(reverse("loans:request_detail", args=[loan.pk]))
    content = response.content.decode()
    assert "Brought back to the NDL undelivered by the post" in content
    assert "Returned undelivered by the post" in content


def test_a_confirmed_receipt_is_not_undone_by_an_undelivered_record(clock) -> None:
    loan = HeldLoanFactory()
    with pytest.raises(DomainError, match="“Received by the library”"):
        shipment_undelivered_record(
            shipment_id=loan.shipment_id, returned_on=TODAY, note="", actor=StaffFactory()
        )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.RECEIVED


# --- Several items, each by its own state -------------------------------------------


def _parcel_with_a_lost_and_an_arrived_item(tokyo_staff: User):  # type: ignore[no-untyped-def]
    library = LibraryFactory()
    lost = ShippedLoanFactory(library=library)
    arrived = ShippedLoanFactory(library=library, shipment=lost.shipment)
    damage_case_report(
        loan_id=lost.pk,
        kind=CaseKind.LOSS,
        description="Missing from the parcel, says the library's letter.",
        reported_on=TODAY,
        actor=tokyo_staff,
    )
    return lost, arrived


@pytest.mark.parametrize("channel", ["portal", "fax"])
def test_receipt_of_a_parcel_with_one_lost_and_one_arrived_item(clock, run, tokyo, channel):
    staff = _staff(tokyo, "loans", "returns")
    lost, arrived = _parcel_with_a_lost_and_an_arrived_item(staff)
    if channel == "portal":
        outcomes = shipment_confirm_receipt(
            shipment_id=arrived.shipment_id,
            library=arrived.library,
            received_on=dt.date(2026, 3, 18),
            conditions={arrived.pk: "Good"},
            actor=None,
        )
    else:
        outcomes = receipt_letter_record(
            shipment_id=arrived.shipment_id,
            channel=ReceiptChannel.FAX,
            letter_on=TODAY,
            received_on=dt.date(2026, 3, 18),
            conditions={arrived.pk: "Good"},
            actor=staff,
        )
    arrived.refresh_from_db()
    lost.refresh_from_db()
    assert arrived.status == LoanStatus.RECEIVED
    assert arrived.due_on == dt.date(2026, 4, 18)
    assert lost.status == LoanStatus.LOST
    assert lost.due_on is None
    (done,) = outcomes.done
    (skipped,) = outcomes.skipped
    assert done.loan_id == arrived.pk and "due back by 2026-04-18" in done.message
    assert skipped.loan_id == lost.pk and "“Lost”" in skipped.message
    shipment = Shipment.objects.get()
    assert shipment.received_on == dt.date(2026, 3, 18)
    # Not flagged for a late receipt letter afterwards.
    mail.outbox.clear()
    run(dt.date(2026, 3, 30))
    shipment.refresh_from_db()
    assert shipment.late_letter_flagged_on is None
    assert not [m for m in mail.outbox if "Receipt letter" in m.subject]


def test_the_portal_says_what_it_did_with_each_item(client, clock, tokyo) -> None:
    lost, arrived = _parcel_with_a_lost_and_an_arrived_item(_staff(tokyo, "returns"))
    client.force_login(User.objects.create_user(arrived.library.user_id, library=arrived.library))
    response = client.post(
        reverse("loans:shipment_confirm", args=[arrived.shipment_id]),
        {
            "received_on": "2026-03-19",
            f"condition_{arrived.pk}": "Good",
            f"condition_{lost.pk}": "Good",
        },
    )
    assert response.status_code == 302
    messages = _messages(response)
    assert any(arrived.material.ndl_id in m and "2026-04-19" in m for m in messages)
    assert any(f"Request #{lost.pk}" in m and "“Lost”" in m for m in messages)


def test_the_nightly_job_assumes_receipt_item_by_item(clock, run, tokyo) -> None:
    lost, arrived = _parcel_with_a_lost_and_an_arrived_item(_staff(tokyo, "returns"))
    Shipment.objects.update(delivered_on=dt.date(2026, 3, 10))
    all_lost = ShippedLoanFactory()
    damage_case_report(
        loan_id=all_lost.pk, kind=CaseKind.LOSS, description="Lost.", reported_on=TODAY, actor=None
    )
    Shipment.objects.filter(pk=all_lost.shipment_id).update(delivered_on=dt.date(2026, 3, 10))
    report = run(dt.date(2026, 3, 20))
    assert (report.late_receipts_flagged, report.late_receipt_notices) == (1, 1)
    arrived.refresh_from_db()
    lost.refresh_from_db()
    assert arrived.status == LoanStatus.RECEIVED
    assert arrived.received_on == dt.date(2026, 3, 10)
    assert lost.status == LoanStatus.LOST
    (notice,) = [m for m in mail.outbox if m.to == [arrived.library.email]]
    assert arrived.material.ndl_id in notice.body
    assert lost.material.ndl_id not in notice.body
    assert Shipment.objects.get(pk=all_lost.shipment_id).late_letter_flagged_on is None


def test_a_return_parcel_returns_each_held_item_and_says_why_not_the_others(clock) -> None:
    library = LibraryFactory()
    held = HeldLoanFactory(library=library)
    in_transit = ShippedLoanFactory(library=library, material=MaterialFactory())
    outcomes = return_parcel_record(
        library=library,
        loan_ids=[held.pk, in_transit.pk],
        method="registered_air_mail",
        carrier="",
        tracking_number="RR123456785US",
        sent_on=TODAY,
        actor=None,
    )
    held.refresh_from_db()
    in_transit.refresh_from_db()
    assert held.status == LoanStatus.RETURN_SHIPPED
    assert in_transit.status == LoanStatus.SHIPPED
    assert [i.loan_id for i in outcomes.done] == [held.pk]
    (skipped,) = outcomes.skipped
    assert "“Shipped”" in skipped.message and "confirm receipt" in skipped.message
    assert list(outcomes.subject.loans.all()) == [held]


def test_a_lost_item_that_turned_up_can_be_sent_back_and_its_case_is_told(clock) -> None:
    loan = HeldLoanFactory()
    case = damage_case_report(
        loan_id=loan.pk,
        kind=CaseKind.LOSS,
        description="Cannot find it.",
        reported_on=TODAY,
        actor=None,
        library=loan.library,
    )
    return_parcel_record(
        library=loan.library,
        loan_ids=[loan.pk],
        method="registered_air_mail",
        carrier="",
        tracking_number="RR123456785US",
        sent_on=TODAY,
        actor=None,
    )
    loan.refresh_from_db()
    case.refresh_from_db()
    assert loan.status == LoanStatus.RETURN_SHIPPED
    assert "found the item and sent it back on 2026-03-20" in case.description
    assert case.status == CaseStatus.OPEN


def test_checking_in_a_parcel_handles_each_item(clock, tokyo) -> None:
    staff = _staff(tokyo, "returns")
    library = LibraryFactory()
    first = HeldLoanFactory(library=library)
    second = HeldLoanFactory(library=library, shipment=first.shipment)
    parcel = return_parcel_record(
        library=library,
        loan_ids=[first.pk, second.pk],
        method="registered_air_mail",
        carrier="",
        tracking_number="RR123456785US",
        sent_on=TODAY,
        actor=None,
    ).subject
    _check_in(second, tokyo, staff)  # the second came through the single form
    outcomes = return_parcel_check_in(
        parcel_id=parcel.pk,
        site=tokyo,
        checked_in_on=TODAY,
        conditions={first.pk: ItemCondition.DAMAGED},
        loan_slip_enclosed=True,
        to_borrowers_enclosed=False,
        note="Corner bent",
        actor=staff,
    )
    first.refresh_from_db()
    assert first.status == LoanStatus.CHECKED_IN
    assert [i.loan_id for i in outcomes.done] == [first.pk]
    (skipped,) = outcomes.skipped
    assert skipped.loan_id == second.pk and "“Returned and checked in”" in skipped.message
    assert DamageCase.objects.get(loan=first).description == "Corner bent"
    with pytest.raises(DomainError, match="cannot check the item in"):
        return_parcel_check_in(
            parcel_id=parcel.pk,
            site=tokyo,
            checked_in_on=TODAY,
            conditions={},
            loan_slip_enclosed=True,
            to_borrowers_enclosed=True,
            note="",
            actor=staff,
        )
    assert CheckIn.objects.count() == 2


# --- Meeting an open case joins it ---------------------------------------------------


def test_a_damaged_check_in_joins_the_librarys_damage_report(
    client, clock, tokyo, django_capture_on_commit_callbacks
) -> None:
    """The issue's example: reported in the portal, then checked in as damaged."""
    loan = HeldLoanFactory()
    case = damage_case_report(
        loan_id=loan.pk,
        kind=CaseKind.DAMAGE,
        description="Coffee on pages 10-12.",
        reported_on=TODAY,
        actor=None,
        library=loan.library,
    )
    client.force_login(_staff(tokyo, "returns"))
    response = client.post(
        reverse("admin:returns_checkin_add"),
        {
            "ndl_id": loan.material.ndl_id,
            "checked_in_on": "2026-03-20",
            "condition": "damaged",
            "loan_slip_enclosed": "on",
            "to_borrowers_enclosed": "on",
            "note": "Pages 10-12 stained, spine cracked.",
        },
    )
    assert response.status_code == 302
    assert any(f"open case #{case.pk}" in m for m in _messages(response))
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CHECKED_IN
    (joined,) = DamageCase.objects.all()
    assert joined.pk == case.pk and joined.status == CaseStatus.OPEN
    assert joined.description.startswith("Coffee on pages 10-12.")
    assert "reported by NDL staff: Pages 10-12 stained, spine cracked." in joined.description
    assert AuditEntry.objects.filter(action="returns.case.join", object_id=str(case.pk)).exists()


def test_a_loss_reported_twice_is_one_case(clock, tokyo) -> None:
    loan = HeldLoanFactory()
    first = damage_case_report(
        loan_id=loan.pk,
        kind=CaseKind.LOSS,
        description="Stolen from the reading room.",
        reported_on=TODAY,
        actor=None,
        library=loan.library,
    )
    second = damage_case_report(
        loan_id=loan.pk,
        kind=CaseKind.LOSS,
        description="Letter confirming the theft.",
        reported_on=TODAY,
        actor=_staff(tokyo, "returns"),
    )
    assert first.pk == second.pk
    assert DamageCase.objects.count() == 1
    loan.refresh_from_db()
    assert loan.status == LoanStatus.LOST


def test_the_librarys_report_joins_the_case_staff_opened_and_alerts_the_site(
    clock, tokyo, django_capture_on_commit_callbacks
) -> None:
    loan = HeldLoanFactory()
    staff_case = damage_case_report(
        loan_id=loan.pk,
        kind=CaseKind.DAMAGE,
        description="Letter: water damage.",
        reported_on=TODAY,
        actor=_staff(tokyo, "returns"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        joined = damage_case_report(
            loan_id=loan.pk,
            kind=CaseKind.DAMAGE,
            description="Our own report: water damage on the cover.",
            reported_on=TODAY,
            actor=None,
            library=loan.library,
        )
    assert joined.pk == staff_case.pk
    assert "reported by the library: Our own report" in joined.description
    assert OutgoingMail.objects.filter(dedupe_key__startswith="damage-case-joined-").count() == 1


def test_a_lost_item_that_turns_up_is_checked_in_and_its_case_learns_it(clock, tokyo) -> None:
    loan = HeldLoanFactory()
    case = damage_case_report(
        loan_id=loan.pk, kind=CaseKind.LOSS, description="Gone.", reported_on=TODAY, actor=None
    )
    _check_in(loan, tokyo, _staff(tokyo, "returns"))
    case.refresh_from_db()
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CHECKED_IN
    assert "turned up and was checked in" in case.description


# --- Silent receipt ----------------------------------------------------------------


def _silent_parcel(*, delivered_on: dt.date | None, **library):  # type: ignore[no-untyped-def]
    shipment = ShipmentFactory(
        shipped_on=dt.date(2026, 4, 1), delivered_on=delivered_on, library=LibraryFactory(**library)
    )
    loan = ShippedLoanFactory(library=shipment.library, shipment=shipment)
    return shipment, loan


def test_a_silent_library_gets_a_due_date_from_the_tracked_delivery(run) -> None:
    shipment, loan = _silent_parcel(delivered_on=dt.date(2026, 4, 10))
    run(dt.date(2026, 4, 13))
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SHIPPED and mail.outbox == []
    report = run(dt.date(2026, 4, 14))
    assert (report.late_receipts_flagged, report.late_receipt_notices) == (1, 1)
    loan.refresh_from_db()
    shipment.refresh_from_db()
    assert loan.status == LoanStatus.RECEIVED
    assert loan.received_on == dt.date(2026, 4, 10)
    assert loan.due_on == dt.date(2026, 5, 10)
    assert shipment.receipt_channel == ReceiptChannel.ASSUMED
    assert shipment.received_on == dt.date(2026, 4, 10)
    (notice,) = mail.outbox
    assert "we have taken the delivery date, 2026-04-10, as the date of receipt" in notice.body
    assert "ship the items back by 2026-05-10" in notice.body
    # Run twice: one email.
    run(dt.date(2026, 4, 14))
    assert len(mail.outbox) == 1
    # Reminders at increasing intervals: day 11 and day 25 after delivery.
    for day, total in [((4, 20), 1), ((4, 21), 2), ((4, 22), 2), ((5, 4), 2)]:
        run(dt.date(2026, *day))
        assert len(mail.outbox) == total
    run(dt.date(2026, 5, 5))
    assert len(mail.outbox) == 3
    assert mail.outbox[1].subject.startswith("Reminder:")
    assert "2026-04-10" in mail.outbox[2].body
    run(dt.date(2026, 5, 30))
    assert len([m for m in mail.outbox if "receipt letter" in m.subject.lower()]) == 3
    # And overdue like any other loan: the due day is not, the day after is.
    loan.refresh_from_db()
    assert loan.status == LoanStatus.OVERDUE
    assert loan.overdue_since == dt.date(2026, 5, 11)
    assert any("overdue" in m.subject.lower() for m in mail.outbox)


def test_a_missed_night_sends_one_reminder_not_two(run) -> None:
    _silent_parcel(delivered_on=dt.date(2026, 4, 10))
    run(dt.date(2026, 5, 6))  # first night ever: day 26 after delivery
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("Receipt letter not yet received")
    assert Shipment.objects.get().receipt_notices_sent == 3


def test_silent_receipt_from_an_estimated_delivery_says_so(run) -> None:
    _, loan = _silent_parcel(delivered_on=None, language=Language.JA)
    run(dt.date(2026, 4, 14))
    assert mail.outbox == []
    run(dt.date(2026, 4, 15))  # estimated 2026-04-11, four days ago
    loan.refresh_from_db()
    assert loan.received_on == dt.date(2026, 4, 11)
    assert loan.due_on == dt.date(2026, 5, 11)
    (notice,) = mail.outbox
    assert "推定配達日の2026-04-11を受領日とみなしました" in notice.body
    assert "2026-05-11" in notice.body


def test_the_english_estimate_notice_names_the_assumed_date(run) -> None:
    _silent_parcel(delivered_on=None)
    run(dt.date(2026, 4, 15))
    (notice,) = mail.outbox
    assert "estimated delivery date, 2026-04-11, as the date of receipt" in notice.body


def test_a_late_letter_after_an_assumed_receipt_is_recorded_and_stops_the_reminders(
    run, time_machine, tokyo
) -> None:
    shipment, loan = _silent_parcel(delivered_on=dt.date(2026, 4, 10))
    run(dt.date(2026, 4, 14))
    time_machine.move_to("2026-04-16 10:00 +0900", tick=False)
    outcomes = receipt_letter_record(
        shipment_id=shipment.pk,
        channel=ReceiptChannel.EMAIL,
        letter_on=dt.date(2026, 4, 16),
        received_on=dt.date(2026, 4, 12),
        conditions={loan.pk: "Good"},
        actor=_staff(tokyo, "loans"),
    )
    assert "the due date stays 2026-05-10" in outcomes.done[0].message
    loan.refresh_from_db()
    shipment.refresh_from_db()
    assert loan.due_on == dt.date(2026, 5, 10)
    assert loan.condition_on_receipt == "Good"
    assert shipment.receipt_channel == ReceiptChannel.EMAIL
    assert shipment.receipt_letter_on == dt.date(2026, 4, 16)
    run(dt.date(2026, 4, 21))
    assert len(mail.outbox) == 1
    with pytest.raises(DomainError, match="already recorded"):
        receipt_letter_record(
            shipment_id=shipment.pk,
            channel=ReceiptChannel.EMAIL,
            letter_on=dt.date(2026, 4, 16),
            received_on=dt.date(2026, 4, 12),
            conditions={},
            actor=_staff(tokyo, "loans"),
        )


def test_an_assumed_receipt_proved_false_by_the_post_is_withdrawn(run, time_machine) -> None:
    shipment, loan = _silent_parcel(delivered_on=None)
    run(dt.date(2026, 4, 15))
    time_machine.move_to("2026-04-25 10:00 +0900", tick=False)
    shipment_undelivered_record(
        shipment_id=shipment.pk, returned_on=dt.date(2026, 4, 25), note="", actor=StaffFactory()
    )
    loan.refresh_from_db()
    shipment.refresh_from_db()
    assert loan.status == LoanStatus.UNDELIVERED
    assert loan.received_on is None and loan.due_on is None
    assert shipment.received_on is None and shipment.receipt_channel == ""
    run(dt.date(2026, 4, 30))
    assert len(mail.outbox) == 1  # the first notice only


def test_the_portal_says_which_receipt_date_was_assumed(client, run) -> None:
    _, loan = _silent_parcel(delivered_on=dt.date(2026, 4, 10))
    run(dt.date(2026, 4, 14))
    client.force_login(User.objects.create_user(loan.library.user_id, library=loan.library))
    with time_machine.travel(dt.datetime(2026, 4, 15, 10, tzinfo=TOKYO), tick=False):
        content = client.get(reverse("loans:request_detail", args=[loan.pk])).content.decode()
        assert "no receipt letter: taken as the delivery date" in content
        # The library can still confirm receipt.
        shipments = client.get(reverse("loans:shipment_list")).content.decode()
        assert reverse("loans:shipment_confirm", args=[loan.shipment_id]) in shipments
        assert "no receipt letter: receipt taken as 2026-04-10" in shipments
        dashboard = client.get(reverse("portal:dashboard")).content.decode()
        assert reverse("loans:shipment_confirm", args=[loan.shipment_id]) in dashboard


def test_staff_check_a_whole_parcel_in_from_the_admin(client, clock, tokyo) -> None:
    library = LibraryFactory()
    first = HeldLoanFactory(library=library)
    second = HeldLoanFactory(library=library, shipment=first.shipment)
    parcel = return_parcel_record(
        library=library,
        loan_ids=[first.pk, second.pk],
        method="registered_air_mail",
        carrier="",
        tracking_number="RR123456785US",
        sent_on=TODAY,
        actor=None,
    ).subject
    client.force_login(_staff(tokyo, "returns"))
    listing = client.get(reverse("admin:returns_returnparcel_changelist")).content.decode()
    url = reverse("admin:returns_returnparcel_check_in", args=[parcel.pk])
    assert url in listing
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "checked_in_on": "2026-03-20",
            f"condition_{first.pk}": "good",
            f"condition_{second.pk}": "damaged",
            "loan_slip_enclosed": "on",
            "note": "Cover torn",
        },
    )
    assert response.status_code == 302
    messages = _messages(response)
    assert any(first.material.ndl_id in m and "checked in (Good)" in m for m in messages)
    assert any(second.material.ndl_id in m and "checked in (Damaged)" in m for m in messages)
    assert set(LoanRequest.objects.values_list("status", flat=True)) == {LoanStatus.CHECKED_IN}
    assert DamageCase.objects.get().loan_id == second.pk


def test_checking_in_a_parcel_twice_shows_why_not_and_writes_nothing(client, clock, tokyo) -> None:
    loan = HeldLoanFactory()
    parcel = return_parcel_record(
        library=loan.library,
        loan_ids=[loan.pk],
        method="registered_air_mail",
        carrier="",
        tracking_number="RR123456785US",
        sent_on=TODAY,
        actor=None,
    ).subject
    _check_in(loan, tokyo, _staff(tokyo, "returns"))
    client.force_login(_staff(tokyo, "returns"))
    response = client.post(
        reverse("admin:returns_returnparcel_check_in", args=[parcel.pk]),
        {"checked_in_on": "2026-03-20", f"condition_{loan.pk}": "good"},
    )
    assert response.status_code == 200
    assert "so you cannot check the item in" in response.content.decode()
    assert CheckIn.objects.count() == 1


def test_a_faxed_letter_after_the_portal_confirmation_is_filed_with_it(clock, tokyo) -> None:
    loan = ShippedLoanFactory()
    shipment_confirm_receipt(
        shipment_id=loan.shipment_id,
        library=loan.library,
        received_on=dt.date(2026, 3, 16),
        conditions={loan.pk: "Good"},
        actor=None,
    )
    outcomes = receipt_letter_record(
        shipment_id=loan.shipment_id,
        channel=ReceiptChannel.FAX,
        letter_on=TODAY,
        received_on=dt.date(2026, 3, 17),
        conditions={loan.pk: "Fine"},
        actor=_staff(tokyo, "loans"),
    )
    assert "the letter is filed with it" in outcomes.done[0].message
    loan.refresh_from_db()
    shipment = Shipment.objects.get()
    assert loan.received_on == dt.date(2026, 3, 16) and loan.condition_on_receipt == "Good"
    assert shipment.receipt_channel == ReceiptChannel.PORTAL
    assert shipment.receipt_letter_on == TODAY
    with pytest.raises(DomainError, match="already recorded"):
        receipt_letter_record(
            shipment_id=loan.shipment_id,
            channel=ReceiptChannel.FAX,
            letter_on=TODAY,
            received_on=dt.date(2026, 3, 17),
            conditions={},
            actor=_staff(tokyo, "loans"),
        )


def _night_queries(run, day: dt.date) -> int:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        run(day)
    return len(ctx.captured_queries)


def _reminder_night(run, parcels: int, month: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Parcels delivered on the 10th of ``month``, receipt assumed on the
    14th: (queries of the quiet 15th, of the 21st with its reminders)."""
    for _ in range(parcels):
        shipment = ShipmentFactory(
            shipped_on=dt.date(2026, month, 1), delivered_on=dt.date(2026, month, 10)
        )
        ShippedLoanFactory(library=shipment.library, shipment=shipment)
    run(dt.date(2026, month, 14))
    quiet = _night_queries(run, dt.date(2026, month, 15))
    night = _night_queries(run, dt.date(2026, month, 21))
    # Back at the NDL: out of every later night.
    LoanRequest.objects.update(status=LoanStatus.CHECKED_IN)
    return quiet, night


def test_silent_receipts_cost_queries_per_notice_not_per_parcel(run) -> None:
    """Set-based: parcels assumed and not yet due a reminder cost nothing; a
    reminder night costs a fixed number of statements plus the same few per
    email (the outbox row, and its sending in this test)."""
    quiet_2, night_2 = _reminder_night(run, 2, 4)
    quiet_3, night_3 = _reminder_night(run, 3, 5)
    quiet_40, night_40 = _reminder_night(run, 40, 6)
    assert quiet_2 == quiet_3 == quiet_40 <= 13  # one select per job, as on an empty night
    per_email = night_3 - night_2
    assert 0 < per_email <= 8
    assert night_40 == night_3 + 37 * per_email


def test_the_portal_return_form_offers_what_the_table_lets_the_library_send(client, clock):
    library = LibraryFactory()
    held = HeldLoanFactory(library=library)
    lost = HeldLoanFactory(library=library, shipment=held.shipment)
    in_transit = ShippedLoanFactory(library=library)
    damage_case_report(
        loan_id=lost.pk,
        kind=CaseKind.LOSS,
        description="Cannot find it.",
        reported_on=TODAY,
        actor=None,
        library=library,
    )
    client.force_login(User.objects.create_user(library.user_id, library=library))
    content = client.get(reverse("returns:parcel_create")).content.decode()
    assert held.material.ndl_id in content
    assert lost.material.ndl_id in content  # it turned up: it may go back
    assert in_transit.material.ndl_id not in content
