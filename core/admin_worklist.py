"""The back-office work lists, drawn from plain rows.

Measured on the benchmark data (a million loans, 200,000 shipments): every
query of the work lists but one ran in under a millisecond in PostgreSQL,
and a view still cost 30-50 ms of CPU. Two thirds of it went into Django's
changelist drawing each cell (``items_for_result``: a field look-up, a
display function, ``format_html`` and a template node per cell, a model
instance per row and per related row); the one slow query was the count of
200,000 shipments for the paginator (32 ms, a parallel scan of a whole
index).

``WorkListMixin`` keeps everything the admin's list does (filters, search,
sorting, actions, pagination, the list's filters kept after an action) and
changes only two things: the page's rows are read with ``values()`` and drawn
by one function per list from those plain rows (``work_cells``), and the
paginator counts at most ``COUNT_CAP`` + 1 rows, saying "more than 10,000"
above that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import cached_property
from html import escape
from types import SimpleNamespace
from typing import Any, ClassVar

from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_list import (
    pagination,
    paginator_number,
    result_headers,
)
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.admin_rows import QuickRowsChangeList, QuickRowsMixin

# Above this many rows a list says "more than 10,000" instead of counting.
COUNT_CAP = 10_000
# What an empty cell shows (the admin's own ``empty_value_display``).
EMPTY = "-"


class Row(dict[str, Any]):
    """One row of a work list's page: the ``values()`` of one object, read
    as ``row["field"]`` or, like the admin's objects, ``row.pk``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class CappedPaginator(Paginator):
    """Counts at most ``COUNT_CAP`` + 1 rows: ``SELECT count(*) FROM (… LIMIT
    10001)``. Pages past the cap are not offered; search or filter instead."""

    @cached_property
    def count(self) -> int:
        object_list: Any = self.object_list
        if hasattr(object_list, "query"):
            return int(object_list[: COUNT_CAP + 1].count())
        return len(object_list)

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP


def text(value: Any) -> str:
    """A value as escaped HTML, ``-`` when empty."""
    if value is None or value == "":
        return EMPTY
    return escape(str(value))


def day(value: dt.date | None) -> str:
    """A date as ``2026-11-30``: the same in both languages and narrow."""
    return value.isoformat() if value else EMPTY


def moment(value: dt.datetime | None) -> str:
    """A time as ``2026-11-30 14:05`` in the site's time zone (Tokyo)."""
    if value is None:
        return EMPTY
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def link(url: str, label: str) -> str:
    """``<a href>`` with an escaped URL around an already escaped label."""
    return f'<a href="{escape(url)}">{label}</a>'


class WorkListChangeList(QuickRowsChangeList):
    """The admin's changelist, whose page holds plain rows (dicts from
    ``values()``) drawn by the model admin's ``work_cells``."""

    model_admin: Any

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.count_capped = bool(getattr(self.paginator, "capped", False))
        if self.count_capped:
            # The search bar then shows no "10001 results": the paginator's
            # line says "more than 10,000".
            self.full_result_count = self.result_count
        self.result_list = self.model_admin.work_rows(request, self.result_list)
        self.work_context = self.model_admin.work_page(request, self.result_list)

    def work_body(self) -> SafeString:
        """The ``<tbody>`` rows: one string per row, no template per cell."""
        admin = self.model_admin
        names = [name for name in self.list_display if name != "action_checkbox"]
        checkbox = "action_checkbox" in self.list_display
        given = self.list_display_links
        links = set(names[:1] if given is not None and not given else (given or ()))
        select = _("Select this object for an action - {}")
        rows = []
        for row in self.result_list:
            cells = admin.work_cells(row, self.work_context)
            parts = ["<tr>"]
            if checkbox:
                parts.append(
                    '<td class="action-checkbox"><input type="checkbox" name="{}" value="{}" '
                    'class="action-select" aria-label="{}"></td>'.format(
                        helpers.ACTION_CHECKBOX_NAME,
                        row["pk"],
                        escape(select.format(admin.work_label(row))),
                    )
                )
            first = True
            for name in names:
                html = cells[name]
                if name in links:
                    tag = "th" if first else "td"
                    first = False
                    html = link(self.url_for_pk(row["pk"]), html)
                else:
                    tag = "td"
                parts.append(f'<{tag} class="field-{name}">{html}</{tag}>')
            parts.append("</tr>")
            rows.append("".join(parts))
        return mark_safe("\n".join(rows))  # noqa: S308 - every value is escaped above  # nosec B308, B703

    def url_for_pk(self, pk: Any) -> str:
        return self.url_for_result(SimpleNamespace(**{self.pk_attname: pk}))

    @cached_property
    def work_headers(self) -> list[dict[str, Any]]:
        """The column headers as the admin makes them (sorting links)."""
        return list(result_headers(self))

    def work_sorted_fields(self) -> int:
        return sum(1 for h in self.work_headers if h["sortable"] and h["sorted"])

    def work_pagination(self) -> SafeString:
        """The admin's paginator line; "more than 10,000 …" past the cap."""
        context = pagination(self)
        numbers = (
            "".join(str(paginator_number(self, i)) for i in context["page_range"])
            if context["pagination_required"]
            else ""
        )
        opts = self.opts
        if self.count_capped:
            count = _("more than %(count)s %(items)s") % {
                "count": number_format(COUNT_CAP, force_grouping=True),
                "items": opts.verbose_name_plural,
            }
        else:
            count = (
                f"{self.result_count} "
                f"{opts.verbose_name if self.result_count == 1 else opts.verbose_name_plural}"
            )
        return mark_safe(  # noqa: S308 - paginator_number's HTML and escaped text  # nosec B308, B703
            f'<p class="paginator">{numbers} {escape(count)}</p>'
        )


class WorkListMixin(QuickRowsMixin):
    """For the ModelAdmin of a work list. Subclasses give ``work_fields`` (the
    ``values()`` of a row; ``pk`` is always read) and ``work_cells(row)``:
    escaped HTML for each name of ``list_display``."""

    change_list_template: ClassVar[Any] = "admin/ndl_work_list.html"
    work_fields: tuple[str, ...] = ()

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return WorkListChangeList

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: Any,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> Paginator:
        return CappedPaginator(queryset, per_page, orphans, allow_empty_first_page)

    def work_rows(self, request: HttpRequest, page: Any) -> list[Row]:
        """The page's rows as ``Row``s: one query (``page`` is the admin's sliced
        queryset, filtered, searched and sorted)."""
        return [Row(row) for row in page.values("pk", *self.work_fields)]

    def work_page(self, request: HttpRequest, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """What every row of the page needs (labels, links, a look-up for the
        whole page), made once; handed to ``work_cells``."""
        return {}

    def work_cells(self, row: Mapping[str, Any], page: Mapping[str, Any]) -> dict[str, str]:
        raise NotImplementedError

    def work_label(self, row: Mapping[str, Any]) -> str:
        """What the row's checkbox names for a screen reader."""
        return f"#{row['pk']}"


def choice_labels(choices: Iterable[tuple[Any, Any]]) -> dict[Any, str]:
    """Translated labels of a field's choices, once per page."""
    return {value: str(label) for value, label in choices}
