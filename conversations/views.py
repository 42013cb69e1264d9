"""The portal's conversation pages: a library's messages with the NDL about
one of its requests, and about its registration."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.portal import library_required, request_library
from loans.models import LoanRequest
from registration.models import Library

from .forms import MessageForm
from .selectors import thread_messages
from .services import message_post, thread_mark_read


def _conversation(
    request: HttpRequest, *, subject: LoanRequest | Library, context: dict[str, Any]
) -> HttpResponse:
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message_post(
                subject=subject,
                author=request.user,  # type: ignore[arg-type]
                body=form.cleaned_data["body"],
            )
        except DomainError as exc:
            form.add_error("body", exc.message)
        else:
            messages.success(request, _("Your message was sent to the NDL."))
            return redirect(request.path)
    thread_mark_read(subject=subject, reader=request.user)  # type: ignore[arg-type]
    return render(
        request,
        "conversations/portal_thread.html",
        {
            "library": request_library(request),
            "thread_messages": list(thread_messages(subject=subject)),
            "form": form,
            **context,
        },
    )


@library_required
def request_conversation(request: HttpRequest, pk: int) -> HttpResponse:
    loan = get_object_or_404(
        LoanRequest.objects.select_related("material"), pk=pk, library=request_library(request)
    )
    return _conversation(
        request,
        subject=loan,
        context={
            "loan": loan,
            "heading": _("Messages about request #%(id)s") % {"id": loan.pk},
        },
    )


@library_required
def registration_conversation(request: HttpRequest) -> HttpResponse:
    library = request_library(request)
    return _conversation(
        request,
        subject=library,
        context={"heading": _("Messages about your registration")},
    )
