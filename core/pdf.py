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

SERIF_JA = "HeiseiMin-W3"
SANS_JA = "HeiseiKakuGo-W5"
SANS = "Helvetica"
SANS_BOLD = "Helvetica-Bold"

for _font in (SERIF_JA, SANS_JA):
    if _font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_font))


def _needs_cjk(text: str) -> bool:
    return any(ord(ch) > 0x2FF for ch in text)


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
        return (translation.get_language() or "").startswith("ja")

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
        """Draw one line; switches to a Japanese font when the text needs it."""
        font = (
            (SANS_JA if bold else SERIF_JA) if _needs_cjk(value) else (SANS_BOLD if bold else SANS)
        )
        self.canvas.setFont(font, size)
        px, py = x * mm, (self.height_mm - y) * mm
        if align == "center":
            self.canvas.drawCentredString(px, py, value)
        elif align == "right":
            self.canvas.drawRightString(px, py, value)
        else:
            self.canvas.drawString(px, py, value)

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
        font = SERIF_JA if _needs_cjk(value) else SANS
        for paragraph in value.splitlines() or [""]:
            line = ""
            for word in _split_words(paragraph):
                candidate = f"{line}{word}"
                if line and pdfmetrics.stringWidth(candidate, font, size) > width * mm:
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
