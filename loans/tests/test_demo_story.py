"""The demo data tells one consistent story: every loan's timeline agrees with
its status and its dates, and the library was registered before it asked."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from loans.duedates import due_date_for
from loans.models import LoanRequest, LoanStatus
from loans.selectors_dashboard import (
    loan_timeline,
    loans_with_timeline,
    status_labels,
    timeline_labels,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_loans(django_capture_on_commit_callbacks) -> list[LoanRequest]:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())
    loans = list(loans_with_timeline().select_related("library").order_by("pk"))
    assert loans, "the demo has loans to show"
    return loans


def test_the_library_was_registered_before_its_first_request(demo_loans) -> None:
    for loan in demo_loans:
        assert loan.library.registered_on is not None
        assert loan.library.registered_on <= loan.requested_at.date(), loan


def test_every_loans_dates_follow_one_another(demo_loans) -> None:
    for loan in demo_loans:
        if loan.status == LoanStatus.REQUESTED:
            assert loan.decided_at is None, f"#{loan.pk} waits for a decision but has one"
            assert loan.shipment_id is None
            continue
        assert loan.decided_at is not None and loan.decided_at >= loan.requested_at
        if loan.packed_at:
            assert loan.packed_at >= loan.decided_at
        shipment = loan.shipment
        if shipment is not None:
            assert shipment.shipped_on >= loan.decided_at.date()
            if loan.packed_at:
                assert shipment.shipped_on >= loan.packed_at.date()
        if loan.received_on:
            assert shipment is not None and loan.received_on >= shipment.shipped_on
            assert loan.due_on == due_date_for(received_on=loan.received_on)


def test_every_timeline_matches_its_status(demo_loans) -> None:
    labels, statuses = timeline_labels(), status_labels()
    for loan in demo_loans:
        timeline = loan_timeline(loan, labels, statuses)
        done = [
            step for css, _prefix, step, _date, _detail, _badge in timeline.steps if css == "done"
        ]
        accepted = labels["accepted"] in done
        if loan.status == LoanStatus.REQUESTED:
            assert not accepted, f"#{loan.pk} is shown as requested with an acceptance"
        if loan.status in (LoanStatus.ACCEPTED, LoanStatus.SHIPPED, LoanStatus.RECEIVED):
            assert accepted, f"#{loan.pk} is {loan.status} without its acceptance"
        assert (labels["shipped"] in done) == (loan.shipment_id is not None)
        assert (labels["received"] in done) == (loan.received_on is not None)
        # The dates shown as done never go back in time.
        dates = [d for css, _p, _s, d, _x, _b in timeline.steps if css == "done" and d]
        assert dates == sorted(dates), (loan.pk, dates)
