"""Portal sign-in for borrowing libraries (User ID + password), the
set-password link, and the "not allowed" page of admin and portal."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

from .fields import UserIdField


class PortalAuthenticationForm(AuthenticationForm):
    # Read as typed (full-width, lower-case, any dash): ILL-JP-00001.
    username = UserIdField(label=_("User ID"), max_length=150)

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The User ID or password is not correct. Both are case-sensitive."),
        "not_library": _("This sign-in is for registered libraries. NDL staff use the admin."),
    }

    def confirm_login_allowed(self, user) -> None:  # type: ignore[no-untyped-def]
        super().confirm_login_allowed(user)
        if user.library_id is None:
            raise forms.ValidationError(self.error_messages["not_library"], code="not_library")


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = PortalAuthenticationForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # A signed-in library goes straight to its dashboard; anyone else
        # signed in (NDL staff) gets the form, since the dashboard would only
        # send them back here.
        self.redirect_authenticated_user = bool(getattr(request.user, "is_library", False))
        return super().dispatch(request, *args, **kwargs)


class PortalLogoutView(auth_views.LogoutView):
    next_page = "portal:login"


class PortalPasswordSetView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_set.html"
    success_url = reverse_lazy("portal:password_set_done")


def password_set_done(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/password_set_done.html")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page: inside the admin's frame for staff, the portal's otherwise."""
    if request.path.startswith(reverse("admin:index")) and request.user.is_staff:
        context = {**admin.site.each_context(request), "title": _("You may not open this page")}
        return render(request, "admin/403.html", context, status=403)
    return render(request, "portal/403.html", status=403)
