"""The CSV export says what each column means, in the reader's language.

A boolean column exports "yes"/"no" ("はい"/"いいえ" when the admin is in
Japanese), a choice its label, a date YYYY-MM-DD, a time in Japan's local time,
and only a missing value (None) an empty cell. The sweep exports every list of
the admin site (taken from its registry) and checks each cell against the
value it comes from.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.utils import lookup_field
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from catalogue.models import Material
from catalogue.tests.factories import MaterialFactory
from core.models import User
from core.tests.factories import StaffFactory
from loans.models import LoanRequest
from ndl_ill.csv_export import export_as_csv
from ndl_ill.tests.test_admin_querystring_fuzz import some_of_everything  # noqa: F401

pytestmark = pytest.mark.django_db

YES_NO = {"en": ("yes", "no"), "ja": ("はい", "いいえ")}


def _export(model: type[models.Model], language: str = "en") -> list[list[str]]:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(User.objects.filter(is_superuser=True).first() or StaffFactory())
    ids = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = client.post(url, {"action": "export_as_csv", "_selected_action": ids})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _column(rows: list[list[str]], header: str) -> list[str]:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


# --- the reported example ----------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_boolean_column_exports_yes_or_no_in_the_readers_language(language):
    StaffFactory(username="a-superuser", is_superuser=True, is_staff=True)
    User.objects.create_user("LIB00001")  # not staff
    rows = _export(User, language)
    header = "staff status" if language == "en" else "スタッフ権限"
    by_name = dict(zip(_column(rows, rows[0][0]), _column(rows, header), strict=True))
    yes, no = YES_NO[language]
    assert by_name == {"a-superuser": yes, "LIB00001": no}


def test_a_boolean_list_column_exports_yes_or_no():
    MaterialFactory(ndl_id="000000000001")
    MaterialFactory(ndl_id="000000000002", is_rare=True)  # a rare book is not lent
    rows = _export(Material)
    loanable = dict(
        zip(_column(rows, "NDL bibliographic ID"), _column(rows, "loanable"), strict=True)
    )
    assert loanable == {"000000000001": "yes", "000000000002": "no"}


def test_choices_export_their_label_and_dates_their_iso_form(some_of_everything):  # noqa: F811
    rows = _export(LoanRequest, "ja")
    statuses = set(_column(rows, "状態"))
    assert statuses and not statuses & {"requested", "shipped", ""}, statuses
    rows = _export(LoanRequest)
    for cell in _column(rows, "requested"):
        dt.datetime.strptime(cell, "%Y-%m-%d %H:%M")  # noqa: DTZ007 - local time of Japan


# --- the sweep ---------------------------------------------------------------------


def _expected(value: Any, field: Any, attr: Any, yes: str, no: str) -> str | None:
    """The cell for a value, or None where any non-empty text will do."""
    if value is None:
        return ""
    if isinstance(value, bool) or getattr(attr, "boolean", False):
        return yes if value else no
    if field is not None and getattr(field, "flatchoices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return None


@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_column_of_every_list_exports_what_it_means(
    some_of_everything,  # noqa: F811
    language,
):
    StaffFactory(is_superuser=True)
    request = RequestFactory().post("/")
    request.user = User.objects.filter(is_superuser=True).first()
    yes, no = YES_NO[language]
    kinds: set[str] = set()
    problems = []
    with translation.override(language):
        for model, model_admin in admin.site._registry.items():
            queryset = model_admin.get_queryset(request).order_by("pk")
            objects = list(queryset)
            response = export_as_csv(model_admin, request, queryset)
            rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
            columns = [c for c in model_admin.get_list_display(request) if c != "action_checkbox"]
            assert len(rows) == len(objects) + 1, model
            for obj, row in zip(objects, rows[1:], strict=True):
                for name, cell in zip(columns, row, strict=True):
                    field, attr, value = lookup_field(name, obj, model_admin)
                    expected = _expected(value, field, attr, yes, no)
                    kinds.add(type(value).__name__)
                    if expected is None:
                        ok = bool(cell) == bool(str(value)) and "<" not in cell
                    else:
                        ok = cell in (expected, f"'{expected}")
                    if not ok:
                        problems.append(f"{model._meta.label}.{name}: {value!r} -> {cell!r}")
    assert not problems, "\n".join(problems)
    # the sweep met every kind it is about
    assert {"bool", "date", "datetime", "NoneType", "str", "int"} <= kinds, kinds
