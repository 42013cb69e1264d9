from django.urls import path

from .views import shipping as views

urlpatterns = [
    path("shipments/", views.shipment_list, name="shipment_list"),
    path("shipments/<int:pk>/confirm/", views.shipment_confirm, name="shipment_confirm"),
    path("shipments/<int:pk>/<slug:kind>.pdf", views.shipment_pdf, name="shipment_pdf"),
]
