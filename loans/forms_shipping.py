"""Forms of the shipping and receipt screens; they validate, services decide."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import S10Field, TypedDateField
from loans.models import LoanRequest, ReceiptChannel

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


def _not_future(value: dt.date) -> dt.date:
    if value > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."))
    return value


class DispatchForm(forms.Form):
    tracking_number = S10Field(
        label=_("Registered air mail tracking number"),
        max_length=20,
        help_text=_("UPU S10 format, e.g. RR123456785JP."),
    )
    shipped_on = TypedDateField(label=_("Shipped on"), widget=DATE_WIDGET)

    def clean_shipped_on(self) -> dt.date:
        return _not_future(self.cleaned_data["shipped_on"])


class DeliveryForm(forms.Form):
    delivered_on = TypedDateField(label=_("Delivered on (tracking)"), widget=DATE_WIDGET)

    def clean_delivered_on(self) -> dt.date:
        return _not_future(self.cleaned_data["delivered_on"])


class _ConditionsForm(forms.Form):
    """A condition field for each item of the shipment."""

    received_on = TypedDateField(label=_("Date received"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, loans: Sequence[LoanRequest], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loans = list(loans)
        for loan in self.loans:
            self.fields[f"condition_{loan.pk}"] = forms.CharField(
                label=_("Condition of %(ndl_id)s %(title)s")
                % {"ndl_id": loan.material.ndl_id, "title": loan.material.title[:60]},
                max_length=300,
                initial=_("Good"),
            )

    def clean_received_on(self) -> dt.date:
        return _not_future(self.cleaned_data["received_on"])

    def conditions(self) -> dict[int, str]:
        return {loan.pk: self.cleaned_data[f"condition_{loan.pk}"] for loan in self.loans}


class ReceiptConfirmForm(_ConditionsForm):
    """The library confirms receipt in the portal."""


class ReceiptLetterForm(_ConditionsForm):
    """Staff record the Receipt Letter that came by fax or email."""

    channel = forms.ChoiceField(
        label=_("Letter came by"),
        choices=[(ReceiptChannel.FAX, _("Fax")), (ReceiptChannel.EMAIL, _("Email"))],
    )
    letter_on = TypedDateField(label=_("Letter received on"), widget=DATE_WIDGET)

    def clean_letter_on(self) -> dt.date:
        return _not_future(self.cleaned_data["letter_on"])


class UndeliveredForm(forms.Form):
    """Staff record a parcel the post brought back to the site undelivered."""

    returned_on = TypedDateField(label=_("Brought back on"), widget=DATE_WIDGET)
    note = forms.CharField(
        label=_("Reason given by the post"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_returned_on(self) -> dt.date:
        return _not_future(self.cleaned_data["returned_on"])
