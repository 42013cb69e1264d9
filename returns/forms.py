"""Forms of the returns screens; they validate, services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.fields import (
    IdentifierField,
    IdModelChoiceField,
    IdModelMultipleChoiceField,
    NdlIdField,
    TypedDateField,
)
from core.models import Site
from loans.models import LoanRequest

from .models import CaseKind, Instruction, ItemCondition, ReturnMethod

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


def _not_future(value: dt.date) -> dt.date:
    if value > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."))
    return value


class _LoanChoiceField(IdModelMultipleChoiceField):
    def label_from_instance(self, obj: LoanRequest) -> str:  # type: ignore[override]
        site = obj.shipment.site.local_name if obj.shipment else ""
        due = obj.due_on.isoformat() if obj.due_on else ""
        return _("%(ndl_id)s %(title)s — %(site)s (due %(due)s)") % {
            "ndl_id": obj.material.ndl_id,
            "title": obj.material.title,
            "site": site,
            "due": due,
        }


class ReturnParcelForm(forms.Form):
    loans = _LoanChoiceField(
        label=_("Items in the parcel"),
        queryset=LoanRequest.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("All items of one parcel must go back to the NDL library that sent them."),
    )
    method = forms.ChoiceField(
        label=pgettext_lazy("how a return parcel was sent", "Sent by"),
        choices=ReturnMethod.choices,
        help_text=_(
            "Registered air mail or an international air carrier with tracking and "
            "compensation for loss; never surface mail."
        ),
    )
    carrier = forms.CharField(
        label=_("Carrier (for an air carrier)"), max_length=100, required=False
    )
    tracking_number = IdentifierField(label=_("Tracking number"), max_length=40)
    sent_on = TypedDateField(label=_("Date sent"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, loans: QuerySet[LoanRequest], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["loans"].queryset = loans  # type: ignore[attr-defined]

    def clean_sent_on(self) -> dt.date:
        return _not_future(self.cleaned_data["sent_on"])


class DamageReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=CaseKind.choices)
    description = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 4}))
    reported_on = TypedDateField(label=_("Date"), widget=DATE_WIDGET)

    def clean_reported_on(self) -> dt.date:
        return _not_future(self.cleaned_data["reported_on"])


class StaffDamageReportForm(DamageReportForm):
    """Staff record damage or loss from a letter, by the request number."""

    loan_id = forms.IntegerField(label=_("Request number"), min_value=1)
    field_order = ["loan_id", "kind", "description", "reported_on"]


class CheckInForm(forms.Form):
    ndl_id = NdlIdField(label=_("NDL ID of the item"), max_length=20)
    site = IdModelChoiceField(label=_("Checked in at"), queryset=Site.objects.all())
    checked_in_on = TypedDateField(label=_("Checked in on"), widget=DATE_WIDGET)
    condition = forms.ChoiceField(label=_("Condition"), choices=ItemCondition.choices)
    loan_slip_enclosed = forms.BooleanField(label=_("Loan slip enclosed"), required=False)
    to_borrowers_enclosed = forms.BooleanField(
        label=_('"To Borrowers" sheet enclosed'), required=False
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Describe any damage: a damaged item opens a damage case."),
    )

    def clean_checked_in_on(self) -> dt.date:
        return _not_future(self.cleaned_data["checked_in_on"])


class ParcelCheckInForm(forms.Form):
    """Staff check in a whole return parcel: a condition for each item."""

    site = IdModelChoiceField(label=_("Checked in at"), queryset=Site.objects.all())
    checked_in_on = TypedDateField(label=_("Checked in on"), widget=DATE_WIDGET)
    loan_slip_enclosed = forms.BooleanField(label=_("Loan slip enclosed"), required=False)
    to_borrowers_enclosed = forms.BooleanField(
        label=_('"To Borrowers" sheet enclosed'), required=False
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Describe any damage: a damaged item opens a damage case."),
    )

    def __init__(self, *args: Any, loans: QuerySet[LoanRequest], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loans = list(loans)
        for loan in self.loans:
            self.fields[f"condition_{loan.pk}"] = forms.ChoiceField(
                label=_("Condition of %(ndl_id)s %(title)s")
                % {"ndl_id": loan.material.ndl_id, "title": loan.material.title[:60]},
                choices=ItemCondition.choices,
                initial=ItemCondition.GOOD,
            )

    def clean_checked_in_on(self) -> dt.date:
        return _not_future(self.cleaned_data["checked_in_on"])

    def conditions(self) -> dict[int, str]:
        return {loan.pk: self.cleaned_data[f"condition_{loan.pk}"] for loan in self.loans}


class InstructForm(forms.Form):
    instruction = forms.ChoiceField(label=_("NDL's instruction"), choices=Instruction.choices)
    compensation_amount = forms.DecimalField(
        label=_("Compensation amount"), max_digits=12, decimal_places=2, required=False
    )
    compensation_currency = forms.CharField(
        label=_("Currency (ISO 4217)"), max_length=3, required=False
    )
    instructed_on = TypedDateField(label=_("Instructed on"), widget=DATE_WIDGET)

    def clean_instructed_on(self) -> dt.date:
        return _not_future(self.cleaned_data["instructed_on"])


class SettleForm(forms.Form):
    settled_on = TypedDateField(label=_("Settled on"), widget=DATE_WIDGET)
    settlement_note = forms.CharField(
        label=_("Settlement"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_settled_on(self) -> dt.date:
        return _not_future(self.cleaned_data["settled_on"])
