"""Forms of the catalogue and loan requests. They validate; services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from catalogue.rules import REJECT_CODES, Reason, Refusal
from core.fields import UserIdField
from core.i18n import current_language
from core.identifiers import fold, ndl_id_normalize
from registration.models import Library

from .models import LOAN_CAP, RequestChannel

# Between typed NDL IDs: spaces, new lines, commas (also the Japanese 、) and semicolons.
_NDL_ID_SPLIT = re.compile(r"[\s,;\u3001]+")


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Title, reading, author, publisher, ISBN, ISSN or NDL ID"),
        help_text=_(
            "Japanese or English, kana or kanji; a name with or without a space between "
            "family and given name."
        ),
        max_length=200,
        required=False,
    )


class NdlIdsField(forms.Field):
    """The ticked NDL IDs as a list of strings.

    Any well-formed ID is accepted here (read by ``ndl_id_normalize``): which
    ones exist and may be lent is the request service's question. A NUL byte
    is refused, as Django refuses it in every other text field (PostgreSQL
    cannot store or query it).
    """

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid_list": forms.MultipleChoiceField.default_error_messages["invalid_list"]
    }

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise forms.ValidationError(self.error_messages["invalid_list"], code="invalid_list")
        for item in value:
            ProhibitNullCharactersValidator()(str(item))
        ids = [ndl_id_normalize(str(item)) for item in value]
        return [item for item in ids if item]


class RequestItemsForm(forms.Form):
    """The checkboxes of the search page: the NDL IDs to request."""

    ndl_ids = NdlIdsField(
        label=_("Items"),
        error_messages={"required": _("Tick at least one item to request.")},
    )

    def clean_ndl_ids(self) -> list[str]:
        ids: list[str] = self.cleaned_data["ndl_ids"]
        if len(ids) > LOAN_CAP:
            raise forms.ValidationError(
                _("You can request at most %(cap)s items at a time."), params={"cap": LOAN_CAP}
            )
        return ids


def parse_ndl_ids(value: str) -> list[str]:
    """The NDL IDs typed in one box, each normalised; raises ``IdentifierError``."""
    return [ndl_id_normalize(i) for i in _NDL_ID_SPLIT.split(fold(value)) if i]


class KeyInRequestForm(forms.Form):
    """A request that came on the designated form by fax or post, keyed in by staff."""

    user_id = UserIdField(label=_("User ID of the library"), max_length=20)
    channel = forms.ChoiceField(
        label=_("Arrived by"),
        choices=[(RequestChannel.FAX, _("Fax")), (RequestChannel.POST, _("Post"))],
    )
    on_designated_form = forms.BooleanField(
        label=_("The request is on the NDL's designated request form"),
        required=False,
        help_text=_("We cannot accept any form other than the designated request form."),
    )
    ndl_ids = forms.CharField(
        label=_("NDL IDs"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One or several NDL IDs, separated by spaces, commas or new lines."),
    )

    def clean_user_id(self) -> Library:
        user_id = self.cleaned_data["user_id"]
        library = Library.objects.filter(user_id=user_id).first()
        if library is None:
            raise forms.ValidationError(_("No registered library has this User ID."))
        return library

    def clean_ndl_ids(self) -> list[str]:
        ids = parse_ndl_ids(self.cleaned_data["ndl_ids"])
        if not ids:
            raise forms.ValidationError(_("Enter at least one NDL ID."))
        if len(ids) > LOAN_CAP:
            raise forms.ValidationError(
                _("A library can have at most %(cap)s items; enter at most %(cap)s NDL IDs."),
                params={"cap": LOAN_CAP},
            )
        return ids


def _reject_choices() -> list[tuple[str, str]]:
    """Each reason in the words of the staff member's language; the code is
    only the value sent back, never shown."""
    language = current_language()
    return [
        (
            code,
            str(_("Other (say why in the note)"))
            if code == Reason.OTHER
            else Refusal(code).message(language),
        )
        for code in REJECT_CODES
    ]


class RejectForm(forms.Form):
    codes = forms.MultipleChoiceField(
        label=_("Reasons"),
        choices=_reject_choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Give at least one reason for not lending.")},
    )
    note = forms.CharField(
        label=_("Note to the library"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required with “other”. Shown to the library in the notice and letter."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if Reason.OTHER in cleaned.get("codes", []) and not cleaned.get("note", "").strip():
            self.add_error("note", _("Explain the reason in the note when you choose “other”."))
        return cleaned
