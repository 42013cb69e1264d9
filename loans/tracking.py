"""UPU S10 item identifiers: the tracking numbers of registered air mail.

An S10 identifier is two service letters, an eight-digit serial number, a
check digit and the ISO 3166 alpha-2 code of the issuing country, e.g.
``RR123456785JP``. They are read and checked in ``core.identifiers`` (the one
place typed identifiers are normalised); these names are kept for the code
that imports them from here.
"""

from __future__ import annotations

from core.identifiers import (
    S10_PATTERN,
    s10_check_digit,
    s10_clean,
    s10_is_valid,
    s10_normalize,
    validate_s10,
)

__all__ = [
    "S10_PATTERN",
    "s10_check_digit",
    "s10_clean",
    "s10_is_valid",
    "s10_normalize",
    "validate_s10",
]
