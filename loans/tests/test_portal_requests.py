import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from catalogue.tests.factories import MaterialFactory
from loans.models import LoanRequest, LoanStatus, RequestChannel
from loans.tests.factories import LoanRequestFactory, ShipmentFactory
from registration.models import LibraryStatus

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- access -------------------------------------------------------------------
@pytest.mark.parametrize("name", ["loans:search", "loans:request_list", "portal:dashboard"])
def test_anonymous_users_go_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert reverse("portal:login") in response["Location"]


def test_staff_cannot_change_a_request_on_its_page(client):
    from core.tests.factories import StaffFactory

    loan = LoanRequestFactory()
    client.force_login(StaffFactory())
    url = reverse("admin:loans_loanrequest_change", args=[loan.pk])
    response = client.post(url, {"status": "checked_in"})
    assert response.status_code == 403
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REQUESTED


def test_another_librarys_request_is_404(portal):
    other = LoanRequestFactory()
    assert portal.get(reverse("loans:request_detail", args=[other.pk])).status_code == 404
    response = portal.post(reverse("loans:request_cancel", args=[other.pk]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == LoanStatus.REQUESTED


# --- search -------------------------------------------------------------------
def test_search_shows_loanability_reasons_and_availability(portal, library):
    MaterialFactory(title="Kyoto gardens", ndl_id="111")
    MaterialFactory(title="Kyoto maps", ndl_id="222", is_rare=True)
    taken = MaterialFactory(title="Kyoto temples", ndl_id="333")
    LoanRequestFactory(material=taken)
    response = portal.get(reverse("loans:search"), {"q": "kyoto"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "3 results" in body
    assert 'value="111"' in body
    assert 'value="222"' not in body
    assert "Rare and precious materials" in body
    assert 'value="333"' not in body
    assert "Loanable, but requested or on loan now" in body


@pytest.mark.parametrize("query", ["978-4-00-000000-2", "9784000000002"])
def test_search_by_isbn(portal, query):
    MaterialFactory(isbn="9784000000002", title="By ISBN")
    assert "By ISBN" in portal.get(reverse("loans:search"), {"q": query}).content.decode()


def test_search_by_ndl_id_and_author(portal):
    MaterialFactory(ndl_id="024681357", title="By ID", responsibility="Tanaka")
    assert "By ID" in portal.get(reverse("loans:search"), {"q": "024681357"}).content.decode()
    assert "By ID" in portal.get(reverse("loans:search"), {"q": "tanaka"}).content.decode()


def test_search_shows_japanese_reasons_in_japanese(portal):
    MaterialFactory(title="Kyoto", is_digitized=True)
    portal.post(reverse("set_language"), {"language": "ja"})
    body = portal.get(reverse("loans:search"), {"q": "kyoto"}).content.decode()
    assert "デジタル化済みの資料は貸出できません。" in body


def test_search_paginates(portal):
    MaterialFactory.create_batch(25, title="Same title")
    body = portal.get(reverse("loans:search"), {"q": "same", "page": 2}).content.decode()
    assert "Page 2 of 2" in body


def _search_queries(portal, django_assert_max_num_queries, n):
    materials = MaterialFactory.create_batch(n, title="Counted")
    for m in materials[::2]:
        LoanRequestFactory(material=m)
    # Session, user, library, identifier look-up, hits, the page with availability, the
    # cap; on PostgreSQL also the search's planner settings and its head index.
    with django_assert_max_num_queries(12) as ctx:
        portal.get(reverse("loans:search"), {"q": "counted"})
    return len(ctx.captured_queries)


def test_search_query_count_does_not_grow(portal, django_assert_max_num_queries):
    one = _search_queries(portal, django_assert_max_num_queries, 1)
    LoanRequest.objects.all().delete()
    fifty = _search_queries(portal, django_assert_max_num_queries, 50)
    assert one == fifty


# --- requesting ---------------------------------------------------------------
def test_request_several_items(portal, library):
    a, b = MaterialFactory.create_batch(2)
    response = portal.post(reverse("loans:request_create"), {"ndl_ids": [a.ndl_id, b.ndl_id]})
    assert response.status_code == 302
    assert response["Location"] == reverse("loans:request_list")
    loans = LoanRequest.objects.filter(library=library)
    assert loans.count() == 2
    assert {loan.channel for loan in loans} == {RequestChannel.PORTAL}


def test_a_double_submitted_form_creates_one_request(portal, library):
    m = MaterialFactory()
    portal.post(reverse("loans:request_create"), {"ndl_ids": [m.ndl_id]})
    response = portal.post(reverse("loans:request_create"), {"ndl_ids": [m.ndl_id]})
    assert response["Location"] == reverse("loans:request_list")
    assert "These items are already requested." in _messages(response)
    assert LoanRequest.objects.filter(library=library).count() == 1


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("unknown", "No NDL material has the NDL ID 999"),
        ("not_loanable", "Books for amusement are not lent."),
        ("taken", "already requested or out on loan"),
        ("cap", "already has 10 of 10 items"),
        ("suspended", "cannot request items"),
        ("nothing", "Tick at least one item to request."),
        ("too_many", "at most 10 items at a time"),
    ],
)
def test_bad_requests_show_a_message_and_write_nothing(portal, library, setup, expected):
    m = MaterialFactory()
    ids = [m.ndl_id]
    if setup == "unknown":
        ids = ["999"]
    elif setup == "not_loanable":
        m.is_amusement = True
        m.save()
    elif setup == "taken":
        LoanRequestFactory(material=m)
    elif setup == "cap":
        LoanRequestFactory.create_batch(10, library=library)
    elif setup == "suspended":
        library.status = LibraryStatus.SUSPENDED
        library.save()
    elif setup == "nothing":
        ids = []
    elif setup == "too_many":
        ids = [str(n) for n in range(11)]
    before = LoanRequest.objects.count()
    response = portal.post(reverse("loans:request_create"), {"ndl_ids": ids, "q": "x"})
    assert response.status_code == 302
    assert response["Location"] == reverse("loans:search") + "?q=x"
    assert any(expected in msg for msg in _messages(response)), _messages(response)
    assert LoanRequest.objects.count() == before


def test_request_needs_post(portal):
    assert portal.get(reverse("loans:request_create")).status_code == 405


# --- list, detail, cancel -----------------------------------------------------
def test_request_list_and_detail_show_the_status(portal, library):
    loan = LoanRequestFactory(library=library, status=LoanStatus.ACCEPTED)
    LoanRequestFactory()  # another library's
    body = portal.get(reverse("loans:request_list")).content.decode()
    assert f"#{loan.pk}" in body
    assert body.count("<tr>") == 2  # header + one row
    detail = portal.get(reverse("loans:request_detail", args=[loan.pk])).content.decode()
    assert "Accepted, to be shipped" in detail
    assert "Cancel this request" in detail


def test_the_list_filters_by_status(portal, library):
    LoanRequestFactory(library=library, status=LoanStatus.ACCEPTED)
    LoanRequestFactory(library=library, status=LoanStatus.CANCELLED)
    body = portal.get(reverse("loans:request_list"), {"status": "cancelled"}).content.decode()
    assert body.count("<tr>") == 2


def test_a_rejected_request_shows_its_reasons(portal, library):
    loan = LoanRequestFactory(
        library=library, status=LoanStatus.REJECTED, reject_codes=["not_on_shelf"]
    )
    detail = portal.get(reverse("loans:request_detail", args=[loan.pk])).content.decode()
    assert "could not be found on the shelf" in detail
    assert "Cancel this request" not in detail


def _list_queries(portal, library, django_assert_num_queries, n):
    LoanRequest.objects.all().delete()
    # At most ten can be outstanding (the database enforces the cap); the
    # rest of a long history is closed requests.
    statuses = [LoanStatus.REQUESTED] * min(n, 10) + [LoanStatus.CANCELLED, LoanStatus.REJECTED] * n
    for status in statuses[:n]:
        LoanRequestFactory(library=library, status=status)
    with django_assert_num_queries(3) as ctx:
        portal.get(reverse("loans:request_list"))
    return len(ctx.captured_queries)


def test_request_list_query_count_does_not_grow(portal, library, django_assert_num_queries):
    assert _list_queries(portal, library, django_assert_num_queries, 1) == _list_queries(
        portal, library, django_assert_num_queries, 50
    )


def test_cancel_before_shipment(portal, library):
    loan = LoanRequestFactory(library=library)
    response = portal.post(reverse("loans:request_cancel", args=[loan.pk]))
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CANCELLED


def test_cancel_after_shipment_is_refused_with_a_message(portal, library):
    loan = LoanRequestFactory(
        library=library, status=LoanStatus.SHIPPED, shipment=ShipmentFactory(library=library)
    )
    response = portal.post(reverse("loans:request_cancel", args=[loan.pk]))
    assert response.status_code == 302
    assert any("so you cannot cancel the request" in m for m in _messages(response))
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SHIPPED


# --- dashboard ----------------------------------------------------------------
def test_dashboard_shows_items_outstanding_and_open_requests(portal, library):
    open_loan = LoanRequestFactory(library=library)
    LoanRequestFactory(
        library=library, status=LoanStatus.RECEIVED, shipment=ShipmentFactory(library=library)
    )
    LoanRequestFactory(library=library, status=LoanStatus.CANCELLED)
    body = portal.get(reverse("portal:dashboard")).content.decode()
    assert "2 of 10 items outstanding" in body
    assert f"#{open_loan.pk}" in body
