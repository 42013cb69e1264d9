"""Every page of the registration admin goes back to the list as staff had
filtered it: the filters travel as ``_changelist_filters`` from the list to
the object's page, to its action buttons, and into the redirect."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.urls import reverse

from core.models import User
from core.tests.factories import StaffFactory
from registration.models import Application, Library, LibraryStatus

from .factories import ApplicationFactory, InfoRequestedApplicationFactory, LibraryFactory, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-11-02 10:00 +0900", tick=False):
        yield


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def _kept(filters: dict[str, str]) -> str:
    return urlencode({"_changelist_filters": urlencode(filters)})


def _back_to_the_filtered_list(client, response, *, model: str, filters, expected) -> None:
    assert response.status_code == 302, response.context and response.context["form"].errors
    location = response["Location"]
    assert urlsplit(location).path == reverse(f"admin:registration_{model}_changelist")
    assert {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()} == filters
    listed = client.get(location).context["cl"].result_list
    assert {obj.pk for obj in listed} == expected


def _application_action(client, app: Application, name: str, data, filters) -> object:
    change = reverse("admin:registration_application_change", args=[app.pk])
    page = client.get(f"{change}?{_kept(filters)}").content.decode()
    action = reverse(f"admin:registration_application_{name}", args=[app.pk])
    # The button on the application's page carries the list's filters on.
    assert f"{action}?{_kept(filters)}".replace("&", "&amp;") in page
    form_page = client.get(f"{action}?{_kept(filters)}").content.decode()
    # So does the form page's breadcrumb back to the list.
    list_url = reverse("admin:registration_application_changelist")
    assert f'href="{list_url}?{urlencode(filters)}"'.replace("&", "&amp;") in form_page
    return client.post(f"{action}?{_kept(filters)}", data)


@pytest.mark.parametrize(
    ("factory", "name", "data"),
    [
        (ApplicationFactory, "request_info", {"dated": "2026-10-10", "summary": "Copier?"}),
        (InfoRequestedApplicationFactory, "reply", {"dated": "2026-10-20", "summary": "Answer"}),
        (ApplicationFactory, "approve", {}),
        (ApplicationFactory, "reject", {"reason": "No supervised reading room."}),
    ],
)
def test_an_application_action_goes_back_to_the_filtered_list(
    staff_client, factory, name, data
) -> None:
    app = factory(library__name="Bodleian Japanese Section")
    ApplicationFactory(library__name="Other Library")  # filtered out
    filters = {"decision": "all", "q": "Bodleian"}
    if name == "reply":
        data = {**data, "kind": "other", "file": upload()}
    response = _application_action(staff_client, app, name, data, filters)
    _back_to_the_filtered_list(
        staff_client, response, model="application", filters=filters, expected={app.pk}
    )


def test_a_scan_goes_back_to_the_application_which_leads_to_the_filtered_list(
    staff_client,
) -> None:
    app = ApplicationFactory()
    filters = {"age": "over"}
    response = _application_action(
        staff_client, app, "scan_add", {"kind": "other", "file": upload()}, filters
    )
    assert response.status_code == 302
    change = reverse("admin:registration_application_change", args=[app.pk])
    assert response["Location"] == f"{change}?{_kept(filters)}"
    assert app.scans.count() == 1


def test_a_postal_application_recorded_from_a_filtered_list_keeps_its_filters(
    staff_client,
) -> None:
    filters = {"decision": "all"}
    add = reverse("admin:registration_application_add")
    data = {
        "name": "Harvard-Yenching Library",
        "country": "US",
        "postal_address": "2 Divinity Avenue\nCambridge MA 02138",
        "email": "ill@hyl.example.edu",
        "representative_director": "Dr. Director",
        "received_on": "2026-10-30",
        "channel": "post",
        "has_signed_application": "on",
        "signature_verified": "on",
        "has_reading_room_picture": "on",
        "has_leaflet": "on",
        "language": "en",
    }
    response = staff_client.post(f"{add}?{_kept(filters)}", data)
    assert response.status_code == 302
    app = Application.objects.get()
    change = reverse("admin:registration_application_change", args=[app.pk])
    assert response["Location"] == f"{change}?{_kept(filters)}"


@pytest.mark.parametrize(
    ("status", "action", "data", "after"),
    [
        (LibraryStatus.ACTIVE, "suspend", {"reason": "Overdue items."}, LibraryStatus.SUSPENDED),
        (LibraryStatus.SUSPENDED, "reinstate", {"reason": "Returned."}, LibraryStatus.ACTIVE),
        (LibraryStatus.ACTIVE, "withdraw", {"reason": "Closed."}, LibraryStatus.WITHDRAWN),
        (LibraryStatus.ACTIVE, "password-link", {}, LibraryStatus.ACTIVE),
        (LibraryStatus.ACTIVE, "change-notice", None, LibraryStatus.ACTIVE),
    ],
)
def test_a_library_action_goes_back_to_the_filtered_list(
    staff_client, status, action, data, after
) -> None:
    library = LibraryFactory(name="Leiden University Library", country="NL", status=status)
    LibraryFactory(name="Leiden Other", country="US")  # filtered out by the country
    User.objects.create_user(library.user_id, library=library)  # its portal login
    filters = {"country__exact": "NL", "q": "Leiden"}
    change = reverse("admin:registration_library_change", args=[library.pk])
    page = staff_client.get(f"{change}?{_kept(filters)}").content.decode()
    if action in ("suspend", "reinstate", "withdraw"):
        url = reverse("admin:registration_library_status", args=[library.pk, action])
    else:
        url = reverse(f"admin:registration_library_{action.replace('-', '_')}", args=[library.pk])
    assert f"{url}?{_kept(filters)}".replace("&", "&amp;") in page
    if data is None:  # the change notice form, as the page fills it in
        form = staff_client.get(url).context["form"]
        data = {name: field.initial or "" for name, field in form.fields.items()}
        data.update(
            {
                "received_on": "2026-10-30",
                "channel": "letter",
                "quoted_user_id": library.user_id,
                "phone": "+31 71 527 2814",
            }
        )
    response = staff_client.post(f"{url}?{_kept(filters)}", data)
    _back_to_the_filtered_list(
        staff_client, response, model="library", filters=filters, expected={library.pk}
    )
    assert Library.objects.get(pk=library.pk).status == after


def test_the_approve_list_action_keeps_the_filters(staff_client) -> None:
    app = ApplicationFactory(library__name="Bodleian Japanese Section")
    url = reverse("admin:registration_application_changelist") + "?q=Bodleian"
    response = staff_client.post(
        url, {"action": "approve_selected", "_selected_action": [app.pk], "index": "0"}
    )
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query) == {"q": ["Bodleian"]}
