"""The action bar of the back-office work lists, drawn in one function.

Django's ``{% admin_actions %}`` draws the same bar through the form
renderer's widget templates, which cost a work list more than its fifty rows
(see ``core/admin_worklist.py``). The HTML is the admin's own, so its
``actions.js`` works unchanged.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

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
