"""The back-office: Django's admin with the NDL work-queue dashboard as its
index, a statistics page, and CSV export on every list."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.admin_lists import checked_list_admin
from core.fields import is_row_id
from core.models import BackupCodeDevice
from core.roles import permission_require

from .csv_export import export_as_csv
from .dashboard import work_queues
from .statistics import loan_statistics


class StaffOTPAuthenticationForm(OTPAdminAuthenticationForm):
    """Staff login: username, password, and a one-time code.

    Staff type either the six-digit code of their authenticator app (TOTP) or
    one of their printed backup codes; the form picks the device by the shape
    of the code instead of asking staff to choose one.
    """

    # django-otp has no Japanese catalogue: its messages, in our own words.
    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "token_required": _("Enter the one-time code."),
        "invalid_token": _(
            "This one-time code is not valid. Check the code and try again; "
            "each backup code works only once."
        ),
        "n_failed_attempts": ngettext_lazy(
            "Codes are not checked for a while after %(failure_count)d failed attempt; "
            "try again in a few minutes.",
            "Codes are not checked for a while after %(failure_count)d failed attempts; "
            "try again in a few minutes.",
            "failure_count",
        ),
        "verification_not_allowed": _("Codes cannot be checked at the moment."),
        "device_required": _("Choose a device."),
        "not_interactive": _("This device cannot send a code."),
        "challenge_exception": _("The code could not be sent: {0}"),
        "challenge_message": _("Code sent: {0}"),
    }

    def _chosen_device(self, user: Any) -> Device | None:
        device = super()._chosen_device(user)
        if device is not None:
            return device
        token = (self.cleaned_data.get("otp_token") or "").strip()
        model = TOTPDevice if token.isdigit() and len(token) == 6 else BackupCodeDevice
        return model.objects.filter(user=user, confirmed=True).first()


_View = TypeVar("_View", bound=Callable[..., Any])


class NdlAdminSite(admin.AdminSite):
    site_header = _("NDL Interlibrary Loan — back-office")
    site_title = _("NDL ILL back-office")
    index_title = _("Work queues")
    index_template = "admin/ndl_index.html"
    # No "View site": the portal is for libraries, and a staff session there
    # would only be sent to the portal's sign-in.
    site_url = None
    # Who may open the statistics page (and see its link on the index).
    STATISTICS_PERMISSION = "loans.view_loanrequest"
    # Who sees the links to the lending desk and the pull slips (lending staff).
    DESK_PERMISSION = "loans.change_pullqueueitem"

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # Read per request so tests can switch the second factor on and off.
        if settings.NDL_ADMIN_REQUIRE_OTP:
            self.login_form = StaffOTPAuthenticationForm
            self.login_template = "admin/ndl_login_otp.html"
        else:
            self.login_form = AdminAuthenticationForm
            self.login_template = None
        return super().login(request, extra_context)

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        return not settings.NDL_ADMIN_REQUIRE_OTP or request.user.is_verified()  # type: ignore[union-attr]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wrapped_views: dict[tuple[Any, bool], Any] = {}
        self.add_action(export_as_csv, "export_as_csv")  # type: ignore[arg-type]

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        # Every model the user may see, with its links: built only when a
        # page draws it (the navigation sidebar, the index). The work lists
        # draw no sidebar, and building it was a tenth of their time.
        if app_label is not None:
            return super().get_app_list(request, app_label)
        return cast(
            list[Any], SimpleLazyObject(lambda: super(NdlAdminSite, self).get_app_list(request))
        )

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        # Every list, third-party ones too, checks its query string first.
        admin_class = checked_list_admin(admin_class or admin.ModelAdmin)
        super().register(model_or_iterable, admin_class, **options)

    def admin_view(self, view: _View, cacheable: bool = False) -> _View:
        """Every admin view, with the selection of a list action checked first:
        the admin would turn a tampered id into a server error.

        Wrapped once per view: a ModelAdmin's URLs call this on every request
        (``ModelAdmin.get_urls``' ``wrap``), and building the CSRF and cache
        decorators again cost a tenth of a work list's time."""
        key = (view, cacheable)
        wrapped = self._wrapped_views.get(key)
        if wrapped is None:
            wrapped = self._wrapped_views[key] = self._admin_view(view, cacheable)
        return wrapped

    def _admin_view(self, view: _View, cacheable: bool) -> _View:
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            if request.method == "POST" and not all(map(is_row_id, selected)):
                messages.error(request, _("The selection was not valid: select the items again."))
                return HttpResponseRedirect(request.get_full_path())
            return inner(request, *args, **kwargs)

        return cast(_View, checked)

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [
            path("statistics/", self.admin_view(self.statistics_view), name="statistics"),
            *super().get_urls(),
        ]

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        context = {
            **(extra_context or {}),
            "work_queues": work_queues(user=request.user),  # type: ignore[arg-type]
            "can_see_statistics": request.user.has_perm(self.STATISTICS_PERMISSION),
            "can_use_desk": request.user.has_perm(self.DESK_PERMISSION),
        }
        return super().index(request, extra_context=context)

    def statistics_view(self, request: HttpRequest) -> TemplateResponse:
        permission_require(request.user, self.STATISTICS_PERMISSION)
        context = {
            **self.each_context(request),
            "title": _("Statistics"),
            "stats": loan_statistics(),
        }
        return TemplateResponse(request, "admin/ndl_statistics.html", context)
