"""The back-office work lists: their cost does not grow with their rows, a
request that is no longer waiting offers no "Decide", and every page opened
from a filtered list leads back to that list as it was filtered."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.admin.templatetags.admin_list import (
    admin_list_filter,
    date_hierarchy,
    result_headers,
    search_form,
)
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.tests.factories import StaffFactory
from loans.models import LoanRequest, LoanStatus
from loans.tests.factories import (
    AcceptedLoanFactory,
    LoanRequestFactory,
    PackedLoanFactory,
)
from registration.tests.factories import LibraryFactory
from returns.models import ReturnParcel
from returns.tests.factories import HeldLoanFactory, ShippedLoanFactory

pytestmark = pytest.mark.django_db

DECIDE = reverse("admin:loans_loanrequest_changelist") + "?status__exact=requested"
LISTS = {
    "requests to decide": DECIDE,
    "pull queue": reverse("admin:loans_pullqueueitem_changelist"),
    "ship queue": reverse("admin:loans_shipqueueitem_changelist"),
    "overdue loans": reverse("admin:loans_overdueloan_changelist"),
    "shipments": reverse("admin:loans_shipment_changelist"),
    "return parcels": reverse("admin:returns_returnparcel_changelist"),
}


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    # Loans received on 2026-03-10 are due on 2026-04-10: overdue by now.
    time_machine.move_to("2026-05-01 10:00 +0900", tick=False)


@pytest.fixture
def staff(client):
    client.force_login(StaffFactory())
    return client


def _one_of_each() -> None:
    """One row on every work list, for a library of its own (the cap is ten)."""
    library = LibraryFactory()
    LoanRequestFactory(library=library)
    PackedLoanFactory(library=library, packed_at=None)
    PackedLoanFactory(library=library)
    ShippedLoanFactory(library=library)
    held = HeldLoanFactory(library=library, status=LoanStatus.RETURN_SHIPPED)
    parcel = ReturnParcel.objects.create(
        library=library,
        site=held.shipment.site,
        method="air_carrier",
        carrier="DHL",
        tracking_number=f"1Z{held.pk}",
        sent_on=dt.date(2026, 4, 20),
    )
    parcel.loans.add(held)
    HeldLoanFactory(library=library, status=LoanStatus.OVERDUE)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", sorted(LISTS))
def test_it_costs_the_same_queries_with_one_row_or_many(staff, name: str) -> None:
    url = LISTS[name]
    _one_of_each()
    staff.get(url)  # sessions, permissions and the like, once
    few = _queries(staff, url)
    for _ in range(6):
        _one_of_each()
    many = _queries(staff, url)
    assert many == few, f"{name}: {few} queries with one row, {many} with seven"


def test_only_a_request_waiting_for_its_decision_offers_decide(staff) -> None:
    waiting = LoanRequestFactory()
    accepted = AcceptedLoanFactory()
    page = staff.get(reverse("admin:loans_loanrequest_changelist")).content.decode()
    assert reverse("admin:loans_loanrequest_decide", args=[waiting.pk]) in page
    assert reverse("admin:loans_loanrequest_decide", args=[accepted.pk]) not in page


def _list_query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


def test_the_rows_of_a_filtered_list_carry_its_filters(staff) -> None:
    loan = LoanRequestFactory()
    page = staff.get(DECIDE).content.decode()
    kept = "_changelist_filters=status__exact%3Drequested"
    assert f"{reverse('admin:loans_loanrequest_decide', args=[loan.pk])}?{kept}" in page
    assert f"{reverse('admin:loans_loanrequest_change', args=[loan.pk])}?{kept}" in page
    # The checkbox the list's actions read is still there.
    assert f'name="_selected_action" value="{loan.pk}" class="action-select"' in page


def test_after_a_decision_staff_go_back_to_the_list_as_they_filtered_it(staff) -> None:
    loan = LoanRequestFactory()
    other = LoanRequestFactory()
    decide = reverse("admin:loans_loanrequest_decide", args=[loan.pk])
    query = "_changelist_filters=status__exact%3Drequested%26library__prefers_post__exact%3D0"
    page = staff.get(f"{decide}?{query}").content.decode()
    assert "status__exact=requested&amp;library__prefers_post__exact=0" in page  # breadcrumb
    response = staff.post(f"{decide}?{query}", {"accept": "1"})
    assert response.status_code == 302
    location = response["Location"]
    assert urlsplit(location).path == reverse("admin:loans_loanrequest_changelist")
    assert _list_query(location) == {
        "status__exact": ["requested"],
        "library__prefers_post__exact": ["0"],
    }
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACCEPTED
    # Rejecting goes back the same way.
    response = staff.post(
        f"{reverse('admin:loans_loanrequest_decide', args=[other.pk])}?{query}",
        {"reject": "1", "codes": ["other"], "note": "Held back for binding."},
    )
    assert response.status_code == 302
    assert _list_query(response["Location"])["status__exact"] == ["requested"]


def test_a_shipment_page_opened_from_a_filtered_list_goes_back_to_it(staff) -> None:
    shipment = ShippedLoanFactory().shipment
    number = shipment.tracking_number
    page = staff.get(reverse("admin:loans_shipment_changelist"), {"q": number}).content.decode()
    delivery = reverse("admin:loans_shipment_delivery", args=[shipment.pk])
    kept = f"_changelist_filters=q%3D{number}"
    assert f"{delivery}?{kept}" in page
    response = staff.post(f"{delivery}?{kept}", {"delivered_on": "2026-03-05"})
    assert response.status_code == 302
    assert _list_query(response["Location"]) == {"q": [number]}


def test_an_action_keeps_the_lists_filters(staff) -> None:
    loans = [PackedLoanFactory(packed_at=None) for _ in range(2)]
    url = reverse("admin:loans_pullqueueitem_changelist") + f"?q={loans[0].material.ndl_id}"
    response = staff.post(
        url, {"action": "mark_packed", "_selected_action": [loans[0].pk], "index": "0"}
    )
    assert response.status_code == 302
    assert _list_query(response["Location"]) == {"q": [loans[0].material.ndl_id]}


def _html(text: str) -> str:
    """HTML with whitespace between tags removed, to compare markup."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"\s+<", "<", re.sub(r">\s+", ">", text)).strip()


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("name", sorted(set(LISTS) - {"return parcels"}))
def test_the_parts_drawn_in_python_are_the_admins_own_markup(staff, name, language) -> None:
    """The search bar, the filters and the column headers of a work list are
    drawn in Python (``WorkListChangeList``): the same HTML as the admin's
    templates give."""
    _one_of_each()
    staff.cookies["django_language"] = language
    url = LISTS[name] + ("&" if "?" in LISTS[name] else "?") + "q=a&o=2.-1"
    response = staff.get(url)
    assert response.status_code == 200
    cl = response.context["cl"]
    context = {"cl": cl}
    search = render_to_string("admin/search_form.html", {**search_form(cl), **context})
    assert _html(cl.work_search()) == _html(search)
    filters = "".join(str(admin_list_filter(cl, spec)) for spec in cl.filter_specs)
    assert _html(cl.work_filters()).endswith(_html(filters) + "</nav>")
    headers = list(result_headers(cl))
    head = render_to_string(
        "admin/change_list_results.html",
        {
            "result_headers": headers,
            "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
            "results": [[]],
        },
    )
    assert _html(str(cl.work_head())) in _html(head)
    assert "Welcome" in response.content.decode() or "ようこそ" in response.content.decode()


@pytest.mark.parametrize(
    "dates",
    [
        ["2026-04-03 10:00", "2026-04-20 23:30"],  # one month: its days
        ["2026-02-03 10:00", "2026-04-20 10:00"],  # one year: its months
        ["2025-12-31 23:30", "2026-04-20 10:00"],  # years
        [],
    ],
)
def test_the_date_hierarchy_offers_what_djangos_does_in_one_query(staff, dates) -> None:
    library = LibraryFactory()
    for when in dates:
        loan = LoanRequestFactory(library=LibraryFactory() if dates.index(when) else library)
        LoanRequest.objects.filter(pk=loan.pk).update(
            requested_at=dt.datetime.fromisoformat(f"{when}+09:00")
        )
    url = reverse("admin:loans_loanrequest_changelist")
    response = staff.get(url)
    cl = response.context["cl"]
    expected = render_to_string("admin/date_hierarchy.html", date_hierarchy(cl))
    with CaptureQueriesContext(connection) as ctx:
        drawn = cl.work_date_hierarchy()
    assert _html(str(drawn)) == _html(expected)
    assert len(ctx.captured_queries) == 1
    # A year chosen: Django's own (one query).
    if dates:
        response = staff.get(url, {"requested_at__year": dates[-1][:4]})
        cl = response.context["cl"]
        expected = render_to_string("admin/date_hierarchy.html", date_hierarchy(cl))
        assert _html(str(cl.work_date_hierarchy())) == _html(expected)


def test_a_list_that_fits_on_a_page_is_not_counted_and_a_longer_one_is(staff, monkeypatch) -> None:
    """The first page is read first: a list that fits on it needs no count
    query; a longer one is counted once (capped) and pages as before."""
    from loans.admin.shipping import PullQueueAdmin

    url = LISTS["pull queue"]
    loans = sorted(
        (PackedLoanFactory(library=LibraryFactory(), packed_at=None) for _ in range(3)),
        key=lambda loan: (loan.decided_at, loan.pk),
    )
    with CaptureQueriesContext(connection) as ctx:
        response = staff.get(url)
    assert not any("COUNT(" in q["sql"] for q in ctx.captured_queries)
    assert response.context["cl"].result_count == 3
    assert [row["pk"] for row in response.context["cl"].result_list] == [x.pk for x in loans]
    monkeypatch.setattr(PullQueueAdmin, "list_per_page", 2)
    with CaptureQueriesContext(connection) as ctx:
        response = staff.get(url)
    assert sum("COUNT(" in q["sql"] for q in ctx.captured_queries) == 1
    cl = response.context["cl"]
    assert (cl.result_count, cl.multi_page) == (3, True)
    assert [row["pk"] for row in cl.result_list] == [x.pk for x in loans[:2]]
    assert " 3 work queue: items to pull</p>" in response.content.decode()
    second = staff.get(url, {"p": "2"}).context["cl"]
    assert [row["pk"] for row in second.result_list] == [loans[2].pk]


def test_a_list_longer_than_a_page_counts_and_finds_its_days_in_one_query(
    staff, monkeypatch
) -> None:
    """Past the first page, the date hierarchy's days and the count come from
    one grouped query: the same links as Django's, the same count."""
    from loans.admin.requests import LoanRequestAdmin

    monkeypatch.setattr(LoanRequestAdmin, "list_per_page", 2)
    when = ["2026-02-03 23:30", "2026-02-03 10:00", "2026-04-20 10:00", "2026-04-21 08:00"]
    for moment_ in when:
        loan = LoanRequestFactory(library=LibraryFactory())
        LoanRequest.objects.filter(pk=loan.pk).update(
            requested_at=dt.datetime.fromisoformat(f"{moment_}+09:00")
        )
    url = reverse("admin:loans_loanrequest_changelist")
    with CaptureQueriesContext(connection) as ctx:
        response = staff.get(url)
    assert not any("COUNT(*)" in q["sql"] for q in ctx.captured_queries)
    cl = response.context["cl"]
    assert (cl.result_count, cl.multi_page, len(cl.result_list)) == (4, True, 2)
    expected = render_to_string("admin/date_hierarchy.html", date_hierarchy(cl))
    assert _html(str(cl.work_date_hierarchy())) == _html(expected)
    assert "February" in expected and "April" in expected
    # Filtered, the count follows the filter.
    cl = staff.get(url, {"q": "no such title anywhere"}).context["cl"]
    assert cl.result_count == 0
