"""The portal's home page for a borrowing library."""

from typing import Any

from django.http import HttpRequest, HttpResponse

from core.portal import library_page, library_required, request_library

from ..selectors_dashboard import DUE_SOON_DAYS, library_dashboard


@library_required
def dashboard(request: HttpRequest) -> HttpResponse:
    def context() -> dict[str, Any]:
        board = library_dashboard(library=request_library(request))
        return {
            "board": board,
            "outstanding": board.outstanding_count,
            "cap": board.cap,
            "due_soon_days": DUE_SOON_DAYS,
        }

    return library_page(
        request,
        page="dashboard",
        template="loans/dashboard.html",
        body_template="loans/_dashboard_body.html",
        context=context,
    )
