"""The portal's page cache: a page is served from the cache until something the
library sees changes, and never shows another library's, language's or day's page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from catalogue.services.materials import material_import, material_save
from catalogue.tests.factories import MaterialFactory
from core.models import Site, User
from core.pagecache import library_pages_touch
from loans.models import LoanRequest, LoanStatus, PullQueueItem, RequestChannel
from loans.services.nightly import loans_overdue_flag
from loans.services.requests import loan_request_accept, loan_request_create
from loans.tests.factories import LoanRequestFactory
from registration.tests.factories import LibraryFactory
from returns.models import ReturnMethod
from returns.services import return_parcel_record
from returns.tests.factories import HeldLoanFactory

pytestmark = pytest.mark.django_db

TOKYO = dt.timezone(dt.timedelta(hours=9))
TODAY = dt.date(2026, 4, 3)
FROZEN = dt.datetime(2026, 4, 3, 10, 0, tzinfo=TOKYO)


def _signed_in(library) -> Client:
    user, _ = User.objects.get_or_create(username=library.user_id, library=library)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def portal(library) -> Client:
    return _signed_in(library)


def _page(client: Client, name: str = "portal:dashboard", **params: str) -> str:
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(FROZEN, tick=False):
        yield


# --- served from the cache ----------------------------------------------------------
@pytest.mark.parametrize("name", ["portal:dashboard", "loans:request_list"])
def test_a_second_view_is_served_from_the_cache_with_one_query(
    portal, library, name, django_assert_num_queries
):
    LoanRequestFactory(library=library)
    first = _page(portal, name)
    with django_assert_num_queries(1):  # the signed-in user, with the library
        second = _page(portal, name)
    # The page around the body (the form token) is rendered each time.
    assert second.split('<main id="main"')[1] == first.split('<main id="main"')[1]


def test_each_library_sees_only_its_own_page(library):
    other = LibraryFactory()
    LoanRequestFactory(library=library)
    mine, theirs = _signed_in(library), _signed_in(other)
    assert "1 of 10 items outstanding" in _page(mine)
    assert "0 of 10 items outstanding" in _page(theirs)
    assert "1 of 10 items outstanding" in _page(mine)


def test_each_language_has_its_own_page(portal, library):
    LoanRequestFactory(library=library)
    assert "items outstanding" in _page(portal)
    portal.post(reverse("set_language"), {"language": "ja", "next": "/portal/"})
    japanese = _page(portal)
    assert "items outstanding" not in japanese
    assert "借受中・申込み中の資料: 1点" in japanese


def test_each_filter_and_page_of_the_request_list_has_its_own_page(portal, library):
    LoanRequestFactory(library=library, status=LoanStatus.CANCELLED)
    LoanRequestFactory(library=library, status=LoanStatus.REQUESTED)
    everything = _page(portal, "loans:request_list")
    cancelled = _page(portal, "loans:request_list", status=LoanStatus.CANCELLED)
    assert everything.count('<td><a href="/portal/loans/requests/') == 2
    assert cancelled.count('<td><a href="/portal/loans/requests/') == 1


def test_a_nonsense_page_number_shares_the_first_page(portal, library, django_assert_num_queries):
    LoanRequestFactory(library=library)
    _page(portal, "loans:request_list")
    with django_assert_num_queries(1):
        _page(portal, "loans:request_list", page="x" * 500)


# --- the day: due soon and overdue change at midnight in Tokyo -----------------------
def test_the_next_day_is_rendered_afresh_without_any_change(portal, library):
    due = TODAY + dt.timedelta(days=8)  # due soon means within 7 days
    HeldLoanFactory(library=library, received_on=due - dt.timedelta(days=31), due_on=due)
    assert 'data-testid="todo-due-soon"' not in _page(portal)
    with time_machine.travel(FROZEN + dt.timedelta(hours=13, minutes=59), tick=False):
        # 23:59 in Tokyo, still the same day
        assert 'data-testid="todo-due-soon"' not in _page(portal)
    with time_machine.travel(FROZEN + dt.timedelta(hours=14), tick=False):
        # midnight in Tokyo: due in 7 days
        assert 'data-testid="todo-due-soon"' in _page(portal)


# --- what renders a page afresh --------------------------------------------------------
def test_a_request_from_the_portal_shows_at_once(portal, library):
    material = MaterialFactory()
    assert "0 of 10 items outstanding" in _page(portal)
    response = portal.post(reverse("loans:request_create"), {"ndl_ids": [material.ndl_id]})
    assert response.status_code == 302
    assert "1 of 10 items outstanding" in _page(portal)
    assert material.title in _page(portal, "loans:request_list")


def test_a_staff_decision_shows_at_once(portal, library):
    loan = LoanRequestFactory(library=library)
    assert "Requested" in _page(portal, "loans:request_list")
    loan_request_accept(loan=loan, actor=None)
    assert "Accepted" in _page(portal, "loans:request_list")


def test_a_change_saved_through_a_proxy_model_shows_at_once(portal, library):
    loan = LoanRequestFactory(library=library)
    _page(portal, "loans:request_list")
    item = PullQueueItem.objects.get(pk=loan.pk)
    item.status = LoanStatus.CANCELLED
    item.save(update_fields=["status"])
    cancelled = _page(portal, "loans:request_list", status=LoanStatus.CANCELLED)
    assert f">#{loan.pk}</a>" in cancelled
    assert "0 of 10 items outstanding" in _page(portal)


def test_the_nightly_run_shows_at_once(portal, library):
    due = TODAY - dt.timedelta(days=1)
    loan = HeldLoanFactory(library=library, received_on=due - dt.timedelta(days=31), due_on=due)
    # Not yet flagged: the dashboard counts it overdue all the same.
    assert 'data-testid="todo-overdue"' in _page(portal)
    assert "<td>Overdue</td>" not in _page(portal, "loans:request_list")
    loans_overdue_flag(today=TODAY)  # a bulk UPDATE, which sends no signal
    loan.refresh_from_db()
    assert loan.status == LoanStatus.OVERDUE
    assert "<td>Overdue</td>" in _page(portal, "loans:request_list")


def test_a_catalogue_import_shows_new_titles_at_once(portal, library):
    loan = LoanRequestFactory(library=library)
    assert loan.material.title in _page(portal, "loans:request_list")
    material = loan.material
    row = {
        "ndl_id": material.ndl_id,
        "title": "A Title Set By The Import",
        "language": material.language,
        "acquired_on": material.acquired_on.isoformat(),
        "site": material.site.code,
    }
    material_import(rows=[(2, row)], columns=list(row), actor=None)
    loan.material.refresh_from_db()
    assert loan.material.title == "A Title Set By The Import"
    assert "A Title Set By The Import" in _page(portal, "loans:request_list")


def test_a_title_corrected_by_staff_shows_at_once(portal, library):
    loan = LoanRequestFactory(library=library)
    _page(portal, "loans:request_list")
    material = loan.material
    material.title = "A Title Corrected By Staff"
    material_save(material=material, actor=None)
    assert "A Title Corrected By Staff" in _page(portal, "loans:request_list")


def test_a_return_parcel_shows_at_once(portal, library):
    due = TODAY + dt.timedelta(days=10)
    loan = HeldLoanFactory(library=library, received_on=due - dt.timedelta(days=31), due_on=due)
    assert "RR123456785JP" not in _page(portal)
    return_parcel_record(
        library=library,
        loan_ids=[loan.pk],
        method=ReturnMethod.REGISTERED_AIR_MAIL,
        carrier="",
        tracking_number="RR123456785JP",
        sent_on=TODAY,
        actor=None,
    )
    assert "RR123456785JP" in _page(portal)


def test_a_site_renamed_shows_at_once(portal, library):
    due = TODAY + dt.timedelta(days=10)
    HeldLoanFactory(library=library, received_on=due - dt.timedelta(days=31), due_on=due)
    before = _page(portal)
    for site in Site.objects.all():  # as the admin saves a site
        site.name = f"{site.name} (renamed)"
        site.save()
    after = _page(portal)
    assert "(renamed)" not in before
    assert "(renamed)" in after


def test_the_library_renamed_shows_at_once(portal, library):
    assert library.name in _page(portal)
    library.name = "A Renamed Library"
    library.save()
    assert "A Renamed Library" in _page(portal)


def test_a_direct_request_through_the_service_shows_at_once(portal, library):
    material = MaterialFactory()
    _page(portal)
    loan_request_create(
        library=library,
        ndl_ids=[material.ndl_id],
        channel=RequestChannel.FAX,
        actor=None,
        on_designated_form=True,
    )
    assert "1 of 10 items outstanding" in _page(portal)


# --- stamps ---------------------------------------------------------------------------
def test_a_stamp_lost_from_the_cache_renders_afresh(portal, library):
    LoanRequestFactory(library=library)
    _page(portal)
    cache.delete(f"portal:stamp:library:{library.pk}")
    LoanRequest.objects.filter(library=library).update(status=LoanStatus.CANCELLED)
    assert "0 of 10 items outstanding" in _page(portal)


def test_a_touch_renews_the_stamp_again_when_the_transaction_commits(
    library, django_capture_on_commit_callbacks
):
    key = f"portal:stamp:library:{library.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        library_pages_touch(library_ids=[library.pk])
        during = cache.get(key)
        assert during is not None
    # A page rendered before the commit, by another request, from the data
    # before it, was stored under ``during``: it can no longer be found.
    assert cache.get(key) != during


# --- the cache unreachable ---------------------------------------------------------------
class _Unreachable:
    """A cache whose server is down: every call raises, as Django's Redis backend does."""

    def __getattr__(self, name: str):
        def fail(*args, **kwargs):
            raise ConnectionError("cache server unreachable")

        return fail


def test_pages_render_and_changes_save_while_the_cache_is_unreachable(
    portal, library, monkeypatch, caplog
):
    material = MaterialFactory()
    monkeypatch.setattr("core.pagecache.cache", _Unreachable())
    assert "0 of 10 items outstanding" in _page(portal)
    response = portal.post(reverse("loans:request_create"), {"ndl_ids": [material.ndl_id]})
    assert response.status_code == 302
    assert LoanRequest.objects.filter(library=library, material=material).exists()
    assert "1 of 10 items outstanding" in _page(portal)
    assert material.title in _page(portal, "loans:request_list")
    assert "portal page cache" in caplog.text
