from django.urls import path

from . import views

app_name = "conversations"

urlpatterns = [
    path("requests/<int:pk>/", views.request_conversation, name="request"),
    path("registration/", views.registration_conversation, name="registration"),
]
