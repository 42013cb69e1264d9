"""A message each way between a library and the NDL, in the browser, in
English and in Japanese.

The library writes about its request from the portal; Tokyo's lending staff
find it under "unread" in the admin, reply and keep a staff-only note; the
library sees the reply flagged on its dashboard and never the note. Each
conversation page is checked with axe-core and photographed into
screenshots/messages-<lang>-<nn>-<step>.png. Elements are found by id, name,
test id and URL, never by wording.
"""

# ruff: noqa: S101  (pytest tests assert)
from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from .conftest import PASSWORD, axe_violations, describe, portal_login, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NOTE = "Staff only: check the binding before packing."


@pytest.fixture
def lending_staff(transactional_db: None, settings: Any) -> Any:
    """Tokyo's lending staff, with a backup code as second factor."""
    from django.contrib.auth.models import Group

    from core.models import Site, SiteCode, User
    from core.roles import LENDING_STAFF, roles_sync
    from core.tests.factories import backup_codes_give

    settings.NDL_ADMIN_REQUIRE_OTP = True
    roles_sync()
    user = User.objects.create_user(
        "messages-tokyo",
        password=PASSWORD,
        is_staff=True,
        site=Site.objects.get(code=SiteCode.TOKYO),
    )
    user.groups.add(Group.objects.get(name=LENDING_STAFF))
    backup_codes_give(user, "msgs0000")
    return user


def _check(page: Any, failures: dict[str, str], name: str) -> None:
    shot(page, name)
    if found := axe_violations(page):
        failures[name] = describe(found)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_message_each_way(
    axe_page: Any,
    live_server: Any,
    portal_library: Any,
    lending_staff: Any,
    catalogue: list[Any],
    lang: str,
) -> None:
    from conversations.models import Message, Side, StaffNote
    from loans.tests.factories import LoanRequestFactory

    page, base = axe_page, live_server.url
    loan: Any = LoanRequestFactory(library=portal_library, material=catalogue[0])
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
    failures: dict[str, str] = {}

    # 1. The library writes from its request's page.
    portal_login(page, base, portal_library.user_id)
    page.goto(base + reverse("loans:request_detail", args=[loan.pk]))
    page.get_by_test_id("conversation-link").locator("a").click()
    page.wait_for_url(base + reverse("conversations:request", args=[loan.pk]))
    assert page.locator("html").get_attribute("lang") == lang
    page.fill("#id_body", "Could the item travel with our other request?")
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=message][data-sender=library]").count() == 1
    _check(page, failures, f"messages-{lang}-01-portal-sent")
    assert Message.objects.get().sender == Side.LIBRARY

    # 2. Staff find it among the unread, reply, and keep a note.
    staff_page = page.context.browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}
    ).new_page()
    staff_page.context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
    staff_page.goto(base + reverse("admin:login"))
    staff_page.fill("#id_username", "messages-tokyo")
    staff_page.fill("#id_password", PASSWORD)
    staff_page.fill("#id_otp_token", "msgs0000")
    staff_page.locator("#login-form [type=submit]").click()
    staff_page.wait_for_url(base + reverse("admin:index"))
    # The index counts the unread message and links to it.
    unread_list = reverse("admin:conversations_thread_changelist") + "?unread=yes&site="
    staff_page.locator(f"#content-main a[href^='{unread_list}']").click()
    staff_page.wait_for_load_state()
    assert staff_page.get_by_test_id("unread-total").locator("a").count() == 1
    _check(staff_page, failures, f"messages-{lang}-02-admin-unread")
    url = reverse("admin:conversations_thread_request", args=[loan.pk])
    staff_page.locator("#result_list a[href*='/change/']").first.click()
    staff_page.wait_for_url(base + url)
    staff_page.fill("#id_body", "Yes: both will be sent in one parcel.")
    staff_page.locator("#content-main form [type=submit]").click()
    staff_page.wait_for_url(base + url)
    staff_page.fill("#id_body", NOTE)
    staff_page.check("#id_staff_only")
    staff_page.locator("#content-main form [type=submit]").click()
    staff_page.wait_for_url(base + url)
    assert staff_page.locator("[data-testid=note]").count() == 1
    assert staff_page.locator("[data-testid=message]").count() == 2
    _check(staff_page, failures, f"messages-{lang}-03-admin-conversation")
    assert StaffNote.objects.count() == 1
    staff_page.context.close()

    # 3. The library sees the reply flagged on its dashboard, and not the note.
    page.goto(base + reverse("portal:dashboard"))
    assert page.get_by_test_id("unread-messages").count() == 1
    _check(page, failures, f"messages-{lang}-04-portal-dashboard")
    page.get_by_test_id("unread-messages").locator("a").first.click()
    page.wait_for_url(base + reverse("conversations:request", args=[loan.pk]))
    assert page.locator("[data-testid=message][data-sender=ndl]").count() == 1
    assert NOTE not in page.content()
    _check(page, failures, f"messages-{lang}-05-portal-reply")
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
