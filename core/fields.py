"""Form fields that refuse ids the database could not even look up.

Django's model choice fields pass the submitted id straight to a query; an id
beyond the range of a 64-bit integer then fails in the database driver
(OverflowError on SQLite, DataError on PostgreSQL) instead of being refused
as invalid input.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

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
