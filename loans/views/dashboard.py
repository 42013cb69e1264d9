"""The portal's home page for a borrowing library."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.portal import library_required, request_library

from .. import selectors
from ..models import CANCELLABLE_STATUSES, LOAN_CAP


@library_required
def dashboard(request: HttpRequest) -> HttpResponse:
    library = request_library(request)
    return render(
        request,
        "loans/dashboard.html",
        {
            "library": library,
            "outstanding": selectors.library_outstanding_count(library=library),
            "cap": LOAN_CAP,
            "open_requests": selectors.library_open_requests(library=library),
            "cancellable": CANCELLABLE_STATUSES,
        },
    )
