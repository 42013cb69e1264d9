"""The portal's home page for a borrowing library."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from core.pagecache import library_page_body
from core.portal import library_required, request_library

from ..models import CANCELLABLE_STATUSES
from ..selectors_dashboard import DUE_SOON_DAYS, library_dashboard


@library_required
def dashboard(request: HttpRequest) -> HttpResponse:
    library = request_library(request)

    def body() -> str:
        board = library_dashboard(library=library)
        context = {
            "library": library,
            "board": board,
            "outstanding": board.outstanding_count,
            "cap": board.cap,
            "due_soon_days": DUE_SOON_DAYS,
            "cancellable": CANCELLABLE_STATUSES,
        }
        return render_to_string("loans/_dashboard_body.html", context, request=request)

    page = library_page_body(library_id=library.pk, page="dashboard", render=body)
    return render(request, "loans/dashboard.html", {"library": library, "body": page})
