"""Portal sign-in for borrowing libraries (User ID + password), the
set-password link, and the "not allowed" page of admin and portal."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic.edit import FormView

from .fields import UserIdField

# Where the set-password pages keep the link's token between the emailed URL
# and the form (see PortalPasswordSetView); an hour is enough to type a password.
LINK_COOKIE = "ndl_password_set"
LINK_COOKIE_AGE = 3600
LINK_COOKIE_PATH = "/portal/set-password/"


class PortalAuthenticationForm(AuthenticationForm):
    # Read as typed (full-width, lower-case, any dash): ILL-JP-00001.
    username = UserIdField(label=_("User ID"), max_length=150)

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The User ID or password is not correct. The password is case-sensitive."
        ),
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
    """The emailed single-use link to choose a password.

    As in Django, the link's token is moved out of the URL at once (so no
    Referer header carries it), but into a short-lived signed cookie limited
    to these pages instead of the session: the session is a database row, and
    no row or backup may hold a token that opens an account.
    """

    template_name = "portal/password_set.html"
    success_url = reverse_lazy("portal:password_set_done")

    @method_decorator(sensitive_post_parameters())
    @method_decorator(never_cache)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.validlink = False
        self.user = self.get_user(kwargs["uidb64"])
        token = kwargs["token"]
        if self.user is not None:
            if token == self.reset_url_token:
                kept = request.get_signed_cookie(
                    LINK_COOKIE, default=None, salt=LINK_COOKIE, max_age=LINK_COOKIE_AGE
                )
                if self.token_generator.check_token(self.user, kept):
                    self.validlink = True
                    # FormView's dispatch: the parent's would look in the session.
                    return FormView.dispatch(self, request, *args, **kwargs)
            elif self.token_generator.check_token(self.user, token):
                response = HttpResponseRedirect(request.path.replace(token, self.reset_url_token))
                response.set_signed_cookie(
                    LINK_COOKIE,
                    token,
                    salt=LINK_COOKIE,
                    max_age=LINK_COOKIE_AGE,
                    path=LINK_COOKIE_PATH,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
                return response
        return self.render_to_response(self.get_context_data())

    def form_valid(self, form: Any) -> HttpResponse:
        form.save()  # a new password hash: the token stops working
        response = HttpResponseRedirect(self.get_success_url())
        response.delete_cookie(LINK_COOKIE, path=LINK_COOKIE_PATH, samesite="Lax")
        return response


def password_set_done(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/password_set_done.html")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page: inside the admin's frame for staff, the portal's otherwise."""
    if request.path.startswith(reverse("admin:index")) and request.user.is_staff:
        context = {**admin.site.each_context(request), "title": _("You may not open this page")}
        return render(request, "admin/403.html", context, status=403)
    return render(request, "portal/403.html", status=403)
