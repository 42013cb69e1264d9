from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, OutgoingMail, Site, User


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
