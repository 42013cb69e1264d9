"""Tags of the back-office work lists' page (``admin/ndl_work_list.html``).

Django's ``{% admin_actions %}`` draws the action bar through the form
renderer's widget templates, which cost a work list more than its fifty rows
(see ``core/admin_worklist.py``): ``work_actions`` draws the same HTML in one
function, so the admin's ``actions.js`` works unchanged. ``work_url``
reverses an admin URL once per process, ``work_media`` draws the list's
scripts and style sheets.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.admin_rows import admin_url_for

register = template.Library()


@register.simple_tag(takes_context=True)
def work_actions(context: Any, index: int = 0) -> SafeString:
    """The action ``<select>``, the Go button and the selection counter.

    "Select all across pages" is offered only when the list was counted
    exactly: past 10,000 rows the count is a bound, not the number of rows an
    action would change."""
    form = context["action_form"]
    cl = context["cl"]
    field = form.fields["action"]
    options = "".join(
        f'<option value="{escape(str(value))}"{" selected" if value == "" else ""}>'
        f"{escape(str(label))}</option>"
        for value, label in field.choices
    )
    parts = [
        '<div class="actions">',
        f'<label>{escape(str(field.label))} <select name="action" required>{options}</select>'
        "</label>",
        '<input type="hidden" name="select_across" value="0" class="select-across">',
        f'<button type="submit" class="button" title="{escape(_("Run the selected action"))}" '
        f'name="index" value="{int(index)}">{escape(_("Go"))}</button>',
    ]
    if context.get("actions_selection_counter"):
        shown = len(cl.result_list)
        parts.append(
            f'<span class="action-counter" data-actions-icnt="{shown}">'
            f"{escape(str(context['selection_note']))}</span>"
        )
        if cl.result_count != shown and not getattr(cl, "count_capped", False):
            every = _("Select all %(total_count)s %(module_name)s") % {
                "total_count": cl.result_count,
                "module_name": context["module_name"],
            }
            parts += [
                f'<span class="all hidden">{escape(str(context["selection_note_all"]))}</span>',
                '<span class="question hidden"><a role="button" href="#" title="'
                f'{escape(_("Click here to select the objects across all pages"))}">'
                f"{escape(every)}</a></span>",
                '<span class="clear hidden"><a role="button" href="#">'
                f"{escape(_('Clear selection'))}</a></span>",
            ]
    parts.append("</div>")
    return mark_safe("\n".join(parts))  # noqa: S308 - every value is escaped above  # nosec B308, B703


@register.simple_tag(takes_context=True)
def work_url(context: Any, name: str, *args: Any) -> str:
    """``{% url name *args %}`` for a URL of this admin site, reversed once per
    process (``admin_url_for``); the template escapes it."""
    request = context["request"]
    current_app = getattr(request, "current_app", None) or "admin"
    return admin_url_for(name, current_app=current_app)(*args)


@register.simple_tag(takes_context=True)
def work_media(context: Any) -> SafeString:
    """The page's style sheets and scripts (``{{ media.css }}``,
    ``{{ media.js }}``) and the admin's ``filters.js``, as change_list.html
    draws them."""
    media = context.get("media")
    parts = [media.render_css(), media.render_js()] if media is not None else []
    return mark_safe(  # noqa: S308 - Media's own HTML and a static URL  # nosec B308, B703
        "\n".join([*(str(p) for part in parts for p in part), _filters_js()])
    )


def _filters_js() -> str:
    return f'<script src="{escape(static("admin/js/filters.js"))}" defer></script>'
