"""The base of every PDF the system produces (letters, certificates, slips).

Subclasses implement ``draw(canvas)`` with layout in millimetres; ``render()``
returns the bytes. Japanese text uses reportlab's built-in CID fonts, so
nothing is fetched or embedded at run time.
"""

from __future__ import annotations

import io
from typing import ClassVar

from django.utils import translation
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from .i18n import in_japanese

SERIF_JA = "HeiseiMin-W3"
SANS_JA = "HeiseiKakuGo-W5"
SANS = "Helvetica"
SANS_BOLD = "Helvetica-Bold"

for _font in (SERIF_JA, SANS_JA):
    if _font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_font))


def _needs_cjk(text: str) -> bool:
    """True if Helvetica (WinAnsi) cannot draw some character of ``text``."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return True
    return False


def _runs(value: str, *, bold: bool = False) -> list[tuple[str, str]]:
    """Split ``value`` into (font, text) runs: Japanese in a CID font, Latin
    words in Helvetica. Digits, spaces and punctuation stay with the text
    around them, so "2026年11月24日" is one run and "ILL-US-00001" another."""
    latin, japanese = (SANS_BOLD, SANS_JA) if bold else (SANS, SERIF_JA)
    if not _needs_cjk(value):  # all Latin (most lines): one run, no per-character pass
        return [(latin, value)] if value else []
    kinds = ["J" if _needs_cjk(ch) else ("L" if ch.isalpha() else "N") for ch in value]
    strong = [k for k in kinds if k != "N"]
    current = strong[0] if strong else "L"
    runs: list[tuple[str, str]] = []
    for ch, kind in zip(value, kinds, strict=True):
        if kind != "N":
            current = kind
        font = japanese if current == "J" else latin
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs


def text_width(value: str, *, size: float, bold: bool = False) -> float:
    """The width of ``value`` in points, as ``PdfDocument.text`` draws it."""
    return sum(pdfmetrics.stringWidth(t, f, size) for f, t in _runs(value, bold=bold))


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
        canvas = Canvas(buffer, pagesize=self.pagesize, pageCompression=1)
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
    ) -> None:
        """Draw one line. Japanese runs use a Japanese CID font and the rest
        Helvetica, so Latin letters inside a Japanese line keep their own
        spacing in every viewer."""
        px, py = x * mm, (self.height_mm - y) * mm
        runs = _runs(value, bold=bold)
        if align != "left":
            width = sum(pdfmetrics.stringWidth(t, f, size) for f, t in runs)
            px -= width / 2 if align == "center" else width
        for font, part in runs:
            self.canvas.setFont(font, size)
            self.canvas.drawString(px, py, part)
            px += pdfmetrics.stringWidth(part, font, size)

    def lines(
        self, x: float, y: float, values: list[str], *, size: float = 10, leading: float = 5
    ) -> float:
        """Draw several lines; return the y below the last one."""
        for value in values:
            self.text(x, y, value, size=size)
            y += leading
        return y

    def wrapped(
        self, x: float, y: float, value: str, *, width: float, size: float = 10, leading: float = 5
    ) -> float:
        """Draw a paragraph wrapped to ``width`` mm; return the y below it."""
        for paragraph in value.splitlines() or [""]:
            line = ""
            for word in _split_words(paragraph):
                candidate = f"{line}{word}"
                too_wide = text_width(candidate, size=size) > width * mm
                # Japanese closing punctuation never starts a line (kinsoku).
                if line and too_wide and word not in _NO_LINE_START:
                    self.text(x, y, line.rstrip(), size=size)
                    y += leading
                    line = word.lstrip()
                else:
                    line = candidate
            self.text(x, y, line.rstrip(), size=size)
            y += leading
        return y

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


def _split_words(text: str) -> list[str]:
    """Split into wrap units: words for Latin text, characters for Japanese."""
    units: list[str] = []
    word = ""
    for ch in text:
        if _needs_cjk(ch):
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
