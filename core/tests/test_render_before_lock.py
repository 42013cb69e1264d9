"""Emails are rendered before a service opens its transaction and locks its
rows (``core.emails.mail_render``), so template work never holds a lock.

The tests run outside the test case's own transaction, so that
``in_atomic_block`` tells whether a service's transaction is open at the
moment the email is rendered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from catalogue.rules import Reason
from conversations import services as conversations_services
from copies.rules import Reason as CopyReason
from copies.services import requests as copies_requests
from copies.tests.factories import CopyRequestFactory
from core.tests.factories import StaffFactory
from loans.services import nightly, requests, shipping
from loans.tests.factories import AcceptedLoanFactory, LoanRequestFactory, s10_number
from loans.tests.factories_nightly import HeldLoanFactory
from registration import services as registration_services
from registration.tests.factories import LibraryFactory
from returns import services as returns_services
from returns.tests.factories import DamageCaseFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def rendered_in_transaction(monkeypatch) -> Callable[[Any], list[bool]]:
    def spy_on(module: Any) -> list[bool]:
        seen: list[bool] = []
        real = module.mail_render

        def spy(**kwargs: Any) -> Any:
            seen.append(connection.in_atomic_block)
            return real(**kwargs)

        monkeypatch.setattr(module, "mail_render", spy)
        return seen

    return spy_on


def test_acceptance_and_refusal(rendered_in_transaction) -> None:
    seen = rendered_in_transaction(requests)
    staff = StaffFactory()
    requests.loan_request_accept(loan=LoanRequestFactory(), actor=staff)
    requests.loan_request_reject(loan=LoanRequestFactory(), actor=staff, codes=[Reason.IN_USE])
    assert seen == [False, False]


def test_dispatch(rendered_in_transaction, tokyo) -> None:
    seen = rendered_in_transaction(shipping)
    loan = AcceptedLoanFactory(
        material__site=tokyo, packed_at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    )
    shipping.shipment_dispatch(
        loan_ids=[loan.pk],
        tracking_number=s10_number(55000001),
        shipped_on=dt.date(2026, 3, 2),
        actor=StaffFactory(),
    )
    assert seen == [False]


def test_a_message(rendered_in_transaction) -> None:
    seen = rendered_in_transaction(conversations_services)
    conversations_services.message_post(
        subject=LoanRequestFactory(), author=StaffFactory(), body="It ships on Monday."
    )
    assert seen == [False]


def test_a_suspension(rendered_in_transaction) -> None:
    seen = rendered_in_transaction(registration_services)
    registration_services.library_suspend(
        actor=StaffFactory(), library=LibraryFactory(), reason="Overdue items."
    )
    assert seen == [False]


def test_an_instruction(rendered_in_transaction) -> None:
    seen = rendered_in_transaction(returns_services)
    case = DamageCaseFactory()
    returns_services.damage_case_instruct(
        case_id=case.pk,
        instruction="replacement",
        amount=None,
        currency="",
        instructed_on=case.reported_on,
        actor=StaffFactory(),
    )
    assert seen == [False]


def test_the_nightly_notices(rendered_in_transaction, settings) -> None:
    settings.NDL_OVERDUE_NOTICE_DAYS = [1, 8, 22, 43]
    seen = rendered_in_transaction(nightly)
    HeldLoanFactory(due_on=dt.date(2026, 5, 10))
    nightly.nightly_run(today=dt.date(2026, 5, 11))
    assert seen == [False]


def test_a_copy_refusal(rendered_in_transaction) -> None:
    seen = rendered_in_transaction(copies_requests)
    copy = CopyRequestFactory()
    copies_requests.copy_request_refuse(
        request=copy, actor=None, codes=[CopyReason.NOT_ON_SHELF], note="Being rebound."
    )
    assert seen == [False]
