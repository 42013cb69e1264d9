"""The rows of the portal's search results, drawn in one function.

The search page is the portal's busiest: drawn by a template loop, its twenty
rows (a tag, a filter, a translation and a URL per cell) cost more CPU than
the search itself. The HTML is what the loop drew.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.i18n import in_japanese

from ..selectors import SearchHit

register = template.Library()


@register.simple_tag
def search_hit_rows(rows: Sequence[tuple[SearchHit, Sequence[str]]]) -> SafeString:
    """The ``<tr>`` of each hit: ``rows`` are ``(hit, loanability reasons)``.

    A hit that is loanable and free has a box to tick; one that is not says
    why (every reason), one that is requested or on loan says so."""
    if not rows:
        return mark_safe(  # noqa: S308 - a translation, escaped  # nosec B308, B703
            f'<tr><td colspan="7">{escape(_("Nothing matches your search."))}</td></tr>'
        )
    copy_url = escape(reverse("copies:request_new"))
    copy_label = escape(_("Request a copy"))
    request_label = _("Request %(id)s")
    not_loanable = (
        f'<span class="badge text-bg-danger">{escape(_("Not loanable"))}</span>'
        '\n      <ul class="small mb-0">'
    )
    taken = (
        '<span class="badge text-bg-warning">'
        f"{escape(_('Loanable, but requested or on loan now'))}</span>"
    )
    loanable = f'<span class="badge text-bg-success">{escape(_("Loanable"))}</span>'
    japanese = in_japanese()
    out = []
    for hit, reasons in rows:
        m = hit.material
        ndl_id = escape(m.ndl_id)
        if reasons or hit.unavailable:
            tick = ""
        else:
            label = escape(request_label % {"id": m.ndl_id})
            tick = (
                f'<input class="form-check-input" type="checkbox" name="ndl_ids" '
                f'value="{ndl_id}" id="item-{int(m.pk)}" aria-label="{label}">'
            )
        title = escape(m.title)
        if m.year:
            title += f" ({int(m.year)})"
        if m.isbn:
            title += f'<br><small class="text-muted">ISBN {escape(m.isbn)}</small>'
        if reasons:
            state = (
                not_loanable + "".join(f"<li>{escape(reason)}</li>" for reason in reasons) + "</ul>"
            )
        elif hit.unavailable:
            state = taken
        else:
            state = loanable
        site = hit.site_name_ja if japanese else hit.site_name
        out.append(
            f"<tr>\n    <td>{tick}</td>\n    <td>{ndl_id}</td>\n    <td>{title}</td>\n"
            f"    <td>{escape(m.responsibility)}</td>\n    <td>{escape(site)}</td>\n"
            f"    <td>{state}</td>\n"
            f'    <td><a href="{copy_url}?material={escape(quote(m.ndl_id, safe="/"))}">'
            f"{copy_label}</a></td>\n  </tr>"
        )
    return mark_safe("\n  ".join(out))  # noqa: S308 - every value is escaped above  # nosec B308, B703
