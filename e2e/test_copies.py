"""A photocopy from request to payment, in the browser, in English and Japanese.

The library asks for a copy of a part of a book from the catalogue search,
sees every rule it breaks, then the estimate, and confirms; staff decide it,
find it in the site's copy queue, print the copy slip, record the pages
copied and send it with the invoice; the library downloads the invoice; staff
record a part payment and see what the library owes. Every page is checked
with axe-core and photographed into screenshots/copies-<lang>-<nn>-<step>.png.
"""

# ruff: noqa: S101  (pytest tests assert)
from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from .conftest import axe_violations, describe, portal_login, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def copy_staff(transactional_db: None, settings: Any) -> Any:
    """A supervisor of the back-office, with a backup code as second factor."""
    from core.tests.factories import StaffFactory, backup_codes_give

    settings.NDL_ADMIN_REQUIRE_OTP = True
    user: Any = StaffFactory(username="copies-staff")
    backup_codes_give(user, *(f"copy{n:04d}" for n in range(4)))
    return user


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_copy_from_request_to_payment(
    axe_page: Any, live_server: Any, portal_library: Any, copy_staff: Any, lang: str
) -> None:
    from copies.models import CopyRequest, CopyStatus, Invoice, InvoiceStatus
    from copies.tests.factories import BookFactory, fee_table

    page, base = axe_page, live_server.url
    url = lambda name, *args: base + reverse(name, args=args)  # noqa: E731
    fee_table()
    book = BookFactory(title="Toshokan no rekishi", responsibility="Sato Hanako")
    n = 0

    def snap(step: str, on: Any = None) -> None:
        nonlocal n
        n += 1
        shown = on or page
        assert shown.locator("html").get_attribute("lang") == lang
        violations = axe_violations(shown)
        assert not violations, f"{step}:\n{describe(violations)}"
        shot(shown, f"copies-{lang}-{n:02d}-{step}")

    page.context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
    portal_login(page, base, portal_library.user_id)

    # 1. From the catalogue search: "Request a copy" of the book.
    page.goto(url("loans:search") + "?q=rekishi")
    link = page.locator(f"a[href='{reverse('copies:request_new')}?material={book.ndl_id}']")
    assert link.count() == 1
    link.click()
    page.wait_for_url(re.compile(r"/portal/copies/new/"))
    snap("form")

    # 2. More than half of the book, no declaration: every reason, nothing made.
    page.fill("#id_pages_from", "1")
    page.fill("#id_pages_to", "151")
    page.locator("main form [type=submit]").last.click()
    page.wait_for_load_state()
    assert page.get_by_test_id("refusals").locator("li").count() == 2
    snap("refused")
    assert not CopyRequest.objects.exists()

    # 3. Half of it exactly, declared: the estimate, then confirm.
    page.fill("#id_pages_from", "151")
    page.fill("#id_pages_to", "300")
    page.check("#id_research_declared")
    page.locator("main form [type=submit]").last.click()
    page.wait_for_load_state()
    assert page.get_by_test_id("total").inner_text().strip() == "7350.00"
    snap("estimate")
    page.locator("main form input[name=step][value=confirm] ~ button").click()
    page.wait_for_url(re.compile(r"/portal/copies/\d+/$"))
    copy = CopyRequest.objects.get()
    assert copy.status == CopyStatus.REQUESTED and copy.pages_asked == 150
    snap("requested")

    # 4. Staff sign in, decide, and find it in Tokyo's copy queue.
    context = page.context.browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    desk = context.new_page()
    context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
    desk.goto(url("admin:login"))
    desk.fill("#id_username", "copies-staff")
    desk.fill("#id_password", "correct horse battery staple")
    desk.fill("#id_otp_token", "copy0000")
    desk.locator("#login-form [type=submit]").click()
    desk.wait_for_url(url("admin:index"))
    desk.goto(url("admin:copies_copyrequest_changelist"))
    snap("admin-requests", desk)
    desk.goto(url("admin:copies_copyrequest_decide", copy.pk))
    snap("admin-decide", desk)
    desk.locator("input[name=accept]").click()
    desk.wait_for_url(re.compile(r"/copyrequest/"))
    desk.goto(url("admin:copies_copyqueueitem_changelist"))
    assert (
        desk.locator(
            f"a[href='{reverse('admin:copies_copyqueueitem_slip', args=[copy.pk])}']"
        ).count()
        == 1
    )
    snap("admin-queue", desk)
    slip = desk.request.get(url("admin:copies_copyqueueitem_slip", copy.pk))
    assert slip.headers["content-type"] == "application/pdf"

    # 5. Pages copied (a fold-out made it 152), then send with the invoice.
    desk.goto(url("admin:copies_copyqueueitem_record", copy.pk))
    snap("admin-pages-copied", desk)
    desk.fill("#id_pages", "152")
    desk.locator("input[name=save]").click()
    desk.wait_for_url(re.compile(r"/copyqueueitem/"))
    desk.goto(url("admin:copies_copyqueueitem_dispatch", copy.pk))
    snap("admin-dispatch", desk)
    with desk.expect_navigation(url="**/invoice/*/pdf/", wait_until="load"):
        desk.locator("input[name=save]").click()
    invoice = Invoice.objects.get()
    assert invoice.pages == 152 and invoice.total == invoice.copying_fee + 500 + 3100

    # 6. The library follows its request and downloads the invoice.
    page.goto(url("copies:request_list"))
    snap("portal-list")
    page.goto(url("copies:request_detail", copy.pk))
    snap("portal-detail")
    pdf = page.request.get(url("copies:invoice_pdf", invoice.pk))
    assert pdf.headers["content-type"] == "application/pdf"

    # 7. Staff record a part payment and see what the library owes.
    desk.goto(url("admin:copies_invoice_payment", invoice.pk))
    snap("admin-payment", desk)
    desk.fill("#id_amount", "1000")
    desk.locator("input[name=pay]").click()
    desk.wait_for_url(re.compile(r"/invoice/"))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PART_PAID
    desk.goto(url("admin:copies_invoice_balances"))
    snap("admin-balances", desk)
    context.close()
