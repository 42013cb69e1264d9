import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from core.errors import DomainError
from core.models import AuditEntry, OutgoingMail, Site
from core.tests.factories import StaffFactory
from loans.models import CAP_COUNTING_STATUSES, LoanRequest, LoanStatus
from loans.selectors import library_outstanding_count
from loans.tests.factories import (
    AcceptedLoanFactory,
    LoanRequestFactory,
    MaterialFactory,
)
from registration.tests.factories import LibraryFactory
from returns.models import (
    CaseKind,
    CaseStatus,
    CheckIn,
    DamageCase,
    Instruction,
    ItemCondition,
    ReturnMethod,
    ReturnParcel,
)
from returns.services import (
    damage_case_instruct,
    damage_case_report,
    damage_case_settle,
    loan_check_in,
    return_parcel_record,
)
from returns.tests.factories import DamageCaseFactory, HeldLoanFactory, ShippedLoanFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 20)


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)


@pytest.fixture
def tokyo_staff(tokyo: Site):
    return StaffFactory(is_superuser=False, site=tokyo)


@pytest.fixture
def kansai_staff(kansai: Site):
    return StaffFactory(is_superuser=False, site=kansai)


def _return(loans, **overrides):
    kwargs = {
        "library": loans[0].library,
        "loan_ids": [loan.pk for loan in loans],
        "method": ReturnMethod.REGISTERED_AIR_MAIL,
        "carrier": "",
        "tracking_number": "RR123456785US",
        "sent_on": TODAY,
        "actor": None,
    }
    return return_parcel_record(**{**kwargs, **overrides}).subject


def _check_in(loan, site, actor, **overrides):
    kwargs = {
        "loan_id": loan.pk,
        "site": site,
        "checked_in_on": TODAY,
        "condition": ItemCondition.GOOD,
        "loan_slip_enclosed": True,
        "to_borrowers_enclosed": True,
        "note": "",
        "actor": actor,
    }
    return loan_check_in(**{**kwargs, **overrides})


# --- return parcels -------------------------------------------------------------


def test_a_library_records_a_return_parcel() -> None:
    library = LibraryFactory()
    first = HeldLoanFactory(library=library)
    second = HeldLoanFactory(library=library, shipment=first.shipment, status=LoanStatus.OVERDUE)
    parcel = _return([first, second])
    assert parcel.site.code == "tokyo"
    assert set(parcel.loans.all()) == {first, second}
    for loan in (first, second):
        loan.refresh_from_db()
        assert loan.status == LoanStatus.RETURN_SHIPPED
    assert AuditEntry.objects.filter(action="returns.parcel.record").count() == 1


def test_an_air_carrier_needs_a_name_but_no_s10_number() -> None:
    loan = HeldLoanFactory()
    with pytest.raises(DomainError, match="Name the international air carrier"):
        _return([loan], method=ReturnMethod.AIR_CARRIER, tracking_number="1Z999")
    parcel = _return(
        [loan], method=ReturnMethod.AIR_CARRIER, carrier="DHL", tracking_number="1Z999"
    )
    assert parcel.carrier == "DHL"


def _refused(loans, match, **overrides) -> None:
    with pytest.raises(DomainError, match=match):
        _return(loans, **overrides)
    assert not ReturnParcel.objects.exists()
    assert not LoanRequest.objects.filter(status=LoanStatus.RETURN_SHIPPED).exists()


def test_surface_mail_is_refused_with_the_ndl_wording() -> None:
    _refused([HeldLoanFactory()], "not by surface mail", method=ReturnMethod.SURFACE_MAIL)


def test_a_parcel_cannot_mix_items_of_two_sites(kansai: Site) -> None:
    library = LibraryFactory()
    tokyo_loan = HeldLoanFactory(library=library)
    kansai_loan = HeldLoanFactory(library=library, material=MaterialFactory(site=kansai))
    _refused([tokyo_loan, kansai_loan], "library that sent them")


@pytest.mark.parametrize(
    ("sent_on", "match"),
    [(dt.date(2026, 3, 9), "before the items were received"), (dt.date(2026, 3, 21), "future")],
)
def test_the_date_sent_is_between_receipt_and_today(sent_on, match) -> None:
    _refused([HeldLoanFactory()], match, sent_on=sent_on)


def test_the_receipt_day_itself_is_a_valid_date_sent() -> None:
    _return([HeldLoanFactory()], sent_on=dt.date(2026, 3, 10))


def test_a_registered_air_mail_number_is_checked() -> None:
    _refused([HeldLoanFactory()], "wrong check digit", tracking_number="RR123456784US")


def test_only_held_items_of_the_library_can_be_returned() -> None:
    _refused([ShippedLoanFactory()], "“Shipped”, so you cannot record a return parcel")
    loan = HeldLoanFactory()
    _refused([loan], "not on loan to you", library=LibraryFactory())


def test_the_database_refuses_surface_mail_and_an_unnamed_carrier() -> None:
    loan = HeldLoanFactory()
    base = {
        "library": loan.library,
        "site": loan.shipment.site,
        "tracking_number": "X1",
        "sent_on": TODAY,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        ReturnParcel.objects.create(method=ReturnMethod.SURFACE_MAIL, **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReturnParcel.objects.create(method=ReturnMethod.AIR_CARRIER, carrier="", **base)


# --- check-in -------------------------------------------------------------------


def test_check_in_ends_the_loan_and_frees_the_cap(tokyo: Site, tokyo_staff) -> None:
    loan = HeldLoanFactory(status=LoanStatus.RETURN_SHIPPED)
    assert LoanStatus.CHECKED_IN not in CAP_COUNTING_STATUSES
    assert library_outstanding_count(library=loan.library) == 1
    check_in = _check_in(loan, tokyo, tokyo_staff)
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CHECKED_IN
    assert loan.closed_at is not None
    assert not check_in.wrong_site
    assert library_outstanding_count(library=loan.library) == 0
    # The same item may now be requested again.
    again = LoanRequestFactory(library=loan.library, material=loan.material)
    assert again.status == LoanStatus.REQUESTED


def test_an_item_sent_to_the_wrong_site_is_checked_in_and_flagged(
    kansai: Site, kansai_staff
) -> None:
    loan = HeldLoanFactory(status=LoanStatus.RETURN_SHIPPED)  # lent by Tokyo
    check_in = _check_in(loan, kansai, kansai_staff)
    assert check_in.wrong_site
    assert check_in.site == kansai


def test_staff_check_in_only_at_their_own_site(tokyo: Site, kansai_staff) -> None:
    loan = HeldLoanFactory(status=LoanStatus.RETURN_SHIPPED)
    with pytest.raises(DomainError, match="your own site"):
        _check_in(loan, tokyo, kansai_staff)
    assert not CheckIn.objects.exists()


def test_an_item_never_shipped_cannot_be_checked_in(tokyo: Site, tokyo_staff) -> None:
    for loan in (AcceptedLoanFactory(), LoanRequestFactory()):
        with pytest.raises(DomainError, match=r"so you cannot check the item in.*at the NDL"):
            _check_in(loan, tokyo, tokyo_staff)
    assert not CheckIn.objects.exists()


def test_an_item_cannot_be_checked_in_twice(tokyo: Site, tokyo_staff) -> None:
    loan = HeldLoanFactory(status=LoanStatus.RETURN_SHIPPED)
    _check_in(loan, tokyo, tokyo_staff)
    with pytest.raises(DomainError, match="“Returned and checked in”, so you cannot check"):
        _check_in(loan, tokyo, tokyo_staff)
    assert CheckIn.objects.count() == 1


def test_the_check_in_date_cannot_be_in_the_future(tokyo: Site, tokyo_staff) -> None:
    loan = HeldLoanFactory(status=LoanStatus.RETURN_SHIPPED)
    with pytest.raises(DomainError, match="future"):
        _check_in(loan, tokyo, tokyo_staff, checked_in_on=TODAY + dt.timedelta(days=1))
    assert not CheckIn.objects.exists()


def test_the_database_refuses_a_second_check_in(tokyo: Site) -> None:
    loan = HeldLoanFactory(status=LoanStatus.RETURN_SHIPPED)
    kwargs = {
        "loan": loan,
        "site": tokyo,
        "checked_in_on": TODAY,
        "condition": ItemCondition.GOOD,
        "loan_slip_enclosed": True,
        "to_borrowers_enclosed": True,
    }
    CheckIn.objects.create(**kwargs)
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.create(**kwargs)


def test_a_damaged_return_is_checked_in_with_an_open_case(
    tokyo: Site, tokyo_staff, django_capture_on_commit_callbacks
) -> None:
    loan = HeldLoanFactory(status=LoanStatus.RETURN_SHIPPED)
    with django_capture_on_commit_callbacks(execute=True):
        _check_in(loan, tokyo, tokyo_staff, condition=ItemCondition.DAMAGED, note="Spine torn")
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CHECKED_IN
    case = DamageCase.objects.get(loan=loan)
    assert case.kind == CaseKind.DAMAGE
    assert case.status == CaseStatus.OPEN
    assert case.description == "Spine torn"
    assert not case.reported_by_library
    mail = OutgoingMail.objects.get(dedupe_key=f"damage-case-reported-{case.pk}")
    assert mail.to == [tokyo.email]


# --- damage and loss ---------------------------------------------------------------


def test_the_library_reports_a_loss_which_keeps_counting_until_settled(
    tokyo: Site, tokyo_staff, django_capture_on_commit_callbacks
) -> None:
    loan = HeldLoanFactory()
    with django_capture_on_commit_callbacks(execute=True):
        case = damage_case_report(
            loan_id=loan.pk,
            kind=CaseKind.LOSS,
            description="Stolen from the reading room",
            reported_on=TODAY,
            actor=None,
            library=loan.library,
        )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.LOST
    assert case.reported_by_library
    assert OutgoingMail.objects.get(dedupe_key=f"damage-case-reported-{case.pk}").to == [
        tokyo.email
    ]
    assert library_outstanding_count(library=loan.library) == 1

    with pytest.raises(DomainError, match="instruction before settling"):
        damage_case_settle(case_id=case.pk, settled_on=TODAY, note="Paid", actor=tokyo_staff)

    with django_capture_on_commit_callbacks(execute=True):
        damage_case_instruct(
            case_id=case.pk,
            instruction=Instruction.COMPENSATION,
            amount=Decimal("12000"),
            currency="jpy",
            instructed_on=TODAY,
            actor=tokyo_staff,
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.INSTRUCTED
    assert case.compensation_currency == "JPY"
    mail = OutgoingMail.objects.get(dedupe_key__startswith=f"damage-case-instructed-{case.pk}-")
    assert mail.to == [loan.library.email]
    assert "12000" in mail.body_text

    damage_case_settle(
        case_id=case.pk, settled_on=TODAY, note="Paid by bank transfer", actor=tokyo_staff
    )
    case.refresh_from_db()
    loan.refresh_from_db()
    assert case.status == CaseStatus.SETTLED
    assert loan.status == LoanStatus.LOSS_SETTLED
    assert loan.closed_at is not None
    assert library_outstanding_count(library=loan.library) == 0
    with pytest.raises(DomainError, match="already settled"):
        damage_case_settle(case_id=case.pk, settled_on=TODAY, note="Again", actor=tokyo_staff)


def test_damage_reported_by_the_library_leaves_the_loan_running() -> None:
    loan = HeldLoanFactory()
    damage_case_report(
        loan_id=loan.pk,
        kind=CaseKind.DAMAGE,
        description="Coffee stain",
        reported_on=TODAY,
        actor=None,
        library=loan.library,
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.RECEIVED
    assert loan.due_on == dt.date(2026, 4, 10)


def test_staff_record_a_loss_in_transit_from_a_letter(tokyo_staff) -> None:
    loan = ShippedLoanFactory()
    damage_case_report(
        loan_id=loan.pk,
        kind=CaseKind.LOSS,
        description="Parcel lost by the post",
        reported_on=TODAY,
        actor=tokyo_staff,
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.LOST


def test_the_library_cannot_report_on_items_it_does_not_hold() -> None:
    loan = ShippedLoanFactory()
    with pytest.raises(DomainError, match="so you cannot report damage"):
        damage_case_report(
            loan_id=loan.pk,
            kind=CaseKind.DAMAGE,
            description="x",
            reported_on=TODAY,
            actor=None,
            library=loan.library,
        )
    with pytest.raises(DomainError, match="not on loan to you"):
        damage_case_report(
            loan_id=HeldLoanFactory().pk,
            kind=CaseKind.DAMAGE,
            description="x",
            reported_on=TODAY,
            actor=None,
            library=LibraryFactory(),
        )
    assert not DamageCase.objects.exists()


def test_bad_reports_are_refused() -> None:
    loan = HeldLoanFactory()
    cases = [
        ({"description": "  "}, "Describe"),
        ({"kind": "stolen"}, "damaged or lost"),
        ({"reported_on": TODAY + dt.timedelta(days=1)}, "future"),
    ]
    for overrides, match in cases:
        kwargs = {
            "loan_id": loan.pk,
            "kind": CaseKind.DAMAGE,
            "description": "Torn",
            "reported_on": TODAY,
            "actor": None,
            "library": loan.library,
        }
        with pytest.raises(DomainError, match=match):
            damage_case_report(**{**kwargs, **overrides})
    assert not DamageCase.objects.exists()


def test_a_second_report_of_the_same_kind_joins_the_open_case() -> None:
    case = DamageCaseFactory()
    joined = damage_case_report(
        loan_id=case.loan.pk,
        kind=CaseKind.DAMAGE,
        description="Again",
        reported_on=TODAY,
        actor=None,
        library=case.loan.library,
    )
    assert joined.pk == case.pk
    assert DamageCase.objects.count() == 1
    joined.refresh_from_db()
    assert joined.description.startswith("Water damage to the cover.")
    assert joined.description.endswith("Again")
    with pytest.raises(IntegrityError), transaction.atomic():
        DamageCaseFactory(loan=case.loan)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"amount": Decimal("0")}, "more than zero"),
        ({"amount": None}, "more than zero"),
        ({"currency": "YEN!"}, "ISO 4217"),
        ({"currency": ""}, "ISO 4217"),
        ({"instruction": "apology"}, "replacement or compensation"),
        ({"instructed_on": dt.date(2026, 3, 14)}, "before the report"),
    ],
)
def test_a_bad_instruction_is_refused(tokyo_staff, overrides, match) -> None:
    case = DamageCaseFactory()
    kwargs = {
        "case_id": case.pk,
        "instruction": Instruction.COMPENSATION,
        "amount": Decimal("100"),
        "currency": "USD",
        "instructed_on": TODAY,
        "actor": tokyo_staff,
    }
    with pytest.raises(DomainError, match=match):
        damage_case_instruct(**{**kwargs, **overrides})
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_a_replacement_needs_no_amount_and_a_damage_case_settles(tokyo_staff) -> None:
    case = DamageCaseFactory()
    damage_case_instruct(
        case_id=case.pk,
        instruction=Instruction.REPLACEMENT,
        amount=Decimal("5"),
        currency="USD",
        instructed_on=TODAY,
        actor=tokyo_staff,
    )
    case.refresh_from_db()
    assert case.compensation_amount is None
    damage_case_settle(case_id=case.pk, settled_on=TODAY, note="Copy received", actor=tokyo_staff)
    case.refresh_from_db()
    assert case.status == CaseStatus.SETTLED
    assert case.loan.status == LoanStatus.RECEIVED


def test_the_database_guards_the_case_invariants() -> None:
    loan = HeldLoanFactory()
    base = {
        "loan": loan,
        "kind": CaseKind.DAMAGE,
        "reported_by_library": True,
        "reported_on": TODAY,
        "description": "x",
    }
    bad = [
        {
            "instruction": Instruction.COMPENSATION,
            "compensation_amount": 0,
            "compensation_currency": "USD",
            "status": CaseStatus.INSTRUCTED,
            "instructed_on": TODAY,
        },
        {"status": CaseStatus.SETTLED},
        {"status": CaseStatus.INSTRUCTED},
        {"compensation_currency": "usd"},
    ]
    for extra in bad:
        with pytest.raises(IntegrityError), transaction.atomic():
            DamageCase.objects.create(**base, **extra)


# --- the whole journey ---------------------------------------------------------------


def test_the_whole_journey(tokyo: Site, tokyo_staff, time_machine) -> None:
    from loans.services.shipping import loan_pack, shipment_confirm_receipt, shipment_dispatch

    library = LibraryFactory()
    loan = AcceptedLoanFactory(library=library)
    time_machine.move_to("2026-03-02 09:00 +0900", tick=False)
    loan_pack(loan_id=loan.pk, actor=tokyo_staff)
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)
    shipment = shipment_dispatch(
        loan_ids=[loan.pk],
        tracking_number="RR123456785JP",
        shipped_on=dt.date(2026, 3, 2),
        actor=tokyo_staff,
    )
    shipment_confirm_receipt(
        shipment_id=shipment.pk,
        library=library,
        received_on=dt.date(2026, 3, 10),
        conditions={loan.pk: "Good"},
        actor=None,
    )
    loan.refresh_from_db()
    assert (loan.status, loan.due_on) == (LoanStatus.RECEIVED, dt.date(2026, 4, 10))
    _return([loan], sent_on=dt.date(2026, 3, 20))
    time_machine.move_to("2026-03-30 10:00 +0900", tick=False)
    _check_in(loan, tokyo, tokyo_staff, checked_in_on=dt.date(2026, 3, 30))
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CHECKED_IN
    assert loan.due_on == dt.date(2026, 4, 10)  # never moved
    actions = list(
        AuditEntry.objects.filter(object_type="loans.loanrequest", object_id=str(loan.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "loans.loan.pack",
        "loans.loan.ship",
        "loans.loan.receive",
        "returns.loan.return_ship",
        "returns.loan.check_in",
    ]
