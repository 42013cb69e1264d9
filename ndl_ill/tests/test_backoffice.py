"""The back-office index (work queues), statistics page and CSV export."""

import datetime as dt
import itertools

import pytest
import time_machine

from catalogue.tests.factories import MaterialFactory
from core.models import Site, SiteCode
from core.tests.factories import StaffFactory
from loans.models import LoanStatus, Shipment
from loans.tests.factories import LoanRequestFactory
from registration.tests.factories import LibraryFactory

_tracking = itertools.count(1)


def _shipped_loans(n, *, library=None, shipped_on=dt.date(2026, 10, 1)):
    site = Site.objects.get(code=SiteCode.TOKYO)
    library = library or LibraryFactory()
    loans = []
    for _ in range(n):
        shipment = Shipment.objects.create(
            site=site,
            library=library,
            tracking_number=f"RR{next(_tracking):09d}JP",
            shipped_on=shipped_on,
        )
        loans.append(
            LoanRequestFactory(
                library=library,
                material=MaterialFactory(),
                status=LoanStatus.SHIPPED,
                shipment=shipment,
            )
        )
    return loans


@pytest.fixture
def staff_client(client, db):
    client.force_login(StaffFactory())
    return client


@pytest.mark.django_db
def test_the_index_shows_every_work_queue_with_a_link(staff_client):
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    queues = response.context["work_queues"]
    assert {q.label for q in queues} >= {"Requests to decide", "Overdue loans"}
    assert all(q.url for q in queues), [q.label for q in queues if not q.url]
    # every link opens a list page
    for q in queues:
        assert staff_client.get(q.url).status_code == 200, q.url


@pytest.mark.django_db
def test_the_index_counts_in_a_fixed_number_of_queries(staff_client, django_assert_max_num_queries):
    LoanRequestFactory.create_batch(3)
    with django_assert_max_num_queries(20) as few:
        staff_client.get("/admin/")
    LoanRequestFactory.create_batch(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get("/admin/")


@pytest.mark.django_db
def test_the_index_counts_requests_to_decide(staff_client):
    LoanRequestFactory.create_batch(2)
    LoanRequestFactory(status=LoanStatus.CANCELLED)
    queues = {q.label: q.count for q in staff_client.get("/admin/").context["work_queues"]}
    assert queues["Requests to decide"] == 2


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC))
def test_statistics_count_loans_per_country_site_and_month(staff_client):
    _shipped_loans(2, library=LibraryFactory(country="DE"))
    _shipped_loans(1, library=LibraryFactory(country="US"), shipped_on=dt.date(2026, 11, 2))
    response = staff_client.get("/admin/statistics/")
    assert response.status_code == 200
    stats = response.context["stats"]
    assert [(b.label, b.value) for b in stats.per_country] == [
        ("Germany", 2),
        ("United States of America", 1),
    ]
    assert [(b.label, b.value) for b in stats.per_month] == [("2026-10", 2), ("2026-11", 1)]
    assert stats.per_site[0].value == 3
    assert stats.shipped == 3
    assert b"<svg" in response.content


@pytest.mark.django_db
def test_statistics_page_query_count_is_constant(staff_client, django_assert_max_num_queries):
    _shipped_loans(1)
    with django_assert_max_num_queries(20) as few:
        staff_client.get("/admin/statistics/")
    for _ in range(4):  # no library may hold more than ten items
        _shipped_loans(5, library=LibraryFactory(country="FR"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get("/admin/statistics/")


@pytest.mark.django_db
def test_statistics_page_is_staff_only(client):
    response = client.get("/admin/statistics/")
    assert response.status_code == 302


@pytest.mark.django_db
def test_any_list_exports_as_csv_and_neutralises_formulas(staff_client):
    LibraryFactory(name="=HYPERLINK(evil)")
    LibraryFactory(name="東京大学附属図書館")
    from registration.models import Library

    ids = [str(pk) for pk in Library.objects.values_list("pk", flat=True)]
    response = staff_client.post(
        "/admin/registration/library/",
        {"action": "export_as_csv", "_selected_action": ids},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    assert "東京大学附属図書館" in body
    assert "'=HYPERLINK(evil)" in body


@pytest.mark.django_db
def test_the_csv_export_costs_the_same_queries_for_one_row_as_for_many(
    staff_client, django_assert_max_num_queries
):
    from loans.models import LoanRequest

    def export():
        ids = [str(pk) for pk in LoanRequest.objects.values_list("pk", flat=True)]
        with django_assert_max_num_queries(30) as ctx:
            response = staff_client.post(
                "/admin/loans/loanrequest/", {"action": "export_as_csv", "_selected_action": ids}
            )
        assert response["Content-Type"].startswith("text/csv")
        return len(ctx.captured_queries)

    LoanRequestFactory()
    one = export()
    LoanRequestFactory.create_batch(20)
    assert export() == one


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["abc", "-1", "0", "1.5", "\uff11", str(2**63), "9" * 30, ""])
@pytest.mark.parametrize(
    ("url", "action"),
    [
        ("/admin/loans/loanrequest/", "accept_selected"),
        ("/admin/loans/pullqueueitem/", "mark_packed"),
        ("/admin/registration/library/", "export_as_csv"),
    ],
)
def test_a_tampered_selection_is_refused_with_a_message(staff_client, url, action, bad):
    from loans.models import LoanRequest

    loan = LoanRequestFactory()
    response = staff_client.post(
        url, {"action": action, "_selected_action": [str(loan.pk), bad]}, follow=True
    )
    assert response.status_code == 200
    assert "The selection was not valid" in response.content.decode()
    assert LoanRequest.objects.get(pk=loan.pk).status == LoanStatus.REQUESTED
