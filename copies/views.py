"""Portal views of the copy service: ask for a copy of a material (check and
estimate first, then confirm), follow the requests, download the invoices."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalogue.models import Material
from core.errors import DomainError
from core.i18n import current_language
from core.portal import library_required, request_library

from . import selectors
from .forms import ConfirmForm, CopyPartForm, form_errors
from .models import CANCELLABLE_STATUSES, CopyChannel, CopyRequest, CopyStatus
from .pdf import InvoicePdf
from .rules import material_refusals
from .services.requests import (
    copy_refusal_messages,
    copy_request_cancel,
    copy_request_create,
    copy_request_preview,
)

LIST_PAGE_SIZE = 25


def _get_request_for_library(request: HttpRequest, pk: int) -> CopyRequest:
    copy = selectors.library_copy_request_get(library=request_library(request), pk=pk)
    if copy is None:
        raise Http404
    return copy


def _material(request: HttpRequest) -> Material:
    ndl_id = (request.POST.get("material") or request.GET.get("material") or "").strip()
    material = (
        Material.objects.select_related("site").filter(ndl_id=ndl_id).first() if ndl_id else None
    )
    if material is None:
        raise Http404
    return material


@library_required
def request_new(request: HttpRequest) -> HttpResponse:
    """Step 1: the part and how to copy it; step 2: every rule checked and the
    estimated fee shown; step 3: the library confirms and the request is made."""
    library = request_library(request)
    if not (request.POST.get("material") or request.GET.get("material")):
        # Copies are asked for from a material: choose one in the catalogue first.
        return redirect("loans:search")
    material = _material(request)
    language = current_language()
    policy = selectors.policy_for(material_id=material.pk)
    never = [r.message(language) for r in material_refusals(material=material, policy=policy)]
    form = CopyPartForm(request.POST or None)
    preview = None
    step = request.POST.get("step", "")
    if request.method == "POST" and not never:
        if not form.is_valid():
            for error in form_errors(form):
                messages.error(request, error)
        else:
            part = form.part()
            data = form.cleaned_data
            if step == "confirm":
                confirm = ConfirmForm(request.POST)
                if confirm.is_valid():
                    try:
                        copy = copy_request_create(
                            library=library,
                            material=material,
                            part=part,
                            paper_size=data["paper_size"],
                            colour=data["colour"],
                            channel=CopyChannel.PORTAL,
                            actor=request.user,  # type: ignore[arg-type]
                            article_author=data["article_author"],
                            note=data["note"],
                            expected_total=confirm.cleaned_data["expected_total"],
                        )
                    except DomainError as exc:
                        messages.error(request, exc.message)
                    else:
                        messages.success(
                            request,
                            _(
                                "Copy request %(id)s is made. The NDL will send the copies by "
                                "post with the invoice."
                            )
                            % {"id": str(copy)},
                        )
                        return redirect("copies:request_detail", pk=copy.pk)
            preview = copy_request_preview(
                library=library,
                material=material,
                part=part,
                paper_size=data["paper_size"],
                colour=data["colour"],
                language=language,
            )
    return render(
        request,
        "copies/request_new.html",
        {
            "library": library,
            "material": material,
            "never": never,
            "form": form,
            "preview": preview,
            "notes": [n.message(language) for n in preview.check.notes] if preview else [],
            "extent": getattr(material, "page_count", None),
        },
    )


@library_required
def request_list(request: HttpRequest) -> HttpResponse:
    library = request_library(request)
    page = Paginator(selectors.library_copy_requests(library=library), LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    labels = dict(CopyStatus.choices)
    rows: list[dict[str, Any]] = []
    for copy in page:
        invoice = getattr(copy, "invoice", None)
        rows.append({"copy": copy, "status": labels[copy.status], "invoice": invoice})
    return render(
        request,
        "copies/request_list.html",
        {"library": library, "page": page, "rows": rows},
    )


@library_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    copy = _get_request_for_library(request, pk)
    reasons = []
    if copy.status == CopyStatus.REFUSED:
        reasons = copy_refusal_messages(request=copy, language=current_language())
    return render(
        request,
        "copies/request_detail.html",
        {
            "library": request_library(request),
            "copy": copy,
            "invoice": getattr(copy, "invoice", None),
            "reasons": reasons,
            "can_cancel": copy.status in CANCELLABLE_STATUSES,
        },
    )


@require_POST
@library_required
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    copy = _get_request_for_library(request, pk)
    try:
        copy_request_cancel(request=copy, actor=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Copy request %(id)s is cancelled.") % {"id": str(copy)})
    return redirect("copies:request_detail", pk=copy.pk)


@library_required
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.library_invoice_get(library=request_library(request), pk=pk)
    if invoice is None:
        raise Http404
    response = HttpResponse(InvoicePdf(invoice=invoice).render(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="invoice-{invoice.number}.pdf"'
    return response
