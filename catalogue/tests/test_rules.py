# ruff: noqa: RUF001  (Japanese text uses full-width punctuation on purpose)
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue.models import (
    NON_BOOK_TYPES,
    RARE_TYPES,
    SERIAL_TYPES,
    LanguageCategory,
    Material,
    MaterialType,
    Unsuitability,
)
from catalogue.rules import (
    LOANABILITY_CODES,
    MESSAGES,
    REJECT_CODES,
    Reason,
    Refusal,
    is_loanable,
    loanability,
    rejection_messages,
    unknown_facts,
)


def material(**kwargs) -> Material:
    """An unsaved loanable Japanese book; the rules need no database."""
    defaults = {
        "ndl_id": "000000001",
        "title": "Test",
        "language": LanguageCategory.JAPANESE,
        "acquired_on": dt.date(2006, 4, 1),
        "material_type": MaterialType.BOOK,
        "site_id": 1,
    }
    return Material(**{**defaults, **kwargs})


def codes(m: Material) -> list[str]:
    return [r.code for r in loanability(m)]


def test_it_lends_a_plain_recent_book():
    assert loanability(material()) == []
    assert is_loanable(material())


@pytest.mark.parametrize(
    ("acquired_on", "expected"),
    [
        (dt.date(1995, 12, 31), [Reason.JAPANESE_ACQUIRED_BEFORE_1996]),
        (dt.date(1996, 1, 1), []),
    ],
)
def test_japanese_book_boundary(acquired_on, expected):
    assert codes(material(acquired_on=acquired_on)) == expected


@pytest.mark.parametrize(
    ("acquired_on", "expected"),
    [
        (dt.date(1947, 12, 31), [Reason.FOREIGN_ACQUIRED_BEFORE_1948]),
        (dt.date(1948, 1, 1), []),
    ],
)
def test_foreign_book_boundary(acquired_on, expected):
    m = material(language=LanguageCategory.FOREIGN, acquired_on=acquired_on)
    assert codes(m) == expected


def test_a_foreign_book_from_1950_is_loanable_but_a_japanese_one_is_not():
    assert codes(material(language=LanguageCategory.FOREIGN, acquired_on=dt.date(1950, 1, 1))) == []
    assert codes(material(acquired_on=dt.date(1950, 1, 1))) == [
        Reason.JAPANESE_ACQUIRED_BEFORE_1996
    ]


@pytest.mark.parametrize("kind", sorted(SERIAL_TYPES))
def test_every_serial_type_is_refused_with_its_kind(kind):
    [refusal] = loanability(material(material_type=kind))
    assert refusal.code == Reason.SERIAL
    assert refusal.detail == kind


@pytest.mark.parametrize("kind", sorted(NON_BOOK_TYPES))
def test_every_non_book_type_is_refused_and_says_which(kind):
    [refusal] = loanability(material(material_type=kind))
    assert refusal.code == Reason.NON_BOOK
    assert refusal.detail == kind
    assert kind.replace("_", " ").split()[0] in refusal.message_en.lower()


@pytest.mark.parametrize(
    ("kind", "en", "ja"),
    [
        (Unsuitability.LARGE_SIZED, "large-sized book", "大型本"),
        (Unsuitability.REFERENCE, "reference book", "参考図書"),
        (Unsuitability.PAMPHLET, "pamphlet", "パンフレット"),
    ],
)
def test_unsuitable_says_which(kind, en, ja):
    [refusal] = loanability(material(unsuitable=kind))
    assert refusal.code == Reason.UNSUITABLE
    assert en in refusal.message_en
    assert ja in refusal.message_ja


def test_staff_exclusion_carries_the_note():
    [refusal] = loanability(material(staff_excluded=True, staff_note="On exhibition until May"))
    assert refusal.code == Reason.STAFF_EXCLUDED
    assert "On exhibition until May" in refusal.message_en
    assert "On exhibition until May" in refusal.message_ja


def test_it_reports_every_failing_rule_not_just_the_first():
    m = material(
        acquired_on=dt.date(1990, 1, 1),
        is_digitized=True,
        is_rare=True,
        material_type=MaterialType.MICROFILM,
    )
    assert codes(m) == [
        Reason.JAPANESE_ACQUIRED_BEFORE_1996,
        Reason.DIGITIZED,
        Reason.RARE,
        Reason.NON_BOOK,
    ]


def test_every_code_has_an_english_and_a_japanese_message():
    for code in REJECT_CODES:
        en, ja = MESSAGES[code]
        assert en and ja
        assert en != ja or code == Reason.OTHER
    assert set(LOANABILITY_CODES) < set(REJECT_CODES)


def test_a_staff_refusal_without_detail_reads_cleanly():
    assert Refusal(Reason.UNSUITABLE).message_en == "Materials unsuitable for lending are not lent."


def test_rejection_messages_use_the_materials_detail_and_the_note():
    m = material(unsuitable=Unsuitability.PAMPHLET)
    msgs = rejection_messages(
        material=m, codes=[Reason.UNSUITABLE, Reason.OTHER], note="Binding loose", language="ja"
    )
    assert msgs == ["貸出に適さない資料は貸出できません：パンフレット。", "Binding loose"]


# --- properties over the flags ----------------------------------------------
FLAG_CODES = {
    "is_digitized": ({"is_digitized": True}, Reason.DIGITIZED),
    "serial": ({"material_type": MaterialType.PERIODICAL}, Reason.SERIAL),
    "is_deteriorated": ({"is_deteriorated": True}, Reason.DETERIORATED),
    "is_rare": ({"is_rare": True}, Reason.RARE),
    "unsuitable": ({"unsuitable": Unsuitability.REFERENCE}, Reason.UNSUITABLE),
    "is_collection": ({"is_collection": True}, Reason.COLLECTION),
    "market_available": ({"market_available": True}, Reason.MARKET_AVAILABLE),
    "is_amusement": ({"is_amusement": True}, Reason.AMUSEMENT),
    "staff_excluded": ({"staff_excluded": True, "staff_note": "x"}, Reason.STAFF_EXCLUDED),
    "old": ({"acquired_on": dt.date(1995, 12, 31)}, Reason.JAPANESE_ACQUIRED_BEFORE_1996),
}
# Serial and non-book are both material types, so only one can apply at once.
NON_BOOK = ({"material_type": MaterialType.MUSIC_SCORE}, Reason.NON_BOOK)


@pytest.mark.parametrize("flag", sorted(FLAG_CODES))
def test_each_flag_alone_gives_exactly_its_code(flag):
    fields, code = FLAG_CODES[flag]
    assert codes(material(**fields)) == [code]


def test_non_book_alone_gives_exactly_its_code():
    assert codes(material(**NON_BOOK[0])) == [NON_BOOK[1]]


@settings(max_examples=200, deadline=None)
@given(
    flags=st.sets(st.sampled_from(sorted(FLAG_CODES))),
    non_book=st.booleans(),
)
def test_codes_are_the_union_of_the_flags_codes(flags, non_book):
    fields: dict = {}
    expected = set()
    for flag in flags:
        fields.update(FLAG_CODES[flag][0])
        expected.add(FLAG_CODES[flag][1])
    if non_book and "serial" not in flags:
        fields.update(NON_BOOK[0])
        expected.add(NON_BOOK[1])
    got = codes(material(**fields))
    assert set(got) == expected
    assert len(got) == len(expected)
    assert is_loanable(material(**fields)) == (not expected)


@settings(max_examples=100, deadline=None)
@given(
    language=st.sampled_from(LanguageCategory.values),
    acquired_on=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)),
)
def test_the_date_rule_depends_only_on_language_and_date(language, acquired_on):
    cutoff = dt.date(1996, 1, 1) if language == LanguageCategory.JAPANESE else dt.date(1948, 1, 1)
    assert is_loanable(material(language=language, acquired_on=acquired_on)) == (
        acquired_on >= cutoff
    )


# --- unknown facts: staff review, never loanable -----------------------------


@pytest.mark.parametrize(
    ("facts", "unknown"),
    [
        ({"material_type": ""}, ["unknown_type"]),
        ({"material_type": "hologram"}, ["unknown_type"]),
        ({"language": ""}, ["unknown_language"]),
        ({"language": "latin"}, ["unknown_language"]),
        ({"site_id": None}, ["no_site"]),
        ({"acquired_on": None}, ["no_acquisition_date"]),
        ({"review_reasons": ["unknown_type"]}, ["unknown_type"]),
        (
            {"site_id": None, "acquired_on": None, "language": ""},
            ["unknown_language", "no_site", "no_acquisition_date"],
        ),
    ],
)
def test_a_material_with_an_unknown_fact_needs_review_and_is_not_loanable(facts, unknown):
    m = material(**facts)
    refusals = loanability(m)
    assert not is_loanable(m)
    assert refusals[0].code == Reason.NEEDS_REVIEW
    assert refusals[0].detail == ",".join(unknown)
    assert unknown_facts(m) == unknown


def test_known_facts_need_no_review():
    assert unknown_facts(material()) == []
    assert unknown_facts(material(language=LanguageCategory.FOREIGN)) == []


def test_the_review_message_names_each_unknown_fact_in_both_languages():
    m = material(site_id=None, acquired_on=None)
    refusal = loanability(m)[0]
    assert refusal.message_en == (
        "NDL staff must check this material before it can be lent: "
        "holding site unknown, acquisition date unknown."
    )
    assert refusal.message_ja == (
        "この資料は、貸出できるかどうかを当館職員が確認する必要があります："
        "所蔵館が不明、受入日が不明。"
    )


def test_an_unknown_acquisition_date_skips_only_the_date_rule():
    m = material(acquired_on=None, is_digitized=True)
    assert codes(m) == [Reason.NEEDS_REVIEW, Reason.DIGITIZED]


@pytest.mark.parametrize(
    ("acquired_on", "expected"),
    [
        # Unknown language: either date rule could apply; the review says so.
        (dt.date(1947, 12, 31), [Reason.NEEDS_REVIEW]),
        (dt.date(1996, 1, 1), [Reason.NEEDS_REVIEW]),
    ],
)
def test_an_unknown_language_applies_no_date_rule(acquired_on, expected):
    assert codes(material(language="", acquired_on=acquired_on)) == expected


@pytest.mark.parametrize("kind", sorted(RARE_TYPES))
def test_classical_books_and_manuscripts_are_rare_by_type(kind):
    assert codes(material(material_type=kind)) == [Reason.RARE]


def test_every_material_type_has_a_loan_rule_group_or_is_a_book():
    grouped = SERIAL_TYPES | NON_BOOK_TYPES | RARE_TYPES
    assert set(MaterialType.values) - grouped == {MaterialType.BOOK}
    assert not SERIAL_TYPES & NON_BOOK_TYPES
    assert not RARE_TYPES & (SERIAL_TYPES | NON_BOOK_TYPES)


def test_a_digital_collections_link_makes_the_material_digitized():
    m = material(digitized_url="https://dl.ndl.go.jp/pid/1234567")
    assert codes(m) == [Reason.DIGITIZED]
