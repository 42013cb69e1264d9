"""An admin action on every list: download the selected rows as CSV."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import display_for_field, label_for_field, lookup_field
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _


def _cell(name: Any, obj: Any, model_admin: admin.ModelAdmin) -> str:
    try:
        f, _attr, value = lookup_field(name, obj, model_admin)
    except (AttributeError, ObjectDoesNotExist):
        return ""
    if f is not None:
        value = display_for_field(value, f, "")
    text = strip_tags(str(value if value is not None else ""))
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
