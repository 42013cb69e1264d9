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

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

# --- normalisation --------------------------------------------------------------

# Katakana ァ..ヶ (and ヴ) are hiragana 0x60 code points lower; small kana become
# full-size; the prolonged sound mark and the wave dashes go.
_KANA_FOLD: dict[int, int | str | None] = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
_KANA_FOLD.update(
    {
        code: big
        for small, big in zip("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ", strict=True)
        for code in (ord(small), ord(small) + 0x60)  # the hiragana and the katakana
    }
)
_KANA_FOLD.update(dict.fromkeys(map(ord, "ー〜～"), None))
# Combining diacritics of Latin, Greek and Cyrillic letters (kana voicing marks,
# U+3099/U+309A, are not among them: が stays が).
_LATIN_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
# Characters of text written without spaces between words: kana (not the
# middle dot ・ nor the voicing marks), kanji, 々〆〇ヶ.
_CJK_CHARS = (
    "\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff々〆〇"
)
_RUN = re.compile(f"([{_CJK_CHARS}]+)|([^\\W_{_CJK_CHARS}]+)")
_RUN_TEXT = re.compile(f"[{_CJK_CHARS}]+|[^\\W_{_CJK_CHARS}]+")
_BETWEEN_CJK = re.compile(f"(?<=[{_CJK_CHARS}]) (?=[{_CJK_CHARS}])")


def normalize(text: str) -> str:
    """``text`` folded as the index and the query compare it (see the module doc).

    In: any text (``str``); out: the folded text, whitespace runs as one space,
    stripped. Never raises. Idempotent: ``normalize(normalize(x)) == normalize(x)``.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text))
        text = text.translate(_KANA_FOLD)
        # NFKC again: casefold and the folds above may leave composable pairs.
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


# --- runs and tokens ------------------------------------------------------------

_WORD = "word"
_CJK = "cjk"


def runs(text: str) -> list[tuple[str, str]]:
    """The runs of already normalised ``text``: ``(kind, run)`` pairs in order,
    ``kind`` being ``"cjk"`` or ``"word"``; separators are dropped."""
    return [(_CJK, cjk) if cjk else (_WORD, word) for cjk, word in _RUN.findall(text)]


def _cjk_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


_NAME_DATES = re.compile(r",?\s*[0-9]{3,4}\s*-\s*(?:[0-9]{3,4})?\s*$")


def joined(text: str) -> str:
    """Normalised ``text`` with the separators between two CJK runs removed
    (``夏目, 漱石`` → ``夏目漱石``, ``トショカン ノ レキシ`` → ``としよかんのれきし``),
    for names and readings. Latin words stay apart (``natsume soseki``)."""
    # The runs one space apart, then the spaces between two CJK characters
    # (the last of a CJK run, the first of the next) dropped.
    return _BETWEEN_CJK.sub("", " ".join(_RUN_TEXT.findall(normalize(text))))


@functools.lru_cache(maxsize=65536)  # names and publishers repeat across a catalogue
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
    # The lexemes, when ``index_text`` found them while building the texts
    # (they are a function of ``title`` and ``names``: not compared).
    found: frozenset[str] | None = field(default=None, compare=False, repr=False)

    def lexemes(self) -> list[str]:
        """The distinct index terms, title terms prefixed ``T`` and the others ``N``
        (one term never stands for the other: the title rank needs to know)."""
        if self.found is not None:
            return sorted(self.found)
        found = {"T" + token for token in _text_tokens(self.title)}
        found.update("N" + token for token in _text_tokens(self.names))
        return sorted(found)


def _text_tokens(padded: str) -> Iterator[str]:
    for part in padded.split("\n"):
        yield from tokens(part)


def _line(part: str, prefix: str) -> tuple[str, list[str]]:
    """One field's line of an ``IndexText`` (its runs, one space apart) and its
    lexemes (the tokens of those runs, prefixed): ``tokens`` of the line, found
    in the one pass over the runs (a large import indexes every record)."""
    line: list[str] = []
    found: list[str] = []
    for cjk, word in _RUN.findall(part):
        if cjk:
            line.append(cjk)
            if len(cjk) > 1:
                found += [prefix + cjk[i : i + 2] for i in range(len(cjk) - 1)]
            found.append(prefix + cjk[-1])
        else:
            line.append(word)
            found.append(prefix + word)
    return " ".join(line), found


@functools.lru_cache(maxsize=65536)  # names and publishers repeat across a catalogue
def _names_line(part: str) -> tuple[str, frozenset[str]]:
    line, found = _line(part, "N")
    return line, frozenset(found)


def _padded(lines: Iterable[str]) -> str:
    """Each non-empty line, one space apart, on lines of their own (a bigram
    never spans two fields); padded with spaces."""
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
    title_line, found = _line(normalize(title), "T")
    reading_line, reading_found = _line(joined(title_transcription), "T")
    lexemes = set(found)
    lexemes.update(reading_found)
    name_parts = [name_text(line) for line in author_names.splitlines()]
    name_parts += [name_text(line) for line in author_transcriptions.splitlines()]
    name_parts.append(joined(responsibility))
    name_parts.append(_publisher_text(publisher))
    name_lines = []
    for part in name_parts:
        line, names_found = _names_line(part)
        name_lines.append(line)
        lexemes.update(names_found)
    return IndexText(
        title=_padded((title_line, reading_line)),
        names=_padded(name_lines),
        found=frozenset(lexemes),
    )


@functools.lru_cache(maxsize=65536)
def _publisher_text(publisher: str) -> str:
    return normalize(publisher)


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
