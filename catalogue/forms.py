"""Forms of the catalogue. They validate; services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.fields import IsbnField, NdlIdField

from .models import Material


class MaterialAdminForm(forms.ModelForm):
    """Staff's edit of a material: the NDL ID and ISBN are read as typed
    (full-width, any dash) and stored normalised, the ISBN as its ISBN-13."""

    ndl_id = NdlIdField(label=_("NDL bibliographic ID"), max_length=20)
    isbn = IsbnField(label=_("ISBN"), max_length=17, required=False)

    class Meta:
        model = Material
        fields = ("ndl_id", "isbn")  # the admin adds those of its fieldsets
