from django.urls import path

from . import views

app_name = "returns"

urlpatterns = [path("", views.parcel_list, name="parcel_list")]
