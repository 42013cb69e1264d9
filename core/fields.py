"""Form fields that refuse ids the database could not even look up, and
fields that read typed identifiers through ``core.identifiers``.

Django's model choice fields pass the submitted id straight to a query; an id
beyond the range of a 64-bit integer then fails in the database driver
(OverflowError on SQLite, DataError on PostgreSQL) instead of being refused
as invalid input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .identifiers import (
    date_text_normalize,
    fold,
    isbn_normalize,
    ndl_id_normalize,
    s10_clean,
    user_id_normalize,
)

MAX_ID = 2**63 - 1


def is_row_id(value: Any) -> bool:
    """True if ``value`` is an id one of our 64-bit primary keys can hold."""
    text = str(value).strip()
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


def _check_id(field: forms.ModelChoiceField, value: Any, *, error: str) -> None:
    if not is_row_id(value):
        raise ValidationError(
            field.error_messages[error], code=error, params={"pk": value, "value": value}
        )


class IdModelChoiceField(forms.ModelChoiceField):
    def to_python(self, value: Any) -> Any:
        model = self.queryset.model if self.queryset is not None else None
        if value not in self.empty_values and not (model and isinstance(value, model)):
            _check_id(self, value, error="invalid_choice")
        return super().to_python(value)


class IdModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        for item in value if isinstance(value, list | tuple) else ():
            if isinstance(item, str | int):
                _check_id(self, item, error="invalid_pk_value")
        return super()._check_values(value)  # type: ignore[misc]  # Django's own hook, not in the stubs


class IdentifierField(forms.CharField):
    """A text field for an identifier, read through ``core.identifiers``.

    ``normalize`` turns what was typed (full-width, any spaces or dashes, any
    case) into the stored form, raising ``IdentifierError`` (a
    ``ValidationError``) when it is malformed; the cleaned value is that form.
    """

    normalize: Callable[[str], str] = staticmethod(fold)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return self.normalize(text) if text else text


class IsbnField(IdentifierField):
    """An ISBN-10 or ISBN-13, cleaned to the compact ISBN-13 with its check digit checked."""

    normalize = staticmethod(isbn_normalize)


class NdlIdField(IdentifierField):
    normalize = staticmethod(ndl_id_normalize)


class UserIdField(IdentifierField):
    """A User ID as typed, cleaned to its issued form ``ILL-JP-00001``."""

    normalize = staticmethod(user_id_normalize)


class S10Field(IdentifierField):
    """A registered-mail tracking number, cleaned and its S10 check digit checked."""

    normalize = staticmethod(s10_clean)


class TypedDateField(forms.DateField):
    """A date field that also reads full-width digits, any dash, ``/`` and ``年月日``."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = date_text_normalize(value)
        return super().to_python(value)
