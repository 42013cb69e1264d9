"""The portal's search box and the rows of its results, each drawn in one function.

The search page is the portal's busiest: drawn by a template loop, its twenty
rows (a tag, a filter, a translation and a URL per cell) cost more CPU than
the search itself, and crispy-forms' templates drew its one text box for half
as much again. The HTML is what the loop and crispy-forms drew.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import quote

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import template
from django.forms import BoundField
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


@register.simple_tag
def search_field(field: BoundField) -> SafeString:
    """The search box as crispy-forms' Bootstrap 5 pack draws a text field with a
    label and help text; a field with errors is drawn by crispy-forms itself."""
    if field.errors:
        return as_crispy_field(field)
    widget = field.field.widget
    value = field.value()
    shown = "" if value in (None, "") else f' value="{escape(str(value))}"'
    maxlength = widget.attrs.get("maxlength")
    length = f' maxlength="{int(maxlength)}"' if maxlength else ""
    html_id = escape(field.auto_id)
    return mark_safe(  # noqa: S308 - every value is escaped  # nosec B308, B703
        f'<div id="div_{html_id}" class="mb-3">'
        f'<label for="{html_id}" class="form-label">{escape(str(field.label))}</label>'
        f'<input type="text" name="{escape(field.html_name)}"{shown}{length} '
        f'class="textinput form-control" aria-describedby="{html_id}_helptext" id="{html_id}">'
        f'<div id="{html_id}_helptext" class="form-text">{escape(str(field.help_text))}</div>'
        "</div>"
    )
