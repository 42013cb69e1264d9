"""The returns admin's own pages (check a parcel in, check an item in,
record, instruct and settle a case) go back to their list as staff had
filtered it: the row links carry ``_changelist_filters``, the redirect
unpacks them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from core.tests.factories import StaffFactory
from loans.models import LoanStatus
from returns.models import CaseStatus, CheckIn, DamageCase, ReturnParcel
from returns.tests.factories import DamageCaseFactory, HeldLoanFactory, ShippedLoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)


@pytest.fixture
def staff_client(client, tokyo):
    staff = StaffFactory(is_superuser=False, site=tokyo)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="returns"))
    client.force_login(staff)
    return client


def _kept(filters: dict[str, str]) -> str:
    return urlencode({"_changelist_filters": urlencode(filters)})


def _query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _back_to(client, response, *, model: str, filters: dict[str, str]):
    assert response.status_code == 302
    location = response["Location"]
    assert urlsplit(location).path == reverse(f"admin:returns_{model}_changelist")
    assert _query(location) == filters
    return client.get(location).context["cl"].result_list


def test_a_parcel_checked_in_from_a_filtered_list_goes_back_to_it(staff_client, tokyo) -> None:
    loan = HeldLoanFactory(status=LoanStatus.RETURN_SHIPPED)
    parcel = ReturnParcel.objects.create(
        library=loan.library,
        site=tokyo,
        method="air_carrier",
        carrier="DHL",
        tracking_number="1Z999AA10123456784",
        sent_on=loan.received_on,
    )
    parcel.loans.add(loan)
    filters = {"q": "1Z999AA10123456784"}
    page = staff_client.get(reverse("admin:returns_returnparcel_changelist"), filters)
    check_in = reverse("admin:returns_returnparcel_check_in", args=[parcel.pk])
    assert f"{check_in}?{_kept(filters)}" in page.content.decode()
    response = staff_client.post(
        f"{check_in}?{_kept(filters)}",
        {
            "site": tokyo.pk,
            "checked_in_on": "2026-03-20",
            f"condition_{loan.pk}": "good",
            "loan_slip_enclosed": "on",
            "to_borrowers_enclosed": "on",
        },
    )
    listed = _back_to(staff_client, response, model="returnparcel", filters=filters)
    assert [p.pk for p in listed] == [parcel.pk]
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CHECKED_IN


def test_an_item_checked_in_from_a_filtered_list_goes_back_to_it(staff_client) -> None:
    loan = HeldLoanFactory(status=LoanStatus.RETURN_SHIPPED)
    filters = {"condition__exact": "good"}
    add = reverse("admin:returns_checkin_add")
    # The list's "add" button carries the filters (Django's own).
    page = staff_client.get(reverse("admin:returns_checkin_changelist"), filters)
    assert f"{add}?{_kept(filters)}" in page.content.decode()
    response = staff_client.post(
        f"{add}?{_kept(filters)}",
        {
            "ndl_id": loan.material.ndl_id,
            "checked_in_on": "2026-03-20",
            "condition": "good",
            "loan_slip_enclosed": "on",
            "to_borrowers_enclosed": "on",
            "note": "",
        },
    )
    listed = _back_to(staff_client, response, model="checkin", filters=filters)
    assert [c.pk for c in listed] == [CheckIn.objects.get().pk]


def test_a_case_instructed_and_settled_from_a_filtered_list_goes_back_to_it(
    staff_client,
) -> None:
    case = DamageCaseFactory()
    DamageCaseFactory(kind="loss")  # filtered out
    filters = {"kind__exact": "damage"}
    page = staff_client.get(reverse("admin:returns_damagecase_changelist"), filters)
    instruct = reverse("admin:returns_damagecase_instruct", args=[case.pk])
    assert f"{instruct}?{_kept(filters)}" in page.content.decode()
    response = staff_client.post(
        f"{instruct}?{_kept(filters)}",
        {"instruction": "replacement", "instructed_on": "2026-03-20"},
    )
    assert [
        c.pk for c in _back_to(staff_client, response, model="damagecase", filters=filters)
    ] == [case.pk]
    page = staff_client.get(reverse("admin:returns_damagecase_changelist"), filters)
    settle = reverse("admin:returns_damagecase_settle", args=[case.pk])
    assert f"{settle}?{_kept(filters)}" in page.content.decode()
    response = staff_client.post(
        f"{settle}?{_kept(filters)}", {"settled_on": "2026-03-20", "settlement_note": "Done"}
    )
    _back_to(staff_client, response, model="damagecase", filters=filters)
    case.refresh_from_db()
    assert case.status == CaseStatus.SETTLED


def test_a_case_recorded_from_a_filtered_list_goes_back_to_it(staff_client) -> None:
    loan = ShippedLoanFactory()
    filters = {"status__exact": "open"}
    response = staff_client.post(
        f"{reverse('admin:returns_damagecase_add')}?{_kept(filters)}",
        {
            "loan_id": loan.pk,
            "kind": "loss",
            "description": "Parcel never arrived",
            "reported_on": "2026-03-20",
        },
    )
    listed = _back_to(staff_client, response, model="damagecase", filters=filters)
    assert [c.pk for c in listed] == [DamageCase.objects.get().pk]
