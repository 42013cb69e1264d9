"""The portal and back-office pages of the copy service."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from copies.models import CopyPolicy, CopyRequest, CopyStatus, Invoice, InvoiceStatus
from core.models import OutgoingMail
from core.tests.factories import StaffFactory
from registration.tests.factories import LibraryFactory

from .factories import (
    AcceptedCopyFactory,
    BookFactory,
    CopiedCopyFactory,
    CopyRequestFactory,
    InvoiceFactory,
    fee_table,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)


@pytest.fixture
def library(db: None):  # type: ignore[no-untyped-def]
    fee_table()
    return LibraryFactory()


@pytest.fixture
def staff(client):  # type: ignore[no-untyped-def]
    client.force_login(StaffFactory())
    return client


FORM = {
    "pages_from": "11",
    "pages_to": "40",
    "paper_size": "a4",
    "colour": "mono",
    "research_declared": "on",
    "step": "preview",
}


def _pdf_text(content: bytes) -> str:
    import io

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_it_shows_the_estimate_before_confirming_then_creates(portal, library) -> None:
    book = BookFactory()
    url = reverse("copies:request_new") + f"?material={book.ndl_id}"
    assert portal.get(url).status_code == 200
    response = portal.post(url, {**FORM, "material": book.ndl_id})
    assert response.status_code == 200
    assert response.context["preview"].quote.total == Decimal("2150.00")
    assert b"2150.00" in response.content
    assert not CopyRequest.objects.exists()  # nothing until confirmed
    confirm = {**FORM, "material": book.ndl_id, "step": "confirm", "expected_total": "2150.00"}
    response = portal.post(url, confirm)
    copy = CopyRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("copies:request_detail", args=[copy.pk])
    assert copy.library == library and copy.quoted_total == Decimal("2150.00")


def test_every_reason_is_shown_and_nothing_is_written(portal) -> None:
    book = BookFactory()
    url = reverse("copies:request_new")
    data = {**FORM, "material": book.ndl_id, "pages_to": "", "research_declared": ""}
    response = portal.post(url, data)
    assert response.status_code == 200
    assert len(response.context["preview"].messages) == 2
    assert not CopyRequest.objects.exists()


def test_a_digitized_material_shows_the_digital_collections_link(portal) -> None:
    book = BookFactory(is_digitized=True)
    response = portal.get(reverse("copies:request_new") + f"?material={book.ndl_id}")
    assert b"https://dl.ndl.go.jp/" in response.content
    assert b'name="step"' not in response.content


def test_an_unknown_material_is_404(portal) -> None:
    assert portal.get(reverse("copies:request_new") + "?material=nope").status_code == 404


def test_the_list_costs_the_same_queries_for_few_or_many(portal, library) -> None:
    CopyRequestFactory(library=library)
    with CaptureQueriesContext(connection) as few:
        assert portal.get(reverse("copies:request_list")).status_code == 200
    for _ in range(6):
        CopyRequestFactory(library=library)
    InvoiceFactory(copy_request__library=library)
    with CaptureQueriesContext(connection) as many:
        assert portal.get(reverse("copies:request_list")).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_library_downloads_its_invoice_bilingual(portal, library) -> None:
    invoice = InvoiceFactory(copy_request__library=library)
    response = portal.get(reverse("copies:invoice_pdf", args=[invoice.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    for words in ("INVOICE", "請求書", invoice.number, "¥2,150", "How to pay", "お支払い方法"):
        assert words in text


def test_the_library_cancels_before_copying(portal, library) -> None:
    copy = CopyRequestFactory(library=library)
    portal.post(reverse("copies:request_cancel", args=[copy.pk]))
    copy.refresh_from_db()
    assert copy.status == CopyStatus.CANCELLED


def test_japanese_pages_are_in_japanese(portal, library) -> None:
    CopyRequestFactory(library=library)
    portal.cookies["django_language"] = "ja"
    response = portal.get(reverse("copies:request_list"), HTTP_ACCEPT_LANGUAGE="ja")
    text = response.content.decode()
    assert "複写申込み一覧" in text


# --- back-office -------------------------------------------------------------------


def test_staff_key_in_a_faxed_form(staff, library) -> None:
    book = BookFactory()
    url = reverse("admin:copies_copyrequest_key_in")
    assert staff.get(url).status_code == 200
    data = {
        "user_id": library.user_id,
        "ndl_id": book.ndl_id,
        "channel": "fax",
        "on_designated_form": "on",
        "copies": "1",
        **FORM,
    }
    assert staff.post(url, data).status_code == 302
    copy = CopyRequest.objects.get()
    assert copy.channel == "fax" and copy.status == CopyStatus.REQUESTED


def test_staff_decide_copy_and_dispatch(staff, library) -> None:
    copy = CopyRequestFactory(library=library)
    url = reverse("admin:copies_copyrequest_decide", args=[copy.pk])
    assert staff.get(url).status_code == 200
    assert staff.post(url, {"accept": "1", "extent": ""}).status_code == 302
    copy.refresh_from_db()
    assert copy.status == CopyStatus.ACCEPTED
    queue = staff.get(reverse("admin:copies_copyqueueitem_changelist"))
    assert f"C{copy.pk}".encode() in queue.content
    slip = staff.get(reverse("admin:copies_copyqueueitem_slip", args=[copy.pk]))
    assert "pp. 11-40" in _pdf_text(slip.content)
    record = reverse("admin:copies_copyqueueitem_record", args=[copy.pk])
    assert staff.post(record, {"pages": "30"}).status_code == 302
    dispatch = reverse("admin:copies_copyqueueitem_dispatch", args=[copy.pk])
    response = staff.post(dispatch, {"sent_on": "2026-03-20"})
    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("admin:copies_invoice_pdf", args=[invoice.pk])
    assert invoice.total == Decimal("2150.00")
    assert OutgoingMail.objects.filter(dedupe_key=f"copy-dispatched:{copy.pk}").exists()


def test_staff_refuse_and_print_the_letter(staff) -> None:
    copy = CopyRequestFactory(library=LibraryFactory(prefers_post=True))
    url = reverse("admin:copies_copyrequest_decide", args=[copy.pk])
    response = staff.post(url, {"refuse": "1", "codes": ["not_on_shelf"], "note": ""})
    assert response["Location"] == reverse("admin:copies_copyrequest_letter", args=[copy.pk])
    letter = staff.get(response["Location"])
    assert "shelf" in _pdf_text(letter.content)


def test_staff_record_payments_and_see_balances(staff, library) -> None:
    invoice = InvoiceFactory(copy_request__library=library)
    url = reverse("admin:copies_invoice_payment", args=[invoice.pk])
    assert staff.get(url).status_code == 200
    data = {"pay": "1", "amount": "1000", "received_on": "2026-03-19", "method": "bank_transfer"}
    assert staff.post(url, data).status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PART_PAID
    page = staff.get(reverse("admin:copies_invoice_balances"))
    assert page.context["balances"][0].owed == Decimal("1150.00")
    assert b"1,150.00" in page.content


def test_a_bad_payment_shows_a_message_and_changes_nothing(staff) -> None:
    invoice = InvoiceFactory()
    url = reverse("admin:copies_invoice_payment", args=[invoice.pk])
    data = {"pay": "1", "amount": "99999", "received_on": "2026-03-19", "method": "coupon"}
    response = staff.post(url, data, follow=True)
    assert response.status_code == 200
    invoice.refresh_from_db()
    assert invoice.paid_amount == 0


@pytest.mark.parametrize(
    "name",
    [
        "admin:copies_copyrequest_changelist",
        "admin:copies_copyqueueitem_changelist",
        "admin:copies_invoice_changelist",
        "admin:copies_feerate_changelist",
        "admin:copies_copypolicy_changelist",
    ],
)
def test_admin_lists_cost_the_same_queries_for_few_or_many(staff, name: str) -> None:
    def make() -> None:
        InvoiceFactory()
        AcceptedCopyFactory()
        CopiedCopyFactory()
        CopyPolicy.objects.create(material=BookFactory(), residential_map=True)

    make()
    with CaptureQueriesContext(connection) as few:
        assert staff.get(reverse(name)).status_code == 200
    for _ in range(4):
        make()
    with CaptureQueriesContext(connection) as many:
        assert staff.get(reverse(name)).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_lending_staff_see_only_their_sites_queue(client, tokyo, kansai) -> None:
    from django.contrib.auth.models import Group

    from core.roles import LENDING_STAFF

    fee_table()
    here = AcceptedCopyFactory()  # Tokyo
    there = AcceptedCopyFactory(material=BookFactory(site=kansai))
    user = StaffFactory(is_superuser=False, site=kansai)
    user.groups.add(Group.objects.get(name=LENDING_STAFF))
    client.force_login(user)
    page = client.get(reverse("admin:copies_copyqueueitem_changelist"))
    assert page.status_code == 200
    assert f"C{there.pk}".encode() in page.content
    assert f">C{here.pk}<".encode() not in page.content
    slip = client.get(reverse("admin:copies_copyqueueitem_slip", args=[here.pk]))
    assert slip.status_code == 404


def test_asking_without_a_material_leads_to_the_catalogue(portal) -> None:
    response = portal.get(reverse("copies:request_new"))
    assert response.status_code == 302
    assert response["Location"] == reverse("loans:search")


def test_the_search_offers_a_copy_of_every_material(portal) -> None:
    book = BookFactory(title="Toshokan no rekishi", is_digitized=True)
    response = portal.get(reverse("loans:search") + "?q=rekishi")
    assert f"{reverse('copies:request_new')}?material={book.ndl_id}".encode() in response.content


def test_a_fee_line_in_force_is_read_only(staff, library) -> None:
    from copies.models import FeeRate

    line = FeeRate.objects.filter(kind="handling").get()
    response = staff.get(reverse("admin:copies_feerate_change", args=[line.pk]))
    assert response.status_code == 200
    assert b'name="amount"' not in response.content
