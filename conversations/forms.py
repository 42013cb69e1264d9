from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MESSAGE_MAX_LENGTH


class MessageForm(forms.Form):
    # No max_length here: the service says how long a message may be and
    # refuses a longer one with its own message.
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 5, "data-max": MESSAGE_MAX_LENGTH}),
        strip=False,
        required=False,
    )


class StaffPostForm(MessageForm):
    staff_only = forms.BooleanField(
        label=_("Staff-only note (never shown to the library)"), required=False
    )
