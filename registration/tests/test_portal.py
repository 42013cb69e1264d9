import pytest
from django.urls import reverse

from core.models import User

from .factories import ChangeNoticeFactory, LibraryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def library():
    return LibraryFactory(name="Portal Library", name_original="ポータル図書館")


@pytest.fixture
def library_client(client, library):
    user = User.objects.create_user(library.user_id, library=library)
    client.force_login(user)
    return client


def test_the_details_page_shows_details_documents_history_and_how_to_notify(
    library_client, library, django_assert_num_queries
):
    ChangeNoticeFactory(library=library, changes={"phone": ["", "+1 555 0100"]})
    url = reverse("registration:details")
    with django_assert_num_queries(3) as one:
        response = library_client.get(url)
    content = response.content.decode()
    assert "Portal Library" in content and "ポータル図書館" in content
    assert library.user_id in content
    for kind in ("approval", "certificate", "request-form"):
        assert reverse("registration:document", args=[library.user_id, kind]) in content
    assert "+1 555 0100" in content
    assert "by letter or fax" in content
    assert "+81-774-94-9112" in content and "619-0287" in content
    ChangeNoticeFactory.create_batch(4, library=library)
    with django_assert_num_queries(len(one.captured_queries)):
        library_client.get(url)


def test_a_suspended_library_is_told_it_cannot_request(client):
    library = LibraryFactory(status="suspended", status_reason="Overdue items.")
    client.force_login(User.objects.create_user(library.user_id, library=library))
    content = client.get(reverse("registration:details")).content.decode()
    assert "cannot request items" in content and "Overdue items." in content


@pytest.mark.parametrize("kind", ["approval", "certificate", "request-form"])
def test_a_library_downloads_its_own_documents(library_client, library, kind):
    response = library_client.get(reverse("registration:document", args=[library.user_id, kind]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_another_librarys_documents_are_not_found(library_client):
    other = LibraryFactory()
    url = reverse("registration:document", args=[other.user_id, "certificate"])
    assert library_client.get(url).status_code == 404


def test_an_unknown_document_is_not_found(library_client, library):
    url = reverse("registration:document", args=[library.user_id, "invoice"])
    assert library_client.get(url).status_code == 404


def test_staff_and_anonymous_are_sent_to_the_portal_login(client):
    url = reverse("registration:details")
    assert client.get(url).status_code == 302
    client.force_login(User.objects.create_user("staffer", is_staff=True))
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("portal:login") in response["Location"]
