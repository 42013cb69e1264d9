"""The work lists drawn from plain rows: what each row offers follows the
table of moves, the pull queue prints pull slips for the chosen items, and a
list past 10,000 rows says so instead of counting them all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from core import admin_worklist
from core.models import Site, SiteCode, User
from core.roles import LENDING_STAFF
from core.tests.factories import StaffFactory
from loans.models import LoanStatus, PullSlipBatch, ReceiptChannel
from loans.tests.factories import AcceptedLoanFactory, LoanRequestFactory
from registration.tests.factories import LibraryFactory
from returns.tests.factories import HeldLoanFactory, ShippedLoanFactory

pytestmark = pytest.mark.django_db

SHIPMENTS = reverse("admin:loans_shipment_changelist")
PULL_QUEUE = reverse("admin:loans_pullqueueitem_changelist")
SHIPMENT_LINKS = {
    "receipt letter": "admin:loans_shipment_receipt_letter",
    "delivery date": "admin:loans_shipment_delivery",
    "undelivered": "admin:loans_shipment_undelivered",
}


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-05-01 10:00 +0900", tick=False)


@pytest.fixture
def staff(client):
    client.force_login(StaffFactory())
    return client


def lending_staff(code: str = SiteCode.TOKYO) -> User:
    user = User.objects.create_user(f"rows-{code}", password="x" * 12, is_staff=True)
    user.site = Site.objects.get(code=code)
    user.save(update_fields=["site"])
    user.groups.add(Group.objects.get(name=LENDING_STAFF))
    return User.objects.get(pk=user.pk)


def _links(page: str, shipment_id: int) -> set[str]:
    return {
        name
        for name, url_name in SHIPMENT_LINKS.items()
        if reverse(url_name, args=[shipment_id]) in page
    }


def test_each_shipment_offers_only_what_the_table_of_moves_allows(staff) -> None:
    shipped = ShippedLoanFactory().shipment
    # Received and confirmed in the portal, the letter already filed: nothing.
    confirmed = HeldLoanFactory().shipment
    confirmed.receipt_channel = ReceiptChannel.PORTAL
    confirmed.receipt_letter_on = dt.date(2026, 3, 12)
    confirmed.save()
    # Confirmed in the portal, no letter yet: the letter joins that record.
    portal = HeldLoanFactory().shipment
    portal.receipt_channel = ReceiptChannel.PORTAL
    portal.save()
    # Assumed from the delivery date: the letter, or the post brought it back.
    assumed = HeldLoanFactory().shipment
    assumed.receipt_channel = ReceiptChannel.ASSUMED
    assumed.save()
    # Back at the NDL and checked in: only the papers.
    done = HeldLoanFactory(status=LoanStatus.CHECKED_IN).shipment

    page = staff.get(SHIPMENTS).content.decode()
    assert _links(page, shipped.pk) == {"receipt letter", "delivery date", "undelivered"}
    assert _links(page, confirmed.pk) == set()
    assert _links(page, portal.pk) == {"receipt letter"}
    assert _links(page, assumed.pk) == {"receipt letter", "undelivered"}
    assert _links(page, done.pk) == set()
    papers = reverse("admin:loans_shipment_pdf", args=[done.pk, "loan-slip"])
    assert papers in page


def test_a_shipment_with_one_item_still_in_the_post_offers_its_delivery_date(staff) -> None:
    held = HeldLoanFactory(status=LoanStatus.CHECKED_IN)
    ShippedLoanFactory(
        library=held.library, shipment=held.shipment, material__site=held.material.site
    )
    page = staff.get(SHIPMENTS).content.decode()
    assert "delivery date" in _links(page, held.shipment.pk)


def test_the_rows_read_as_before_in_japanese(staff) -> None:
    loan = ShippedLoanFactory()
    with translation.override("ja"):
        page = staff.get(SHIPMENTS, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert loan.shipment.tracking_number in page
    assert "came back undelivered" not in page
    assert loan.material.site.name_ja in page


def test_the_pull_queue_prints_pull_slips_for_the_chosen_items(client) -> None:
    staff = lending_staff()
    tokyo = Site.objects.get(code=SiteCode.TOKYO)
    chosen, other = (AcceptedLoanFactory(material__site=tokyo) for _ in range(2))
    client.force_login(staff)
    url = f"{PULL_QUEUE}?q={chosen.material.ndl_id}"
    page = client.get(url).content.decode()
    assert 'value="print_pull_slips"' in page
    response = client.post(
        url, {"action": "print_pull_slips", "_selected_action": [chosen.pk], "index": "0"}
    )
    batch = PullSlipBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:loans_pullslipbatch_pdf", args=[batch.pk])
    assert list(batch.loans.all()) == [chosen]
    assert batch.site == tokyo
    assert client.get(response["Location"])["Content-Type"] == "application/pdf"
    assert other.pk not in batch.loans.values_list("pk", flat=True)


def test_a_supervisor_prints_pull_slips_for_one_site_at_a_time(staff) -> None:
    tokyo = AcceptedLoanFactory(material__site=Site.objects.get(code=SiteCode.TOKYO))
    kansai = AcceptedLoanFactory(material__site=Site.objects.get(code=SiteCode.KANSAI))
    response = staff.post(
        PULL_QUEUE,
        {"action": "print_pull_slips", "_selected_action": [tokyo.pk, kansai.pk], "index": "0"},
        follow=True,
    )
    assert "held at one site" in response.content.decode()
    assert not PullSlipBatch.objects.exists()
    response = staff.post(
        PULL_QUEUE, {"action": "print_pull_slips", "_selected_action": [kansai.pk], "index": "0"}
    )
    assert response.status_code == 302
    assert PullSlipBatch.objects.get().site.code == SiteCode.KANSAI


def test_an_item_no_longer_to_pull_is_refused_and_nothing_is_printed(client) -> None:
    staff = lending_staff()
    loan = AcceptedLoanFactory(material__site=staff.site)
    client.force_login(staff)
    page = client.get(PULL_QUEUE).content.decode()
    assert f'value="{loan.pk}" class="action-select"' in page
    loan.status = LoanStatus.CANCELLED
    loan.save(update_fields=["status"])
    response = client.post(
        PULL_QUEUE,
        {"action": "print_pull_slips", "_selected_action": [loan.pk], "index": "0"},
    )
    assert response.status_code == 302
    assert not PullSlipBatch.objects.exists()


def test_a_list_past_the_cap_says_more_than_instead_of_counting(staff, monkeypatch) -> None:
    monkeypatch.setattr(admin_worklist, "COUNT_CAP", 3)
    library = LibraryFactory()
    for _ in range(5):
        LoanRequestFactory(library=library)
    page = staff.get(reverse("admin:loans_loanrequest_changelist")).content.decode()
    assert "more than 3 loan requests" in page
    monkeypatch.setattr(admin_worklist, "COUNT_CAP", 10)
    page = staff.get(reverse("admin:loans_loanrequest_changelist")).content.decode()
    assert "more than" not in page


def test_past_the_cap_no_action_is_offered_across_pages(staff, monkeypatch) -> None:
    # "Select all N" would act on every row the filter matches, not on N.
    from loans.admin.requests import LoanRequestAdmin

    monkeypatch.setattr(LoanRequestAdmin, "list_per_page", 2)
    library = LibraryFactory()
    for _ in range(5):
        LoanRequestFactory(library=library)
    url = reverse("admin:loans_loanrequest_changelist")
    monkeypatch.setattr(admin_worklist, "COUNT_CAP", 3)
    page = staff.get(url).content.decode()
    assert 'class="action-select"' in page
    assert 'class="question hidden"' not in page
    monkeypatch.setattr(admin_worklist, "COUNT_CAP", 10)
    page = staff.get(url).content.decode()
    assert 'class="question hidden"' in page
    assert "Select all 5 loan requests" in page


def test_each_admin_view_is_wrapped_once() -> None:
    from django.contrib import admin

    def view(request):  # pragma: no cover - only wrapped
        return None

    assert admin.site.admin_view(view) is admin.site.admin_view(view)
    assert admin.site.admin_view(view) is not admin.site.admin_view(view, cacheable=True)
