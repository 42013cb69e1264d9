"""The back-office: Django's admin with the NDL work-queue dashboard as its
index, a statistics page, and CSV export on every list."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from .csv_export import export_as_csv
from .dashboard import work_queues
from .statistics import loan_statistics


class NdlAdminSite(admin.AdminSite):
    site_header = _("NDL Interlibrary Loan — back-office")
    site_title = _("NDL ILL back-office")
    index_title = _("Work queues")
    index_template = "admin/ndl_index.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_action(export_as_csv, "export_as_csv")  # type: ignore[arg-type]

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [
            path("statistics/", self.admin_view(self.statistics_view), name="statistics"),
            *super().get_urls(),
        ]

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        context = {**(extra_context or {}), "work_queues": work_queues(user=request.user)}
        return super().index(request, extra_context=context)

    def statistics_view(self, request: HttpRequest) -> TemplateResponse:
        context = {
            **self.each_context(request),
            "title": _("Statistics"),
            "stats": loan_statistics(),
        }
        return TemplateResponse(request, "admin/ndl_statistics.html", context)
