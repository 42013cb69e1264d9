"""Forms of the copy service: they validate input only; the rules are in
``copies.rules`` and the writes in ``copies.services``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalogue.models import Material
from core.i18n import current_language
from registration.models import Library

from .models import ColourMode, CopyChannel, PaperSize, PaymentMethod
from .rules import REFUSE_CODES, Part, Reason, reason_message


class CopyPartForm(forms.Form):
    """The part to copy and how, as the portal and the designated form ask it."""

    pages_from = forms.IntegerField(label=_("From page"), min_value=1, required=False)
    pages_to = forms.IntegerField(label=_("To page"), min_value=1, required=False)
    chapter_title = forms.CharField(
        label=_("Chapter or article title"), max_length=300, required=False
    )
    volume_issue = forms.CharField(
        label=_("Volume / issue (periodicals)"), max_length=100, required=False
    )
    article_title = forms.CharField(
        label=_("Article title (periodicals)"), max_length=300, required=False
    )
    article_author = forms.CharField(label=_("Article author"), max_length=200, required=False)
    paper_size = forms.ChoiceField(
        label=_("Paper size"), choices=PaperSize.choices, initial=PaperSize.A4
    )
    colour = forms.ChoiceField(
        label=_("Colour or black and white"),
        choices=ColourMode.choices,
        initial=ColourMode.MONOCHROME,
    )
    research_declared = forms.BooleanField(
        label=_(
            "We declare that the copy is for the requester's own study or research, and that "
            "one copy is asked for."
        ),
        required=False,
    )
    note = forms.CharField(
        label=_("Note to the NDL"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def part(self, *, copies: int = 1) -> Part:
        data = self.cleaned_data
        return Part(
            pages_from=data.get("pages_from"),
            pages_to=data.get("pages_to"),
            chapter_title=data.get("chapter_title", ""),
            volume_issue=data.get("volume_issue", ""),
            article_title=data.get("article_title", ""),
            copies=copies,
            research_declared=bool(data.get("research_declared")),
        )


class ConfirmForm(forms.Form):
    expected_total = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0"))


class KeyInCopyForm(CopyPartForm):
    """A copy request on the designated form, received by fax or post."""

    user_id = forms.CharField(label=_("User ID"), max_length=20)
    ndl_id = forms.CharField(label=_("NDL ID"), max_length=20)
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[c for c in CopyChannel.choices if c[0] != CopyChannel.PORTAL],
    )
    on_designated_form = forms.BooleanField(
        label=_("On the designated request form"), required=False
    )
    copies = forms.IntegerField(label=_("Copies asked for"), min_value=1, initial=1)

    field_order = ["user_id", "ndl_id", "channel", "on_designated_form", "copies"]

    def clean_user_id(self) -> Library:
        value = self.cleaned_data["user_id"].strip()
        library = Library.objects.filter(user_id__iexact=value).first()
        if library is None:
            raise forms.ValidationError(_("No registered library has this User ID."))
        return library

    def clean_ndl_id(self) -> Material:
        value = self.cleaned_data["ndl_id"].strip()
        material = Material.objects.filter(ndl_id=value).first()
        if material is None:
            raise forms.ValidationError(_("No NDL material has this NDL ID."))
        return material


def _refuse_choices() -> list[tuple[str, str]]:
    """Each reason in the staff member's language; the code is only the value."""
    language = current_language()
    return [
        (
            code,
            str(_("Other (say why in the note)"))
            if code == Reason.OTHER
            else reason_message(code, language=language),
        )
        for code in REFUSE_CODES
    ]


class DecideForm(forms.Form):
    extent = forms.IntegerField(
        label=_("Pages in the work (when the record gives none)"), min_value=1, required=False
    )


class RefuseForm(forms.Form):
    codes = forms.MultipleChoiceField(
        label=_("Reasons"), choices=_refuse_choices, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=_("Note to the library"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class PagesCopiedForm(forms.Form):
    pages = forms.IntegerField(label=_("Pages actually copied"), min_value=1)


class DispatchForm(forms.Form):
    sent_on = forms.DateField(label=_("Sent on"), initial=timezone.localdate)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (yen)"), max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    received_on = forms.DateField(label=_("Received on"), initial=timezone.localdate)
    method = forms.ChoiceField(label=_("Paid by"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)

    def clean_received_on(self) -> dt.date:
        value: dt.date = self.cleaned_data["received_on"]
        return value


class WriteOffForm(forms.Form):
    note = forms.CharField(
        label=_("Why it is written off"), widget=forms.Textarea(attrs={"rows": 3})
    )


def form_errors(form: forms.Form) -> list[str]:
    """Every error of ``form`` as text, for a message on the page."""
    out: list[Any] = []
    for errors in form.errors.values():
        out.extend(str(e) for e in errors)
    return out
