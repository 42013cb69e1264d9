from django.urls import path

from . import views

app_name = "returns"

urlpatterns = [
    path("", views.parcel_list, name="parcel_list"),
    path("new/", views.parcel_create, name="parcel_create"),
    path("label/<int:shipment_pk>.pdf", views.return_label, name="label"),
    path("report/<int:loan_pk>/", views.case_report, name="case_report"),
]
