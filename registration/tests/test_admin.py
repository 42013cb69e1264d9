import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from core.models import User
from core.tests.factories import StaffFactory
from registration.models import Application, ChangeNotice, Library, LibraryStatus

from .factories import (
    PDF_BYTES,
    ApplicationFactory,
    ChangeNoticeFactory,
    InfoRequestedApplicationFactory,
    LibraryFactory,
    upload,
)

pytestmark = pytest.mark.django_db
NOW = "2026-11-02 10:00 +0900"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff_client(client):
    staff = StaffFactory()
    client.force_login(staff)
    return client


def record_data(**overrides):
    data = {
        "name": "Harvard-Yenching Library",
        "name_original": "哈佛燕京圖書館",
        "country": "US",
        "postal_address": "2 Divinity Avenue\nCambridge MA 02138",
        "email": "ill@hyl.example.edu",
        "fax": "",
        "phone": "",
        "representative_director": "Dr. Director",
        "representative_title": "Librarian",
        "received_on": "2026-10-30",
        "channel": "post",
        "has_signed_application": "on",
        "signature_verified": "on",
        "has_reading_room_picture": "on",
        "has_leaflet": "on",
        "copier_conditions": "",
        "language": "en",
    }
    data.update(overrides)
    return data


def test_staff_record_an_application_with_a_scan(staff_client):
    data = record_data(scan_application=upload("contract.pdf"))
    response = staff_client.post(reverse("admin:registration_application_add"), data)
    assert response.status_code == 302
    app = Application.objects.get()
    assert app.library.name == "Harvard-Yenching Library"
    assert app.scans.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"channel": "fax"}, "only the original documents sent by post"),
        ({"channel": "email"}, "only the original documents sent by post"),
        ({"has_leaflet": ""}, "missing: Leaflet or brochure"),
        ({"signature_verified": ""}, "original handwritten signature"),
        (
            {"scan_application": upload("x.pdf", b"<html>not a pdf</html>")},
            "is not a PDF, JPEG or PNG",
        ),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_written(staff_client, overrides, message):
    response = staff_client.post(
        reverse("admin:registration_application_add"), record_data(**overrides)
    )
    assert response.status_code == 200
    assert message in str(response.context["form"].non_field_errors())
    assert Library.objects.count() == 0


def test_a_duplicate_is_shown_on_the_form(staff_client):
    staff_client.post(reverse("admin:registration_application_add"), record_data())
    response = staff_client.post(
        reverse("admin:registration_application_add"), record_data(name="HARVARD-YENCHING library")
    )
    assert "already applied or is registered" in str(response.context["form"].non_field_errors())
    assert Library.objects.count() == 1


@override_settings(UPLOAD_MAX_BYTES=100)
def test_an_oversized_scan_is_shown_on_the_form(staff_client):
    big = upload("big.pdf", PDF_BYTES + b"x" * 100)
    response = staff_client.post(
        reverse("admin:registration_application_add"), record_data(scan_leaflet=big)
    )
    assert "at most" in str(response.context["form"].non_field_errors())
    assert Library.objects.count() == 0


def test_the_open_list_shows_age_against_the_target(staff_client, django_assert_num_queries):
    url = reverse("admin:registration_application_changelist")
    ApplicationFactory(received_on=dt.date(2026, 10, 6))  # 27 days
    with django_assert_num_queries(6) as one:
        response = staff_client.get(url)
    assert response.status_code == 200
    ApplicationFactory(received_on=dt.date(2026, 10, 5))  # 28 days: due
    ApplicationFactory(received_on=dt.date(2026, 9, 21))  # 42 days: still due
    ApplicationFactory(received_on=dt.date(2026, 9, 20))  # 43 days: over
    InfoRequestedApplicationFactory(received_on=dt.date(2026, 9, 1))
    decided = ApplicationFactory(library=LibraryFactory(), received_on=dt.date(2026, 1, 1))
    with django_assert_num_queries(len(one.captured_queries)):
        response = staff_client.get(url)
    content = response.content.decode()
    assert "within 4 weeks" in content and "due: 4-6 weeks" in content and "over 6 weeks" in content
    shown = {a.pk for a in response.context["cl"].result_list}
    assert decided.pk not in shown
    assert len(shown) == 5

    def filtered(band):
        return {
            a.received_on.isoformat()
            for a in staff_client.get(url, {"age": band}).context["cl"].result_list
        }

    assert filtered("within") == {"2026-10-06"}
    assert filtered("target") == {"2026-10-05", "2026-09-21"}
    assert filtered("over") == {"2026-09-20", "2026-09-01"}
    all_rows = staff_client.get(url, {"decision": "all"}).context["cl"].result_list
    assert decided.pk in {a.pk for a in all_rows}


def test_staff_ask_reply_and_approve_from_the_admin(
    staff_client, django_capture_on_commit_callbacks
):
    app = ApplicationFactory()
    change = staff_client.get(reverse("admin:registration_application_change", args=[app.pk]))
    assert (
        reverse("admin:registration_application_request_info", args=[app.pk])
        in change.content.decode()
    )

    response = staff_client.post(
        reverse("admin:registration_application_request_info", args=[app.pk]),
        {"dated": "2026-10-10", "summary": "Copier conditions?"},
    )
    assert response.status_code == 302
    response = staff_client.post(
        reverse("admin:registration_application_approve", args=[app.pk]), {}
    )
    assert "record the reply first" in str(response.context["form"].non_field_errors())
    staff_client.post(
        reverse("admin:registration_application_reply", args=[app.pk]),
        {"dated": "2026-10-20", "summary": "Staff only.", "kind": "other", "file": upload()},
    )
    assert app.scans.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:registration_application_approve", args=[app.pk]), {}
        )
    assert response.status_code == 302
    app.library.refresh_from_db()
    assert app.library.status == LibraryStatus.ACTIVE
    assert len(mail.outbox) == 1


def test_reject_needs_a_reason_in_the_admin(staff_client):
    app = ApplicationFactory()
    url = reverse("admin:registration_application_reject", args=[app.pk])
    response = staff_client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert Library.objects.get().status == LibraryStatus.UNDER_REVIEW
    staff_client.post(url, {"reason": "No supervised reading room."})
    assert Library.objects.get().status == LibraryStatus.REJECTED


def test_the_approve_action_reports_counts_and_errors(staff_client):
    ok = ApplicationFactory()
    waiting = InfoRequestedApplicationFactory()
    response = staff_client.post(
        reverse("admin:registration_application_changelist"),
        {"action": "approve_selected", "_selected_action": [ok.pk, waiting.pk]},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert "1 application(s) approved." in texts
    assert any("record the reply first" in t for t in texts)


def test_scans_are_streamed_to_staff_only(client, staff_client):
    app = ApplicationFactory()
    staff_client.post(
        reverse("admin:registration_application_scan_add", args=[app.pk]),
        {"kind": "application", "file": upload("signed.pdf")},
    )
    document = app.scans.get()
    url = reverse("admin:registration_application_scan", args=[document.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]

    # A staff member without the view permission, and a library login, are refused.
    clerk = User.objects.create_user("clerk", password="x" * 12, is_staff=True)
    client.force_login(clerk)
    assert client.get(url).status_code == 403
    library_user = User.objects.create_user("ILL-US-00099", library=LibraryFactory())
    client.force_login(library_user)
    assert client.get(url).status_code == 302  # to the admin login


def test_a_registration_officer_can_see_scans(client):
    app = ApplicationFactory()
    staff_client = client
    officer = User.objects.create_user("officer", is_staff=True)
    officer.groups.add(Group.objects.get(name="Registration officer"))
    staff_client.force_login(officer)
    from registration.services import Scan, application_scan_add

    document = application_scan_add(
        actor=officer, application=app, scans=[Scan("leaflet", upload())]
    )[0]
    assert (
        client.get(reverse("admin:registration_application_scan", args=[document.pk])).status_code
        == 200
    )


def test_library_page_links_documents_and_shows_history(staff_client, django_assert_num_queries):
    library = LibraryFactory()
    ChangeNoticeFactory(library=library, changes={"phone": ["", "+1 555 0100"]})
    response = staff_client.get(reverse("admin:registration_library_change", args=[library.pk]))
    content = response.content.decode()
    for kind in ("approval", "certificate", "request-form"):
        assert reverse("admin:registration_library_document", args=[library.pk, kind]) in content
    assert "+1 555 0100" in content
    pdf = staff_client.get(
        reverse("admin:registration_library_document", args=[library.pk, "certificate"])
    )
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert (
        staff_client.get(
            reverse("admin:registration_library_document", args=[library.pk, "nope"])
        ).status_code
        == 404
    )


def test_the_library_list_has_a_fixed_number_of_queries(staff_client, django_assert_num_queries):
    url = reverse("admin:registration_library_changelist")
    LibraryFactory()
    with django_assert_num_queries(4) as one:
        staff_client.get(url)
    LibraryFactory.create_batch(5)
    with django_assert_num_queries(len(one.captured_queries)):
        staff_client.get(url)


def test_change_notice_from_the_admin(staff_client):
    library = LibraryFactory(name="Old Name")
    url = reverse("admin:registration_library_change_notice", args=[library.pk])
    form = staff_client.get(url).context["form"]
    data = {name: field.initial or "" for name, field in form.fields.items()}
    data.update(
        {
            "received_on": "2026-10-30",
            "channel": "fax",
            "quoted_user_id": "ILL-XX-00001",
            "name": "New Name",
        }
    )
    response = staff_client.post(url, data)
    assert "quotes User ID ILL-XX-00001" in str(response.context["form"].non_field_errors())
    assert ChangeNotice.objects.count() == 0
    data["quoted_user_id"] = library.user_id
    response = staff_client.post(url, data)
    assert response.status_code == 302
    notice = ChangeNotice.objects.get()
    assert notice.changes == {"name": ["Old Name", "New Name"]}


def test_suspend_and_withdraw_from_the_admin(staff_client):
    library = LibraryFactory()
    url = reverse("admin:registration_library_status", args=[library.pk, "suspend"])
    assert staff_client.post(url, {"reason": "Overdue items."}).status_code == 302
    library.refresh_from_db()
    assert library.status == LibraryStatus.SUSPENDED
    staff_client.post(
        reverse("admin:registration_library_status", args=[library.pk, "withdraw"]),
        {"reason": "Closed."},
    )
    response = staff_client.post(
        reverse("admin:registration_library_status", args=[library.pk, "reinstate"]),
        {"reason": "x"},
    )
    assert "was withdrawn" in str(response.context["form"].non_field_errors())
    assert (
        staff_client.get(
            reverse("admin:registration_library_status", args=[library.pk, "bogus"])
        ).status_code
        == 404
    )


def test_every_custom_page_renders(staff_client):
    app = InfoRequestedApplicationFactory()
    library = LibraryFactory()
    urls = [
        reverse("admin:registration_application_add"),
        reverse("admin:registration_application_change", args=[app.pk]),
        reverse("admin:registration_application_request_info", args=[app.pk]),
        reverse("admin:registration_application_reply", args=[app.pk]),
        reverse("admin:registration_application_scan_add", args=[app.pk]),
        reverse("admin:registration_application_approve", args=[app.pk]),
        reverse("admin:registration_application_reject", args=[app.pk]),
        reverse("admin:registration_library_change", args=[library.pk]),
        reverse("admin:registration_library_change_notice", args=[library.pk]),
        reverse("admin:registration_library_status", args=[library.pk, "suspend"]),
    ]
    for url in urls:
        assert staff_client.get(url).status_code == 200, url


def test_staff_without_change_permission_cannot_act(client):
    app = ApplicationFactory()
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.groups.add(Group.objects.get(name="Lending staff"))
    client.force_login(viewer)
    response = client.post(reverse("admin:registration_application_approve", args=[app.pk]), {})
    assert response.status_code == 403
    library = LibraryFactory()
    url = reverse("admin:registration_library_status", args=[library.pk, "suspend"])
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert Library.objects.get(pk=library.pk).status == LibraryStatus.ACTIVE
