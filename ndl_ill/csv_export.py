"""An admin action on every list: download the selected rows as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import display_for_value, label_for_field, lookup_field
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.hashable import make_hashable
from django.utils.html import strip_tags
from django.utils.safestring import SafeData
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# What a boolean column exports.
YES = pgettext_lazy("CSV cell of a yes/no column", "yes")
NO = pgettext_lazy("CSV cell of a yes/no column", "no")


def _text(value: Any, field: Any, attr: Any) -> str:
    """What a cell means to its reader, in the reader's language: "yes"/"no"
    for a boolean, a choice's label, a date as YYYY-MM-DD, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, bool) or getattr(attr, "boolean", False):
        return str(YES if value else NO)
    if field is not None and getattr(field, "flatchoices", None):
        return str(dict(make_hashable(field.flatchoices)).get(make_hashable(value), value))
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, Decimal, float)):
        return str(value)  # no thousands separator: spreadsheets read it as a number
    if isinstance(field, models.JSONField):
        return json.dumps(value, ensure_ascii=False, cls=field.encoder)
    if isinstance(value, SafeData):  # HTML made by a list column (links, lists)
        return html.unescape(strip_tags(str(value)))
    return str(display_for_value(value, ""))


def _cell(name: Any, obj: Any, model_admin: admin.ModelAdmin) -> str:
    try:
        field, attr, value = lookup_field(name, obj, model_admin)
    except (AttributeError, ObjectDoesNotExist):
        return ""
    text = _text(value, field, attr)
    if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
        return text  # a negative number is a number, not a formula
    # Spreadsheets run cells that start with these as formulas.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


@admin.action(description=_("Export selected rows as CSV"))
def export_as_csv(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse:
    columns = [c for c in model_admin.get_list_display(request) if c != "action_checkbox"]
    meta = model_admin.model._meta
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{meta.model_name}-{stamp}.csv"'
    response.write("\ufeff")  # so spreadsheet programs read UTF-8 (Japanese) correctly
    writer = csv.writer(response)
    writer.writerow([str(label_for_field(c, model_admin.model, model_admin)) for c in columns])
    for obj in queryset:
        writer.writerow([_cell(c, obj, model_admin) for c in columns])
    return response
