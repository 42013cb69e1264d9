# ruff: noqa: RUF001  (Japanese text as typed: full-width and half-width forms)
"""The text rules of catalogue search: normalisation, tokens, names, queries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue.search_text import (
    IndexText,
    index_text,
    joined,
    matches,
    name_text,
    normalize,
    query_terms,
    runs,
    tokens,
)


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        # NFKC: half-width katakana become full-width (then hiragana).
        ("ﾄｼｮｶﾝ", "としよかん"),
        # Full-width Latin and digits are ASCII, lower case.
        ("ＮＤＬ２０２６", "ndl2026"),
        # The ideographic space is a space; runs of spaces are one.
        ("東京\u3000\u3000大学", "東京 大学"),
        # Katakana and hiragana are one script.
        ("トショカン", "としよかん"),
        ("としょかん", "としよかん"),
        # Older NDL readings write small kana full-size.
        ("トシヨカン", "としよかん"),
        # Voiced marks are letters: が is not か.
        ("ガッコウ", "がつこう"),
        ("ｶﾞｯｺｳ", "がつこう"),
        # The prolonged sound mark is dropped: both JIS spellings are one word.
        ("コンピューター", "こんぴゆた"),
        ("コンピュータ", "こんぴゆた"),
        ("ｺﾝﾋﾟｭｰﾀｰ", "こんぴゆた"),
        # Latin: case and diacritics folded, also when decomposed.
        ("Sōseki", "soseki"),
        ("So\u0304seki", "soseki"),
        ("Ｆｒéｄéｒｉｃ", "frederic"),
        ("Straße", "strasse"),
        ("ÉCOLE", "ecole"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_it_normalizes_as_readers_type(typed: str, folded: str) -> None:
    assert normalize(typed) == folded


@pytest.mark.parametrize(
    "text", ["ﾄｼｮｶﾝ ﾉ ﾚｷｼ", "Ｓōｓｅｋｉ　夏目", "コンピューター", "ヴァイオリン"]
)
def test_normalize_is_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


def test_runs_split_cjk_from_words_and_drop_separators() -> None:
    assert runs(normalize("図書館・情報学 Library Science 2版")) == [
        ("cjk", "図書館"),
        ("cjk", "情報学"),
        ("word", "library"),
        ("word", "science"),
        ("word", "2"),
        ("cjk", "版"),
    ]


def test_tokens_are_bigrams_with_the_last_character_and_words() -> None:
    assert tokens("図書館") == ["図書", "書館", "館"]
    assert tokens("本") == ["本"]
    assert tokens("東京 tokyo") == ["東京", "京", "tokyo"]
    assert tokens("") == []


@pytest.mark.parametrize(
    ("name", "indexed"),
    [
        ("夏目, 漱石", "夏目漱石"),
        ("夏目, 漱石, 1867-1916", "夏目漱石"),
        ("村上, 春樹, 1949-", "村上春樹"),
        ("ナツメ, ソウセキ", "なつめそうせき"),
        ("Natsume, Sōseki", "natsume soseki"),
        ("Natsume, Soseki, 1867-1916", "natsume soseki"),
    ],
)
def test_author_names_are_indexed_joined_without_dates(name: str, indexed: str) -> None:
    assert name_text(name) == indexed


def test_readings_are_joined_across_their_spaces() -> None:
    assert joined("トショカン ノ レキシ") == "としよかんのれきし"
    assert joined("Tokyo ノ レキシ") == "tokyo のれきし"


@pytest.fixture
def soseki() -> IndexText:
    return index_text(
        title="吾輩は猫である",
        title_transcription="ワガハイ ワ ネコ デ アル",
        author_names="夏目, 漱石, 1867-1916\nNatsume, Sōseki",
        author_transcriptions="ナツメ, ソウセキ",
        publisher="岩波書店",
    )


@pytest.fixture
def library_history() -> IndexText:
    return index_text(
        title="図書館の歴史",
        title_transcription="トショカン ノ レキシ",
        author_names="東京, 太郎",
        publisher="東京大学出版会",
    )


def _hit(query: str, text: IndexText) -> tuple[bool, bool]:
    return matches(query_terms(query), text)


@pytest.mark.parametrize(
    "query",
    ["夏目漱石", "夏目 漱石", "夏目\u3000漱石", "Natsume Soseki", "Soseki Natsume", "SŌSEKI"],
)
def test_author_with_or_without_the_space(query: str, soseki: IndexText) -> None:
    assert _hit(query, soseki) == (True, False)


@pytest.mark.parametrize("query", ["なつめそうせき", "ナツメ ソウセキ", "ﾅﾂﾒｿｳｾｷ"])
def test_author_reading_in_either_kana_matches(query: str, soseki: IndexText) -> None:
    assert _hit(query, soseki) == (True, False)


@pytest.mark.parametrize(
    "query", ["としょかん", "トショカン", "ﾄｼｮｶﾝ", "トシヨカン", "としょかんのれきし"]
)
def test_reading_finds_the_title(query: str, library_history: IndexText) -> None:
    assert _hit(query, library_history) == (True, True)


def test_two_character_word_finds_the_title(library_history: IndexText) -> None:
    assert _hit("図書", library_history) == (True, True)
    # 東京 is in the author and the publisher, not the title.
    assert _hit("東京", library_history) == (True, False)


def test_one_character_query_looks_up_a_prefix() -> None:
    (term,) = query_terms("館")
    assert term.prefix and term.tokens == ["館"]
    # The last character of a run is indexed on its own, so the prefix finds it.
    assert "T館" in index_text(title="図書館").lexemes()


def test_longer_query_must_appear_in_order_not_just_its_bigrams() -> None:
    # 歴史図書館 has the bigrams 歴史, 図書, 書館 (all in 図書館の歴史) but not in this order.
    shuffled = index_text(title="図書館の歴史")
    assert _hit("歴史図書館", shuffled) == (False, False)
    assert _hit("図書館の歴史", shuffled) == (True, True)


def test_english_words_in_any_order_case_and_diacritics_folded() -> None:
    text = index_text(title="A History of Japanese Libraries", author_names="Müller, Jürgen")
    for query in [
        "japanese history",
        "HISTORY japanese",
        "libraries  OF",
        "Muller",
        "jurgen müller",
    ]:
        assert _hit(query, text)[0], query
    # Whole words only: "librar" is not a word of the title.
    assert _hit("librar", text) == (False, False)


def test_query_terms_drop_duplicates_and_separators() -> None:
    assert [t.text for t in query_terms("東京、東京 tokyo TOKYO!")] == ["東京", "tokyo"]
    assert query_terms("  ・、!? ") == []
    assert matches([], index_text(title="x")) == (False, False)


def test_fields_never_join_into_one_bigram() -> None:
    text = index_text(title="東京", publisher="大学")
    assert "T京大" not in text.lexemes() and "N京大" not in text.lexemes()
    assert _hit("東京大学", text) == (False, False)


def test_lexemes_tell_title_from_other_fields() -> None:
    lexemes = index_text(title="猫", author_names="Cat, Tom").lexemes()
    assert lexemes == ["Ncat", "Ntom", "T猫"]


def test_empty_material_has_no_lexemes() -> None:
    assert index_text(title="").lexemes() == []
    assert index_text(title="").title == ""


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "図書館の歴史 第2巻", "title_transcription": "トショカン ノ レキシ"},
        {"title": "ｺﾝﾋﾟｭｰﾀｰ　ＮＤＬ２０２６", "publisher": "Éditions Gallimard"},
        {
            "title": "A History of Libraries: 東京",
            "author_names": "夏目, 漱石, 1867-1916\nMüller, Jürgen",
            "author_transcriptions": "ナツメ, ソウセキ\n",
            "responsibility": "夏目漱石 著 ; Jürgen Müller 訳",
            "publisher": "岩波書店",
        },
        {"title": "本", "author_names": "猫"},
        {"title": "", "publisher": "   "},
        {"title": "o'k back\\slash 々〆ヶ 𠮷野家"},
    ],
)
def test_the_lexemes_found_while_indexing_are_those_of_the_texts(fields: dict[str, str]) -> None:
    text = index_text(**fields)
    assert text.lexemes() == IndexText(title=text.title, names=text.names).lexemes()


# Kanji, kana (small, half-width, voiced, the prolonged mark), separators,
# Latin with diacritics, full-width digits, iteration marks, a kanji beyond the BMP.
_CHARACTERS = "図書館歴史としょかんトショカンｶﾞｯｺｰ ー・,.-_ aBcÉé1２\u3000々〆ヶ\u3099𠮷\n"
_MIXED = st.text(alphabet=st.sampled_from(list(_CHARACTERS)), max_size=30)


@given(_MIXED)
def test_joined_is_the_runs_with_the_separators_between_cjk_runs_dropped(text: str) -> None:
    expected: list[str] = []
    previous = ""
    for kind, run in runs(normalize(text)):
        if expected and not (kind == previous == "cjk"):
            expected.append(" ")
        expected.append(run)
        previous = kind
    assert joined(text) == "".join(expected)


@given(_MIXED, _MIXED, _MIXED, _MIXED, _MIXED, _MIXED)
def test_the_lexemes_found_while_indexing_are_those_of_any_texts(
    title: str, reading: str, names: str, readings: str, responsibility: str, publisher: str
) -> None:
    text = index_text(
        title=title,
        title_transcription=reading,
        author_names=names,
        author_transcriptions=readings,
        responsibility=responsibility,
        publisher=publisher,
    )
    assert text.lexemes() == IndexText(title=text.title, names=text.names).lexemes()
