"""No page or download with a library's data may be kept by a cache.

Every portal URL (walked from the URL configuration, as the access matrix
does), every admin URL and every list's CSV export answers with
``Cache-Control: no-store``, whoever asks and whatever the status; the PDFs
and CSVs among them are counted so that the walk cannot silently miss them.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib import admin
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import User
from core.tests.factories import StaffFactory, backup_codes_give
from loans.models import LoanStatus
from loans.tests.factories import LoanRequestFactory
from ndl_ill.tests.test_access_matrix import (
    PUBLIC_PORTAL,
    REGISTRY,
    _admin_targets,
    _admin_url,
    admin_objects,  # noqa: F401 - the fixture, used by name
    portal_routes,
)
from registration.pdf import DOCUMENTS
from registration.tests.factories import ApplicationFactory, LibraryFactory, upload
from returns.tests.factories import HeldLoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)


def _kept_by_caches(response) -> bool:
    directives = {d.strip().split("=")[0] for d in response.get("Cache-Control", "").split(",")}
    return "no-store" not in directives


def _kind(response) -> str:
    return response.get("Content-Type", "").split(";")[0]


def test_every_portal_page_and_download_is_no_store(client) -> None:
    library = LibraryFactory()
    HeldLoanFactory(library=library)
    urls = [reverse(name) for name in sorted(PUBLIC_PORTAL)]  # before signing in
    anonymous = [(url, client.get(url)) for url in urls]

    client.force_login(User.objects.create_user(library.user_id, library=library))
    no_args = sorted(
        {r.name for r in portal_routes() if not r.params and r.name not in PUBLIC_PORTAL}
    )
    signed_in = [(url, client.get(url)) for url in map(reverse, no_args)]
    for name, build in sorted(REGISTRY.items()):
        target = build(library)  # the library's own objects: the pages answer
        url = reverse(name, kwargs=target.kwargs)
        signed_in.append((url, client.get(url)))

    kept = [f"{url} {r.status_code}" for url, r in anonymous + signed_in if _kept_by_caches(r)]
    assert not kept, kept
    kinds = Counter(_kind(r) for _url, r in signed_in if r.status_code == 200)
    assert kinds["application/pdf"] >= 3, kinds  # loan slip, certificate, return label
    assert kinds["text/html"] >= 5, kinds


def test_every_admin_page_and_download_is_no_store(client, admin_objects) -> None:  # noqa: F811
    staff = StaffFactory(is_superuser=True)
    # the second-factor devices' own admin pages need a device to show
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    backup_codes_give(staff)
    client.force_login(staff)
    responses = [(url, client.get(url)) for url in (_admin_url(r) for r in _admin_targets())]
    kept = [f"{url} {r.status_code}" for url, r in responses if _kept_by_caches(r)]
    assert not kept, kept
    kinds = Counter(_kind(r) for _url, r in responses if r.status_code == 200)
    assert kinds["application/pdf"] >= 1, kinds  # the others: the test below


def test_every_admin_download_is_no_store(client) -> None:
    """Each of the admin's PDF and scan downloads, with an object it serves."""
    staff = StaffFactory(is_superuser=True)
    client.force_login(staff)
    shipped = HeldLoanFactory()
    rejected = LoanRequestFactory(status=LoanStatus.REJECTED)
    application = ApplicationFactory()
    client.post(
        reverse("admin:registration_application_scan_add", args=[application.pk]),
        {"kind": "application", "file": upload("signed.pdf")},
    )
    urls = [
        reverse("admin:loans_shipment_pdf", args=[shipped.shipment_id, kind])
        for kind in ("loan-slip", "to-borrowers")
    ]
    urls.append(reverse("admin:loans_loanrequest_letter", args=[rejected.pk]))
    urls += [
        reverse("admin:registration_library_document", args=[shipped.library_id, kind])
        for kind in DOCUMENTS
    ]
    urls.append(reverse("admin:registration_application_scan", args=[application.scans.get().pk]))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _kind(response) == "application/pdf", url
        assert not _kept_by_caches(response), (url, response.get("Cache-Control"))


@pytest.mark.parametrize("label", sorted(model._meta.label for model in admin.site._registry))
def test_every_csv_export_is_no_store(client, admin_objects, label) -> None:  # noqa: F811
    client.force_login(StaffFactory(is_superuser=True))
    model = next(m for m in admin.site._registry if m._meta.label == label)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    # "Select all": the whole list, even when it is empty.
    data = {"action": "export_as_csv", "select_across": "1", "index": "0", "_selected_action": "1"}
    response = client.post(url, data)
    assert response.status_code == 200, url
    assert _kind(response) == "text/csv"
    assert not _kept_by_caches(response)
