"""The portal's home page for a borrowing library."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.portal import library_required, request_library


@library_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "loans/dashboard.html", {"library": request_library(request)})
