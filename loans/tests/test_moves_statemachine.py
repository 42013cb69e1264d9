"""Random days in the life of a loan: any sequence of actions, by anyone.

Hypothesis drives one loan from its request through whatever staff, the
library and the nightly jobs try next. After every step the loan is where
the table of allowed moves says that action may take it, or, when the
action was refused, exactly where it was, with nothing written anywhere.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.errors import DomainError
from core.tests.factories import StaffFactory
from loans.models import CAP_COUNTING_STATUSES, LOAN_MOVES, LoanAction, LoanRequest, LoanStatus
from loans.tests.factories import LoanRequestFactory
from loans.tests.test_moves import RUNNERS, _snapshot
from returns.models import CaseStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(time_machine, settings) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)
    settings.NDL_OVERDUE_NOTICE_DAYS = [1, 8, 22, 43]
    settings.NDL_RECEIPT_NOTICE_DAYS = [4, 11, 25]
    settings.NDL_ESTIMATED_TRANSIT_DAYS = 10


REACHED: set[LoanStatus] = set()
# Every action can be drawn; the ones that carry a loan forward are drawn
# more often, so that walks get past the first decision.
FORWARD = [
    LoanAction.ACCEPT,
    LoanAction.PACK,
    LoanAction.DISPATCH,
    LoanAction.CONFIRM_RECEIPT,
    LoanAction.RECORD_RETURN,
    LoanAction.CHECK_IN,
]
DRAWN = list(LoanAction) + FORWARD * 20


class LoanLife(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loan = LoanRequestFactory()
        self.staff = StaffFactory()

    @rule(action=st.sampled_from(DRAWN))
    def act(self, action: LoanAction) -> None:
        loan = LoanRequest.objects.select_related("library", "material").get(pk=self.loan.pk)
        # A case action needs a case; a day without one has nothing to act on.
        if (
            action in (LoanAction.INSTRUCT, LoanAction.SETTLE)
            and not loan.damage_cases.exclude(status=CaseStatus.SETTLED).exists()
        ):
            return
        before = _snapshot(loan)
        old = LoanStatus(loan.status)
        try:
            RUNNERS[action](loan, self.staff)
        except DomainError:
            assert _snapshot(loan) == before, f"{action} from {old} wrote despite refusing"
            return
        loan.refresh_from_db()
        new = LoanStatus(loan.status)
        REACHED.add(new)
        move = LOAN_MOVES[old].get(action)
        if new != old:
            assert move is not None and move.to == new, f"{action} moved {old} to {new}"

    @invariant()
    def counts_toward_the_cap_exactly_while_out(self) -> None:
        loan = LoanRequest.objects.get(pk=self.loan.pk)
        out = loan.status in CAP_COUNTING_STATUSES
        assert out == (
            loan.status not in (LoanStatus.CHECKED_IN, LoanStatus.UNDELIVERED)
            and loan.status not in (LoanStatus.LOSS_SETTLED, LoanStatus.REJECTED)
            and loan.status != LoanStatus.CANCELLED
        )
        if loan.status in (LoanStatus.RECEIVED, LoanStatus.OVERDUE):
            assert loan.received_on is not None and loan.due_on is not None


def test_any_sequence_of_actions_keeps_to_the_table() -> None:
    run_state_machine_as_test(
        LoanLife,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    # The walk really went places: out, back, lost, closed.
    assert {
        LoanStatus.SHIPPED,
        LoanStatus.RECEIVED,
        LoanStatus.CHECKED_IN,
        LoanStatus.LOST,
    } <= REACHED, REACHED
