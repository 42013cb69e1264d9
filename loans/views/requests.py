"""Portal views of the catalogue and loan requests."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from catalogue.rules import loanability, rejection_messages
from catalogue.selectors_search import material_search
from core.errors import DomainError
from core.i18n import current_language
from core.portal import library_page, library_required, request_library

from .. import selectors
from ..forms import RequestItemsForm, SearchForm
from ..models import CANCELLABLE_STATUSES, LOAN_CAP, LoanRequest, LoanStatus, RequestChannel
from ..selectors_dashboard import loan_timeline, status_labels, timeline_labels, ymd
from ..services.requests import loan_request_cancel, loan_request_create

SEARCH_PAGE_SIZE = 20
LIST_PAGE_SIZE = 25


def _get_request_for_library(request: HttpRequest, pk: int) -> LoanRequest:
    loan = selectors.library_request_get(library=request_library(request), pk=pk)
    if loan is None:
        raise Http404
    return loan


@library_required
def search(request: HttpRequest) -> HttpResponse:
    """The catalogue's one search box (``catalogue.selectors_search``): hits in rank
    order, each with its loanability and availability, a constant number of queries."""
    library = request_library(request)
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    hits = material_search(query=query)
    page = Paginator(hits.ids, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    language = current_language()
    rows = [
        (hit, [r.message(language) for r in loanability(hit.material)])
        for hit in selectors.search_hits(ids=list(page))
    ]
    return render(
        request,
        "loans/search.html",
        {
            "library": library,
            "form": form,
            "query": query,
            "page": page,
            "rows": rows,
            "truncated": hits.truncated,
            "outstanding": selectors.library_outstanding_count(library=library),
            "cap": LOAN_CAP,
        },
    )


@require_POST
@library_required
def request_create(request: HttpRequest) -> HttpResponse:
    back = reverse("loans:search")
    if q := request.POST.get("q", "").strip():
        back += "?" + urlencode({"q": q})
    form = RequestItemsForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    try:
        created = loan_request_create(
            library=request_library(request),
            ndl_ids=form.cleaned_data["ndl_ids"],
            channel=RequestChannel.PORTAL,
            actor=request.user,  # type: ignore[arg-type]
        )
    except DomainError as exc:
        if exc.code == "duplicate":
            # The same form sent twice: the first one already did the work.
            messages.info(request, _("These items are already requested."))
            return redirect("loans:request_list")
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        ngettext(
            "%(count)s item requested. The NDL will tell you its decision by email.",
            "%(count)s items requested. The NDL will tell you its decision by email.",
            len(created),
        )
        % {"count": len(created)},
    )
    return redirect("loans:request_list")


@library_required
def request_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in LoanStatus.values:
        status = ""
    page_number = request.GET.get("page", "")
    if not (page_number == "last" or (page_number.isdigit() and len(page_number) < 8)):
        page_number = ""  # what Paginator.get_page() treats as the first page

    def context() -> dict[str, Any]:
        loans = selectors.library_requests(library=request_library(request))
        if status:
            loans = loans.filter(status=status)
        page = Paginator(loans, LIST_PAGE_SIZE).get_page(page_number)
        # Each status translated once, not once per row and option.
        labels = status_labels()
        rows = [(loan, ymd(loan.requested_at), labels[loan.status]) for loan in page]
        return {"page": page, "rows": rows, "status": status, "statuses": list(labels.items())}

    return library_page(
        request,
        page="requests",
        template="loans/request_list.html",
        body_template="loans/_request_list_body.html",
        context=context,
        params=[status, page_number],
    )


@library_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    loan = _get_request_for_library(request, pk)
    reasons = []
    if loan.status == LoanStatus.REJECTED:
        reasons = rejection_messages(
            material=loan.material,
            codes=loan.reject_codes,
            note=loan.reject_note,
            language=current_language(),
        )
    return render(
        request,
        "loans/request_detail.html",
        {
            "library": request_library(request),
            "loan": loan,
            "timeline": loan_timeline(loan, timeline_labels(), status_labels()),
            "reasons": reasons,
            "can_cancel": loan.status in CANCELLABLE_STATUSES,
        },
    )


@require_POST
@library_required
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    loan = _get_request_for_library(request, pk)
    try:
        loan_request_cancel(loan=loan, actor=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Request #%(id)s is cancelled.") % {"id": loan.pk})
    return redirect("loans:request_detail", pk=loan.pk)
