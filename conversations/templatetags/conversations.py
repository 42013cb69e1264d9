"""Links to a conversation with its unread count, for the pages of other apps
(the portal's dashboard and request page, the admin's change forms)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.urls import reverse

from core.pagecache import library_page_body
from loans.models import LoanRequest
from registration.models import Library

from ..selectors import library_unread_count, library_unread_threads

register = template.Library()


@register.inclusion_tag("conversations/_portal_link.html")
def portal_conversation_link(loan: LoanRequest) -> dict[str, Any]:
    return {
        "url": reverse("conversations:request", kwargs={"pk": loan.pk}),
        "unread": library_unread_count(subject=loan),
    }


@register.simple_tag(takes_context=True)
def portal_unread_messages(context: template.Context) -> str:
    """The dashboard's list of threads with unread messages from the NDL.

    Cached with the library's portal pages (``core.pagecache``): the services
    renew the library's stamp when the NDL writes and when the library reads,
    so a cached dashboard costs no query for it.
    """
    library_id = getattr(context["request"].user, "library_id", None)
    if library_id is None:
        return ""

    def render() -> str:
        items = []
        for thread in library_unread_threads(library_id=library_id):
            if thread.loan_request_id is not None:
                url = reverse("conversations:request", kwargs={"pk": thread.loan_request_id})
            else:
                url = reverse("conversations:registration")
            items.append(
                {"loan_request_id": thread.loan_request_id, "unread": thread.unread, "url": url}
            )
        return render_to_string("conversations/_portal_unread.html", {"items": items})

    return library_page_body(library_id=library_id, page="messages-unread", render=render)


@register.simple_tag
def admin_conversation_url(subject: LoanRequest | Library) -> str:
    from ..admin import conversation_admin_url

    return conversation_admin_url(subject)
