from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from core import views as core_views

portal_patterns = [
    path("login/", core_views.PortalLoginView.as_view(), name="login"),
    path("logout/", core_views.PortalLogoutView.as_view(), name="logout"),
    path(
        "set-password/<uidb64>/<token>/",
        core_views.PortalPasswordSetView.as_view(),
        name="password_set",
    ),
    path("set-password/done/", core_views.password_set_done, name="password_set_done"),
    path("", include("loans.portal_urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:dashboard", permanent=False)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include((portal_patterns, "portal"))),
    path("portal/registration/", include("registration.portal_urls")),
    path("portal/returns/", include("returns.portal_urls")),
]
