# ruff: noqa: RUF001  (full-width forms of volume/issue numbers on purpose)
"""The photoduplication rules at their boundaries (``copies.rules``)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from copies.rules import (
    DIGITAL_COLLECTIONS_URL,
    MESSAGES,
    REFUSE_CODES,
    NoPolicy,
    Note,
    Part,
    Reason,
    Refusal,
    copy_check,
    issue_key,
    max_pages,
)


def book(**kwargs: Any) -> SimpleNamespace:
    return SimpleNamespace(
        **{"material_type": "book", "page_count": 300, "digitized_url": "", **kwargs}
    )


def periodical(**kwargs: Any) -> SimpleNamespace:
    return book(material_type="periodical", page_count=120, **kwargs)


PART = Part(pages_from=1, pages_to=150, research_declared=True)
ARTICLE = Part(
    pages_from=20,
    pages_to=95,
    volume_issue="Vol. 12, No. 3",
    article_title="Kansai no toshokan",
    research_declared=True,
)


def test_it_copies_exactly_half_of_a_300_page_book() -> None:
    check = copy_check(material=book(), policy=None, part=PART)
    assert check.ok, check.codes
    assert max_pages(300) == 150


def test_it_refuses_one_page_more_than_half() -> None:
    check = copy_check(material=book(), policy=None, part=replace(PART, pages_to=151))
    assert check.codes == [Reason.MORE_THAN_HALF]
    assert "151/300" in check.refusals[0].message_en
    assert "著作権法第31条" in check.refusals[0].message_ja


def test_half_of_an_odd_extent_rounds_down() -> None:
    assert copy_check(material=book(page_count=301), policy=None, part=PART).ok
    over = replace(PART, pages_to=151)
    assert not copy_check(material=book(page_count=301), policy=None, part=over).ok


def test_pages_past_the_end_of_the_work_are_refused() -> None:
    part = Part(pages_from=299, pages_to=301, research_declared=True)
    assert copy_check(material=book(), policy=None, part=part).codes == [Reason.PAGES_BEYOND_EXTENT]


def test_an_article_of_a_superseded_issue_is_copied_whole() -> None:
    # 76 of the issue's 120 pages: more than half, but a whole article.
    check = copy_check(material=periodical(), policy=None, part=ARTICLE)
    assert check.ok, check.codes
    assert [n.code for n in check.notes] == [Note.WHOLE_ARTICLE]


def test_an_article_record_is_pinpointed_and_copied_as_a_periodicals_article() -> None:
    article = book(material_type="article", page_count=None)
    assert copy_check(material=article, policy=None, part=ARTICLE).ok
    bare = Part(pages_from=3, pages_to=9, research_declared=True)
    assert copy_check(material=article, policy=None, part=bare).codes == [Reason.PART_NOT_GIVEN]


def test_still_images_are_left_to_staff_flags() -> None:
    assert copy_check(material=book(material_type="still_image"), policy=None, part=PART).ok


def test_an_article_of_the_latest_issue_is_refused_with_the_issue_named() -> None:
    policy = replace(NoPolicy(), latest_issue="vol.12 no.3")
    check = copy_check(material=periodical(), policy=policy, part=ARTICLE)
    assert check.codes == [Reason.LATEST_ISSUE]
    assert "Vol. 12, No. 3" in check.refusals[0].message_en


def test_issue_keys_ignore_width_case_and_punctuation() -> None:
    assert (
        issue_key("Vol. 12, No. 3") == issue_key("ｖｏｌ．１２　ｎｏ．３") == issue_key("vol12no3")
    )
    assert issue_key("Vol. 12, No. 3") != issue_key("Vol. 12, No. 4")


def test_a_copyright_expired_work_is_copied_whole() -> None:
    policy = replace(NoPolicy(), copyright_expired=True)
    whole = Part(pages_from=1, pages_to=300, research_declared=True)
    check = copy_check(material=book(), policy=policy, part=whole)
    assert check.ok
    assert [n.code for n in check.notes] == [Note.COPYRIGHT_EXPIRED]


def test_unknown_extent_leaves_the_half_rule_to_staff() -> None:
    check = copy_check(material=book(page_count=None), policy=None, part=PART)
    assert check.ok
    assert check.staff_check_extent
    assert Note.EXTENT_UNKNOWN in [n.code for n in check.notes]
    # Staff who counted the pages apply the rule to their count.
    staff = copy_check(material=book(page_count=None), policy=None, part=PART, extent=280)
    assert staff.codes == [Reason.MORE_THAN_HALF]


def test_the_part_must_be_pinpointed() -> None:
    assert copy_check(material=book(), policy=None, part=Part(research_declared=True)).codes == [
        Reason.PART_NOT_GIVEN
    ]
    check = copy_check(
        material=periodical(),
        policy=None,
        part=Part(pages_from=3, pages_to=9, research_declared=True),
    )
    assert check.codes == [Reason.PART_NOT_GIVEN]
    message = check.refusals[0].message_en
    assert "the volume and issue" in message and "the article's title" in message
    assert "巻号" in check.refusals[0].message_ja


def test_a_backwards_range_is_refused() -> None:
    part = Part(pages_from=20, pages_to=10, research_declared=True)
    assert copy_check(material=book(), policy=None, part=part).codes == [Reason.PAGES_INVALID]


def test_the_research_declaration_and_one_copy_are_required() -> None:
    part = replace(PART, research_declared=False, copies=2)
    assert copy_check(material=book(), policy=None, part=part).codes == [
        Reason.NO_DECLARATION,
        Reason.ONE_COPY,
    ]


@pytest.mark.parametrize(
    ("material", "policy", "code"),
    [
        (book(), replace(NoPolicy(), residential_map=True), Reason.RESIDENTIAL_MAP),
        (book(material_type="electronic_resource"), None, Reason.ELECTRONIC),
        (book(material_type="phonographic_record"), None, Reason.AUDIO_VISUAL),
        (book(material_type="sound"), None, Reason.AUDIO_VISUAL),
        (book(material_type="moving_image"), None, Reason.AUDIO_VISUAL),
        (book(), replace(NoPolicy(), forbidden=True, forbidden_note="brittle"), Reason.FORBIDDEN),
    ],
)
def test_every_category_that_is_never_copied(material: Any, policy: Any, code: str) -> None:
    assert copy_check(material=material, policy=policy, part=PART).codes == [code]


def test_a_digitized_material_points_to_the_digital_collections() -> None:
    url = "https://dl.ndl.go.jp/pid/1234567"
    check = copy_check(material=book(digitized_url=url), policy=None, part=PART)
    assert check.codes == [Reason.DIGITIZED]
    assert url in check.refusals[0].message_en
    assert "デジタルコレクション" in check.refusals[0].message_ja
    flagged = copy_check(material=book(is_digitized=True), policy=None, part=PART)
    assert DIGITAL_COLLECTIONS_URL in flagged.refusals[0].message_en


def test_the_forbidden_note_and_the_method_are_quoted() -> None:
    policy = replace(NoPolicy(), forbidden=True, forbidden_note="Binding too tight")
    check = copy_check(material=book(), policy=policy, part=PART)
    assert "Binding too tight" in check.refusals[0].message_ja
    method = replace(NoPolicy(), method_note="from microfilm only")
    check = copy_check(material=book(), policy=method, part=PART)
    assert check.ok
    assert check.notes[0].code == Note.METHOD
    assert "from microfilm only" in check.notes[0].message_en


def test_every_failing_reason_is_reported_at_once() -> None:
    material = book(material_type="electronic_resource", digitized_url="https://dl.ndl.go.jp/x")
    policy = replace(NoPolicy(), residential_map=True, forbidden=True, forbidden_note="rights")
    part = Part(pages_from=1, pages_to=200, copies=3)
    assert copy_check(material=material, policy=policy, part=part).codes == [
        Reason.NO_DECLARATION,
        Reason.ONE_COPY,
        Reason.RESIDENTIAL_MAP,
        Reason.ELECTRONIC,
        Reason.FORBIDDEN,
        Reason.DIGITIZED,
        Reason.MORE_THAN_HALF,
    ]


@pytest.mark.parametrize("code", [*REFUSE_CODES, Note.METHOD, Note.EXTENT_UNKNOWN])
def test_every_message_exists_in_english_and_japanese(code: str) -> None:
    en, ja = MESSAGES[code]
    assert (en and ja and en != ja) or code == Reason.OTHER
    # A staff refusal without a detail reads cleanly in both languages.
    for language in ("en", "ja"):
        text = Refusal(code).message(language)
        assert "{" not in text and ":." not in text and "：。" not in text
