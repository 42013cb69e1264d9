# ruff: noqa: RUF001  (Japanese as the page shows it)
"""The portal's page of search hits: read in one statement, drawn in one function,
with what the template loop showed before (loanability, availability, the site)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from catalogue.models import LanguageCategory, Material, MaterialType
from catalogue.rules import loanability
from catalogue.tests.factories import MaterialFactory
from loans.models import LoanStatus
from loans.selectors import search_hits
from loans.tests.factories import LoanRequestFactory

pytestmark = pytest.mark.django_db


def _materials() -> list[Material]:
    return [
        MaterialFactory(title="Loanable book"),
        MaterialFactory(title="Old book", acquired_on=dt.date(1990, 1, 1)),
        MaterialFactory(title="Digitized", digitized_url="https://dl.ndl.go.jp/pid/1"),
        MaterialFactory(title="A periodical", material_type=MaterialType.PERIODICAL),
        MaterialFactory(title="Unknown", review_reasons=["unknown_type"], site=None),
        MaterialFactory(title="No date", acquired_on=None, language=LanguageCategory.FOREIGN),
        MaterialFactory(title="Excluded", staff_excluded=True, staff_note="Fragile binding"),
        MaterialFactory(title="Rare", is_rare=True, is_amusement=True, unsuitable="reference"),
    ]


def test_hits_come_in_the_order_asked_with_the_same_loanability(
    django_assert_num_queries: Any,
) -> None:
    materials = _materials()
    lent = materials[0]
    LoanRequestFactory(material=lent, status=LoanStatus.ACCEPTED)
    ids = [m.pk for m in reversed(materials)] + [10**9]  # a deleted one is left out
    with django_assert_num_queries(1):
        hits = search_hits(ids=ids)
        reasons = [loanability(hit.material) for hit in hits]
    assert [hit.material.pk for hit in hits] == ids[:-1]
    full = {m.pk: Material.objects.get(pk=m.pk) for m in materials}
    assert reasons == [loanability(full[hit.material.pk]) for hit in hits]
    by_title = {hit.material.title: hit for hit in hits}
    assert by_title["Loanable book"].unavailable is True
    assert not any(hit.unavailable for hit in hits if hit.material.pk != lent.pk)
    assert by_title["Unknown"].site_name == ""
    assert by_title["Loanable book"].site_name == lent.site.name
    assert by_title["Loanable book"].site_name_ja == lent.site.name_ja
    assert by_title["Unknown"].material.review_reasons == ["unknown_type"]
    assert by_title["Old book"].material.acquired_on == dt.date(1990, 1, 1)


def test_no_ids_no_query(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        assert search_hits(ids=[]) == []


def test_a_returned_or_cancelled_request_leaves_the_item_free() -> None:
    material = MaterialFactory()
    LoanRequestFactory(material=material, status=LoanStatus.CANCELLED)
    assert search_hits(ids=[material.pk])[0].unavailable is False


def test_the_rows_escape_what_the_catalogue_holds(portal: Any) -> None:
    MaterialFactory(
        ndl_id="000000901",
        title="<script>alert(1)</script> & more",
        responsibility="<b>Tanaka</b>",
        isbn="9784000000002",
        year=1999,
    )
    body = portal.get(reverse("loans:search"), {"q": "more"}).content.decode()
    assert "<script>alert(1)" not in body and "<b>Tanaka" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more (1999)" in body
    assert '<small class="text-muted">ISBN 9784000000002</small>' in body
    assert 'aria-label="Request 000000901"' in body
    assert 'href="/portal/copies/new/?material=000000901"' in body


def test_the_rows_in_japanese(portal: Any) -> None:
    taken = MaterialFactory(title="Kyoto gardens")
    LoanRequestFactory(material=taken)
    MaterialFactory(title="Kyoto maps", is_rare=True)
    free = MaterialFactory(title="Kyoto temples")
    portal.post(reverse("set_language"), {"language": "ja"})
    body = portal.get(reverse("loans:search"), {"q": "kyoto"}).content.decode()
    assert free.site.name_ja in body and free.site.name not in body
    assert "貸出可（現在申込み中または貸出中）" in body
    assert "貴重書・準貴重書（古典籍等）は貸出できません。" in body
    assert f'aria-label="{free.ndl_id} を申し込む"' in body


def test_nothing_found_says_so(portal: Any) -> None:
    body = portal.get(reverse("loans:search"), {"q": "zzzznothing"}).content.decode()
    assert '<td colspan="7">Nothing matches your search.</td>' in body
    assert "Request the ticked items" not in body


def test_a_full_page_is_a_constant_number_of_queries(
    portal: Any, django_assert_max_num_queries: Any
) -> None:
    materials = MaterialFactory.create_batch(45, title="Paged")
    for m in materials[::3]:
        LoanRequestFactory(material=m)
    with django_assert_max_num_queries(12) as first:
        body = portal.get(reverse("loans:search"), {"q": "paged"}).content.decode()
    assert body.count('name="ndl_ids"') == 20 - 7
    with django_assert_max_num_queries(12) as last:
        body = portal.get(reverse("loans:search"), {"q": "paged", "page": 3}).content.decode()
    assert "Page 3 of 3" in body
    assert len(first.captured_queries) == len(last.captured_queries)
