"""Portal sign-in for borrowing libraries (User ID + password)."""

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
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
    redirect_authenticated_user = True


class PortalLogoutView(auth_views.LogoutView):
    next_page = "portal:login"


class PortalPasswordSetView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_set.html"
    success_url = reverse_lazy("portal:password_set_done")


def password_set_done(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/password_set_done.html")
