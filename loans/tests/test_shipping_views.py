import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from catalogue.tests.factories import MaterialFactory
from core.models import User
from core.tests.factories import StaffFactory
from loans.models import LoanStatus, Shipment
from loans.tests.factories import PackedLoanFactory, ShipmentFactory
from registration.tests.factories import LibraryFactory
from returns.tests.factories import HeldLoanFactory, ShippedLoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)


@pytest.fixture
def library_client(client, library):
    client.force_login(User.objects.create_user(library.user_id, library=library))
    return client


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# --- portal -------------------------------------------------------------------


def test_the_shipment_list_has_a_fixed_number_of_queries(
    library_client, library, django_assert_num_queries
) -> None:
    url = reverse("loans:shipment_list")
    ShippedLoanFactory(library=library)
    with django_assert_num_queries(3) as one:
        response = library_client.get(url)
    assert response.status_code == 200
    for _ in range(4):
        loan = HeldLoanFactory(library=library)
        ShippedLoanFactory(library=library, shipment=loan.shipment)
    with django_assert_num_queries(len(one.captured_queries)):
        response = library_client.get(url)
    content = response.content.decode()
    assert "Confirm receipt" in content
    assert "2026-04-10" in content  # due date of the received items


def test_the_library_confirms_receipt_in_the_portal(library_client, library) -> None:
    loan = ShippedLoanFactory(library=library)
    url = reverse("loans:shipment_confirm", args=[loan.shipment.pk])
    assert library_client.get(url).status_code == 200
    response = library_client.post(
        url, {"received_on": "2026-03-10", f"condition_{loan.pk}": "Good, slightly worn"}
    )
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.RECEIVED
    assert loan.due_on == dt.date(2026, 4, 10)
    assert loan.condition_on_receipt == "Good, slightly worn"


@pytest.mark.parametrize(
    ("received_on", "message"),
    [("2026-03-01", "before the shipment date"), ("2026-03-21", "cannot be in the future")],
)
def test_a_bad_receipt_date_shows_a_message_and_writes_nothing(
    library_client, library, received_on, message
) -> None:
    loan = ShippedLoanFactory(library=library)
    url = reverse("loans:shipment_confirm", args=[loan.shipment.pk])
    response = library_client.post(
        url, {"received_on": received_on, f"condition_{loan.pk}": "Good"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SHIPPED


def test_another_librarys_shipment_is_not_found(library_client) -> None:
    other = ShippedLoanFactory()
    for url in (
        reverse("loans:shipment_confirm", args=[other.shipment.pk]),
        reverse("loans:shipment_pdf", args=[other.shipment.pk, "loan-slip"]),
        reverse("loans:shipment_pdf", args=[other.shipment.pk, "to-borrowers"]),
    ):
        assert library_client.get(url).status_code == 404
    response = library_client.post(
        reverse("loans:shipment_confirm", args=[other.shipment.pk]), {"received_on": "2026-03-10"}
    )
    assert response.status_code == 404


def test_it_offers_no_extension_and_says_the_item_may_be_requested_again(
    library_client, library
) -> None:
    loan = HeldLoanFactory(library=library)
    page = library_client.get(reverse("loans:shipment_list")).content.decode()
    assert "Request an extension" not in page
    assert "/extend/" not in page
    assert "Loans are not extended; the item may be requested again after its return." in page
    assert loan.due_on == dt.date(2026, 4, 10)


def test_staff_and_anonymous_are_sent_to_login(client) -> None:
    url = reverse("loans:shipment_list")
    assert client.get(url).status_code == 302
    client.force_login(StaffFactory())
    assert client.get(url).status_code == 302


# --- PDFs -------------------------------------------------------------------------


def test_the_loan_slip_lists_items_library_site_and_conditions(library_client, library) -> None:
    loan = ShippedLoanFactory(
        library=library, material=MaterialFactory(title="日本の図書館", call_number="UL21-J1")
    )
    response = library_client.get(
        reverse("loans:shipment_pdf", args=[loan.shipment.pk, "loan-slip"])
    )
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    for expected in (
        "Loan Slip",
        loan.material.ndl_id,
        "日本の図書館",
        "UL21-J1",
        library.name,
        library.user_id,
        "Tokyo Main Library",
        loan.shipment.tracking_number,
        "reading room",
        "Do not copy",
        "lost or damaged",
        "one month from the date of receipt",
    ):
        assert expected in text, expected


def test_to_borrowers_carries_the_receipt_letter_with_the_sending_sites_fax_and_email(
    library_client, library, kansai
) -> None:
    loan = ShippedLoanFactory(library=library, material=MaterialFactory(site=kansai))
    response = library_client.get(
        reverse("loans:shipment_pdf", args=[loan.shipment.pk, "to-borrowers"])
    )
    reader = PdfReader(io.BytesIO(response.content))
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape: two halves
    text = _pdf_text(response.content)
    for expected in (
        "To Borrowers",
        "Receipt Letter of the Loan Material",
        kansai.fax,
        kansai.email,
        "within three days",
        "Date received",
        "Signature",
        "Condition",
        loan.material.ndl_id,
    ):
        assert expected in text, expected


# --- admin ---------------------------------------------------------------------------


@pytest.fixture
def tokyo_staff(tokyo):
    return StaffFactory(is_superuser=False, site=tokyo)


@pytest.fixture
def admin_client(client, tokyo_staff):
    from django.contrib.auth.models import Permission

    tokyo_staff.user_permissions.set(
        Permission.objects.filter(
            codename__in=[
                "view_pullqueueitem",
                "change_pullqueueitem",
                "view_shipqueueitem",
                "change_shipqueueitem",
                "view_shipment",
                "change_shipment",
            ]
        )
    )
    client.force_login(tokyo_staff)
    return client


def test_the_pull_queue_shows_only_the_staff_sites_items(admin_client, kansai) -> None:
    mine = PackedLoanFactory(packed_at=None)
    theirs = PackedLoanFactory(packed_at=None, material=MaterialFactory(site=kansai))
    PackedLoanFactory()  # packed: on the ship queue
    response = admin_client.get(reverse("admin:loans_pullqueueitem_changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert mine.material.ndl_id in content
    assert theirs.material.ndl_id not in content


def test_a_superuser_sees_every_site_and_filters_by_site(client, kansai) -> None:
    client.force_login(StaffFactory())
    mine = PackedLoanFactory(packed_at=None)
    theirs = PackedLoanFactory(packed_at=None, material=MaterialFactory(site=kansai))
    url = reverse("admin:loans_pullqueueitem_changelist")
    content = client.get(url).content.decode()
    assert mine.material.ndl_id in content and theirs.material.ndl_id in content
    content = client.get(url, {"site": kansai.pk}).content.decode()
    assert mine.material.ndl_id not in content and theirs.material.ndl_id in content


@pytest.mark.parametrize(
    ("model", "queries"), [("pullqueueitem", 6), ("shipqueueitem", 6), ("shipment", 6)]
)
def test_admin_lists_have_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries, model, queries
) -> None:
    url = reverse(f"admin:loans_{model}_changelist")
    library = LibraryFactory()
    PackedLoanFactory(library=library, packed_at=None)
    PackedLoanFactory(library=library)
    ShippedLoanFactory(library=library)
    with django_assert_num_queries(queries):
        admin_client.get(url)
    for _ in range(5):
        library = LibraryFactory()  # the ten-item cap holds per library
        PackedLoanFactory(library=library, packed_at=None)
        PackedLoanFactory(library=library)
        ShippedLoanFactory(library=library)
    with django_assert_num_queries(queries):
        response = admin_client.get(url)
    assert response.status_code == 200


def test_the_pack_action_packs_the_selected_items(admin_client) -> None:
    loans = [PackedLoanFactory(packed_at=None) for _ in range(2)]
    response = admin_client.post(
        reverse("admin:loans_pullqueueitem_changelist"),
        {"action": "mark_packed", "_selected_action": [loan.pk for loan in loans]},
    )
    assert response.status_code == 302
    for loan in loans:
        loan.refresh_from_db()
        assert loan.packed_at is not None


def test_the_dispatch_action_asks_for_the_tracking_number_then_ships(admin_client, library) -> None:
    loans = [PackedLoanFactory(library=library) for _ in range(2)]
    url = reverse("admin:loans_shipqueueitem_changelist")
    selected = {"action": "dispatch", "_selected_action": [loan.pk for loan in loans]}
    response = admin_client.post(url, selected)
    assert response.status_code == 200
    assert "tracking number" in response.content.decode()

    response = admin_client.post(
        url,
        {**selected, "apply": "1", "tracking_number": "RR123456784JP", "shipped_on": "2026-03-20"},
    )
    assert response.status_code == 200
    assert "wrong check digit" in response.content.decode()
    assert not Shipment.objects.exists()

    response = admin_client.post(
        url,
        {**selected, "apply": "1", "tracking_number": "RR123456785JP", "shipped_on": "2026-03-20"},
    )
    assert response.status_code == 302
    shipment = Shipment.objects.get()
    assert set(shipment.loans.values_list("status", flat=True)) == {LoanStatus.SHIPPED}


def test_dispatching_two_libraries_items_shows_the_error(admin_client) -> None:
    loans = [PackedLoanFactory(), PackedLoanFactory()]
    response = admin_client.post(
        reverse("admin:loans_shipqueueitem_changelist"),
        {
            "action": "dispatch",
            "_selected_action": [loan.pk for loan in loans],
            "apply": "1",
            "tracking_number": "RR123456785JP",
            "shipped_on": "2026-03-20",
        },
    )
    assert response.status_code == 200
    assert "one library" in response.content.decode()
    assert not Shipment.objects.exists()


def test_staff_record_a_receipt_letter_and_download_the_papers(admin_client) -> None:
    loan = ShippedLoanFactory()
    shipment = loan.shipment
    url = reverse("admin:loans_shipment_receipt_letter", args=[shipment.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "channel": "email",
            "letter_on": "2026-03-12",
            "received_on": "2026-03-10",
            f"condition_{loan.pk}": "Good",
        },
    )
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.receipt_letter_on == dt.date(2026, 3, 12)
    for kind in ("loan-slip", "to-borrowers"):
        response = admin_client.get(reverse("admin:loans_shipment_pdf", args=[shipment.pk, kind]))
        assert response["Content-Type"] == "application/pdf"


def test_staff_cannot_open_another_sites_shipment(admin_client, kansai) -> None:
    shipment = ShipmentFactory(site=kansai)
    url = reverse("admin:loans_shipment_pdf", args=[shipment.pk, "loan-slip"])
    assert admin_client.get(url).status_code == 404


def test_the_delivery_date_form_refuses_a_date_before_shipping(admin_client) -> None:
    shipment = ShipmentFactory()
    url = reverse("admin:loans_shipment_delivery", args=[shipment.pk])
    response = admin_client.post(url, {"delivered_on": "2026-03-01"})
    assert "before the shipment date" in response.content.decode()
    response = admin_client.post(url, {"delivered_on": "2026-03-05"})
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.delivered_on == dt.date(2026, 3, 5)


def test_the_request_page_says_loans_are_not_extended_by_the_due_date(
    library_client, library
) -> None:
    loan = HeldLoanFactory(library=library)
    page = library_client.get(reverse("loans:request_detail", args=[loan.pk])).content.decode()
    # Next to "Ship back by" and in the timeline's step.
    assert (
        page.count("Loans are not extended; the item may be requested again after its return.") == 2
    )


def test_the_shipments_list_has_no_extension_action(admin_client) -> None:
    HeldLoanFactory()
    page = admin_client.get(reverse("admin:loans_shipment_changelist")).content.decode()
    assert "extend_loans" not in page
    assert "Extend the due date" not in page
