import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from pypdf import PdfReader

from catalogue.tests.factories import MaterialFactory
from core.models import User
from core.tests.factories import StaffFactory
from loans.models import LoanStatus
from loans.tests.factories import AcceptedLoanFactory
from registration.tests.factories import LibraryFactory
from returns.models import CaseStatus, CheckIn, DamageCase, ReturnParcel
from returns.tests.factories import DamageCaseFactory, HeldLoanFactory, ShippedLoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)


@pytest.fixture
def library_client(client, library):
    client.force_login(User.objects.create_user(library.user_id, library=library))
    return client


# --- portal -----------------------------------------------------------------------


def test_the_parcel_list_has_a_fixed_number_of_queries(
    library_client, library, django_assert_num_queries
) -> None:
    url = reverse("returns:parcel_list")

    def make() -> None:
        loan = HeldLoanFactory(library=library)
        DamageCaseFactory(loan=loan)
        shipped_back = HeldLoanFactory(library=library, status=LoanStatus.RETURN_SHIPPED)
        parcel = ReturnParcel.objects.create(
            library=library,
            site=shipped_back.shipment.site,
            method="air_carrier",
            carrier="DHL",
            tracking_number="1Z1",
            sent_on=shipped_back.received_on,
        )
        parcel.loans.add(shipped_back)

    make()
    with django_assert_num_queries(5):
        response = library_client.get(url)
    assert "Record a return" in response.content.decode()
    for _ in range(3):
        make()
    with django_assert_num_queries(5):
        response = library_client.get(url)
    assert "DHL" in response.content.decode()


def _post_return(client, loans, **overrides):
    data = {
        "loans": [loan.pk for loan in loans],
        "method": "registered_air_mail",
        "carrier": "",
        "tracking_number": "RR123456785US",
        "sent_on": "2026-03-20",
        **overrides,
    }
    return client.post(reverse("returns:parcel_create"), data)


def test_the_returns_page_says_the_library_bears_only_the_return_postage(
    library_client, library
) -> None:
    # The seed's "Fee of loan" and "The NDL does not extend the deadline of loans".
    HeldLoanFactory(library=library)
    page = library_client.get(reverse("returns:parcel_list")).content.decode()
    assert "Your library bears only the return postage" in page
    assert "there is no lending fee" in page
    assert "Loans are not extended; the item may be requested again after its return." in page


def test_the_library_records_a_return(library_client, library) -> None:
    loan = HeldLoanFactory(library=library)
    assert library_client.get(reverse("returns:parcel_create")).status_code == 200
    response = _post_return(library_client, [loan])
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.RETURN_SHIPPED


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"method": "surface_mail"}, "not by surface mail"),
        ({"method": "air_carrier"}, "Name the international air carrier"),
        ({"tracking_number": "RR123456784US"}, "wrong check digit"),
        ({"sent_on": "2026-03-21"}, "cannot be in the future"),
        ({"sent_on": "2026-03-09"}, "before the items were received"),
    ],
)
def test_a_bad_return_shows_a_message_and_writes_nothing(
    library_client, library, overrides, message
) -> None:
    loan = HeldLoanFactory(library=library)
    response = _post_return(library_client, [loan], **overrides)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ReturnParcel.objects.exists()


def test_a_return_mixing_two_sites_is_refused(library_client, library, kansai) -> None:
    loans = [
        HeldLoanFactory(library=library),
        HeldLoanFactory(library=library, material=MaterialFactory(site=kansai)),
    ]
    response = _post_return(library_client, loans)
    assert "library that sent them" in response.content.decode()
    assert not ReturnParcel.objects.exists()


def test_another_librarys_item_cannot_be_returned_or_reported(library_client) -> None:
    other = HeldLoanFactory()
    response = _post_return(library_client, [other])
    assert response.status_code == 200  # not a choice for this library
    assert not ReturnParcel.objects.exists()
    assert library_client.get(reverse("returns:case_report", args=[other.pk])).status_code == 404
    assert library_client.get(reverse("returns:label", args=[other.shipment.pk])).status_code == 404


def test_the_return_label_shows_the_sending_sites_address(library_client, library, kansai) -> None:
    loan = HeldLoanFactory(library=library, material=MaterialFactory(site=kansai))
    response = library_client.get(reverse("returns:label", args=[loan.shipment.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert kansai.department in text
    assert "8-1-3 Seikadai" in text
    assert library.name in text


def test_the_library_reports_a_loss(library_client, library) -> None:
    loan = HeldLoanFactory(library=library)
    url = reverse("returns:case_report", args=[loan.pk])
    assert library_client.get(url).status_code == 200
    response = library_client.post(
        url, {"kind": "loss", "description": "Missing from the shelf", "reported_on": "2026-03-20"}
    )
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.LOST
    assert DamageCase.objects.get().reported_by_library


# --- admin ------------------------------------------------------------------------------


def _staff_client(client, site):
    staff = StaffFactory(is_superuser=False, site=site)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="returns"))
    client.force_login(staff)
    return client


def _check_in_post(client, loan, **overrides):
    data = {
        "ndl_id": loan.material.ndl_id,
        "checked_in_on": "2026-03-20",
        "condition": "good",
        "loan_slip_enclosed": "on",
        "to_borrowers_enclosed": "on",
        "note": "",
        **overrides,
    }
    return client.post(reverse("admin:returns_checkin_add"), data)


def test_staff_check_in_at_their_site(client, tokyo) -> None:
    staff_client = _staff_client(client, tokyo)
    loan = HeldLoanFactory(status=LoanStatus.RETURN_SHIPPED)
    assert staff_client.get(reverse("admin:returns_checkin_add")).status_code == 200
    response = _check_in_post(staff_client, loan)
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CHECKED_IN
    check_in = CheckIn.objects.get()
    assert check_in.site == tokyo and not check_in.wrong_site


def test_check_in_refusals_show_a_message(client, tokyo) -> None:
    staff_client = _staff_client(client, tokyo)
    never_shipped = AcceptedLoanFactory()
    response = _check_in_post(staff_client, never_shipped)
    assert "so you cannot check the item in" in response.content.decode()
    assert "The item is at the NDL, waiting to be pulled" in response.content.decode()
    done = HeldLoanFactory(status=LoanStatus.RETURN_SHIPPED)
    _check_in_post(staff_client, done)
    response = _check_in_post(staff_client, done)
    assert "“Returned and checked in”, so you cannot check the item in" in (
        response.content.decode()
    )
    assert CheckIn.objects.count() == 1


def test_a_wrong_site_return_is_visible_to_both_sites(client, tokyo, kansai, ilcl) -> None:
    loan = HeldLoanFactory(status=LoanStatus.RETURN_SHIPPED)  # lent by Tokyo
    response = _check_in_post(_staff_client(client, kansai), loan)
    assert response.status_code == 302
    assert CheckIn.objects.get().wrong_site
    url = reverse("admin:returns_checkin_changelist") + "?wrong_site__exact=1"
    for site in (kansai, tokyo):
        content = _staff_client(client, site).get(url).content.decode()
        assert loan.material.ndl_id in content, site
    content = _staff_client(client, ilcl).get(url).content.decode()
    assert loan.material.ndl_id not in content


def test_a_damaged_check_in_opens_a_case_that_staff_instruct_and_settle(client, tokyo) -> None:
    staff_client = _staff_client(client, tokyo)
    loan = HeldLoanFactory(status=LoanStatus.RETURN_SHIPPED)
    _check_in_post(staff_client, loan, condition="damaged", note="Cover torn")
    case = DamageCase.objects.get()
    assert case.status == CaseStatus.OPEN
    instruct = reverse("admin:returns_damagecase_instruct", args=[case.pk])
    response = staff_client.post(
        instruct,
        {
            "instruction": "compensation",
            "compensation_amount": "0",
            "compensation_currency": "USD",
            "instructed_on": "2026-03-20",
        },
    )
    assert "more than zero" in response.content.decode()
    response = staff_client.post(
        instruct,
        {
            "instruction": "compensation",
            "compensation_amount": "80",
            "compensation_currency": "USD",
            "instructed_on": "2026-03-20",
        },
    )
    assert response.status_code == 302
    response = staff_client.post(
        reverse("admin:returns_damagecase_settle", args=[case.pk]),
        {"settled_on": "2026-03-20", "settlement_note": "Paid"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    loan.refresh_from_db()
    assert case.status == CaseStatus.SETTLED
    assert loan.status == LoanStatus.CHECKED_IN


def test_staff_record_a_loss_from_a_letter(client, tokyo) -> None:
    staff_client = _staff_client(client, tokyo)
    loan = ShippedLoanFactory()
    response = staff_client.post(
        reverse("admin:returns_damagecase_add"),
        {
            "loan_id": loan.pk,
            "kind": "loss",
            "description": "Parcel never arrived",
            "reported_on": "2026-03-20",
        },
    )
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.LOST


@pytest.mark.parametrize(
    ("model", "queries"), [("checkin", 8), ("damagecase", 7), ("returnparcel", 10)]
)
def test_admin_lists_have_a_fixed_number_of_queries(
    client, tokyo, django_assert_num_queries, model, queries
) -> None:
    staff_client = _staff_client(client, tokyo)
    url = reverse(f"admin:returns_{model}_changelist")

    def make() -> None:
        loan = HeldLoanFactory(status=LoanStatus.RETURN_SHIPPED)
        parcel = ReturnParcel.objects.create(
            library=loan.library,
            site=tokyo,
            method="air_carrier",
            carrier="DHL",
            tracking_number="1Z1",
            sent_on=loan.received_on,
        )
        parcel.loans.add(loan)
        _check_in_post(staff_client, loan, condition="damaged", note="Torn")

    make()
    with django_assert_num_queries(queries):
        assert staff_client.get(url).status_code == 200
    for _ in range(4):
        make()
    with django_assert_num_queries(queries):
        staff_client.get(url)


@pytest.mark.parametrize("bad", ["9223372036854775808", "-1", "1e3", "٣", "0"])
def test_a_return_with_an_impossible_item_id_is_refused_not_a_500(bad):
    from django.test import Client

    from core.models import AuditEntry, User
    from returns.models import ReturnParcel

    library = LibraryFactory()
    client = Client()
    client.force_login(User.objects.create(username=library.user_id, library=library))
    audit = AuditEntry.objects.count()
    response = client.post(
        reverse("returns:parcel_create"),
        {
            "loans": [bad],
            "method": "registered_air_mail",
            "tracking_number": "RR123456785JP",
            "sent_on": "2026-03-15",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["loans"]
    assert not ReturnParcel.objects.exists()
    assert AuditEntry.objects.count() == audit
