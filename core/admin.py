from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .backup_codes import backup_codes_issue
from .errors import DomainError
from .models import AuditEntry, BackupCodeDevice, OutgoingMail, Site, User

ISSUE_BACKUP_CODES_PERMISSION = "core.add_backupcodedevice"


def _issue_backup_codes(
    model_admin: admin.ModelAdmin[Any], request: HttpRequest, users: list[User]
) -> TemplateResponse | None:
    """Issue new backup codes to ``users`` and show them, this once."""
    issued = []
    for user in users:
        try:
            codes = backup_codes_issue(user=user, actor=request.user)  # type: ignore[arg-type]
        except DomainError as exc:
            model_admin.message_user(request, f"{user.username}: {exc.message}", messages.ERROR)
        else:
            issued.append((user, codes))
    if not issued:
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("New backup codes"),
        "issued": issued,
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/core/backup_codes_issued.html", context)


class UserPasswordChangeForm(AdminPasswordChangeForm):
    # Django joins its translated help text to an English warning, and the
    # joined text is English in every language.
    usable_password_help_text = format_lazy(  # type: ignore[assignment]  # lazy: per request
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    change_password_form = UserPasswordChangeForm
    list_display = ("username", "first_name", "last_name", "is_staff", "site", "library")
    list_select_related = ("site", "library")
    list_filter = ("is_staff", "is_superuser", "is_active", "site", "groups")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("NDL"), {"fields": ("site", "library")}),
    )
    raw_id_fields = ("library",)
    actions = ("issue_backup_codes",)

    def has_issue_backup_codes_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ISSUE_BACKUP_CODES_PERMISSION)

    @admin.action(
        description=_("Issue new backup codes (shown once)"), permissions=["issue_backup_codes"]
    )
    def issue_backup_codes(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> TemplateResponse | None:
        return _issue_backup_codes(self, request, list(queryset.order_by("username")))


@admin.register(BackupCodeDevice)
class BackupCodeDeviceAdmin(admin.ModelAdmin):
    """A staff member's backup codes: how many are left, never the codes.
    New codes come from the "Issue new backup codes" action."""

    list_display = ("user", "name", "codes_left", "last_used_at", "throttling_failure_count")
    list_select_related = ("user",)
    search_fields = ("user__username", "name")
    fields = ("user", "name", "confirmed", "codes_left", "created_at", "last_used_at")
    readonly_fields = ("user", "confirmed", "codes_left", "created_at", "last_used_at")
    actions = ("issue_backup_codes",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[BackupCodeDevice]:
        return super().get_queryset(request).annotate(codes_count=Count("codes"))

    @admin.display(description=_("codes left"))
    def codes_left(self, obj: BackupCodeDevice) -> int:
        return getattr(obj, "codes_count", None) or obj.codes.count()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_issue_backup_codes_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ISSUE_BACKUP_CODES_PERMISSION)

    @admin.action(
        description=_("Issue new backup codes (shown once)"), permissions=["issue_backup_codes"]
    )
    def issue_backup_codes(
        self, request: HttpRequest, queryset: QuerySet[BackupCodeDevice]
    ) -> TemplateResponse | None:
        users = [
            device.user for device in queryset.select_related("user").order_by("user__username")
        ]
        return _issue_backup_codes(self, request, users)


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "name_ja", "code", "fax", "email")
    readonly_fields = ("code",)


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor", "action", "object_type", "object_repr")
    list_select_related = ("actor",)
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "object_id", "action")
    date_hierarchy = "created_at"


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subject", "status", "attempts", "sent_at")
    list_filter = ("status",)
    search_fields = ("subject", "dedupe_key")
