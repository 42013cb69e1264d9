from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.portal import library_required, request_library


@library_required
def details(request: HttpRequest) -> HttpResponse:
    return render(request, "loans/dashboard.html", {"library": request_library(request)})
