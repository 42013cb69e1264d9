"""Staff's overdue list: what the nightly job flagged, noticed and escalated."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.admin_worklist import WorkListMixin, choice_labels, day, text
from loans.models import HELD_STATUSES, LoanStatus, OverdueLoan

# "Overdue > 30 days" in the staff filter.
LONG_OVERDUE_DAYS = 30


class EscalatedFilter(admin.SimpleListFilter):
    title = _("escalated to staff")
    parameter_name = "escalated"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Escalated")), ("no", _("Not escalated"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(escalated_on__isnull=False)
        if self.value() == "no":
            return queryset.filter(escalated_on__isnull=True)
        return queryset


class OverdueForFilter(admin.SimpleListFilter):
    title = _("overdue for")
    parameter_name = "overdue_for"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("gt30", _("Overdue > 30 days"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "gt30":
            cutoff = timezone.localdate() - dt.timedelta(days=LONG_OVERDUE_DAYS)
            return queryset.filter(due_on__lt=cutoff)
        return queryset


@admin.register(OverdueLoan)
class OverdueLoanAdmin(WorkListMixin, admin.ModelAdmin):
    """Read-only: loans change status through the services, not this list."""

    # "id", not "pk": the admin names that column "ID" (translated), "pk" it
    # showed as "PK" in every language.
    list_display = (
        "id",
        "library",
        "material",
        "due_on",
        "days_overdue",
        "overdue_notices_sent",
        "escalated_on",
        "status",
    )
    list_display_links = ("id",)
    list_select_related = ("library", "material")
    list_filter = (EscalatedFilter, OverdueForFilter, "status")
    search_fields = ("library__name", "library__user_id", "material__ndl_id", "material__title")
    date_hierarchy = "due_on"
    ordering = ("due_on", "pk")
    # Fifty rows like the other work lists: a hundred doubled the time of
    # every view, and the oldest overdue loans come first.
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = (
        "library",
        "material",
        "status",
        "shipment",
        "received_on",
        "due_on",
        "overdue_since",
        "overdue_notices_sent",
        "escalated_on",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # Held loans past their due date, including any the job has not
        # flagged yet (e.g. before tonight's run).
        return (
            super()
            .get_queryset(request)
            .filter(status__in=HELD_STATUSES, due_on__lt=timezone.localdate())
        )

    work_fields = (
        "due_on",
        "overdue_notices_sent",
        "escalated_on",
        "status",
        "library__name",
        "library__user_id",
        "material__ndl_id",
        "material__title",
    )

    def work_page(self, request: HttpRequest, rows: Any) -> dict[str, Any]:
        return {"today": timezone.localdate(), "status": choice_labels(LoanStatus.choices)}

    def work_label(self, row: Any) -> str:
        return f"#{row['pk']} {row['material__ndl_id']}"

    def work_cells(self, row: Any, page: Any) -> dict[str, str]:
        name, user_id = row["library__name"], row["library__user_id"]
        due_on = row["due_on"]
        return {
            "id": str(row["pk"]),
            "library": text(f"{name} ({user_id})" if user_id else name),
            "material": text(f"{row['material__ndl_id']} {row['material__title']}"),
            "due_on": day(due_on),
            "days_overdue": str((page["today"] - due_on).days) if due_on else "-",
            "overdue_notices_sent": str(row["overdue_notices_sent"]),
            "escalated_on": day(row["escalated_on"]),
            "status": text(page["status"].get(row["status"], row["status"])),
        }

    @admin.display(description=_("days overdue"), ordering="due_on")
    def days_overdue(self, obj: OverdueLoan) -> int:
        assert obj.due_on is not None  # noqa: S101 - the queryset filters on due_on  # nosec B101
        return (timezone.localdate() - obj.due_on).days

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
