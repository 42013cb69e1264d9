"""Portal views of the catalogue and loan requests (placeholder until issue 3)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.portal import library_required, request_library


@library_required
def search(request: HttpRequest) -> HttpResponse:
    return render(request, "loans/dashboard.html", {"library": request_library(request)})


@library_required
def request_list(request: HttpRequest) -> HttpResponse:
    return render(request, "loans/dashboard.html", {"library": request_library(request)})
