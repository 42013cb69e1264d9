"""axe-core on every portal page (no serious or critical violation), and the
keyboard: the sign-in form can be filled and sent without a mouse."""

# ruff: noqa: S101  (pytest tests assert)
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from .conftest import PASSWORD, axe_violations, describe, portal_login, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def library_with_loans(portal_library: Any, catalogue: list[Any]) -> dict[str, Any]:
    """A library with something on every page: a request, a shipment to confirm,
    an item held, an overdue item, a return parcel and an open damage case."""
    from loans.models import LoanStatus
    from loans.tests.factories import LoanRequestFactory, ShipmentFactory
    from returns.models import ReturnMethod, ReturnParcel
    from returns.tests.factories import DamageCaseFactory, HeldLoanFactory

    today = timezone.localdate()
    requested: Any = LoanRequestFactory(library=portal_library, material=catalogue[0])
    shipment = ShipmentFactory(library=portal_library, shipped_on=today - dt.timedelta(days=5))
    LoanRequestFactory(
        library=portal_library,
        material=catalogue[1],
        status=LoanStatus.SHIPPED,
        shipment=shipment,
    )
    held: Any = HeldLoanFactory(
        library=portal_library,
        received_on=today - dt.timedelta(days=25),
        shipment__shipped_on=today - dt.timedelta(days=30),
    )
    overdue: Any = HeldLoanFactory(
        library=portal_library,
        status=LoanStatus.OVERDUE,
        received_on=today - dt.timedelta(days=40),
        shipment__shipped_on=today - dt.timedelta(days=45),
    )
    returned: Any = HeldLoanFactory(
        library=portal_library,
        status=LoanStatus.RETURN_SHIPPED,
        received_on=today - dt.timedelta(days=20),
        shipment__shipped_on=today - dt.timedelta(days=25),
    )
    parcel = ReturnParcel.objects.create(
        library=portal_library,
        site=returned.shipment.site,
        method=ReturnMethod.REGISTERED_AIR_MAIL,
        tracking_number="RR987654321JP",
        sent_on=today,
    )
    parcel.loans.add(returned)
    DamageCaseFactory(loan=held, reported_on=today)
    return {
        "requested": requested,
        "shipment": shipment,
        "held": held,
        "overdue": overdue,
    }


def _portal_pages(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("dashboard", reverse("portal:dashboard")),
        ("search", reverse("loans:search") + "?q=toshokan"),
        ("request-list", reverse("loans:request_list")),
        ("request-detail", reverse("loans:request_detail", args=[data["requested"].pk])),
        ("request-detail-held", reverse("loans:request_detail", args=[data["held"].pk])),
        ("shipments", reverse("loans:shipment_list")),
        ("confirm-receipt", reverse("loans:shipment_confirm", args=[data["shipment"].pk])),
        ("returns", reverse("returns:parcel_list")),
        ("return-form", reverse("returns:parcel_create")),
        ("damage-report", reverse("returns:case_report", args=[data["held"].pk])),
        ("registration", reverse("registration:details")),
    ]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_no_serious_violations_on_any_portal_page(
    axe_page: Any, live_server: Any, library_with_loans: dict[str, Any], lang: str
) -> None:
    page, base = axe_page, live_server.url
    if lang == "ja":
        page.context.add_cookies([{"name": "django_language", "value": "ja", "url": base}])
    page.goto(base + reverse("portal:login"))
    failures = {}
    if found := axe_violations(page):
        failures["login"] = describe(found)
    portal_login(page, base, library_with_loans["held"].library.user_id)
    for name, path in _portal_pages(library_with_loans):
        response = page.goto(base + path)
        assert response is not None and response.status == 200, (name, path)
        assert page.locator("html").get_attribute("lang") == lang
        shot(page, f"axe-{lang}-{name}")
        if found := axe_violations(page):
            failures[name] = describe(found)
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())


def test_the_sign_in_form_works_with_the_keyboard_alone(
    page: Any, live_server: Any, portal_library: Any
) -> None:
    base = live_server.url
    page.goto(base + reverse("portal:login"))

    # The first Tab reaches the skip link, which is shown when it has focus.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    shot(page, "keyboard-01-skip-link")

    # Tab on until the User ID field has focus; every stop has a visible outline.
    for _ in range(10):
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", page.evaluate("document.activeElement.outerHTML")
        if page.evaluate("document.activeElement.id") == "id_username":
            break
    else:
        pytest.fail("Tab never reached the User ID field")
    page.keyboard.type(portal_library.user_id)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_password"
    page.keyboard.type(PASSWORD)
    shot(page, "keyboard-02-filled")
    page.keyboard.press("Enter")
    page.wait_for_url(base + reverse("portal:dashboard"))
    assert page.get_by_test_id("outstanding").is_visible()


def test_the_menu_folds_away_on_a_phone(page: Any, live_server: Any, portal_library: Any) -> None:
    """Bootstrap's script (a static file, allowed by the CSP) opens the menu."""
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    portal_login(page, base, portal_library.user_id)
    search_link = page.locator(f"#portal-nav a[href='{reverse('loans:search')}']")
    assert not search_link.is_visible()
    shot(page, "phone-01-dashboard")
    page.locator("button.navbar-toggler").click()
    page.wait_for_selector("#portal-nav.show")  # the opening animation is over
    shot(page, "phone-02-menu-open")
    search_link.click()
    page.wait_for_url(base + reverse("loans:search"))
