"""The admin's review queue: materials an import could not map, with why."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from catalogue.models import Material
from catalogue.tests.factories import MaterialFactory
from core.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(StaffFactory())
    return client


def _queued(**kwargs: object) -> Material:
    return MaterialFactory(
        language="", review_reasons=["unknown_language"], language_code="und", **kwargs
    )


def test_the_queue_lists_only_materials_with_review_reasons_and_says_why(
    staff, django_assert_max_num_queries
):
    queued = [_queued(title=f"Queued {n}") for n in range(3)]
    MaterialFactory(title="Mapped well")
    url = reverse("admin:catalogue_material_changelist")
    with django_assert_max_num_queries(12):
        page = staff.get(url, {"review": "yes"}).content.decode()
    assert all(m.title in page for m in queued)
    assert "Mapped well" not in page
    assert "language unknown" in page
    reviewed = staff.get(url, {"review": "no"}).content.decode()
    assert "Mapped well" in reviewed and "Queued 0" not in reviewed


def test_the_reasons_are_shown_in_japanese(staff):
    _queued(title="Queued")
    with translation.override("ja"):
        page = staff.get(
            reverse("admin:catalogue_material_changelist"),
            {"review": "yes"},
            HTTP_ACCEPT_LANGUAGE="ja",
        ).content.decode()
    assert "言語が不明" in page


def test_setting_the_fact_takes_the_material_out_of_the_queue(staff):
    m = _queued()
    url = reverse("admin:catalogue_material_change", args=[m.pk])
    data = {
        "ndl_id": m.ndl_id,
        "title": m.title,
        "language": "foreign",
        "acquired_on": "2006-04-01",
        "material_type": "book",
        "site": m.site_id,
    }
    assert staff.post(url, data).status_code == 302
    m.refresh_from_db()
    assert (m.language, m.review_reasons) == ("foreign", [])


def test_an_unknown_type_stays_in_the_queue_until_it_is_set(staff):
    m = MaterialFactory(material_type="", review_reasons=["unknown_type"])
    url = reverse("admin:catalogue_material_change", args=[m.pk])
    data = {
        "ndl_id": m.ndl_id,
        "title": m.title,
        "language": m.language,
        "acquired_on": "2006-04-01",
        "material_type": "",
        "site": m.site_id,
    }
    assert staff.post(url, data).status_code == 302
    m.refresh_from_db()
    assert m.review_reasons == ["unknown_type"]
    data["material_type"] = "map"
    assert staff.post(url, data).status_code == 302
    m.refresh_from_db()
    assert m.review_reasons == []
