"""The portal dashboard: items outstanding, what needs doing now, each loan's history."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import User
from loans.models import LoanStatus
from loans.selectors_dashboard import library_dashboard
from loans.tests.factories import LoanRequestFactory, ShipmentFactory
from returns.models import CaseStatus, CheckIn, ItemCondition, ReturnMethod, ReturnParcel
from returns.tests.factories import DamageCaseFactory, HeldLoanFactory, ShippedLoanFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 4, 3)  # frozen "today" (Japan time)
FROZEN = dt.datetime(2026, 4, 3, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


def _held(library, *, due_on: dt.date, status: str = LoanStatus.RECEIVED):
    received_on = due_on - dt.timedelta(days=31)
    return HeldLoanFactory(
        library=library,
        received_on=received_on,
        due_on=due_on,
        status=status,
        shipment__shipped_on=received_on - dt.timedelta(days=6),
    )


def _dashboard_body(portal) -> str:
    response = portal.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    return response.content.decode()


# --- items outstanding ----------------------------------------------------------
def test_it_counts_the_items_toward_the_cap(portal, library):
    LoanRequestFactory(library=library)
    ShippedLoanFactory(library=library)
    _held(library, due_on=TODAY + dt.timedelta(days=20))
    LoanRequestFactory(library=library, status=LoanStatus.CANCELLED)
    LoanRequestFactory(library=library, status=LoanStatus.REJECTED)
    LoanRequestFactory()  # another library's

    with time_machine.travel(FROZEN, tick=False):
        body = _dashboard_body(portal)

    assert "3 of 10 items outstanding" in body
    assert 'value="3"' in body  # the progress meter


def test_it_says_when_nothing_needs_doing(portal, library):
    LoanRequestFactory(library=library)
    with time_machine.travel(FROZEN, tick=False):
        body = _dashboard_body(portal)
    assert 'data-testid="todo-empty"' in body


# --- receipt letters to send ----------------------------------------------------
def test_it_lists_shipments_to_confirm_grouped_with_a_link(portal, library):
    shipment = ShipmentFactory(library=library)
    first = ShippedLoanFactory(library=library, shipment=shipment)
    second = ShippedLoanFactory(library=library, shipment=shipment)
    received = _held(library, due_on=TODAY + dt.timedelta(days=20))

    with time_machine.travel(FROZEN, tick=False):
        board = library_dashboard(library=library)
        body = _dashboard_body(portal)

    assert [g.shipment for g in board.to_confirm] == [shipment]
    assert board.to_confirm[0].loans == [first, second]
    assert reverse("loans:shipment_confirm", args=[shipment.pk]) in body
    assert reverse("loans:shipment_confirm", args=[received.shipment_id]) not in body
    assert shipment.tracking_number in body


# --- due soon and overdue ---------------------------------------------------------
@time_machine.travel(FROZEN, tick=False)
def test_items_due_within_seven_days_are_shown_and_the_eighth_day_is_not(portal, library):
    due_today = _held(library, due_on=TODAY)
    due_in_7 = _held(library, due_on=TODAY + dt.timedelta(days=7))
    due_in_8 = _held(library, due_on=TODAY + dt.timedelta(days=8))

    board = library_dashboard(library=library)
    body = _dashboard_body(portal)

    assert board.due_soon == [due_today, due_in_7]
    assert due_in_8 not in board.due_soon
    section = body.split('data-testid="todo-due-soon"')[1].split("</section>")[0]
    assert due_in_7.material.title in section.split('data-testid="todo-cases"')[0]
    assert due_in_8.material.title not in section.split("Your items")[0]


@time_machine.travel(FROZEN, tick=False)
def test_overdue_items_are_listed_apart(portal, library):
    flagged = _held(library, due_on=TODAY - dt.timedelta(days=3), status=LoanStatus.OVERDUE)
    not_yet_flagged = _held(library, due_on=TODAY - dt.timedelta(days=1))

    board = library_dashboard(library=library)
    body = _dashboard_body(portal)

    assert board.overdue == [flagged, not_yet_flagged]
    assert board.due_soon == []
    assert 'data-testid="todo-overdue"' in body
    assert reverse("returns:parcel_create") in body


# --- damage and loss cases ---------------------------------------------------------
@time_machine.travel(FROZEN, tick=False)
def test_open_cases_are_listed_and_settled_ones_are_not(portal, library):
    open_case = DamageCaseFactory(loan=_held(library, due_on=TODAY + dt.timedelta(days=20)))
    settled = DamageCaseFactory(
        loan=_held(library, due_on=TODAY + dt.timedelta(days=21)),
        status=CaseStatus.SETTLED,
        instruction="replacement",
        instructed_on=TODAY,
        settled_on=TODAY,
    )
    DamageCaseFactory()  # another library's

    board = library_dashboard(library=library)
    body = _dashboard_body(portal)

    assert board.open_cases == [open_case]
    section = body.split('data-testid="todo-cases"')[1].split("</section>")[0]
    assert open_case.loan.material.title in section
    assert settled.loan.material.title not in section


# --- timeline ----------------------------------------------------------------------
@time_machine.travel(FROZEN, tick=False)
def test_the_timeline_shows_each_step_with_the_tracking_numbers(portal, library):
    loan = _held(library, due_on=TODAY + dt.timedelta(days=20))
    parcel = ReturnParcel.objects.create(
        library=library,
        site=loan.shipment.site,
        method=ReturnMethod.REGISTERED_AIR_MAIL,
        tracking_number="RR987654321JP",
        sent_on=TODAY,
    )
    parcel.loans.add(loan)
    loan.status = LoanStatus.RETURN_SHIPPED
    loan.save(update_fields=["status"])

    body = _dashboard_body(portal)
    assert loan.shipment.tracking_number in body
    assert "RR987654321JP" in body
    assert (TODAY + dt.timedelta(days=20)).isoformat() in body

    detail = portal.get(reverse("loans:request_detail", args=[loan.pk])).content.decode()
    assert "RR987654321JP" in detail


@time_machine.travel(FROZEN, tick=False)
def test_the_detail_page_shows_the_check_in(portal, library):
    loan = _held(library, due_on=TODAY + dt.timedelta(days=20))
    CheckIn.objects.create(
        loan=loan,
        site=loan.shipment.site,
        checked_in_on=TODAY,
        condition=ItemCondition.GOOD,
        loan_slip_enclosed=True,
        to_borrowers_enclosed=True,
    )
    LoanRequestFactory._meta.model.objects.filter(pk=loan.pk).update(status=LoanStatus.CHECKED_IN)
    detail = portal.get(reverse("loans:request_detail", args=[loan.pk])).content.decode()
    assert "Checked in at the NDL" in detail
    assert f'<span class="timeline-date">{TODAY.isoformat()}</span>' in detail


# --- a constant number of queries -------------------------------------------------------
def _fill(library, n: int) -> None:
    """``n`` loans in every state the dashboard reads, with parcels and cases."""
    for i in range(n):
        kind = i % 5
        if kind == 0:
            LoanRequestFactory(library=library)
        elif kind == 1:
            ShippedLoanFactory(library=library)
        elif kind == 2:
            _held(library, due_on=TODAY + dt.timedelta(days=3))
        elif kind == 3:
            loan = _held(library, due_on=TODAY - dt.timedelta(days=2), status=LoanStatus.OVERDUE)
            DamageCaseFactory(loan=loan)
        else:
            loan = _held(
                library, due_on=TODAY + dt.timedelta(days=9), status=LoanStatus.RETURN_SHIPPED
            )
            parcel = ReturnParcel.objects.create(
                library=library,
                site=loan.shipment.site,
                method=ReturnMethod.REGISTERED_AIR_MAIL,
                tracking_number=f"RR{i:09d}JP",
                sent_on=TODAY,
            )
            parcel.loans.add(loan)


def _count_queries(portal) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert portal.get(reverse("portal:dashboard")).status_code == 200
    return len(ctx.captured_queries)


@time_machine.travel(FROZEN, tick=False)
def test_it_uses_the_same_number_of_queries_for_1_and_10_loans(portal, library):
    _fill(library, 1)
    one = _count_queries(portal)
    _fill(library, 9)
    ten = _count_queries(portal)
    board = library_dashboard(library=library)
    assert board.outstanding_count == 10
    assert board.to_confirm and board.due_soon and board.overdue and board.open_cases
    assert one == ten


def test_the_dashboard_selector_runs_three_queries(library, django_assert_num_queries):
    _fill(library, 10)
    with django_assert_num_queries(3):
        library_dashboard(library=library, today=TODAY)


# --- language switcher ---------------------------------------------------------------
def test_the_language_choice_persists_across_pages_and_sign_in(client, library):
    login = reverse("portal:login")
    assert '<html lang="en">' in client.get(login).content.decode()
    assert 'action="/i18n/setlang/"' in client.get(login).content.decode()

    response = client.post(reverse("set_language"), {"language": "ja", "next": login})
    assert response.status_code == 302
    assert response["Location"] == login
    assert response.cookies["django_language"].value == "ja"

    assert '<html lang="ja">' in client.get(login).content.decode()
    client.force_login(User.objects.create(username=library.user_id, library=library))
    for name in ("portal:dashboard", "loans:search", "loans:request_list", "returns:parcel_list"):
        body = client.get(reverse(name)).content.decode()
        assert '<html lang="ja">' in body, name
        assert '<option value="ja" lang="ja" selected>' in body

    client.post(reverse("set_language"), {"language": "en", "next": login})
    assert '<html lang="en">' in client.get(reverse("portal:dashboard")).content.decode()


def test_an_unknown_language_is_ignored(client):
    client.post(reverse("set_language"), {"language": "xx"})
    assert '<html lang="en">' in client.get(reverse("portal:login")).content.decode()
