"""A library's whole loan, in the browser, in English and in Japanese.

The library signs in, searches and requests; staff accept, pack and ship
(through the services, as the admin would); the library confirms receipt and
records the return; staff check the items in. Every step is photographed into
screenshots/<lang>-<nn>-<step>.png. Elements are found by id, name, role and
URL, never by wording, so the Japanese run does not depend on translations.
"""

# ruff: noqa: S101  (pytest tests assert)
from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from .conftest import portal_login, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Camera:
    """Numbers the screenshots of one run: <lang>-<nn>-<step>.png."""

    def __init__(self, page: Any, lang: str) -> None:
        self.page, self.lang, self.n = page, lang, 0

    def __call__(self, step: str) -> None:
        self.n += 1
        shot(self.page, f"{self.lang}-{self.n:02d}-{step}")


def _outstanding(page: Any) -> int:
    return int(page.get_by_test_id("outstanding").get_attribute("data-count"))


def _html_lang(page: Any) -> str:
    return page.locator("html").get_attribute("lang")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_loan_from_request_to_check_in(
    page: Any, live_server: Any, portal_library: Any, staff: Any, catalogue: list[Any], lang: str
) -> None:
    from loans.models import LoanRequest, LoanStatus
    from loans.services.requests import loan_request_accept
    from loans.services.shipping import loan_pack, shipment_dispatch
    from loans.tests.factories import s10_number
    from returns.models import ItemCondition
    from returns.services import loan_check_in

    base = live_server.url
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    snap = Camera(page, lang)
    url = lambda name, *args: base + reverse(name, args=args)  # noqa: E731

    # 1. The sign-in page; choose the language with the switcher.
    page.goto(url("portal:login"))
    assert _html_lang(page) == "en"
    if lang == "ja":
        page.select_option("#lang-select", "ja")
        page.click("#lang-submit")
        page.wait_for_load_state()
        assert _html_lang(page) == "ja"
    snap("login")

    # 2. Sign in: the dashboard.
    portal_login(page, base, portal_library.user_id)
    assert _html_lang(page) == lang
    assert _outstanding(page) == 0
    snap("dashboard-empty")

    # 3. Search, tick the loanable items, request them.
    page.goto(url("loans:search"))
    page.fill("#id_q", "toshokan")
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url(re.compile(r"\?q=toshokan"))
    boxes = page.locator("input[name=ndl_ids]")
    assert boxes.count() == 3  # the digitized one cannot be ticked
    snap("search-results")
    for i in range(2):
        boxes.nth(i).check()
    page.locator(f"form[action='{reverse('loans:request_create')}'] button[type=submit]").click()
    page.wait_for_url(url("loans:request_list"))
    assert _html_lang(page) == lang  # the choice persists across pages
    snap("requested")
    loans = list(LoanRequest.objects.filter(library=portal_library).order_by("pk"))
    assert [loan.status for loan in loans] == [LoanStatus.REQUESTED] * 2

    # 4. Staff accept, pull and pack, and ship both items in one parcel.
    for loan in loans:
        loan_request_accept(loan=loan, actor=staff)
        loan_pack(loan_id=loan.pk, actor=staff)
    shipment = shipment_dispatch(
        loan_ids=[loan.pk for loan in loans],
        tracking_number=s10_number(12345678),
        shipped_on=timezone.localdate(),
        actor=staff,
    )

    # 5. The dashboard asks for the receipt; confirm it.
    page.goto(url("portal:dashboard"))
    assert _outstanding(page) == 2
    todo = page.get_by_test_id("todo-receipt")
    assert shipment.tracking_number in todo.inner_text()
    snap("dashboard-shipped")
    todo.locator(f"a[href='{reverse('loans:shipment_confirm', args=[shipment.pk])}']").click()
    page.wait_for_url(url("loans:shipment_confirm", shipment.pk))
    snap("confirm-receipt")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(url("loans:shipment_list"))
    snap("shipments")
    for loan in loans:
        loan.refresh_from_db()
        assert loan.status == LoanStatus.RECEIVED
        assert loan.due_on is not None

    # 6. The loan's history on the request page.
    page.goto(url("loans:request_detail", loans[0].pk))
    assert shipment.tracking_number in page.locator("ol.timeline").inner_text()
    snap("request-detail-received")

    # 7. Record the return of both items by registered air mail.
    page.goto(url("returns:parcel_create"))
    for loan in loans:
        page.locator(f"input[name=loans][value='{loan.pk}']").check()
    page.select_option("#id_method", "registered_air_mail")
    page.fill("#id_tracking_number", s10_number(87654321, "FR"))
    snap("return-form")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(url("returns:parcel_list"))
    snap("returns")
    for loan in loans:
        loan.refresh_from_db()
        assert loan.status == LoanStatus.RETURN_SHIPPED

    # 8. Staff check the items in at the site that sent them.
    for loan in loans:
        loan_check_in(
            loan_id=loan.pk,
            site=shipment.site,
            checked_in_on=timezone.localdate(),
            condition=ItemCondition.GOOD,
            loan_slip_enclosed=True,
            to_borrowers_enclosed=True,
            note="",
            actor=staff,
        )
    page.goto(url("loans:request_detail", loans[0].pk))
    timeline = page.locator("ol.timeline")
    assert timeline.locator("li.pending").count() == 0
    snap("request-detail-checked-in")
    page.goto(url("portal:dashboard"))
    assert _outstanding(page) == 0
    assert _html_lang(page) == lang
    snap("dashboard-done")

    # 9. Registration details, for the record.
    page.goto(url("registration:details"))
    snap("registration")

    # No script was blocked by the Content-Security-Policy, and nothing failed.
    assert not errors, errors
