from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView

from core import views as core_views
from loans.views import dashboard as loans_dashboard

portal_patterns: list[URLPattern | URLResolver] = [
    path("login/", core_views.PortalLoginView.as_view(), name="login"),
    path("logout/", core_views.PortalLogoutView.as_view(), name="logout"),
    path(
        "set-password/<uidb64>/<token>/",
        core_views.PortalPasswordSetView.as_view(),
        name="password_set",
    ),
    path("set-password/done/", core_views.password_set_done, name="password_set_done"),
    path("", loans_dashboard.dashboard, name="dashboard"),
]

handler403 = "core.views.permission_denied"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:dashboard", permanent=False)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include((portal_patterns, "portal"))),
    path("portal/loans/", include("loans.portal_urls")),
    path("portal/registration/", include("registration.portal_urls")),
    path("portal/returns/", include("returns.portal_urls")),
    path("portal/messages/", include("conversations.portal_urls")),
    path("portal/copies/", include("copies.portal_urls")),
    path("iso18626/", include("iso18626.urls")),
]
