# ruff: noqa: RUF002  (examples show identifiers as typed: full-width, any dash)
"""Identifiers as people type them and files carry them, read once, here.

Every identifier that enters the system (ISBN, ISSN, NDL ID, JP number, User
ID, UPU S10 tracking number, ISIL, a date typed in a form) goes through one
function of this module at the edge: the form field, the CSV import, the
catalogue search and the services call it, and store or compare only what it
returns. Library names get a canonical comparison key here too.

What "the way people type them" means:

* Unicode NFKC, so full-width digits and letters typed with a Japanese input
  method (``９７８``, ``ＲＲ``) are the ASCII ones;
* every kind of space (no-break, ideographic U+3000, thin, ...) and every
  dash (U+2010-U+2015, the minus sign U+2212, full-width and small hyphens,
  and the katakana prolonged sound mark U+30FC / U+FF70 that an input method
  gives for "-") is folded; invisible characters (zero-width space, BOM, soft
  hyphen) are dropped;
* case as each standard says: ISBN/ISSN check character ``X``, S10 letters,
  ISIL country prefix and User IDs in capitals.

Check digits are checked with python-stdnum (``stdnum.isbn``, ``stdnum.issn``,
``stdnum.isil``). python-stdnum has no UPU S10 module, so the S10 check digit
(UPU S10, Annex A) is computed here.

A malformed identifier raises ``IdentifierError``, a Django
``ValidationError`` with a message for the person who typed it and a code.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import isbn as stdnum_isbn
from stdnum import isil as stdnum_isil
from stdnum import issn as stdnum_issn
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError


class IdentifierError(ValidationError):
    """A typed or imported identifier is malformed; ``messages[0]`` says why."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code)


# --- folding ------------------------------------------------------------------

# Dashes that survive NFKC (the full-width and small hyphen-minus become "-"
# there). U+30FC is what a Japanese input method gives for "-" in kana mode.
_DASHES = frozenset(
    "\u2010\u2011\u2012\u2013\u2014\u2015"  # hyphen ... horizontal bar
    "\u2212\u2043\u2796\ufe58\ufe63\uff0d"  # minus, hyphen bullet, heavy minus, small/full-width
    "\u02d7\u058a\u05be\u1806\u2e3a\u2e3b"  # modifier minus, Armenian, Hebrew, Mongolian, 2-/3-em
    "\u30fc\uff70"  # katakana prolonged sound mark (full- and half-width)
)
# Dashes that may appear inside a name (never the prolonged sound mark: in a
# name it is a letter).
_NAME_DASHES = _DASHES - {"\u30fc", "\uff70"}
# Invisible characters that arrive with pasted text.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))
_FOLD = {**_INVISIBLE, **dict.fromkeys(map(ord, _DASHES), "-")}


def fold(value: str) -> str:
    """``value`` in NFKC, with every dash as ``-`` and every run of spaces as one
    ASCII space, without invisible characters, stripped. Case is kept."""
    if not value.isascii():
        # Every Unicode space (no-break, ideographic, ...) is whitespace to split().
        value = unicodedata.normalize("NFKC", value).translate(_FOLD)
    return " ".join(value.split())


def compact(value: str) -> str:
    """``fold(value)`` without any space or dash: the digits and letters of a code."""
    return fold(value).replace(" ", "").replace("-", "")


# --- ISBN, ISSN ---------------------------------------------------------------


def isbn_normalize(value: str) -> str:
    """The ISBN-13 of ``value`` in compact form, ``""`` for an empty value.

    An ISBN-10 is converted to its ISBN-13 (``4-8122-1553-6`` →
    ``9784812215531``), so both forms of one book are one key in storage and
    search. Raises ``IdentifierError`` for a wrong check digit (ISO 2108) or a
    value that is not 10 or 13 digits.
    """
    number = compact(value).upper()
    if not number:
        return ""
    fast = _isbn13_if_valid(number)
    if fast:
        return fast
    # Not a valid ISBN: python-stdnum says why (check digit or format).
    try:
        return str(stdnum_isbn.validate(number, convert=True))
    except InvalidChecksum:
        raise IdentifierError(
            _("The ISBN %(value)s has a wrong check digit.") % {"value": value.strip()},
            code="isbn_check_digit",
        ) from None
    except StdnumError:
        raise IdentifierError(
            _("%(value)s is not an ISBN: an ISBN has 10 or 13 digits (an ISBN-10 may end in X).")
            % {"value": value.strip()},
            code="isbn_format",
        ) from None


def _isbn13_if_valid(number: str) -> str:
    """The ISBN-13 of a compact upper-case ``number`` when its check digit is
    right (ISO 2108), else ``""``.

    Plain arithmetic, without a library call: the catalogue import reads every
    record's ISBN through ``isbn_normalize``. A 9-digit SBN is read as the
    ISBN-10 with a leading 0, as python-stdnum reads it.
    """
    if len(number) == 9:
        number = "0" + number
    if len(number) == 10 and number[:9].isdigit() and (number[9].isdigit() or number[9] == "X"):
        total = sum((10 - i) * int(d) for i, d in enumerate(number[:9]))
        total += 10 if number[9] == "X" else int(number[9])
        if total % 11:
            return ""
        twelve = "978" + number[:9]
        return twelve + _ean_check_digit(twelve)
    if len(number) == 13 and number.isdigit() and number[:3] in ("978", "979"):
        return number if _ean_check_digit(number[:12]) == number[12] else ""
    return ""


def _ean_check_digit(twelve: str) -> str:
    """The EAN-13 check digit of the twelve digits ``twelve``."""
    total = sum(map(int, twelve[0::2])) + 3 * sum(map(int, twelve[1::2]))
    return str((10 - total % 10) % 10)


def isbn_search_key(value: str) -> str:
    """What a search for ``value`` compares with the stored ISBN.

    A valid ISBN (either form) gives its ISBN-13; anything else its compact
    form, which still finds a record imported before ISBNs were checked.
    """
    try:
        return isbn_normalize(value)
    except IdentifierError:
        return compact(value).upper()


def issn_normalize(value: str) -> str:
    """The ISSN of ``value`` as ``NNNN-NNNC`` (ISO 3297), ``""`` if empty.

    Raises ``IdentifierError`` for a wrong check digit or a wrong length.
    """
    number = compact(value).upper()
    if not number:
        return ""
    try:
        return str(stdnum_issn.format(stdnum_issn.validate(number)))
    except InvalidChecksum:
        raise IdentifierError(
            _("The ISSN %(value)s has a wrong check digit.") % {"value": value.strip()},
            code="issn_check_digit",
        ) from None
    except StdnumError:
        raise IdentifierError(
            _("%(value)s is not an ISSN: an ISSN has 8 digits (the last may be X).")
            % {"value": value.strip()},
            code="issn_format",
        ) from None


# --- ISIL -----------------------------------------------------------------------


def isil_normalize(value: str) -> str:
    """The ISIL of ``value`` (ISO 15511), e.g. ``JP-1000001``; ``""`` if empty.

    The hyphen after the prefix belongs to the identifier, so dashes of every
    kind become ``-`` but are kept; spaces go; a country prefix is in capitals
    (the rest keeps its case, as the issuing agency wrote it). Raises
    ``IdentifierError`` for an unregistered prefix or a malformed value.
    """
    number = fold(value).replace(" ", "")
    if not number:
        return ""
    try:
        return str(stdnum_isil.format(stdnum_isil.validate(number)))
    except StdnumError:
        raise IdentifierError(
            _(
                "%(value)s is not an ISIL: a registered country or agency prefix, a hyphen "
                "and the library's code, at most 15 characters (e.g. JP-1000001)."
            )
            % {"value": value.strip()},
            code="isil_format",
        ) from None


# --- NDL identifiers ------------------------------------------------------------

NDL_ID_MAX_LENGTH = 20
_NDL_ID = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
_JP_NUMBER = re.compile(r"^[0-9]{8}$")


def ndl_id_normalize(value: str) -> str:
    """An NDL bibliographic ID as stored: folded, no spaces, capitals.

    Raises ``IdentifierError`` unless it is letters and digits (hyphens
    between them) of at most 20 characters. ``""`` for an empty value.
    """
    number = fold(value).replace(" ", "").upper()
    if number and not (len(number) <= NDL_ID_MAX_LENGTH and _NDL_ID.match(number)):
        raise IdentifierError(
            _(
                "%(value)s is not an NDL ID: letters and digits only (hyphens between "
                "them), at most %(max)s characters."
            )
            % {"value": value.strip(), "max": NDL_ID_MAX_LENGTH},
            code="ndl_id_format",
        )
    return number


def jp_number_normalize(value: str) -> str:
    """A JP number (the Japanese National Bibliography number): eight digits.

    ``JP`` and ``JPNO`` prefixes are dropped. Raises ``IdentifierError``
    otherwise; ``""`` for an empty value.
    """
    number = compact(value).upper().removeprefix("JPNO").removeprefix("JP").lstrip(":")
    if number and not _JP_NUMBER.match(number):
        raise IdentifierError(
            _("%(value)s is not a JP number: a JP number has eight digits.")
            % {"value": value.strip()},
            code="jp_number_format",
        )
    return number


# --- User IDs -------------------------------------------------------------------

# The form of the User IDs the NDL issues (``registration`` allocates them).
USER_ID_PATTERN = r"^ILL-[A-Z]{2}-[0-9]{5}$"
_USER_ID_TYPED = re.compile(r"^ILL-?([A-Z]{2})-?([0-9]{5})$")


def user_id_normalize(value: str) -> str:
    """A User ID as typed (``ill-jp-00001``, ``ＩＬＬ－ＪＰ－０００１``,
    ``ILL JP 00001``) in its issued form ``ILL-JP-00001``.

    Anything that is not a User ID comes back folded, case kept, so that a
    lookup of it finds nothing (and a staff login name stays as typed).
    Never raises: whether the ID exists is the caller's question.
    """
    folded = fold(value)
    match = _USER_ID_TYPED.match(folded.replace(" ", "").upper())
    if match is None:
        return folded
    return f"ILL-{match[1]}-{match[2]}"


# --- UPU S10 tracking numbers ---------------------------------------------------

S10_PATTERN = r"^[A-Z]{2}[0-9]{9}[A-Z]{2}$"
_S10 = re.compile(S10_PATTERN)
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_normalize(value: str) -> str:
    """A tracking number folded to its compact form in capitals (not checked)."""
    return compact(value).upper()


def s10_check_digit(serial: str) -> int:
    """The check digit of an eight-digit serial number (UPU S10, Annex A)."""
    if len(serial) != len(_S10_WEIGHTS) or not (serial.isascii() and serial.isdigit()):
        raise ValueError("serial must be eight digits")
    check = 11 - sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    if check == 10:
        return 0
    if check == 11:
        return 5
    return check


def s10_is_valid(value: str) -> bool:
    """``value`` (already normalised) is a well-formed S10 number with a right check digit."""
    if not _S10.match(value):
        return False
    return s10_check_digit(value[2:10]) == int(value[10])


def validate_s10(value: str) -> None:
    """Raise ``IdentifierError`` unless ``value`` (already normalised) is a valid S10 number."""
    if not _S10.match(value):
        raise IdentifierError(
            _(
                "Enter a registered mail tracking number: two letters, nine digits and a "
                "two-letter country code, e.g. RR123456785JP."
            ),
            code="s10_format",
        )
    if not s10_is_valid(value):
        raise IdentifierError(
            _("The tracking number %(value)s has a wrong check digit; please check it again.")
            % {"value": value},
            code="s10_check_digit",
        )


def s10_clean(value: str) -> str:
    """A typed S10 number, normalised and checked; raises ``IdentifierError``."""
    number = s10_normalize(value)
    validate_s10(number)
    return number


# --- dates ----------------------------------------------------------------------

_DATE_TYPED = re.compile(r"^([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?$")


def date_text_normalize(value: str) -> str:
    """A typed date (``２０２６－１１－３０``, ``2026/11/30``, ``2026年11月30日``)
    as ISO ``2026-11-30``; any other text comes back folded, for the date
    field to refuse in its own words."""
    folded = fold(value)
    match = _DATE_TYPED.match(folded)
    if match is None:
        return folded
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def date_parse(value: str) -> dt.date:
    """The date typed as ``value`` (see ``date_text_normalize``).

    Raises ``IdentifierError`` if it is not a real calendar date.
    """
    try:
        return dt.date.fromisoformat(date_text_normalize(value))
    except ValueError:
        raise IdentifierError(
            _("%(value)s is not a date (YYYY-MM-DD).") % {"value": value.strip()},
            code="date_format",
        ) from None


# --- names ----------------------------------------------------------------------


def name_text(value: str) -> str:
    """A name as stored and printed: composed (NFC, as macOS's decomposed
    ``Universita\u0308t`` becomes ``Universität``), spaces collapsed, stripped.
    Letters keep their width and case."""
    text = unicodedata.normalize("NFC", value).translate(_INVISIBLE)
    return " ".join(text.split())


def name_key(value: str) -> str:
    """The key two names are compared by: the same library is the same key.

    NFKC, case-folded for every script (``ß`` → ``ss``, ``Σ``/``ς`` → ``σ``),
    hyphens of every kind as ``-``, whitespace runs of any kind as one space,
    invisible characters dropped, stripped (Unicode's compatibility caseless
    match, applied twice so the result is stable).
    """
    text = unicodedata.normalize("NFKC", value).translate(_INVISIBLE)
    text = unicodedata.normalize("NFKC", text.casefold())
    text = "".join("-" if char in _NAME_DASHES else char for char in text)
    return " ".join(text.split())
