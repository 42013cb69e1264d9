"""The back-office: Django's admin with the NDL work-queue dashboard as its index."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from .dashboard import work_queues


class NdlAdminSite(admin.AdminSite):
    site_header = _("NDL Interlibrary Loan — back-office")
    site_title = _("NDL ILL back-office")
    index_title = _("Work queues")
    index_template = "admin/ndl_index.html"

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        context = {**(extra_context or {}), "work_queues": work_queues(user=request.user)}
        return super().index(request, extra_context=context)
