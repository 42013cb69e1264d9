"""The portal's menu (``ndl_portal.portal_nav``): every page, its item marked current."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _current(body: str) -> list[str]:
    return re.findall(r'<a class="nav-link" href="([^"]+)" aria-current="page">', body)


@pytest.mark.parametrize(
    ("url_name", "current"),
    [
        ("portal:dashboard", "portal:dashboard"),
        ("loans:search", "loans:search"),
        ("loans:request_list", "loans:request_list"),
        ("loans:shipment_list", "loans:shipment_list"),
        ("copies:request_list", "copies:request_list"),
        ("returns:parcel_list", "returns:parcel_list"),
        ("registration:details", "registration:details"),
    ],
)
def test_the_page_s_own_item_is_current(portal: Any, url_name: str, current: str) -> None:
    body = portal.get(reverse(url_name)).content.decode()
    assert _current(body) == [reverse(current)]
    for name in (
        "portal:dashboard",
        "loans:search",
        "loans:request_list",
        "loans:shipment_list",
        "copies:request_list",
        "returns:parcel_list",
        "registration:details",
    ):
        assert f'<a class="nav-link" href="{reverse(name)}"' in body


def test_a_page_within_a_section_marks_the_section(portal: Any) -> None:
    from catalogue.tests.factories import MaterialFactory

    material = MaterialFactory()
    response = portal.get(reverse("copies:request_new"), {"material": material.ndl_id})
    assert response.status_code == 200
    assert _current(response.content.decode()) == [reverse("copies:request_list")]


def test_the_menu_in_japanese(portal: Any) -> None:
    portal.post(reverse("set_language"), {"language": "ja"})
    body = portal.get(reverse("loans:search")).content.decode()
    assert ">ダッシュボード</a></li>" in body
    assert 'aria-current="page">検索・申込み</a></li>' in body


def test_no_menu_before_signing_in(client: Any) -> None:
    body = client.get(reverse("portal:login")).content.decode()
    assert 'class="nav-link"' not in body


def test_the_search_box_keeps_the_query_and_shows_its_error(portal: Any) -> None:
    body = portal.get(reverse("loans:search")).content.decode()
    assert (
        '<input type="text" name="q" maxlength="200" class="textinput form-control" '
        'aria-describedby="id_q_helptext" id="id_q">'
    ) in body
    body = portal.get(reverse("loans:search"), {"q": 'a"<b>'}).content.decode()
    assert 'name="q" value="a&quot;&lt;b&gt;" maxlength="200"' in body
    body = portal.get(reverse("loans:search"), {"q": "x" * 201}).content.decode()
    assert "is-invalid" in body and "at most 200 characters" in body
