# ruff: noqa: RUF001, RUF002  (the examples are Japanese text as typed)
"""Catalogue text as search reads it: one normalisation, one tokeniser.

Both the index (what a material is found by) and the query (what a librarian
typed) go through this module, so the two always agree. No database here:
``catalogue.search`` stores and queries what these functions return.

Normalisation (``normalize``):

* Unicode NFKC: half-width katakana become full-width (``ﾄｼｮｶﾝ`` → ``トショカン``),
  full-width Latin and digits become ASCII (``ＮＤＬ２０２６`` → ``NDL2026``), the
  ideographic space U+3000 is a space;
* case folded (``Straße`` → ``strasse``), and Latin diacritics dropped
  (``Sōseki``, ``Söseki`` → ``soseki``); the voiced marks of kana are letters
  and stay (``が`` is not ``か``);
* katakana folded to hiragana (``トショカン`` → ``としょかん``), so that hiragana
  and katakana find each other and the reading (NDL gives readings in katakana);
* small kana folded to their full-size letters (``ょ`` → ``よ``): older NDL
  readings write ``トシヨカン`` where newer ones write ``トショカン``;
* the prolonged sound mark ``ー`` is dropped, so that the JIS spellings
  ``コンピュータ`` and ``コンピューター`` are one word (Japanese readers treat them
  as one); so are the iteration-free wave dashes ``〜``/``～``.

Tokenisation (``tokens``): the normalised text falls into runs. A run of CJK
characters (kanji, kana, ``々``, ``〆``, ``ヶ``) has no spaces between words, so
it is cut into overlapping character bigrams (``図書館`` → ``図書``, ``書館``),
and its last character is also a token of its own, so that a one-character
query finds every occurrence (see ``query_tokens``). A run of other letters
and digits (Latin, Cyrillic, Hangul, ...) is a word. Everything else
separates.

Names and readings (``joined``): a person's name is written ``夏目, 漱石`` in
NDL records and typed ``夏目漱石`` or ``夏目 漱石``; a reading is written with
spaces between words (``トショカン ノ レキシ``) and typed without them. Such
fields are indexed with the separators between two CJK characters removed, so
both forms find them: the query ``夏目 漱石`` has the tokens ``夏目`` and ``漱石``,
which ``夏目漱石`` contains, and ``夏目漱石`` has ``目漱``, which only the joined
form has. Latin names are words in any order (``Soseki Natsume``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# --- normalisation --------------------------------------------------------------

_KATAKANA_FIRST, _KATAKANA_LAST = 0x30A1, 0x30F6  # ァ ... ヶ
_KANA_OFFSET = 0x60  # katakana minus hiragana, for ァ..ヶ (ヵヶ have hiragana ゕゖ)
_SMALL_KANA = str.maketrans(
    "ぁぃぅぇぉっゃゅょゎゕゖ",
    "あいうえおつやゆよわかけ",
)
_DROPPED = dict.fromkeys(map(ord, "ー〜～\u3099\u309a"))  # prolonged sound, wave dashes


def _is_cjk(char: str) -> bool:
    """A character of Japanese or Chinese text, written without spaces between words."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x31F0 <= code <= 0x31FF  # katakana phonetic extensions
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0x20000 <= code <= 0x3FFFF  # CJK extensions B-H (rare kanji of names)
        or char in "々〆〇ヶ"
    ) and char not in "・゠゛゜"


def _fold_char(char: str) -> str:
    code = ord(char)
    if _KATAKANA_FIRST <= code <= _KATAKANA_LAST:
        return chr(code - _KANA_OFFSET)
    if char == "ヴ":
        return "ゔ"
    return char


def _drop_latin_marks(text: str) -> str:
    """``text`` without the combining marks of non-CJK letters (é → e), kana untouched."""
    decomposed = unicodedata.normalize("NFD", text)
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and kept and not _is_cjk(kept[-1]):
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def normalize(text: str) -> str:
    """``text`` folded as the index and the query compare it (see the module doc).

    In: any text (``str``); out: the folded text, whitespace runs as one space,
    stripped. Never raises. Idempotent: ``normalize(normalize(x)) == normalize(x)``.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = _drop_latin_marks(text)
        text = "".join(map(_fold_char, text)).translate(_SMALL_KANA).translate(_DROPPED)
        # NFKC again: casefold and the folds above may leave composable pairs.
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


# --- runs and tokens ------------------------------------------------------------

_WORD = "word"
_CJK = "cjk"


def runs(text: str) -> list[tuple[str, str]]:
    """The runs of already normalised ``text``: ``(kind, run)`` pairs in order,
    ``kind`` being ``"cjk"`` or ``"word"``; separators are dropped."""
    found: list[tuple[str, str]] = []
    kind = ""
    start = 0
    for index, char in enumerate(text + " "):
        if _is_cjk(char):
            this = _CJK
        elif char.isalnum():
            this = _WORD
        else:
            this = ""
        if this != kind:
            if kind:
                found.append((kind, text[start:index]))
            kind, start = this, index
    return found


def _cjk_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


_NAME_DATES = re.compile(r",?\s*[0-9]{3,4}\s*-\s*(?:[0-9]{3,4})?\s*$")


def joined(text: str) -> str:
    """Normalised ``text`` with the separators between two CJK runs removed
    (``夏目, 漱石`` → ``夏目漱石``, ``トショカン ノ レキシ`` → ``としよかんのれきし``),
    for names and readings. Latin words stay apart (``natsume soseki``)."""
    out: list[str] = []
    previous = ""
    for kind, run in runs(normalize(text)):
        if out and not (kind == previous == _CJK):
            out.append(" ")
        out.append(run)
        previous = kind
    return "".join(out)


def name_text(name: str) -> str:
    """One author name as indexed: joined, without the life dates NDL appends
    (``夏目, 漱石, 1867-1916`` → ``夏目漱石``; ``Natsume, Soseki`` → ``natsume soseki``)."""
    return joined(_NAME_DATES.sub("", name.strip()))


def tokens(text: str) -> list[str]:
    """The index tokens of already normalised ``text``, in order, duplicates kept."""
    found: list[str] = []
    for kind, run in runs(text):
        found.extend(_cjk_tokens(run) if kind == _CJK else [run])
    return found


# --- what a material is found by -----------------------------------------------


@dataclass(frozen=True)
class IndexText:
    """The two searchable texts of a material, normalised, runs separated by one
    space and the whole padded with a space at each end, so that ``" word "``
    finds a whole word and ``"図書館"`` a CJK run's substring.

    ``title``: the title and its reading. ``names``: the authors, their
    readings, the statement of responsibility and the publisher.
    """

    title: str
    names: str

    def lexemes(self) -> list[str]:
        """The distinct index terms, title terms prefixed ``T`` and the others ``N``
        (one term never stands for the other: the title rank needs to know)."""
        found = {"T" + token for token in _text_tokens(self.title)}
        found.update("N" + token for token in _text_tokens(self.names))
        return sorted(found)


def _text_tokens(padded: str) -> Iterator[str]:
    for part in padded.split("\n"):
        yield from tokens(part)


def _padded(parts: Iterable[str]) -> str:
    """Each non-empty part's runs, one space apart; parts on lines of their own
    (a bigram never spans two fields); padded with spaces."""
    lines = [" ".join(run for _, run in runs(part)) for part in parts]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    return " " + " \n ".join(lines) + " "


def index_text(
    *,
    title: str,
    title_transcription: str = "",
    author_names: str = "",
    author_transcriptions: str = "",
    responsibility: str = "",
    publisher: str = "",
) -> IndexText:
    """What a material is found by (see ``IndexText``).

    In: the catalogue fields as stored (``author_names`` and
    ``author_transcriptions`` one name a line). Out: ``IndexText``. Never raises.
    """
    title_parts = [normalize(title), joined(title_transcription)]
    name_parts = [name_text(line) for line in author_names.splitlines()]
    name_parts += [name_text(line) for line in author_transcriptions.splitlines()]
    name_parts += [joined(responsibility), normalize(publisher)]
    return IndexText(title=_padded(title_parts), names=_padded(name_parts))


# --- what a query asks for ------------------------------------------------------


@dataclass(frozen=True)
class QueryTerm:
    """One run of a query: a CJK run (``cjk``) or a word. ``tokens`` are the
    index terms it needs (without the field prefix); ``prefix`` is true for a
    one-character CJK run, which is looked up as a prefix of the bigrams."""

    text: str
    cjk: bool

    @property
    def tokens(self) -> list[str]:
        if not self.cjk:
            return [self.text]
        if len(self.text) == 1:
            return [self.text]
        return [self.text[i : i + 2] for i in range(len(self.text) - 1)]

    @property
    def prefix(self) -> bool:
        return self.cjk and len(self.text) == 1

    @property
    def pattern(self) -> str:
        """The substring an ``IndexText`` field contains when it matches: the CJK
        run itself, or the word between spaces."""
        return self.text if self.cjk else f" {self.text} "

    def found_in(self, text: str) -> bool:
        """``text`` (an ``IndexText`` field) contains this term."""
        return self.pattern in text


def query_terms(query: str) -> list[QueryTerm]:
    """The terms of a typed query, each of which a hit must contain (in any field,
    any order); duplicates removed, order kept.

    A query's CJK runs are joined across spaces only where the index joins them
    too (names and readings), so a run stays as typed here: ``夏目 漱石`` is two
    terms, each of which the joined name ``夏目漱石`` contains. Never raises;
    ``[]`` for a query with no letters or digits.
    """
    seen: dict[tuple[str, bool], QueryTerm] = {}
    for kind, run in runs(normalize(query)):
        term = QueryTerm(text=run, cjk=kind == _CJK)
        seen.setdefault((term.text, term.cjk), term)
    return list(seen.values())


def matches(terms: list[QueryTerm], text: IndexText) -> tuple[bool, bool]:
    """Whether a material with ``text`` is a hit for ``terms``, and whether it is
    a title hit (every term in the title or its reading). ``(False, False)`` for
    no terms."""
    if not terms:
        return False, False
    whole = text.title + text.names
    hit = all(term.found_in(whole) for term in terms)
    return hit, hit and all(term.found_in(text.title) for term in terms)
