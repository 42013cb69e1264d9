"""The library's own registration page in the portal."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from core.portal import library_required, request_library

from .models import Library
from .pdf import DOCUMENTS, document_filename
from .selectors import change_notice_list, library_field_label, registration_office
from .services import LIBRARY_DETAIL_FIELDS


@library_required
def details(request: HttpRequest) -> HttpResponse:
    library = request_library(request)
    notices = [
        {
            "notice": notice,
            "changes": [
                (library_field_label(field), old, new)
                for field, (old, new) in notice.changes.items()
            ],
        }
        for notice in change_notice_list(library=library)
    ]
    context = {
        "library": library,
        "details": [
            (library_field_label(name), _display(library, name)) for name in LIBRARY_DETAIL_FIELDS
        ],
        "documents": [(kind, label) for kind, (label, _cls) in DOCUMENTS.items()],
        "notices": notices,
        "office": registration_office(),
    }
    return render(request, "registration/details.html", context)


def _display(library: Library, name: str) -> str:
    if name == "country":
        return str(library.country.name)
    return str(getattr(library, name) or "")


@library_required
def document(request: HttpRequest, user_id: str, kind: str) -> HttpResponse:
    library = request_library(request)
    # Only the signed-in library's own documents exist for it.
    if not library.user_id or user_id != library.user_id or kind not in DOCUMENTS:
        raise Http404
    pdf = DOCUMENTS[kind][1](library=library).render()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document_filename(library, kind)}"'
    return response
