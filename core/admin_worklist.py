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

from django.conf import settings
from django.contrib.admin import helpers
from django.contrib.admin.options import IS_FACETS_VAR, IS_POPUP_VAR, IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_list import (
    admin_list_filter,
    date_hierarchy,
    pagination,
    paginator_number,
    result_headers,
)
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.core.paginator import InvalidPage, Paginator
from django.db import models
from django.db.models.functions import Trunc
from django.http import HttpRequest
from django.templatetags.static import static
from django.utils import formats, timezone
from django.utils.encoding import iri_to_uri
from django.utils.formats import number_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.admin_rows import QuickRowsChangeList, QuickRowsMixin

# Above this many rows a list says "more than 10,000" instead of counting.
COUNT_CAP = 10_000
# What an empty cell shows (the admin's own ``empty_value_display``).
EMPTY = "-"
# A filter's chosen value in the sidebar.
SELECTED = '<li class="selected">'


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
            # Unordered: any 10,001 rows count the same, with no sort to compile or run.
            return int(object_list.order_by()[: COUNT_CAP + 1].count())
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
        """Django's ``ChangeList.get_results``, except that the first page is
        read before the list is counted: a list that fits on it (most work
        queues) then needs no count, and a longer one is counted (at most
        ``COUNT_CAP`` + 1 rows) with its first page already read."""
        per_page = self.list_per_page
        first: list[Row] | None = None
        if self.page_num == 1 and not self.show_all:
            first = self.model_admin.work_rows(request, self.queryset[: per_page + 1])
        paginator = self.model_admin.get_paginator(request, self.queryset, per_page)
        self._work_days: list[Any] | None = None
        if first is not None and len(first) <= per_page:
            paginator.__dict__["count"] = len(first)  # the whole list: no count query
        elif first is not None and self._work_hierarchy_at_top():
            # Longer than a page, with the date hierarchy's first view to
            # draw: one query gives its days and the count.
            days, total = self._work_days_and_count()
            self._work_days = days
            paginator.__dict__["count"] = min(total, COUNT_CAP + 1)
        result_count = paginator.count
        full_result_count = (
            self.root_queryset.count() if self.model_admin.show_full_result_count else None
        )
        self.can_show_all = result_count <= self.list_max_show_all
        self.multi_page = result_count > per_page
        if first is not None:
            rows = first[:per_page]
        elif (self.show_all and self.can_show_all) or not self.multi_page:
            rows = self.model_admin.work_rows(request, self.queryset._clone())
        else:
            try:
                page = paginator.page(self.page_num).object_list
            except InvalidPage as exc:
                raise IncorrectLookupParameters from exc
            rows = self.model_admin.work_rows(request, page)
        self.result_count = result_count
        self.show_full_result_count = self.model_admin.show_full_result_count
        # Actions are shown if there is at least one row, or if the rows
        # are not counted (Django's rule).
        self.show_admin_actions = not self.show_full_result_count or bool(full_result_count)
        self.full_result_count = full_result_count
        self.paginator = paginator
        self.count_capped = bool(getattr(paginator, "capped", False))
        if self.count_capped:
            # The search bar then shows no "10001 results": the paginator's
            # line says "more than 10,000".
            self.full_result_count = self.result_count
        self.result_list = rows
        self.work_context = self.model_admin.work_page(request, rows)

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

    def work_head(self) -> SafeString:
        """The ``<thead>``: Django's ``change_list_results.html`` headers."""
        headers = self.work_headers
        several = sum(1 for h in headers if h["sortable"] and h["sorted"]) > 1
        parts = ["<thead>", "<tr>"]
        for header in headers:
            label = header["text"]
            # ``capfirst`` as the template filter: safe HTML (the checkbox) stays safe.
            label = label if isinstance(label, SafeData) else escape(capfirst(str(label)))
            parts.append(f'<th scope="col"{header["class_attrib"]}>')
            if header["sortable"] and header["sort_priority"] > 0:
                parts.append(
                    '<div class="sortoptions">'
                    f'<a class="sortremove" href="{escape(header["url_remove"])}" '
                    f'title="{escape(_("Remove from sorting"))}"></a>'
                )
                if several:
                    priority = _("Sorting priority: %(priority_number)s") % {
                        "priority_number": header["sort_priority"]
                    }
                    parts.append(
                        f'<span class="sortpriority" title="{escape(priority)}">'
                        f"{header['sort_priority']}</span>"
                    )
                order = "ascending" if header["ascending"] else "descending"
                parts.append(
                    f'<a href="{escape(header["url_toggle"])}" class="toggle {order}" '
                    f'title="{escape(_("Toggle sorting"))}"></a></div>'
                )
            if header["sortable"]:
                parts.append(
                    f'<div class="text"><a href="{escape(header["url_primary"])}">{label}</a></div>'
                )
            else:
                parts.append(f'<div class="text"><span>{label}</span></div>')
            parts.append('<div class="clear"></div></th>')
        parts += ["</tr>", "</thead>"]
        return mark_safe("".join(parts))  # noqa: S308 - every value is escaped above  # nosec B308, B703

    def work_search(self) -> SafeString:
        """The search bar: ``templates/admin/search_form.html``, drawn here."""
        if not self.search_fields:
            return SafeString("")
        described = ' aria-describedby="searchbar_helptext"' if self.search_help_text else ""
        parts = [
            '<div id="toolbar"><form id="changelist-search" method="get" role="search">',
            "<div><!-- DIV needed for valid HTML -->",
            f'<label for="searchbar"><img src="{escape(static("admin/img/search.svg"))}" '
            f'alt="{escape(_("Search"))}"></label>',
            f'<input type="text" size="40" name="{SEARCH_VAR}" value="{escape(self.query)}" '
            f'id="searchbar"{described}>',
            f'<input type="submit" value="{escape(_("Search"))}">',
        ]
        if self.result_count != self.full_result_count:
            found = ngettext("%(counter)s result", "%(counter)s results", self.result_count) % {
                "counter": self.result_count
            }
            query = "&".join(
                part
                for part in (
                    f"{IS_POPUP_VAR}=1" if self.is_popup else "",
                    IS_FACETS_VAR if self.add_facets else "",
                )
                if part
            )
            if self.show_full_result_count:
                every = _("%(full_result_count)s total") % {
                    "full_result_count": self.full_result_count
                }
            else:
                every = _("Show all")
            parts.append(
                f'<span class="small quiet">{escape(found)} '
                f'(<a href="?{escape(query)}">{escape(every)}</a>)</span>'
            )
        parts += [
            f'<input type="hidden" name="{escape(name)}" value="{escape(str(value))}">'
            for name, value in self.params.items()
            if name != SEARCH_VAR
        ]
        parts.append("</div>")
        if self.search_help_text:
            parts.append(
                '<br class="clear"><div class="help" id="searchbar_helptext">'
                f"{conditional_escape(self.search_help_text)}</div>"
            )
        parts.append("</form></div>")
        return mark_safe("\n".join(parts))  # noqa: S308 - every value is escaped above  # nosec B308, B703

    def work_date_hierarchy(self) -> SafeString:
        """The date hierarchy's links (``admin/date_hierarchy.html``).

        Django's, except on the list's first view (no year, month or day
        chosen): Django reads the first and last dates (one query), then the
        years, months or days to offer (a second); here the days are read in
        one query and the first level with more than one choice is offered
        from them, as Django would."""
        field_name = self.date_hierarchy
        if not field_name:
            return SafeString("")
        generic = f"{field_name}__"
        if any(key.startswith(generic) for key in self.params):
            context = date_hierarchy(self)
        else:
            context = self._work_first_dates(field_name)
        if not context or not context.get("show"):
            return SafeString("")
        parts = ['<nav class="toplinks">']
        back = context.get("back")
        if back:
            parts.append(
                f'<a href="{escape(back["link"])}" class="date-back">&lsaquo; '
                f"{escape(str(back['title']))}</a>"
            )
        for choice in context["choices"]:
            title = escape(str(choice["title"]))
            link = choice.get("link")
            parts.append(f'<a href="{escape(link)}">{title}</a>' if link else title)
        parts.append("</nav>")
        return mark_safe("\n".join(parts))  # noqa: S308 - every value is escaped above  # nosec B308, B703

    def _work_hierarchy_at_top(self) -> bool:
        """The date hierarchy is shown at its first level (no date chosen)."""
        if not self.date_hierarchy:
            return False
        generic = f"{self.date_hierarchy}__"
        return not any(key.startswith(generic) for key in self.params)

    def _work_day_expression(self) -> Trunc:
        """The day of the date hierarchy's field, as ``QuerySet.dates()`` and
        ``datetimes()`` truncate it (a local day for a date and time)."""
        field_name = self.date_hierarchy
        field = get_fields_from_path(self.model, field_name)[-1]
        if isinstance(field, models.DateTimeField):
            tzinfo = timezone.get_current_timezone() if settings.USE_TZ else None
            return Trunc(field_name, "day", output_field=models.DateTimeField(), tzinfo=tzinfo)
        return Trunc(field_name, "day", output_field=models.DateField())

    def _work_days_and_count(self) -> tuple[list[Any], int]:
        """The list's days (what ``dates()``/``datetimes()`` give) and its
        number of rows, in one grouped query."""
        queryset = self.queryset
        groups = (
            queryset.order_by()
            .annotate(ndl_day=self._work_day_expression())
            .values("ndl_day")
            .annotate(ndl_rows=models.Count("pk", distinct=queryset.query.distinct))
            .order_by("ndl_day")
        )
        days, total = [], 0
        for group in groups:
            total += group["ndl_rows"]
            if group["ndl_day"] is not None:
                days.append(group["ndl_day"])
        return days, total

    def _work_first_dates(self, field_name: str) -> dict[str, Any]:
        days = self._work_days
        if days is None:
            field = get_fields_from_path(self.model, field_name)[-1]
            kind = "datetimes" if isinstance(field, models.DateTimeField) else "dates"
            # Local days for a date and time (the time zone's), as Django's own.
            days = list(getattr(self.queryset, kind)(field_name, "day"))
        year_field, month_field = f"{field_name}__year", f"{field_name}__month"
        day_field = f"{field_name}__day"

        def link(filters: dict[str, Any]) -> str:
            return str(self.get_query_string(filters, [f"{field_name}__"]))

        if not days:
            return {"show": True, "back": None, "choices": []}
        first, last = days[0], days[-1]
        if (first.year, first.month) == (last.year, last.month):
            return {
                "show": True,
                "back": {"link": link({year_field: first.year}), "title": str(first.year)},
                "choices": [
                    {
                        "link": link(
                            {
                                year_field: first.year,
                                month_field: first.month,
                                day_field: d.day,
                            }
                        ),
                        "title": capfirst(formats.date_format(d, "MONTH_DAY_FORMAT")),
                    }
                    for d in days
                ],
            }
        if first.year == last.year:
            months = sorted({d.replace(day=1) for d in days})
            return {
                "show": True,
                "back": {"link": link({}), "title": _("All dates")},
                "choices": [
                    {
                        "link": link({year_field: first.year, month_field: m.month}),
                        "title": capfirst(formats.date_format(m, "YEAR_MONTH_FORMAT")),
                    }
                    for m in months
                ],
            }
        years = sorted({d.year for d in days})
        return {
            "show": True,
            "back": None,
            "choices": [{"link": link({year_field: str(y)}), "title": str(y)} for y in years],
        }

    def work_filters(self) -> SafeString:
        """The filters sidebar as the admin draws it (``admin/filter.html`` per
        filter), each filter's choices in one string."""
        if not self.has_filters:
            return SafeString("")
        parts = [
            '<nav id="changelist-filter" aria-labelledby="changelist-filter-header">',
            f'<h2 id="changelist-filter-header">{escape(_("Filter"))}</h2>',
        ]
        if self.is_facets_optional or self.has_active_filters:
            parts.append('<div id="changelist-filter-extra-actions">')
            if self.is_facets_optional:
                if self.add_facets:
                    facets = (self.remove_facet_link, "hidelink", _("Hide counts"))
                else:
                    facets = (self.add_facet_link, "viewlink", _("Show counts"))
                parts.append(
                    f'<h3><a href="{escape(facets[0])}" class="{facets[1]}">'
                    f"{escape(facets[2])}</a></h3>"
                )
            if self.has_active_filters:
                parts.append(
                    f'<h3><a href="{escape(self.clear_all_filters_qs)}">&#10006; '
                    f"{escape(_('Clear all filters'))}</a></h3>"
                )
            parts.append("</div>")
        for spec in self.filter_specs:
            if spec.template != "admin/filter.html":
                parts.append(str(admin_list_filter(self, spec)))  # type: ignore[arg-type]
                continue
            title = escape(str(spec.title))
            parts += [
                f'<details data-filter-title="{title}" open>',
                f"<summary>{_(' By %(filter_title)s ') % {'filter_title': title}}</summary>",
                "<ul>",
            ]
            parts += [
                (SELECTED if choice["selected"] else "<li>")
                + f'<a href="{escape(iri_to_uri(choice["query_string"]))}">'
                f"{conditional_escape(choice['display'])}</a></li>"
                for choice in spec.choices(self)
            ]
            parts += ["</ul>", "</details>"]
        parts.append("</nav>")
        return mark_safe("\n".join(parts))  # noqa: S308 - every value is escaped above  # nosec B308, B703

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
