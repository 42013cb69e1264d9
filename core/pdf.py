"""The base of every PDF the system produces (letters, certificates, slips).

Subclasses implement ``draw(canvas)`` with layout in millimetres; ``render()``
returns the bytes. Text is drawn in the Noto Sans faces of ``core.fonts``,
each character in the first face that has it, every face embedded as a
subset: names and addresses in every script of the NDL's borrowers print the
same in every viewer. Arabic is joined and laid out right to left before it
is drawn; Thai is shaped with HarfBuzz so its marks sit where they belong.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from typing import ClassVar

import arabic_reshaper
from bidi import get_display
from django.utils import translation
from django_countries.fields import Country
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import shapeStr
from reportlab.pdfgen.canvas import Canvas

from . import fonts
from .fonts import HanForm
from .i18n import in_japanese

#: Faces whose text is shaped by HarfBuzz: Thai stacks and moves its marks.
_SHAPED = frozenset({"thai"})


@functools.cache
def _reshaper() -> arabic_reshaper.ArabicReshaper:
    # Only the ligatures the embedded Arabic face has a glyph for.
    return arabic_reshaper.ArabicReshaper(
        arabic_reshaper.config_for_true_type_font(fonts.FACES["arabic"].file())
    )


def _is_rtl(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL")


def _visual(value: str) -> str:
    """``value`` as drawn from left to right: NFC, and any Arabic or Hebrew
    joined (presentation forms) and reordered by the Unicode bidi algorithm."""
    value = unicodedata.normalize("NFC", value)
    if value.isascii() or not any(map(_is_rtl, value)):
        return value
    return get_display(_reshaper().reshape(value))


def _joins(ch: str) -> bool:
    """Spaces, digits, punctuation and marks stay in the face of the text
    around them when it has them, so "2026年11月2日" is one run."""
    return unicodedata.category(ch)[0] in "ZPSMN"


def _runs(value: str, *, bold: bool = False, han: HanForm = "ja") -> list[tuple[str, str]]:
    """Split a line (already visual, see ``_visual``) into (face, text) runs,
    each drawn by the first face of the fallback chain that has its glyphs."""
    if not value:
        return []
    if value.isascii():  # most lines: one run, no per-character pass
        return [("latin", value)]
    han = fonts.line_han_form(value, han)
    runs: list[tuple[str, str]] = []
    for ch in value:
        if runs and _joins(ch) and fonts.has_glyph(runs[-1][0], ch):
            key = runs[-1][0]
        else:
            key = fonts.face_for(ch, han) or (runs[-1][0] if runs else "latin")
        if runs and runs[-1][0] == key:
            runs[-1] = (key, runs[-1][1] + ch)
        else:
            runs.append((key, ch))
    return runs


def _run_width(key: str, text: str, *, size: float, bold: bool) -> float:
    font = fonts.font(key, bold=bold)
    font.measure(text)
    return pdfmetrics.stringWidth(text, font.fontName, size)


@functools.lru_cache(maxsize=8192)
def _layout(value: str, bold: bool, han: HanForm) -> tuple[tuple[str, str, float], ...]:
    """A line as drawn: its (face, text, width at 1 pt) runs, in visual order.
    Kept: documents repeat their lines, and wrapping measures each many times."""
    runs = _runs(_visual(value), bold=bold, han=han)
    return tuple((key, part, _run_width(key, part, size=1, bold=bold)) for key, part in runs)


def text_width(value: str, *, size: float, bold: bool = False, han: HanForm = "ja") -> float:
    """The width of ``value`` in points, as ``PdfDocument.text`` draws it."""
    return sum(width for _, _, width in _layout(value, bold, han)) * size


def country_line(country: Country | str) -> str:
    """The last line of an address sent abroad: the country's English name in
    capitals, as the UPU asks of international mail ("UNITED KINGDOM")."""
    if not isinstance(country, Country):
        country = Country(code=country)
    with translation.override("en"):
        return str(country.name).upper()


def with_country(lines: list[str], country: Country | str) -> list[str]:
    """Address ``lines`` ending with the country line (``country_line``): a
    last line that already ends with the country's English name gets it in
    capitals ("100-8924 Japan" -> "100-8924 JAPAN"), otherwise the line is added."""
    name = country_line(country)
    lines = [line for line in lines if line.strip()]
    if lines and lines[-1].rstrip().casefold().endswith(name.casefold()):
        last = lines[-1].rstrip()
        return [*lines[:-1], last[: len(last) - len(name)] + name]
    return [*lines, name]


# Full-width punctuation on purpose: these are the Japanese marks.
_NO_LINE_START = frozenset("、。，．・：；？！」』）】〕〉》ー々")  # noqa: RUF001


class PdfDocument:
    """Render one document to bytes. Layout in mm from the top-left corner."""

    title: ClassVar[str] = "NDL document"
    pagesize: ClassVar[tuple[float, float]] = A4
    margin_mm: ClassVar[float] = 20
    #: The language the document is drawn in; None keeps the current one.
    #: Documents sent to a library use the library's language, not the
    #: language of the staff member who prints them.
    language: str | None = None

    def render(self) -> bytes:
        if self.language is None:
            return self._render()
        with translation.override(self.language):
            return self._render()

    @property
    def in_japanese(self) -> bool:
        return in_japanese()

    def _render(self) -> bytes:
        buffer = io.BytesIO()
        # An embedded face from the start: reportlab would otherwise list
        # Helvetica, which is never embedded, among the page's fonts.
        canvas = Canvas(
            buffer,
            pagesize=self.pagesize,
            pageCompression=1,
            initialFontName=fonts.font_name("latin"),
        )
        canvas.setTitle(self.title)
        canvas.setAuthor("National Diet Library")
        self.canvas = canvas
        self.draw(canvas)
        canvas.showPage()
        canvas.save()
        return buffer.getvalue()

    def draw(self, canvas: Canvas) -> None:
        raise NotImplementedError

    # --- helpers, all in mm from the top-left --------------------------------
    @property
    def width_mm(self) -> float:
        return self.pagesize[0] / mm

    @property
    def height_mm(self) -> float:
        return self.pagesize[1] / mm

    def text(
        self,
        x: float,
        y: float,
        value: str,
        *,
        size: float = 10,
        bold: bool = False,
        align: str = "left",
        han: HanForm = "ja",
        max_width: float | None = None,
    ) -> None:
        """Draw one line, each run of characters in the face that has them.

        ``han`` is the Han form of the line's kanji/hanzi (``core.fonts``):
        Japanese for the NDL's text, the library's for its name and address.
        A line wider than ``max_width`` mm is drawn smaller to fit it."""
        runs = _layout(value, bold, han)
        width = sum(part_width for _, _, part_width in runs) * size
        if max_width is not None and width > max_width * mm:
            size, width = size * max_width * mm / width, max_width * mm
        px, py = x * mm, (self.height_mm - y) * mm
        if align != "left":
            px -= width / 2 if align == "center" else width
        # One text object per line, so a text extractor reads the runs as one line.
        line = self.canvas.beginText(px, py)
        for key, part, _ in runs:
            name = fonts.font_name(key, bold=bold)
            line.setFont(name, size)
            if key in _SHAPED:
                part = shapeStr(part, name, size)
            line.textOut(part)
        self.canvas.drawText(line)

    def lines(
        self,
        x: float,
        y: float,
        values: list[str],
        *,
        size: float = 10,
        leading: float = 5,
        han: HanForm = "ja",
        max_width: float | None = None,
    ) -> float:
        """Draw several lines; return the y below the last one. With
        ``max_width`` (mm), a line too wide for it is wrapped."""
        for value in values:
            if max_width is None:
                self.text(x, y, value, size=size, han=han)
                y += leading
            else:
                y = self.wrapped(x, y, value, width=max_width, size=size, leading=leading, han=han)
        return y

    def wrapped(
        self,
        x: float,
        y: float,
        value: str,
        *,
        width: float,
        size: float = 10,
        leading: float = 5,
        bold: bool = False,
        align: str = "left",
        han: HanForm = "ja",
    ) -> float:
        """Draw a paragraph wrapped to ``width`` mm; return the y below it.
        A word longer than the width is drawn smaller to fit it."""
        for line in self._wrap(value, width=width, size=size, bold=bold, han=han):
            self.text(x, y, line, size=size, bold=bold, align=align, han=han, max_width=width)
            y += leading
        return y

    def fitted(
        self,
        x: float,
        y: float,
        value: str,
        *,
        width: float,
        height: float,
        size: float,
        min_size: float = 6,
        bold: bool = False,
        han: HanForm = "ja",
    ) -> None:
        """Draw ``value`` in a box ``width`` x ``height`` mm whose first
        baseline is ``y``: on one line at ``size`` if it fits, otherwise
        wrapped at the largest size down to ``min_size`` whose lines fit."""
        size_now = size
        while True:
            leading = size_now * 0.42
            lines = self._wrap(value, width=width, size=size_now, bold=bold, han=han)
            if len(lines) * leading <= height + leading * 0.5 or size_now <= min_size:
                break
            size_now = max(min_size, size_now - 0.5)
        for line in lines:
            self.text(x, y, line, size=size_now, bold=bold, han=han, max_width=width)
            y += leading

    def _wrap(
        self, value: str, *, width: float, size: float, bold: bool, han: HanForm
    ) -> list[str]:
        """``value`` split into lines no wider than ``width`` mm (kinsoku kept)."""
        lines: list[str] = []
        for paragraph in value.splitlines() or [""]:
            line = ""
            for word in _split_words(paragraph):
                candidate = f"{line}{word}"
                too_wide = text_width(candidate, size=size, bold=bold, han=han) > width * mm
                # Japanese closing punctuation never starts a line (kinsoku).
                if line and too_wide and word not in _NO_LINE_START:
                    lines.append(line.rstrip())
                    line = word.lstrip()
                else:
                    line = candidate
            lines.append(line.rstrip())
        return lines

    def rule(self, x1: float, y1: float, x2: float, y2: float, *, width: float = 0.5) -> None:
        self.canvas.setLineWidth(width)
        self.canvas.line(x1 * mm, (self.height_mm - y1) * mm, x2 * mm, (self.height_mm - y2) * mm)

    def box(self, x: float, y: float, w: float, h: float, *, width: float = 0.5) -> None:
        self.canvas.setLineWidth(width)
        self.canvas.rect(x * mm, (self.height_mm - y - h) * mm, w * mm, h * mm)

    def letterhead(self, *, site_lines: list[str]) -> float:
        """NDL heading at the top; return the y below it."""
        if self.in_japanese:
            self.text(self.margin_mm, 20, "国立国会図書館", size=14, bold=True)
            self.text(self.margin_mm, 26, "National Diet Library", size=10)
        else:
            self.text(self.margin_mm, 20, "National Diet Library", size=14, bold=True)
            self.text(self.margin_mm, 26, "国立国会図書館", size=10)
        y = 32.0
        for line in site_lines:
            self.text(self.margin_mm, y, line, size=8)
            y += 4
        self.rule(self.margin_mm, y, self.width_mm - self.margin_mm, y)
        return y + 8


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _split_words(text: str) -> list[str]:
    """Split into wrap units: words for Latin text, characters for Japanese,
    Chinese and Korean (each ending with the spaces after it)."""
    units: list[str] = []
    word = ""
    for ch in text:
        if _is_wide(ch):
            if word:
                units.append(word)
                word = ""
            units.append(ch)
        elif ch == " ":
            units.append(word + " ")
            word = ""
        else:
            word += ch
    if word:
        units.append(word)
    return units
