"""Every back-office list checks its query string before it runs a query.

Django's admin turns some bad filter values into its "?e=1" redirect, but not
all: a custom list filter passes ``?site=abc`` straight to the database, a
NUL byte (``?status=%00``) or a huge id reaches PostgreSQL, a year past 9998
in the date hierarchy overflows, and any lookup of a model field
(``?title__regex=(``) runs as typed. Each of those answered 500.

``CheckedChangeList`` checks the whole query string first and answers every
such request with the admin's own "?e=1" redirect (the list unfiltered) and a
message:

- no parameter holds a NUL byte;
- a list filter's value is one of the values the filter offers;
- a date-hierarchy parameter is a whole number in range;
- any other parameter is a model field path followed by at most one lookup
  from ``URL_LOOKUPS`` (the ones the admin's own filter links use), with a
  value the field accepts (its ``to_python`` and validators: an id within the
  column's range, a real date…).

Lookups the admin refuses for security (a relation outside ``list_filter``)
still answer 400 as Django decides. ``NdlAdminSite.register`` mixes
``CheckedListMixin`` into every registered ModelAdmin, third-party ones
included, so a newly registered model is covered without anyone remembering.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The lookups a list's address may use: those of the admin's filter links
# (exact, isnull, the date ranges, isempty) and plain text matches. No
# transforms (``__year`` outside the date hierarchy, JSON keys), no regex.
URL_LOOKUPS = frozenset(
    {
        "exact",
        "iexact",
        "isnull",
        "isempty",
        "gt",
        "gte",
        "lt",
        "lte",
        "contains",
        "icontains",
        "startswith",
        "istartswith",
    }
)
# Lookups whose value the database receives as the field's own type.
_TYPED_LOOKUPS = frozenset({"exact", "gt", "gte", "lt", "lte"})
# Lookups that match text: on other fields (JSON) they mean something else.
_TEXT_LOOKUPS = frozenset({"iexact", "contains", "icontains", "startswith", "istartswith"})
# The date hierarchy's range ends a year after its start, and a local
# midnight may fall in the previous year in UTC: one year of margin each side.
_HIERARCHY_YEARS = range(dt.MINYEAR + 1, dt.MAXYEAR)

INVALID_LIST_ADDRESS = _(
    "This list cannot be filtered or sorted as the address asked; the whole list is shown."
)


class _Invalid(Exception):
    """One parameter of the query string that the list cannot use."""


def _target(field: Any) -> models.Field[Any, Any]:
    """The column a value for ``field`` is compared with: a relation's key."""
    if not field.is_relation:
        return field  # type: ignore[no-any-return]
    target = getattr(field, "target_field", None) if field.concrete else None
    return target or field.related_model._meta.pk  # type: ignore[no-any-return]


def _check_typed_value(field: models.Field[Any, Any], value: str) -> None:
    try:
        python = field.to_python(value)
        field.run_validators(python)  # an integer column's range, max_digits…
    except (ValidationError, TypeError, ValueError, ArithmeticError) as exc:
        raise _Invalid from exc
    if isinstance(python, dt.datetime):
        try:  # the database receives it in UTC
            aware = python if timezone.is_aware(python) else timezone.make_aware(python)
            aware.astimezone(dt.UTC)
        except (OverflowError, ValueError) as exc:
            raise _Invalid from exc


def _check_field_lookup(model: type[models.Model], key: str, values: list[str]) -> None:
    """``key`` is a field path and at most one lookup of ``URL_LOOKUPS``."""
    opts = model._meta
    field: Any = None
    parts = key.split(LOOKUP_SEP)
    rest: list[str] = []
    for i, part in enumerate(parts):
        try:
            field = opts.get_field(opts.pk.name if part == "pk" else part)
        except FieldDoesNotExist:
            rest = parts[i:]
            break
        if not field.is_relation or field.related_model is None:
            rest = parts[i + 1 :]
            break
        opts = field.related_model._meta
    if field is None or len(rest) > 1 or (rest and rest[0] not in URL_LOOKUPS):
        raise _Invalid(key)
    lookup = rest[0] if rest else "exact"
    target = _target(field)
    if lookup in _TEXT_LOOKUPS and not isinstance(target, models.CharField | models.TextField):
        raise _Invalid(key)
    if lookup in _TYPED_LOOKUPS:
        for value in values:
            _check_typed_value(target, value)


def _check_hierarchy(params: dict[str, list[str]], field_name: str) -> None:
    parts = {
        unit: params[f"{field_name}{LOOKUP_SEP}{unit}"][-1]
        for unit in ("year", "month", "day")
        if f"{field_name}{LOOKUP_SEP}{unit}" in params
    }
    if not parts:
        return
    try:
        year = int(parts["year"])
        dt.date(year, int(parts.get("month", 1)), int(parts.get("day", 1)))
    except (KeyError, ValueError, OverflowError) as exc:  # no year, a 30th of February…
        raise _Invalid from exc
    if year not in _HIERARCHY_YEARS:
        raise _Invalid(field_name)


class CheckedChangeList(ChangeList):
    """A list that refuses a query string it cannot use (see the module)."""

    def get_filters(self, request: HttpRequest) -> Any:
        params = self.get_filters_params()
        own = {
            f.parameter_name
            for f in self.list_filter
            if isinstance(f, type) and issubclass(f, admin.SimpleListFilter)
        }
        hierarchy = (
            {f"{self.date_hierarchy}{LOOKUP_SEP}{u}" for u in ("year", "month", "day")}
            if self.date_hierarchy
            else set()
        )
        try:
            for key, values in request.GET.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    raise _Invalid(key)
            if self.date_hierarchy:
                _check_hierarchy(params, self.date_hierarchy)
            for key, values in params.items():
                if key not in own and key not in hierarchy:
                    _check_field_lookup(self.model, key, values)
        except _Invalid as exc:
            raise IncorrectLookupParameters(exc) from exc
        found = super().get_filters(request)
        for spec in found[0]:
            if isinstance(spec, admin.SimpleListFilter) and spec.value() is not None:
                offered = {str(value) for value, _label in spec.lookup_choices}
                if spec.value() not in offered:
                    raise IncorrectLookupParameters(spec.parameter_name)
        return found


class CheckedListMixin:
    """A ModelAdmin whose list checks its query string (see the module)."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        base: type[ChangeList] = super().get_changelist(request, **kwargs)  # type: ignore[misc]
        if issubclass(base, CheckedChangeList):
            return base
        return type(f"Checked{base.__name__}", (CheckedChangeList, base), {})

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        try:
            return super().get_changelist_instance(request)  # type: ignore[misc,no-any-return]
        except IncorrectLookupParameters:
            messages.warning(request, INVALID_LIST_ADDRESS)  # the redirect that follows shows it
            raise

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponseBase:
        response: HttpResponseBase = super().changelist_view(request, extra_context)  # type: ignore[misc]
        if getattr(response, "template_name", None) == "admin/invalid_setup.html":
            # "?e=1" with a bad query string still: Django's page for that
            # blames the database installation; show the plain list instead.
            return HttpResponseRedirect(request.path)
        return response


def checked_list_admin(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """``admin_class`` with ``CheckedListMixin`` first in its bases."""
    if issubclass(admin_class, CheckedListMixin):
        return admin_class
    return type(
        admin_class.__name__,
        (CheckedListMixin, admin_class),
        {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
    )
