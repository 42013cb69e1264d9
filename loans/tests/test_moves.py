"""The table of allowed moves, swept: every status and every action, through the
real services.

A move the table allows succeeds (its ``when`` condition is arranged for it);
any other is refused with a DomainError that says where the item is and what
can be done instead, and writes nothing: no status change, no audit entry,
no email, no case, no check-in, no parcel. The nightly jobs never raise:
they leave a loan the table does not let them touch exactly as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.forms.models import model_to_dict

from catalogue.rules import Reason
from core.errors import DomainError
from core.models import AuditEntry, OutgoingMail, Site, SiteCode, User
from core.tests.factories import StaffFactory
from loans.models import (
    ACTION_BY,
    ACTIVE_STATUSES,
    CAP_COUNTING_STATUSES,
    HELD_STATUSES,
    ISO18626_STATUS,
    LOAN_MOVES,
    LOAN_TRANSITIONS,
    ActionBy,
    LoanAction,
    LoanRequest,
    LoanStatus,
    ReceiptChannel,
    Shipment,
)
from loans.selectors_dashboard import status_labels, timeline_labels
from loans.services import nightly
from loans.services.requests import (
    loan_request_accept,
    loan_request_cancel,
    loan_request_reject,
)
from loans.services.shipping import (
    loan_pack,
    receipt_letter_record,
    shipment_confirm_receipt,
    shipment_dispatch,
    shipment_record_delivery,
    shipment_undelivered_record,
)
from loans.services.transitions import WHERE
from loans.tests.factories import LoanRequestFactory, ShipmentFactory, s10_number
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

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 20)
SHIPPED_ON = dt.date(2026, 2, 2)


@pytest.fixture(autouse=True)
def _clock(time_machine, settings) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)
    settings.NDL_OVERDUE_NOTICE_DAYS = [1, 8, 22, 43]
    settings.NDL_RECEIPT_NOTICE_DAYS = [4, 11, 25]
    settings.NDL_ESTIMATED_TRANSIT_DAYS = 10


# --- The loan in each status, with a move's condition arranged or not ----------

_serial = iter(range(50_000_000, 60_000_000))


def _case(loan: LoanRequest, *, kind: str, status: str) -> DamageCase:
    instructed = status != CaseStatus.OPEN
    return DamageCase.objects.create(
        loan=loan,
        kind=kind,
        status=status,
        reported_by_library=True,
        reported_on=dt.date(2026, 3, 12),
        description="Reported earlier.",
        instruction=Instruction.REPLACEMENT if instructed else "",
        instructed_on=dt.date(2026, 3, 13) if instructed else None,
        settled_on=dt.date(2026, 3, 14) if status == CaseStatus.SETTLED else None,
        settlement_note="Replaced." if status == CaseStatus.SETTLED else "",
    )


def loan_in(status: LoanStatus, *, when: str = "") -> LoanRequest:
    """A loan in ``status`` as real services would leave it, at Tokyo; ``when``
    is the condition of a move in ``LOAN_MOVES`` to arrange."""
    shipment = ShipmentFactory(tracking_number=s10_number(next(_serial)), shipped_on=SHIPPED_ON)
    fields: dict[str, Any] = {"library": shipment.library, "status": status}
    if status not in (LoanStatus.REQUESTED, LoanStatus.CANCELLED, LoanStatus.REJECTED):
        fields["decided_at"] = dt.datetime(2026, 1, 30, 9, tzinfo=dt.UTC)
    if status == LoanStatus.ACCEPTED:
        if when == "packed":
            fields["packed_at"] = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
        return LoanRequestFactory(**fields, shipment=shipment)
    if status in (LoanStatus.REQUESTED, LoanStatus.REJECTED, LoanStatus.CANCELLED):
        # Never shipped; the empty parcel lets the parcel-level services be
        # called on it all the same.
        return LoanRequestFactory(**fields, shipment=shipment)
    fields["shipment"] = shipment
    fields["packed_at"] = dt.datetime(2026, 2, 1, 9, tzinfo=dt.UTC)
    if status == LoanStatus.SHIPPED:
        if when == "delivered over three days ago":
            shipment.delivered_on = TODAY - dt.timedelta(days=5)
            shipment.save()
        return LoanRequestFactory(**fields)
    if status == LoanStatus.UNDELIVERED:
        shipment.undelivered_on = dt.date(2026, 2, 20)
        shipment.save()
        return LoanRequestFactory(**fields)
    received = dt.date(2026, 2, 12)
    channel = ReceiptChannel.PORTAL
    notices = 0
    if status == LoanStatus.RECEIVED:
        received = dt.date(2026, 2, 10) if when == "due date passed" else dt.date(2026, 3, 8)
    if "receipt assumed" in when:
        channel = ReceiptChannel.ASSUMED
        notices = 1
    shipment.received_on = received
    shipment.receipt_channel = channel
    shipment.receipt_notices_sent = notices
    shipment.late_letter_flagged_on = received + dt.timedelta(days=4) if notices else None
    shipment.save()
    fields["received_on"] = received
    fields["due_on"] = received.replace(month=received.month + 1)
    if status == LoanStatus.OVERDUE:
        fields["overdue_since"] = fields["due_on"] + dt.timedelta(days=1)
        fields["overdue_notices_sent"] = 4 if when == "last notice sent" else 0
    loan = LoanRequestFactory(**fields)
    if status == LoanStatus.CHECKED_IN:
        CheckIn.objects.create(
            loan=loan,
            site=shipment.site,
            checked_in_on=dt.date(2026, 3, 15),
            condition=ItemCondition.GOOD,
            loan_slip_enclosed=True,
            to_borrowers_enclosed=True,
        )
    if status == LoanStatus.LOST:
        case_status = CaseStatus.INSTRUCTED if when == "case instructed" else CaseStatus.OPEN
        _case(loan, kind=CaseKind.LOSS, status=case_status)
    if status == LoanStatus.LOSS_SETTLED:
        _case(loan, kind=CaseKind.LOSS, status=CaseStatus.SETTLED)
    return loan


def _a_case(loan: LoanRequest) -> DamageCase:
    """The case an instruct or settle is about: the loan's open one, else a
    damage case opened (instructed, so settling can be tried) beside it."""
    case = loan.damage_cases.exclude(status=CaseStatus.SETTLED).first()
    return case or _case(loan, kind=CaseKind.DAMAGE, status=CaseStatus.INSTRUCTED)


# --- One runner per action: the real service, as its caller calls it ------------

Runner = Callable[[LoanRequest, User], object]


def _report(kind: str, *, by_library: bool) -> Runner:
    def run(loan: LoanRequest, staff: User) -> object:
        return damage_case_report(
            loan_id=loan.pk,
            kind=kind,
            description="Found in a letter.",
            reported_on=TODAY,
            actor=None if by_library else staff,
            library=loan.library if by_library else None,
        )

    return run


def _receipt_letter(loan: LoanRequest, staff: User) -> object:
    return receipt_letter_record(
        shipment_id=loan.shipment_id,  # type: ignore[arg-type]
        channel=ReceiptChannel.FAX,
        letter_on=TODAY,
        received_on=TODAY,
        conditions={loan.pk: "Good"},
        actor=staff,
    )


RUNNERS: dict[LoanAction, Runner] = {
    LoanAction.ACCEPT: lambda loan, staff: loan_request_accept(loan=loan, actor=staff),
    LoanAction.REJECT: lambda loan, staff: loan_request_reject(
        loan=loan, actor=staff, codes=[Reason.OTHER], note="Not found in the stacks."
    ),
    LoanAction.CANCEL: lambda loan, staff: loan_request_cancel(loan=loan, actor=None),
    LoanAction.PACK: lambda loan, staff: loan_pack(loan_id=loan.pk, actor=staff),
    LoanAction.DISPATCH: lambda loan, staff: shipment_dispatch(
        loan_ids=[loan.pk],
        tracking_number=s10_number(next(_serial)),
        shipped_on=TODAY,
        actor=staff,
    ),
    LoanAction.RECORD_DELIVERY: lambda loan, staff: shipment_record_delivery(
        shipment_id=loan.shipment_id,  # type: ignore[arg-type]
        delivered_on=TODAY - dt.timedelta(days=1),
        actor=staff,
    ),
    LoanAction.RECORD_UNDELIVERED: lambda loan, staff: shipment_undelivered_record(
        shipment_id=loan.shipment_id,  # type: ignore[arg-type]
        returned_on=TODAY,
        note="Addressee unknown.",
        actor=staff,
    ),
    LoanAction.CONFIRM_RECEIPT: lambda loan, staff: shipment_confirm_receipt(
        shipment_id=loan.shipment_id,  # type: ignore[arg-type]
        library=loan.library,
        received_on=TODAY,
        conditions={loan.pk: "Good"},
        actor=None,
    ),
    LoanAction.RECORD_RECEIPT_LETTER: _receipt_letter,
    LoanAction.RECORD_RETURN: lambda loan, staff: return_parcel_record(
        library=loan.library,
        loan_ids=[loan.pk],
        method=ReturnMethod.REGISTERED_AIR_MAIL,
        carrier="",
        tracking_number="RR123456785US",
        sent_on=TODAY,
        actor=None,
    ),
    LoanAction.CHECK_IN: lambda loan, staff: loan_check_in(
        loan_id=loan.pk,
        site=Site.objects.get(code=SiteCode.TOKYO),
        checked_in_on=TODAY,
        condition=ItemCondition.GOOD,
        loan_slip_enclosed=True,
        to_borrowers_enclosed=True,
        note="",
        actor=staff,
    ),
    LoanAction.LIBRARY_REPORT_DAMAGE: _report(CaseKind.DAMAGE, by_library=True),
    LoanAction.LIBRARY_REPORT_LOSS: _report(CaseKind.LOSS, by_library=True),
    LoanAction.STAFF_REPORT_DAMAGE: _report(CaseKind.DAMAGE, by_library=False),
    LoanAction.STAFF_REPORT_LOSS: _report(CaseKind.LOSS, by_library=False),
    LoanAction.INSTRUCT: lambda loan, staff: damage_case_instruct(
        case_id=_a_case(loan).pk,
        instruction=Instruction.COMPENSATION,
        amount=Decimal("5000"),
        currency="JPY",
        instructed_on=TODAY,
        actor=staff,
    ),
    LoanAction.SETTLE: lambda loan, staff: damage_case_settle(
        case_id=_a_case(loan).pk, settled_on=TODAY, note="Paid.", actor=staff
    ),
    LoanAction.NIGHTLY_OVERDUE_FLAG: lambda loan, staff: nightly.loans_overdue_flag(today=TODAY),
    LoanAction.NIGHTLY_OVERDUE_NOTICE: lambda loan, staff: nightly.overdue_notices_send(
        today=TODAY
    ),
    LoanAction.NIGHTLY_ESCALATE: lambda loan, staff: nightly.loans_overdue_escalate(today=TODAY),
    LoanAction.NIGHTLY_RECEIPT_ASSUME: lambda loan, staff: nightly.shipments_late_receipt_flag(
        today=TODAY
    ),
    LoanAction.NIGHTLY_RECEIPT_REMINDER: lambda loan, staff: nightly.shipments_receipt_remind(
        today=TODAY
    ),
}


def _snapshot(loan: LoanRequest) -> dict[str, Any]:
    """Everything an action could write about this loan."""
    loan = LoanRequest.objects.get(pk=loan.pk)
    return {
        "loan": model_to_dict(loan),
        "shipments": [model_to_dict(s) for s in Shipment.objects.order_by("pk")],
        "cases": [model_to_dict(c) for c in DamageCase.objects.order_by("pk")],
        "audit": AuditEntry.objects.count(),
        "mail": OutgoingMail.objects.count(),
        "check_ins": CheckIn.objects.count(),
        "parcels": ReturnParcel.objects.count(),
    }


# --- The table is complete ---------------------------------------------------------


def test_the_table_has_every_status_and_every_action_a_runner() -> None:
    """Fails when a status or an action is added without being placed in the
    table and swept here."""
    assert set(LOAN_MOVES) == set(LoanStatus)
    assert set(ACTION_BY) == set(LoanAction)
    assert set(RUNNERS) == set(LoanAction)
    for moves in LOAN_MOVES.values():
        assert set(moves) <= set(LoanAction)
        assert {m.to for m in moves.values() if m.to is not None} <= set(LoanStatus)
    assert set(WHERE) == set(LoanStatus)
    assert set(ISO18626_STATUS) == set(LoanStatus)
    assert set(LOAN_TRANSITIONS) == set(LoanStatus)
    # Labels the portal shows for every status.
    assert set(status_labels()) == set(LoanStatus.values)
    assert timeline_labels()["undelivered"]


def test_no_extension_is_ever_allowed() -> None:
    # The NDL never extends a loan, so there is no such action to refuse.
    assert not any("extend" in action for action in LoanAction.values)


def test_the_statuses_groups_follow_where_the_item_is() -> None:
    # The item is out of the NDL's hands (or requested) exactly while it counts.
    assert LoanStatus.UNDELIVERED not in CAP_COUNTING_STATUSES
    assert LoanStatus.UNDELIVERED not in ACTIVE_STATUSES
    assert set(HELD_STATUSES) == {LoanStatus.RECEIVED, LoanStatus.OVERDUE}
    assert ISO18626_STATUS[LoanStatus.UNDELIVERED] == "Unfilled"


CELLS = [(status, action) for status in LoanStatus for action in LoanAction]


@pytest.mark.parametrize(("status", "action"), CELLS, ids=[f"{s}-{a}" for s, a in CELLS])
def test_every_status_meets_every_action(status: LoanStatus, action: LoanAction) -> None:
    move = LOAN_MOVES[status].get(action)
    loan = loan_in(status, when=move.when if move else "")
    if action in (LoanAction.INSTRUCT, LoanAction.SETTLE):
        _a_case(loan)
    staff = StaffFactory()
    before = _snapshot(loan)
    if move is not None:
        RUNNERS[action](loan, staff)
        loan.refresh_from_db()
        assert loan.status == (move.to or status)
        assert AuditEntry.objects.count() > before["audit"]
        return
    if ACTION_BY[action] == ActionBy.NIGHT:
        RUNNERS[action](loan, staff)
    else:
        with pytest.raises(DomainError) as refused:
            RUNNERS[action](loan, staff)
        message = refused.value.message
        assert str(WHERE[status]) in message
        assert f"“{status.label}”" in message
        assert f"cannot {action.label}" in message
        assert (
            "What can be done now:" in message
            or "Nothing more can be done" in message
            or "The next step is for" in message
        )
    assert _snapshot(loan) == before


def test_a_refusal_offers_only_what_the_item_is_ready_for() -> None:
    """An accepted item not yet packed is offered packing, not dispatch, and
    the other way round; a closed loan offers nothing."""
    unpacked = loan_in(LoanStatus.ACCEPTED)
    with pytest.raises(DomainError) as refused:
        RUNNERS[LoanAction.CHECK_IN](unpacked, StaffFactory())
    assert "What can be done now: decide not to lend, pull and pack the item." in (
        refused.value.message
    )
    packed = loan_in(LoanStatus.ACCEPTED, when="packed")
    with pytest.raises(DomainError) as refused:
        RUNNERS[LoanAction.PACK](packed, StaffFactory())
    assert "already packed" in refused.value.message
    with pytest.raises(DomainError) as refused:
        RUNNERS[LoanAction.CHECK_IN](packed, StaffFactory())
    assert (
        "What can be done now: decide not to lend, dispatch the item by registered air mail."
        in refused.value.message
    )
    with pytest.raises(DomainError) as refused:
        RUNNERS[LoanAction.CHECK_IN](loan_in(LoanStatus.CANCELLED), StaffFactory())
    assert refused.value.message.endswith("Nothing more can be done with this request.")
    with pytest.raises(DomainError) as refused:
        RUNNERS[LoanAction.CONFIRM_RECEIPT](loan_in(LoanStatus.ACCEPTED), StaffFactory())
    assert refused.value.message.endswith("What can be done now: cancel the request.")
