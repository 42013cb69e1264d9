"""Forms of the registration back-office. They only validate input; the
services decide and write."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from core.fields import TypedDateField, UserIdField

from .models import ApplicationChannel, DocumentKind, Language, Library, NoticeChannel
from .services import LIBRARY_DETAIL_FIELDS, Scan


class DateInput(forms.DateInput):
    input_type = "date"


def _detail_fields() -> dict[str, forms.Field]:
    """Form fields for the library's details, labelled as on the model."""
    fields: dict[str, forms.Field] = {}
    for name in LIBRARY_DETAIL_FIELDS:
        if name == "country":
            fields[name] = forms.ChoiceField(
                label=_("country"), choices=[("", "---------"), *countries]
            )
            continue
        model_field = cast(models.Field, Library._meta.get_field(name))
        field = model_field.formfield()
        assert field is not None  # noqa: S101 - every detail field is editable  # nosec B101
        fields[name] = field
    return fields


class ApplicationRecordForm(forms.Form):
    received_on = TypedDateField(label=_("received on"), widget=DateInput)
    channel = forms.ChoiceField(
        label=_("arrived by"),
        choices=ApplicationChannel.choices,
        initial=ApplicationChannel.POST,
        help_text=_("Applications by fax or email attachment are not accepted."),
    )
    has_signed_application = forms.BooleanField(
        label=_("signed application (contract) present"), required=False
    )
    signature_verified = forms.BooleanField(
        label=_("original handwritten signature of the representative director verified"),
        required=False,
    )
    has_reading_room_picture = forms.BooleanField(
        label=_("picture of the reading room present"), required=False
    )
    has_leaflet = forms.BooleanField(label=_("leaflet or brochure present"), required=False)
    copier_conditions = forms.CharField(
        label=_("copier and scanner conditions"), required=False, widget=forms.Textarea
    )
    language = forms.ChoiceField(
        label=_("language for notices"), choices=Language.choices, initial=Language.EN
    )
    scan_application = forms.FileField(label=_("scan of the signed application"), required=False)
    scan_reading_room = forms.FileField(label=_("scan of the reading-room picture"), required=False)
    scan_leaflet = forms.FileField(label=_("scan of the leaflet"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        details = _detail_fields()
        # Library details first, as on the paper form.
        self.fields = {**details, **self.fields}

    def scans(self) -> list[Scan]:
        pairs = (
            ("scan_application", DocumentKind.APPLICATION),
            ("scan_reading_room", DocumentKind.READING_ROOM),
            ("scan_leaflet", DocumentKind.LEAFLET),
        )
        return [Scan(kind, self.cleaned_data[f]) for f, kind in pairs if self.cleaned_data.get(f)]

    def service_kwargs(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("scan_")}
        return {**data, "scans": self.scans()}


class LetterForm(forms.Form):
    dated = TypedDateField(label=_("date of the letter"), widget=DateInput)
    summary = forms.CharField(label=_("summary"), widget=forms.Textarea)


class ReplyForm(LetterForm):
    kind = forms.ChoiceField(
        label=_("the enclosed document is"),
        choices=DocumentKind.choices,
        initial=DocumentKind.OTHER,
        required=False,
    )
    file = forms.FileField(label=_("scan of an enclosed document"), required=False)

    def scans(self) -> list[Scan]:
        file = self.cleaned_data.get("file")
        return [Scan(self.cleaned_data.get("kind") or DocumentKind.OTHER, file)] if file else []


class ScanForm(forms.Form):
    kind = forms.ChoiceField(label=_("document"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("file (PDF, JPEG or PNG)"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea)


class ConfirmForm(forms.Form):
    pass


class ChangeNoticeForm(forms.Form):
    received_on = TypedDateField(label=_("received on"), widget=DateInput)
    channel = forms.ChoiceField(label=_("received by"), choices=NoticeChannel.choices)
    quoted_user_id = UserIdField(label=_("User ID quoted in the notice"), max_length=20)
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, library: Library, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        details = _detail_fields()
        for name, field in details.items():
            field.initial = str(getattr(library, name) or "")
            field.help_text = _("Change only what the notice changes.")
        self.fields = {**self.fields, **details}

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name, "") for name in LIBRARY_DETAIL_FIELDS}
