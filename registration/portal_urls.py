from django.urls import path

from . import views

app_name = "registration"

urlpatterns = [
    path("", views.details, name="details"),
    path("documents/<str:user_id>/<slug:kind>/", views.document, name="document"),
]
