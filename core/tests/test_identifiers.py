# ruff: noqa: RUF001  (identifiers as people type them: full-width, every dash)
"""Every identifier is read the way people type it (issue: ISBNs, tracking
numbers, User IDs ... typed with a Japanese input method or pasted).

Each kind is normalised in ``core.identifiers``; a Hypothesis test types
every valid example in many ways (full-width, spaces and dashes of every
kind, any case) and sees every variant come out as the one stored value.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import unicodedata
from collections.abc import Callable

import pytest
import time_machine
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from core.identifiers import (
    IdentifierError,
    compact,
    date_parse,
    fold,
    isbn_normalize,
    isbn_search_key,
    isil_normalize,
    issn_normalize,
    jp_number_normalize,
    name_key,
    name_text,
    ndl_id_normalize,
    s10_clean,
    s10_normalize,
    user_id_normalize,
)

# Every dash the issue names, and the others an input method or a word
# processor gives: hyphen, non-breaking hyphen, figure dash, en dash, em dash,
# horizontal bar, minus sign, full-width and small hyphen-minus, the katakana
# prolonged sound mark (full- and half-width) that stands for "-" in kana mode.
DASHES = [
    "-",
    "\u2010",
    "\u2011",
    "\u2012",
    "\u2013",
    "\u2014",
    "\u2015",
    "\u2212",
    "\uff0d",
    "\ufe63",
    "\u30fc",
    "\uff70",
]
# Spaces: ASCII, no-break, ideographic (U+3000), en/em/thin/narrow no-break, tab.
SPACES = [" ", "\u00a0", "\u3000", "\u2002", "\u2003", "\u2009", "\u202f", "\t"]
INVISIBLE = ["\u200b", "\ufeff", "\u00ad"]


# --- the examples of the issue, each with its right value ----------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("９７８-４-８１２２-１５５３-１", "9784812215531"),  # full-width, from a CSV row
        ("９７８－４－８１２２－１５５３－１", "9784812215531"),  # full-width dashes too
        ("4-8122-1553-6", "9784812215531"),  # the ISBN-10 of the same book
        ("978-4-8122-1553-1", "9784812215531"),
        ("9784812215531", "9784812215531"),
        ("4812215536", "9784812215531"),
        ("0-8044-2957-x", "9780804429573"),  # an ISBN-10 ending in X, typed lower-case
        ("978\u20104\u20138122\u22121553\u30fc1", "9784812215531"),
        ("\u3000978 4 8122 1553 1\u00a0", "9784812215531"),
        ("", ""),
    ],
)
def test_it_stores_an_isbn_as_its_compact_isbn13(typed: str, stored: str) -> None:
    assert isbn_normalize(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("9784812215532", "isbn_check_digit"),  # wrong check digit
        ("4-8122-1553-7", "isbn_check_digit"),
        ("９７８４８１２２１５５３２", "isbn_check_digit"),
        ("12345", "isbn_format"),
        ("978481221553", "isbn_format"),  # twelve digits
        ("97848122155311", "isbn_format"),
        ("ISBN978481221553A", "isbn_format"),
    ],
)
def test_it_refuses_an_invalid_isbn_with_the_reason(typed: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        isbn_normalize(typed)
    assert caught.value.code == code
    assert isinstance(caught.value, ValidationError)
    assert typed.strip() in caught.value.messages[0]


def test_a_search_key_is_the_isbn13_of_either_form() -> None:
    assert isbn_search_key("4-8122-1553-6") == "9784812215531"
    assert isbn_search_key("978-4-8122-1553-1") == "9784812215531"
    # Not an ISBN: compacted, so a record stored before ISBNs were checked is found.
    assert isbn_search_key("978-4-00-000000-2") == "9784000000002"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0317-8471", "0317-8471"),
        ("03178471", "0317-8471"),
        ("０３１７－８４７１", "0317-8471"),
        ("2434-561x", "2434-561X"),
        ("2434\u2013561X", "2434-561X"),
    ],
)
def test_it_reads_an_issn(typed: str, stored: str) -> None:
    assert issn_normalize(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"), [("0317-8472", "issn_check_digit"), ("0317-847", "issn_format")]
)
def test_it_refuses_an_invalid_issn(typed: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        issn_normalize(typed)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("JP-1000001", "JP-1000001"),
        ("jp-1000001", "JP-1000001"),
        ("ＪＰ－１０００００１", "JP-1000001"),
        ("JP\u20101000001", "JP-1000001"),
        (" DE-101 ", "DE-101"),
    ],
)
def test_it_reads_an_isil_keeping_its_hyphen(typed: str, stored: str) -> None:
    assert isil_normalize(typed) == stored


@pytest.mark.parametrize("typed", ["XX-1000001", "JP-1000001-EXTRA-LONG", "JP-10*01"])
def test_it_refuses_an_invalid_isil(typed: str) -> None:
    with pytest.raises(IdentifierError, match="not an ISIL"):
        isil_normalize(typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("024681357", "024681357"),
        ("０２４６８１３５７", "024681357"),
        ("000 007 724 099", "000007724099"),
        ("d00000001", "D00000001"),
        ("\u200b024681357\u3000", "024681357"),
        ("R100000002\u2013I000001", "R100000002-I000001"),
    ],
)
def test_it_reads_an_ndl_id(typed: str, stored: str) -> None:
    assert ndl_id_normalize(typed) == stored


@pytest.mark.parametrize("typed", ["A/B", "X" * 21, "-123", "12--3", "本"])
def test_it_refuses_a_malformed_ndl_id(typed: str) -> None:
    with pytest.raises(IdentifierError, match="not an NDL ID"):
        ndl_id_normalize(typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("23024891", "23024891"),
        ("JP23024891", "23024891"),
        ("ＪＰ２３０２４８９１", "23024891"),
        ("jpno: 2302 4891", "23024891"),
    ],
)
def test_it_reads_a_jp_number(typed: str, stored: str) -> None:
    assert jp_number_normalize(typed) == stored


@pytest.mark.parametrize("typed", ["2302489", "230248911", "JP2302489X"])
def test_it_refuses_a_malformed_jp_number(typed: str) -> None:
    with pytest.raises(IdentifierError, match="not a JP number"):
        jp_number_normalize(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "ILL-JP-00001",
        "ill-jp-00001",
        "ＩＬＬ－ＪＰ－００００１",
        "ILL JP 00001",
        "ILLJP00001",
        "ILL\u2010JP\u201000001",
        "ILL\u2212JP\u221200001",
        "ILLーJPー00001",
        "\u3000ILL-JP-00001\u00a0",
    ],
)
def test_it_reads_a_user_id_in_its_issued_form(typed: str) -> None:
    assert user_id_normalize(typed) == "ILL-JP-00001"


def test_a_name_that_is_not_a_user_id_keeps_its_case() -> None:
    # A staff login typed on the portal's sign-in page stays as typed.
    assert user_id_normalize(" staff-kansai ") == "staff-kansai"


@pytest.mark.parametrize(
    "typed",
    [
        "RR123456785JP",
        "rr123456785jp",
        "RR 123 456 785 JP",
        "ＲＲ１２３４５６７８５ＪＰ",
        "RR\u3000123456785\u3000JP",
        "RR-123-456-785-JP",
        "RR\u2013123456785\u2013JP",
    ],
)
def test_it_reads_a_tracking_number_and_checks_its_s10_digit(typed: str) -> None:
    assert s10_clean(typed) == "RR123456785JP"


def test_a_tracking_number_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(IdentifierError, match="wrong check digit") as caught:
        s10_clean("ＲＲ１２３４５６７８４ＪＰ")
    assert caught.value.code == "s10_check_digit"
    assert s10_normalize("rr 123") == "RR123"


def test_python_stdnum_has_no_s10_module_so_the_upu_check_is_ours() -> None:
    # If a later python-stdnum adds UPU S10, use it instead of s10_check_digit.
    assert importlib.util.find_spec("stdnum.s10") is None
    assert importlib.util.find_spec("stdnum.isbn") is not None


@pytest.mark.parametrize(
    "typed",
    [
        "2026-11-30",
        "２０２６－１１－３０",
        "2026/11/30",
        "２０２６／１１／３０",
        "2026年11月30日",
        "2026.11.30",
        "2026\u201311\u201330",
        " 2026 - 11 - 30 ",
    ],
)
def test_it_reads_a_typed_date(typed: str) -> None:
    assert date_parse(typed) == dt.date(2026, 11, 30)


@pytest.mark.parametrize("typed", ["2026-02-30", "30/11/2026", "yesterday", ""])
def test_it_refuses_what_is_not_a_date(typed: str) -> None:
    with pytest.raises(IdentifierError):
        date_parse(typed)


@pytest.mark.parametrize("dash", DASHES)
def test_every_dash_folds_to_a_hyphen(dash: str) -> None:
    assert fold(f"A{dash}B") == "A-B"


@pytest.mark.parametrize("space", [*SPACES, "\n", "\r\n", "\u2000", "\u205f", "\u1680"])
def test_every_space_folds_to_one_space(space: str) -> None:
    assert fold(f"A{space}{space}B") == "A B"


@pytest.mark.parametrize("invisible", INVISIBLE)
def test_invisible_characters_are_dropped(invisible: str) -> None:
    assert compact(f"97{invisible}8") == "978"


# --- names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Universitätsbibliothek Wien", "Universita\u0308tsbibliothek Wien"),  # NFC / NFD
        ("Universitätsbibliothek Wien", "UNIVERSITÄTSBIBLIOTHEK  WIEN"),
        ("Universitätsbibliothek Wien", " universitätsbibliothek\u3000wien\t"),
        ("Staatsbibliothek zu Berlin Straße", "STAATSBIBLIOTHEK ZU BERLIN STRASSE"),
        ("ΒΙΒΛΙΟΘΗΚΗ ΤΗΣ ΒΟΥΛΗΣ", "βιβλιοθηκη της βουλης"),  # final sigma
        ("Российская государственная библиотека", "РОССИЙСКАЯ ГОСУДАРСТВЕННАЯ БИБЛИОТЕКА"),
        ("Thư viện Quốc gia Việt Nam", "Thư viện Quốc gia Việt Nam".upper()),
        (
            "Thư viện Quốc gia Việt Nam",
            "Thu\u031b vie\u0323\u0302n Quo\u0302\u0301c gia Vie\u0323\u0302t Nam",
        ),
        ("Ｗｉｅｎ Library", "Wien Library"),  # full-width Latin
        ("Jean-Paul Library", "Jean\u2010Paul Library"),
        ("서울대학교 중앙도서관", "서울대학교  중앙도서관"),
        ("서울대학교 중앙도서관", unicodedata.normalize("NFD", "서울대학교 중앙도서관")),  # jamo
        ("Library\u200b One", "Library One"),
    ],
)
def test_the_same_name_in_another_form_has_the_same_key(one: str, other: str) -> None:
    assert name_key(one) == name_key(other)


def test_different_names_have_different_keys() -> None:
    assert name_key("Universitätsbibliothek Wien") != name_key("Universitatsbibliothek Wien")
    assert name_key("ライブラリー") != name_key("ライブラリ-")  # ー is a letter in a name


def test_a_name_is_stored_composed_as_typed_otherwise() -> None:
    assert name_text("  Universita\u0308tsbibliothek   Wien ") == "Universitätsbibliothek Wien"
    assert name_text("Ｗｉｅｎ") == "Ｗｉｅｎ"


# --- every variant of a valid identifier normalises to one value --------------

FULL_WIDTH_OFFSET = 0xFEE0


def _typed(canonical: str, *, separators: bool = True) -> st.SearchStrategy[str]:
    """``canonical`` as a person might type it: each letter or digit ASCII or
    full-width and in either case, each hyphen any dash, any space or none,
    spaces of any kind around it, an invisible character here and there."""

    def char(c: str) -> st.SearchStrategy[str]:
        if c == "-":
            return st.sampled_from([*DASHES, *SPACES, ""] if separators else DASHES)
        forms = {c, c.lower(), c.upper()}
        forms |= {chr(ord(f) + FULL_WIDTH_OFFSET) for f in list(forms)}
        return st.sampled_from(sorted(forms))

    padding = st.sampled_from(["", *SPACES, *INVISIBLE])
    parts = [padding, *(char(c) for c in canonical), padding]
    return st.tuples(*parts).map("".join)


VALID = [
    # (canonical form as typed with hyphens, the normaliser, the stored value)
    ("978-4-8122-1553-1", isbn_normalize, "9784812215531"),
    ("4-8122-1553-6", isbn_normalize, "9784812215531"),
    ("0-8044-2957-X", isbn_normalize, "9780804429573"),
    ("979-10-90636-07-1", isbn_normalize, "9791090636071"),
    ("0317-8471", issn_normalize, "0317-8471"),
    ("2434-561X", issn_normalize, "2434-561X"),
    ("RR-123456785-JP", s10_clean, "RR123456785JP"),
    ("EE-000000005-JP", s10_clean, "EE000000005JP"),
    ("ILL-JP-00001", user_id_normalize, "ILL-JP-00001"),
    ("ILL-KR-12345", user_id_normalize, "ILL-KR-12345"),
    ("JP-23024891", jp_number_normalize, "23024891"),
]


@settings(max_examples=400, deadline=None)
@given(data=st.data(), example=st.sampled_from(VALID))
def test_every_typed_variant_of_an_identifier_normalises_to_one_value(
    data: st.DataObject, example: tuple[str, Callable[[str], str], str]
) -> None:
    canonical, normalize, stored = example
    typed = data.draw(_typed(canonical), label="typed")
    assert normalize(typed) == stored


@settings(max_examples=200, deadline=None)
@given(data=st.data(), example=st.sampled_from(["024681357", "D00000001", "R100000002-I000001"]))
def test_every_typed_variant_of_an_ndl_id_normalises_to_one_value(
    data: st.DataObject, example: str
) -> None:
    typed = data.draw(_typed(example, separators=False), label="typed")
    assert ndl_id_normalize(typed) == example.upper()


@settings(max_examples=200, deadline=None)
@given(data=st.data(), example=st.sampled_from(["JP-1000001", "DE-101"]))
def test_every_typed_variant_of_an_isil_normalises_to_one_value(
    data: st.DataObject, example: str
) -> None:
    typed = data.draw(_typed(example, separators=False), label="typed")
    assert isil_normalize(typed) == example


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    data=st.data(),
)
def test_every_typed_variant_of_a_date_reads_as_that_date(
    day: dt.date, data: st.DataObject
) -> None:
    typed = data.draw(_typed(day.isoformat(), separators=False), label="typed")
    assert date_parse(typed) == day


NAMES = [
    "Universitätsbibliothek Wien",
    "Bibliothèque nationale de France",
    "Национальная библиотека Украины имени Ярослава Мудрого",
    "Εθνική Βιβλιοθήκη της Ελλάδος",
    "Thư viện Quốc gia Việt Nam",
    "Národní knihovna České republiky",
    "서울대학교 중앙도서관",
    "北京大学图书馆",
]


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    form=st.sampled_from(["NFC", "NFD", "NFKC", "NFKD"]),
    case=st.sampled_from([str, str.upper, str.lower, str.title, str.casefold]),
    space=st.sampled_from(SPACES),
    repeat=st.integers(min_value=1, max_value=3),
)
def test_every_variant_of_a_library_name_has_one_key(
    name: str, form: str, case: Callable[[str], str], space: str, repeat: int
) -> None:
    variant = unicodedata.normalize(form, case(name)).replace(" ", space * repeat)
    assert name_key(f"{space}{variant}{space}") == name_key(name)


# --- the portal sign-in reads the User ID as typed --------------------------------


@pytest.fixture
def library_user(db):
    from core.models import User
    from registration.tests.factories import LibraryFactory

    library = LibraryFactory(user_id="ILL-JP-00042", country="JP")
    user = User.objects.create(username=library.user_id, library=library)
    user.set_password("correct horse battery staple")
    user.save()
    return user


@pytest.mark.parametrize(
    "typed", ["ILL-JP-00042", "ill-jp-00042", "ＩＬＬ－ＪＰ－０００４２", "ILL JP 00042"]
)
def test_a_library_signs_in_with_its_user_id_as_typed(client, library_user, typed):
    response = client.post(
        "/portal/login/", {"username": typed, "password": "correct horse battery staple"}
    )
    assert response.status_code == 302


def test_typed_variants_of_a_user_id_share_one_lockout(client, settings, library_user):
    # Five failures typed five ways are five failures of one User ID, not one each.
    settings.AXES_ENABLED = True
    for typed in [
        "ILL-JP-00042",
        "ill-jp-00042",
        "ＩＬＬ－ＪＰ－０００４２",
        "ILL JP 00042",
        "illjp00042",
    ]:
        client.post(
            "/portal/login/", {"username": typed, "password": "wrong"}, REMOTE_ADDR="203.0.113.9"
        )
    locked = client.post(
        "/portal/login/",
        {"username": "ILL-JP-00042", "password": "correct horse battery staple"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert locked.status_code == 429


# --- the forms and services read identifiers through this module ---------------


@pytest.mark.django_db
def test_the_dispatch_form_reads_a_full_width_tracking_number_and_date():
    from loans.forms_shipping import DispatchForm

    form = DispatchForm(
        data={
            "tracking_number": "ｒｒ １２３４５６７８５ ｊｐ",
            "shipped_on": "２０２６／１１／０２",
        }
    )
    with time_machine.travel(dt.datetime(2026, 11, 3, tzinfo=dt.UTC)):
        assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "tracking_number": "RR123456785JP",
        "shipped_on": dt.date(2026, 11, 2),
    }
    wrong = DispatchForm(data={"tracking_number": "RR123456784JP", "shipped_on": "2026-11-02"})
    assert "wrong check digit" in str(wrong.errors["tracking_number"])


@pytest.mark.django_db
def test_the_key_in_form_reads_user_id_and_ndl_ids_as_typed():
    from loans.forms import KeyInRequestForm
    from registration.tests.factories import LibraryFactory

    library = LibraryFactory(user_id="ILL-KR-00007", country="KR")
    form = KeyInRequestForm(
        data={
            "user_id": "ｉｌｌ－ｋｒ－０００７",
            "channel": "fax",
            "on_designated_form": "on",
            "ndl_ids": "０２４６８１３５７、024681358，\u3000d00000001",
        }
    )
    assert not form.is_valid()  # one digit short: not this library's User ID
    form = KeyInRequestForm(
        data={
            "user_id": "ｉｌｌ－ｋｒ－００００７",
            "channel": "fax",
            "on_designated_form": "on",
            "ndl_ids": "０２４６８１３５７、024681358，\u3000d00000001",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["user_id"] == library
    assert form.cleaned_data["ndl_ids"] == ["024681357", "024681358", "D00000001"]


def test_the_change_notice_form_reads_the_quoted_user_id():
    from registration.forms import ChangeNoticeForm

    field = ChangeNoticeForm.base_fields["quoted_user_id"]
    assert field.clean("ＩＬＬ－ＵＳ－０００１２") == "ILL-US-00012"


def test_the_services_check_a_typed_tracking_number():
    from core.errors import DomainError
    from loans.services.shipping import tracking_number_clean

    assert tracking_number_clean("ＲＲ１２３ ４５６ ７８５ＪＰ") == "RR123456785JP"
    with pytest.raises(DomainError, match="wrong check digit"):
        tracking_number_clean("RR－123456784－JP")
