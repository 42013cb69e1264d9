from django.urls import path

from . import views

app_name = "iso18626"
urlpatterns = [path("", views.endpoint, name="endpoint")]
