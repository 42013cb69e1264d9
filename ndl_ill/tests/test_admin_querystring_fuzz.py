"""Bad query strings on the back-office lists never reach a 500.

Every list of the admin site (taken from its registry, so a newly registered
model is fuzzed without being listed here) is requested by a superuser signed
in with a second factor, with query strings that Hypothesis builds from the
list's own parameters (its filters' parameter names and values, the date
hierarchy, search, ordering, pages, "all") and from model field lookups, with
garbage values: NUL bytes, non-numeric ids, huge numbers, impossible dates,
unknown fields and lookups. The answer is never a 5xx; a list that cannot use
the query string answers the admin's "?e=1" redirect with a message
(``core.admin_lists``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ALL_VAR, ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.contrib.messages import get_messages
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.tests.factories import MaterialFactory
from core.admin_lists import INVALID_LIST_ADDRESS, URL_LOOKUPS, CheckedChangeList
from core.models import Site, SiteCode
from core.tests.factories import StaffFactory, backup_codes_give
from loans.models import LoanStatus
from loans.tests.factories import LoanRequestFactory, PackedLoanFactory
from registration.tests.factories import ApplicationFactory, ChangeNoticeFactory
from returns.models import ReturnParcel
from returns.tests.factories import DamageCaseFactory, HeldLoanFactory, ShippedLoanFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
BACKUP_CODE = "fuzz1234"

FUZZ = settings(
    max_examples=30,
    # The same examples on every run, so a red build is reproducible; explore
    # further by hand with `pytest --hypothesis-seed=N`.
    derandomize=True,
    deadline=None,
    database=None,  # no example database in the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

GARBAGE = [
    "",
    "\x00",
    "a\x00b",
    "abc",
    "-1",
    "0",
    "1.5",
    "\uff11",
    "1e400",
    "NaN",
    "inf",
    str(2**31),
    str(2**63),
    "9" * 40,
    "-" + "9" * 40,
    "2026-02-30",
    "2026-13-01",
    "99999-01-01",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01 00:00",
    "9999-12-31 23:59:59",
    "10000",
    "true",
    "None",
    "1,2,abc",
    "%",
    "_",
    "(",
    "'; --",
    "東京",
]
# Lookups that the lists do not take from an address, beside those they do.
OTHER_LOOKUPS = ["in", "regex", "iregex", "year", "month", "date", "range", "search", "nope"]
SPECIAL_KEYS = [SEARCH_VAR, ORDER_VAR, PAGE_VAR, ALL_VAR, "e", "_facets", "_popup", "_to_field"]


def _changelists() -> list[str]:
    return sorted(model._meta.label for model in admin.site._registry)


@pytest.fixture
def verified_superuser(client, settings):
    """A superuser who signed in with password and backup code, as staff do."""
    settings.NDL_ADMIN_REQUIRE_OTP = True
    user = StaffFactory(is_superuser=True)
    backup_codes_give(user, BACKUP_CODE)
    response = client.post(
        "/admin/login/",
        {"username": user.username, "password": PASSWORD, "otp_token": BACKUP_CODE},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    return client


@pytest.fixture
def some_of_everything(time_machine) -> None:
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)
    case = DamageCaseFactory()
    HeldLoanFactory()
    ShippedLoanFactory()
    PackedLoanFactory()
    LoanRequestFactory()
    MaterialFactory()
    ApplicationFactory()
    ChangeNoticeFactory(library=case.loan.library)
    ReturnParcel.objects.create(
        library=case.loan.library,
        site=case.loan.shipment.site,
        method="registered_air_mail",
        tracking_number="RR000000000JP",
        sent_on=dt.date(2026, 3, 18),
    )


def _changelist_url(label: str) -> str:
    app_label, model_name = label.lower().split(".")
    return reverse(f"admin:{app_label}_{model_name}_changelist")


def _field_paths(model: type[models.Model]) -> list[str]:
    """Each field of the model, and each field of the models it points to."""
    paths = []
    for field in model._meta.get_fields():
        paths.append(field.name)
        if field.is_relation and field.related_model is not None and field.concrete:
            paths += [f"{field.name}__{f.name}" for f in field.related_model._meta.concrete_fields]
    return paths


def _query_strings(cl: Any) -> st.SearchStrategy[str]:
    """Query strings made of this list's own parameters and of field lookups."""
    keys: list[str] = []
    valid_values = ["1", "2026", "3", "20"]
    for spec in cl.filter_specs:
        keys += spec.expected_parameters()
        for choice in spec.choices(cl):
            query = choice["query_string"].lstrip("?")
            for pair in query.split("&"):
                if "=" in pair:
                    valid_values.append(pair.split("=", 1)[1])
    if cl.date_hierarchy:
        keys += [f"{cl.date_hierarchy}__{unit}" for unit in ("year", "month", "day")]
    lookups = sorted(URL_LOOKUPS) + OTHER_LOOKUPS
    field_keys = st.builds(
        lambda path, lookup: f"{path}__{lookup}" if lookup else path,
        st.sampled_from(_field_paths(cl.model)),
        st.sampled_from(["", *lookups]),
    )
    value = st.one_of(
        st.sampled_from(valid_values),
        st.sampled_from(GARBAGE),
        st.integers(min_value=-(2**80), max_value=2**80).map(str),
        st.text(max_size=20),
        st.lists(st.sampled_from(["1", "-2", "999", "x", ""]), max_size=3).map(".".join),
    )
    # One of the list's own parameters in every example (a filter's or the
    # date hierarchy's when it has some), then anything.
    own_keys = st.sampled_from(keys) if keys else st.sampled_from(SPECIAL_KEYS)
    own = st.tuples(st.one_of(own_keys, st.sampled_from(SPECIAL_KEYS)), value)
    any_key = st.one_of(st.sampled_from(keys + SPECIAL_KEYS), field_keys, st.text(max_size=12))
    anything = st.tuples(any_key, value)
    return st.builds(
        lambda first, more: urlencode([first, *more]), own, st.lists(anything, max_size=3)
    )


@pytest.mark.parametrize("label", _changelists())
def test_no_query_string_makes_a_list_fail(verified_superuser, some_of_everything, label):
    client = verified_superuser
    url = _changelist_url(label)
    first = client.get(url)
    assert first.status_code == 200
    cl = first.context["cl"]
    seen: list[tuple[str, int]] = []

    @FUZZ
    @given(query=_query_strings(cl))
    def fuzz(query: str) -> None:
        response = client.get(f"{url}?{query}")
        seen.append((query, response.status_code))
        assert response.status_code < 500, query
        if response.status_code == 302:
            assert response["Location"] in (f"{url}?e=1", url), query

    fuzz()
    assert len(seen) >= 10
    # the fuzzing reached both answers: lists shown and lists refused
    assert {status for _query, status in seen} & {200}, seen


@pytest.mark.parametrize("label", _changelists())
def test_every_list_checks_its_query_string(label):
    model = next(m for m in admin.site._registry if m._meta.label == label)
    request = RequestFactory().get("/")
    assert issubclass(admin.site._registry[model].get_changelist(request), CheckedChangeList)


# --- the reported examples -----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/loans/pullqueueitem/?site=abc",
        "/admin/loans/shipqueueitem/?site=abc",
        "/admin/loans/shipment/?site=abc",
        "/admin/loans/loanrequest/?status=%00",
    ],
)
def test_the_reported_addresses_show_the_whole_list_with_a_message(verified_superuser, url):
    client = verified_superuser
    PackedLoanFactory()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == url.split("?")[0] + "?e=1"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert [str(m) for m in get_messages(page.wsgi_request)] == [str(INVALID_LIST_ADDRESS)]


@pytest.mark.parametrize(
    "query",
    [
        "site=999999",  # a site that does not exist is not one the filter offers
        "site=%EF%BC%91",  # a full-width digit
        "requested_at__year=9999",  # its year would end in 10000
        "requested_at__year=1",  # its local midnight is before year 1 in UTC
        "requested_at__year=2026&requested_at__month=2&requested_at__day=30",
        "requested_at__month=3",  # a month without a year
        "material__title__regex=(",
        "id__in=99999999999999999999999",
        "library=99999999999999999999999",
        "library__user_id__year=2026",
        "q=%00",
        "o=1%00",
        "nosuchfield=1",
    ],
)
def test_a_query_string_the_list_cannot_use_is_refused(verified_superuser, query):
    response = verified_superuser.get(f"/admin/loans/loanrequest/?{query}")
    assert response.status_code == 302
    assert response["Location"] == "/admin/loans/loanrequest/?e=1"


def test_a_bad_query_string_after_the_redirect_shows_the_plain_list(verified_superuser):
    """Django's own answer there is a page that blames the database."""
    response = verified_superuser.get("/admin/loans/shipment/?e=1&site=abc")
    assert response.status_code == 302
    assert response["Location"] == "/admin/loans/shipment/"
    page = verified_superuser.get(response["Location"])
    assert page.status_code == 200
    assert [str(m) for m in get_messages(page.wsgi_request)] == [str(INVALID_LIST_ADDRESS)]


def test_the_filters_still_filter(verified_superuser):
    client = verified_superuser
    tokyo = Site.objects.get(code=SiteCode.TOKYO)
    kansai = Site.objects.get(code=SiteCode.KANSAI)
    in_tokyo = PackedLoanFactory(material=MaterialFactory(site=tokyo))
    PackedLoanFactory(material=MaterialFactory(site=kansai))
    response = client.get(f"/admin/loans/shipqueueitem/?site={tokyo.pk}")
    assert response.status_code == 200
    assert [loan.pk for loan in response.context["cl"].result_list] == [in_tokyo.pk]
    requested = LoanRequestFactory()
    response = client.get("/admin/loans/loanrequest/?status__exact=requested")
    assert response.status_code == 200
    assert [loan.pk for loan in response.context["cl"].result_list] == [requested.pk]
    assert requested.status == LoanStatus.REQUESTED
    # a typed lookup on a field, within range, still works
    response = client.get(f"/admin/loans/loanrequest/?library={requested.library_id}")
    assert [loan.pk for loan in response.context["cl"].result_list] == [requested.pk]
    response = client.get("/admin/loans/loanrequest/?requested_at__year=2026")
    assert response.status_code == 200
