"""The portal's menu, drawn in one function.

Every portal page draws it; as a template (an include, a URL tag, a filter and
a translation per item) it cost a page more than twenty rows of search hits.
The HTML is what ``base.html`` drew before; the URLs are reversed once per
process (per script prefix), the labels translated per page.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from django import template
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

register = template.Library()

# (URL name, label, what marks the item current: the view's name, a prefix of
# it (ending "_") or the namespace (no colon)).
_ITEMS = (
    ("portal:dashboard", gettext_noop("Dashboard"), "path"),
    ("loans:search", gettext_noop("Search and request"), "loans:search"),
    ("loans:request_list", gettext_noop("My requests"), "loans:request_"),
    ("loans:shipment_list", gettext_noop("Shipments"), "loans:shipment_"),
    ("copies:request_list", gettext_noop("Photocopies"), "copies"),
    ("returns:parcel_list", gettext_noop("Returns"), "returns"),
    ("registration:details", gettext_noop("Registration"), "registration"),
)


@lru_cache(maxsize=8)
def _urls(prefix: str) -> tuple[str, ...]:
    """The items' URLs under the script ``prefix`` (the one ``reverse`` uses now)."""
    return tuple(reverse(name) for name, _label, _current in _ITEMS)


def _is_current(current: str, request: HttpRequest, url: str, view: str, namespace: str) -> bool:
    if current == "path":
        return request.path == url
    if ":" not in current:
        return namespace == current
    if current.endswith("_"):
        return view.startswith(current)
    return view == current


@register.simple_tag(takes_context=True)
def portal_nav(context: template.Context) -> SafeString:
    """The ``<li>`` of each portal page, the current one marked ``aria-current``."""
    request: HttpRequest = context["request"]
    match = request.resolver_match
    view = (match.view_name if match else "") or ""
    namespace = (match.namespace if match else "") or ""
    items = []
    for (_name, label, current), url in zip(_ITEMS, _urls(get_script_prefix()), strict=True):
        mark = ' aria-current="page"' if _is_current(current, request, url, view, namespace) else ""
        items.append(
            f'<li class="nav-item"><a class="nav-link" href="{escape(url)}"{mark}>'
            f"{escape(_(label))}</a></li>"
        )
    return mark_safe("\n".join(items))  # noqa: S308 - every value is escaped above  # nosec B308, B703
