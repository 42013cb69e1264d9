"""The lending desk: one scan box, the item or parcel found, its one next step."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import Site, SiteCode
from loans.models import LoanStatus
from loans.selectors_desk import desk_scan, slip_code
from loans.tests.factories import (
    AcceptedLoanFactory,
    LoanRequestFactory,
    MaterialFactory,
    PackedLoanFactory,
    ShipmentFactory,
    s10_number,
)
from loans.tests.test_pull_slips import lending_staff
from registration.tests.factories import LibraryFactory
from returns.models import CheckIn, ItemCondition
from returns.services import return_parcel_record
from returns.tests.factories import HeldLoanFactory, ShippedLoanFactory

pytestmark = pytest.mark.django_db

DESK = "admin:loans_desk"


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)


def _tokyo() -> Site:
    return Site.objects.get(code=SiteCode.TOKYO)


def _scan(client, value: str):
    return client.get(reverse(DESK), {"q": value})


def ten_item_return(*, tracking: str = s10_number(77000001, "GB")) -> list:
    library = LibraryFactory()
    shipment = ShipmentFactory(library=library, site=_tokyo())
    loans = [
        HeldLoanFactory(library=library, shipment=shipment, material=MaterialFactory())
        for _ in range(10)
    ]
    return_parcel_record(
        library=library,
        loan_ids=[loan.pk for loan in loans],
        method="registered_air_mail",
        carrier="",
        tracking_number=tracking,
        sent_on=dt.date(2026, 3, 18),
        actor=None,
    )
    return loans


# --- what a scan finds -----------------------------------------------------------------


def test_a_slip_barcode_a_request_number_and_an_ndl_id_find_the_same_item() -> None:
    loan = AcceptedLoanFactory()
    for value in (
        slip_code(loan.pk),
        f"#{loan.pk}",
        loan.material.ndl_id,
        " \uff4c" + f"{loan.pk:09d}",  # a full-width "l" from a Japanese input method
    ):
        scan = desk_scan(value=value, site=_tokyo())
        assert scan.loan == loan, value
        assert scan.action == "pack"


def test_an_ndl_id_finds_the_items_active_request_not_an_old_one() -> None:
    loan = HeldLoanFactory()
    LoanRequestFactory(material=loan.material, status=LoanStatus.REJECTED)
    assert desk_scan(value=loan.material.ndl_id, site=None).loan == loan


def test_each_state_gets_the_one_next_step_the_table_of_moves_allows() -> None:
    site = _tokyo()
    assert desk_scan(value=slip_code(AcceptedLoanFactory().pk), site=site).action == "pack"
    assert desk_scan(value=slip_code(PackedLoanFactory().pk), site=site).action == "dispatch"
    assert desk_scan(value=slip_code(HeldLoanFactory().pk), site=site).action == "check_in"
    assert desk_scan(value=slip_code(ShippedLoanFactory().pk), site=site).action is None
    requested = LoanRequestFactory(status=LoanStatus.REQUESTED)
    assert desk_scan(value=slip_code(requested.pk), site=site).action is None


def test_tracking_numbers_find_the_parcel_out_and_the_parcel_back() -> None:
    number = s10_number(77000004, "GB")
    loans = ten_item_return(tracking=f"{number[:6]} {number[6:]}")
    back = desk_scan(value=number.lower(), site=_tokyo())
    assert back.parcel is not None
    assert back.parcel_open
    assert back.parcel_loans == sorted(loans, key=lambda loan: loan.pk)
    shipped = ShippedLoanFactory()
    out = desk_scan(value=shipped.shipment.tracking_number.lower(), site=_tokyo())
    assert out.shipment == shipped.shipment


def test_nothing_found_is_said_not_an_error(client) -> None:
    client.force_login(lending_staff())
    for value in ("nothing-here", "L000000000999", "#12", "<script>", "RR000000000JP", "ー"):
        response = _scan(client, value)
        assert response.status_code == 200, value
        assert "Nothing was found" in response.content.decode(), value


def test_wrong_site_items_are_flagged_at_the_scan() -> None:
    kansai = Site.objects.get(code=SiteCode.KANSAI)
    accepted = AcceptedLoanFactory()  # held at Tokyo
    scan = desk_scan(value=slip_code(accepted.pk), site=kansai)
    assert scan.other_site == _tokyo()
    assert scan.action is None  # Kansai-kan cannot pack Tokyo's item
    held = HeldLoanFactory()  # lent by Tokyo, returned to Kansai-kan
    scan = desk_scan(value=held.material.ndl_id, site=kansai)
    assert scan.other_site == _tokyo()
    assert scan.action == "check_in"  # recorded as a wrong-site return
    assert desk_scan(value=held.material.ndl_id, site=None).other_site is None


def test_the_scan_answers_with_a_constant_number_of_queries_in_under_50_ms() -> None:
    loans = ten_item_return()
    site = _tokyo()
    values = [
        slip_code(loans[0].pk),
        loans[0].material.ndl_id,
        s10_number(77000001, "GB"),
        loans[0].shipment.tracking_number,
        "nothing",
    ]
    for value in values:
        with CaptureQueriesContext(connection) as queries:
            desk_scan(value=value, site=site)
        assert len(queries) <= 4, (value, [q["sql"] for q in queries])
    started = time.perf_counter()
    for _ in range(10):
        for value in values:
            desk_scan(value=value, site=site)
    per_scan = (time.perf_counter() - started) / (10 * len(values))
    assert per_scan < 0.05


def test_the_desk_page_takes_the_same_queries_for_one_item_and_for_ten(
    client, django_assert_max_num_queries
) -> None:
    staff = lending_staff()
    client.force_login(staff)
    one = ten_item_return(tracking=s10_number(77000002, "GB"))
    ten = ten_item_return(tracking=s10_number(77000003, "GB"))
    _scan(client, one[0].material.ndl_id)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as first:
        _scan(client, s10_number(77000002, "GB"))
    with CaptureQueriesContext(connection) as second:
        _scan(client, s10_number(77000003, "GB"))
    assert len(first) == len(second)
    assert ten


# --- acting from the desk ----------------------------------------------------------------


def test_scan_pack_then_ship_through_the_dispatch_form(client) -> None:
    staff = lending_staff()
    client.force_login(staff)
    loan = AcceptedLoanFactory()
    page = _scan(client, slip_code(loan.pk)).content.decode()
    assert reverse("admin:loans_desk_pack", args=[loan.pk]) in page
    response = client.post(reverse("admin:loans_desk_pack", args=[loan.pk]), follow=True)
    loan.refresh_from_db()
    assert loan.packed_at is not None
    assert "is packed" in response.content.decode()
    assert 'id="desk-scan"' in response.content.decode()
    # Packed: the next step is the ship queue's dispatch form, the item chosen.
    page = _scan(client, loan.material.ndl_id).content.decode()
    assert 'name="action" value="dispatch"' in page
    assert f'name="_selected_action" value="{loan.pk}"' in page
    form = client.post(
        reverse("admin:loans_shipqueueitem_changelist"),
        {"action": "dispatch", "_selected_action": [loan.pk]},
    )
    assert form.status_code == 200
    assert loan.material.ndl_id in form.content.decode()
    done = client.post(
        reverse("admin:loans_shipqueueitem_changelist"),
        {
            "action": "dispatch",
            "_selected_action": [loan.pk],
            "apply": "1",
            "tracking_number": s10_number(55000001),
            "shipped_on": "2026-03-20",
        },
    )
    assert done.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SHIPPED


def test_packing_twice_says_so_and_changes_nothing(client) -> None:
    client.force_login(lending_staff())
    loan = PackedLoanFactory()
    packed_at = loan.packed_at
    response = client.post(reverse("admin:loans_desk_pack", args=[loan.pk]), follow=True)
    assert response.status_code == 200
    loan.refresh_from_db()
    assert loan.packed_at == packed_at
    assert "already packed" in response.content.decode() or "cannot" in response.content.decode()


def test_a_ten_item_return_is_checked_in_by_ten_scans(client) -> None:
    staff = lending_staff()
    client.force_login(staff)
    loans = ten_item_return()
    for number, loan in enumerate(loans, start=1):
        page = _scan(client, loan.material.ndl_id).content.decode()
        assert reverse("admin:loans_desk_check_in", args=[loan.pk]) in page
        condition = ItemCondition.DAMAGED if number == 3 else ItemCondition.GOOD
        response = client.post(
            reverse("admin:loans_desk_check_in", args=[loan.pk]),
            {
                "condition": condition,
                "loan_slip_enclosed": "1",
                "to_borrowers_enclosed": "1",
                "note": "Torn cover" if number == 3 else "",
            },
            follow=True,
        )
        text = response.content.decode()
        assert "is checked in" in text
        # Focus back in the scan box for the next item.
        assert 'name="q" value="" size="30" autocomplete="off" spellcheck="false"' in text
        assert "autofocus" in text.split('id="desk-scan"')[1].split(">")[0]
    assert CheckIn.objects.filter(site=staff.site).count() == 10
    for loan in loans:
        loan.refresh_from_db()
        assert loan.status == LoanStatus.CHECKED_IN
    damaged = CheckIn.objects.get(condition=ItemCondition.DAMAGED)
    assert damaged.loan.damage_cases.count() == 1
    # An eleventh scan of a checked-in item offers nothing.
    page = _scan(client, loans[0].material.ndl_id).content.decode()
    assert "Nothing to do at the desk" in page
    # The parcel's number now shows its items, with nothing left to check in.
    parcel_page = _scan(client, s10_number(77000001, "GB")).content.decode()
    assert loans[9].material.ndl_id in parcel_page
    assert "/check-in/" not in parcel_page.split("desk-result")[1]


def test_a_check_in_at_the_wrong_site_is_recorded_as_such(client) -> None:
    kansai = lending_staff(SiteCode.KANSAI)
    client.force_login(kansai)
    loan = HeldLoanFactory()
    page = _scan(client, loan.material.ndl_id).content.decode()
    assert 'id="desk-other-site"' in page
    client.post(
        reverse("admin:loans_desk_check_in", args=[loan.pk]),
        {"condition": "good"},
    )
    check_in = CheckIn.objects.get(loan=loan)
    assert check_in.wrong_site
    assert check_in.site == kansai.site


def test_bad_check_in_input_gives_a_message_and_writes_nothing(client) -> None:
    client.force_login(lending_staff())
    loan = HeldLoanFactory()
    response = client.post(
        reverse("admin:loans_desk_check_in", args=[loan.pk]), {"condition": "burnt"}, follow=True
    )
    assert response.status_code == 200
    assert "Choose the condition" in response.content.decode()
    shipped = ShippedLoanFactory()
    response = client.post(
        reverse("admin:loans_desk_check_in", args=[shipped.pk]),
        {"condition": "good"},
        follow=True,
    )
    assert response.status_code == 200
    missing = client.post(
        reverse("admin:loans_desk_check_in", args=[999999]), {"condition": "good"}
    )
    assert missing.status_code == 302
    assert not CheckIn.objects.exists()


def test_the_desk_is_for_lending_staff_not_for_registration_officers(client) -> None:
    from ndl_ill.tests.test_staff_matrix import make_staff

    client.force_login(make_staff("officer"))
    assert client.get(reverse(DESK)).status_code == 403
    client.force_login(make_staff("supervisor"))
    assert client.get(reverse(DESK)).status_code == 200
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse(DESK) in index


def test_after_dispatch_the_shipment_page_offers_its_papers_and_the_return_label(client) -> None:
    import io

    from pypdf import PdfReader

    client.force_login(lending_staff())
    shipment = ShippedLoanFactory().shipment
    page = client.get(reverse("admin:loans_shipment_change", args=[shipment.pk])).content.decode()
    for kind in ("loan-slip", "to-borrowers", "return-label"):
        url = reverse("admin:loans_shipment_pdf", args=[shipment.pk, kind])
        assert f'href="{url}"' in page
        response = client.get(url)
        assert response["Content-Type"] == "application/pdf", kind
    label = client.get(reverse("admin:loans_shipment_pdf", args=[shipment.pk, "return-label"]))
    text = PdfReader(io.BytesIO(label.content)).pages[0].extract_text()
    assert "JAPAN" in text
    assert shipment.library.user_id in text
    client.force_login(lending_staff(SiteCode.KANSAI, name="other"))
    url = reverse("admin:loans_shipment_pdf", args=[shipment.pk, "return-label"])
    assert client.get(url).status_code == 404
