"""UPU S10 item identifiers: the tracking numbers of registered air mail.

An S10 identifier is two service letters, an eight-digit serial number, a
check digit and the ISO 3166 alpha-2 code of the issuing country, e.g.
``RR123456785JP``.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

S10_PATTERN = r"^[A-Z]{2}[0-9]{9}[A-Z]{2}$"
_S10 = re.compile(S10_PATTERN)
_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_normalize(value: str) -> str:
    """Upper-case and drop the spaces people type or print between groups."""
    return re.sub(r"[\s-]", "", value).upper()


def s10_check_digit(serial: str) -> int:
    """The check digit of an eight-digit serial number (UPU S10, Annex A)."""
    if len(serial) != len(_WEIGHTS) or not serial.isdigit():
        raise ValueError("serial must be eight digits")
    check = 11 - sum(int(d) * w for d, w in zip(serial, _WEIGHTS, strict=True)) % 11
    if check == 10:
        return 0
    if check == 11:
        return 5
    return check


def s10_is_valid(value: str) -> bool:
    if not _S10.match(value):
        return False
    return s10_check_digit(value[2:10]) == int(value[10])


def validate_s10(value: str) -> None:
    """Django validator: ``value`` (already normalized) is a valid S10 number."""
    if not _S10.match(value):
        raise ValidationError(
            _(
                "Enter a registered mail tracking number: two letters, nine digits and a "
                "two-letter country code, e.g. RR123456785JP."
            ),
            code="s10_format",
        )
    if not s10_is_valid(value):
        raise ValidationError(
            _("The tracking number %(value)s has a wrong check digit; please check it again.")
            % {"value": value},
            code="s10_check_digit",
        )
