from django.urls import path

from .views import requests as views

urlpatterns = [
    path("search/", views.search, name="search"),
    path("requests/", views.request_list, name="request_list"),
]
