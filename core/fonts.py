"""The fonts every PDF is drawn with, and which of them draws each character.

One family, Noto Sans, in the faces that cover the scripts of the NDL's
borrowers. Each comes from a PyPI package in ``requirements.txt`` (SIL Open
Font License 1.1), so every installation draws with the same glyphs, and every
face is embedded as a subset, so every viewer shows the same page:

- Noto Sans (``fontpkg-noto-sans``): Latin with every European and
  Vietnamese letter, Cyrillic, Greek;
- Noto Sans Thai (``fontpkg-noto-sans-thai``): Thai;
- Noto Sans Arabic (``fontpkg-noto-sans-arabic``): Arabic;
- Noto Sans Hebrew (``justmytype-intl-rtl``): Hebrew;
- Noto Sans JP, KR, SC and TC (``justmytype-intl-cjk``): kana and kanji,
  Hangul, simplified and traditional Chinese.

The packages ship *variable* TrueType fonts (one file, a weight axis).
reportlab embeds only the file's default instance, which is Thin for the CJK
faces, so :class:`InstanceFont` has HarfBuzz draw each glyph at the weight
wanted (Regular 400, Bold 700) the first time it is used, fontTools write it
as a TrueType glyph, and builds the embedded subset from those glyphs.
reportlab's ToUnicode maps are replaced by ones that also carry characters
beyond the Basic Multilingual Plane and HarfBuzz's substituted glyphs, so the
text extracts as it was written (``_to_unicode_cmap``).

Which face draws a character: the first of a fallback chain whose character
map has it. Han characters look different in Japan, Korea, mainland China and
Taiwan, so the chain puts the face of the text's *Han form* first: Japanese
for the NDL's own text, the library's country for its name and address
(:func:`han_form_for_country`), and kana or Hangul in a line decide for it.

Every face is read once per process, when first drawn (:func:`font_name`).
"""

from __future__ import annotations

import copy
import functools
import threading
import unicodedata
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, Literal
from weakref import WeakKeyDictionary

import uharfbuzz
from fontTools.agl import toUnicode
from fontTools.pens.ttGlyphPen import TTGlyphPen
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTEncoding, TTFont, TTFontFace, TTFontMaker, _set_ushort

HanForm = Literal["ja", "ko", "zh-Hans", "zh-Hant"]

REGULAR = 400
BOLD = 700
#: Subset fonts kept per face and weight (a few kilobytes each).
_SUBSETS_KEPT = 128


@dataclass(frozen=True)
class Face:
    """A font file of a package, and the name it is registered under."""

    key: str
    package: str
    path: str
    name: str  # PostScript-style name, shown in a viewer's font list

    def file(self) -> str:
        return str(files(self.package).joinpath(self.path))


_CJK = "justmytype_intl_cjk"
FACES: dict[str, Face] = {
    face.key: face
    for face in (
        Face("latin", "fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf", "NotoSans"),
        Face("thai", "fontpkg_noto_sans_thai", "files/NotoSansThai[wdth,wght].ttf", "NotoSansThai"),
        Face(
            "arabic",
            "fontpkg_noto_sans_arabic",
            "files/NotoSansArabic[wdth,wght].ttf",
            "NotoSansArabic",
        ),
        Face(
            "hebrew",
            "justmytype_intl_rtl",
            "fonts/ofl/notosanshebrew/NotoSansHebrew[wdth,wght].ttf",
            "NotoSansHebrew",
        ),
        Face("ja", _CJK, "fonts/ofl/notosansjp/NotoSansJP[wght].ttf", "NotoSansJP"),
        Face("ko", _CJK, "fonts/ofl/notosanskr/NotoSansKR[wght].ttf", "NotoSansKR"),
        Face("zh-Hans", _CJK, "fonts/ofl/notosanssc/NotoSansSC[wght].ttf", "NotoSansSC"),
        Face("zh-Hant", _CJK, "fonts/ofl/notosanstc/NotoSansTC[wght].ttf", "NotoSansTC"),
    )
}
_HAN_FACES: tuple[HanForm, ...] = ("ja", "zh-Hant", "zh-Hans", "ko")

_COUNTRY_HAN_FORMS: dict[str, HanForm] = {
    "CN": "zh-Hans",
    "SG": "zh-Hans",
    "TW": "zh-Hant",
    "HK": "zh-Hant",
    "MO": "zh-Hant",
    "KR": "ko",
    "KP": "ko",
}


def han_form_for_country(country: str) -> HanForm:
    """The Han glyph forms for a name or address written in ``country``
    (ISO 3166-1 alpha-2): simplified Chinese for CN and SG, traditional for TW,
    HK and MO, Korean for KR and KP, Japanese elsewhere."""
    return _COUNTRY_HAN_FORMS.get(str(country).upper(), "ja")


def _is_kana(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff" or "\u31f0" <= ch <= "\u31ff" or "\uff66" <= ch <= "\uff9d"


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f"


def line_han_form(text: str, default: HanForm) -> HanForm:
    """Kana make a line Japanese and Hangul make it Korean, whatever the
    country says; otherwise ``default``."""
    for ch in text:
        if _is_kana(ch):
            return "ja"
        if _is_hangul(ch):
            return "ko"
    return default


# --- the faces in reportlab -------------------------------------------------------


class InstanceFont(TTFont):
    """A reportlab TrueType font drawn at one weight of a variable font.

    reportlab's reading of the file (character map, default metrics) is shared
    by the weights of a face and assigns characters to subsets as usual; the
    glyphs and advance widths embedded are those of the weight asked for,
    computed per glyph by HarfBuzz and kept for the life of the process.
    Glyphs are embedded decomposed and unhinted.
    """

    def __init__(self, name: str, face: Face, weight: int) -> None:
        # TTFont.__init__, with the file read once per face instead of per weight.
        self.fontName = name
        parsed = _parsed(face.key)
        self.face = copy.copy(parsed)
        self.face.charWidths = dict(parsed.charWidths)
        # Shaping adds private-use codes for substituted glyphs, per weight.
        self.face.charToGlyph = dict(parsed.charToGlyph)
        self.face.glyphToChar = {gid: list(codes) for gid, codes in parsed.glyphToChar.items()}
        self.encoding = TTEncoding()
        self.state: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()
        self._asciiReadable = False
        self.shapable = True
        self.weight = weight
        self.location = {"wght": float(weight)}
        self.face.name = f"{face.name}-{'Bold' if weight >= BOLD else 'Regular'}".encode("ascii")
        self.face.makeSubset = self._make_subset  # type: ignore[method-assign]
        self._outlines = uharfbuzz.Font(_hb_face(face.key))
        self._outlines.set_variations(self.location)
        self._glyphs: dict[int, tuple[bytes, int, int]] = {}
        self._subsets: dict[tuple[int, ...], bytes] = {}
        self._measured: set[int] = set()
        self._lock = threading.Lock()
        _by_face_name[self.face.name.decode("ascii")] = self

    def measure(self, text: str) -> None:
        """Put this weight's advance widths of ``text``'s characters where
        reportlab's width calculation reads them."""
        widths = self.face.charWidths
        char_to_glyph = self.face.charToGlyph
        for code in map(ord, text):
            if code in self._measured or code not in char_to_glyph:
                continue
            widths[code] = self.glyph(char_to_glyph[code])[1]
            self._measured.add(code)

    def glyph(self, gid: int) -> tuple[bytes, int, int]:
        """The glyph ``gid`` at this weight: (TrueType glyph data, advance, lsb)."""
        found = self._glyphs.get(gid)
        if found is not None:
            return found
        with self._lock:
            pen = TTGlyphPen(None)
            self._outlines.draw_glyph_with_pen(gid, pen)
            glyph = pen.glyph()
            data = glyph.compile(None)
            lsb = int(glyph.xMin) if glyph.numberOfContours else 0
            found = (data, self._outlines.get_glyph_h_advance(gid), lsb)
            self._glyphs[gid] = found
        return found

    def glyph_name(self, gid: int) -> str:
        return str(self._outlines.glyph_to_string(gid))

    def hbFont(self, fontSize: float = 10) -> Any:
        """The HarfBuzz font reportlab shapes Thai with, at this weight."""
        font = super().hbFont(fontSize)
        font.set_variations(self.location)
        return font

    def _make_subset(self, subset: list[int]) -> bytes:
        """A TrueType font of the characters ``subset`` (codes in subset order),
        as reportlab's ``makeSubset`` builds it, with this weight's glyphs.
        Documents of the same kind repeat their subsets: the last ones are kept."""
        key = tuple(subset)
        found = self._subsets.get(key)
        if found is None:
            found = self._build_subset(subset)
            with self._lock:
                if len(self._subsets) >= _SUBSETS_KEPT:
                    self._subsets.pop(next(iter(self._subsets)))
                self._subsets[key] = found
        return found

    def _build_subset(self, subset: list[int]) -> bytes:
        source = self.face
        glyph_map = [0]  # new glyph index -> glyph index in the file
        seen = {0: 0}
        code_to_glyph = []
        for code in subset:
            gid = source.charToGlyph.get(code, 0)
            if gid not in seen:
                seen[gid] = len(glyph_map)
                glyph_map.append(gid)
            code_to_glyph.append(seen[gid])
        output = TTFontMaker()
        for tag in ("name", "OS/2"):
            output.add(tag, source.get_table(tag))
        output.add("post", b"\x00\x03\x00\x00" + source.get_table("post")[4:16] + b"\x00" * 16)
        glyphs = [self.glyph(gid) for gid in glyph_map]
        hmtx = b"".join(
            advance.to_bytes(2, "big") + lsb.to_bytes(2, "big", signed=True)
            for _, advance, lsb in glyphs
        )
        output.add("hmtx", hmtx)
        output.add("hhea", _set_ushort(source.get_table("hhea"), 34, len(glyphs)))
        output.add("maxp", _set_ushort(source.get_table("maxp"), 4, len(glyphs)))
        cmap = [0, 1, 1, 0, 0, 12, 6, 10 + len(subset) * 2, 0, 0, len(subset), *code_to_glyph]
        output.add("cmap", b"".join(v.to_bytes(2, "big") for v in cmap))
        glyf, loca, pos = [], [], 0
        for data, _, _ in glyphs:
            loca.append(pos)
            padded = data + b"\0" * (-len(data) % 4)
            glyf.append(padded)
            pos += len(padded)
        loca.append(pos)
        output.add("glyf", b"".join(glyf))
        output.add("loca", b"".join(offset.to_bytes(4, "big") for offset in loca))
        output.add("head", _set_ushort(source.get_table("head"), 50, 1))  # long loca
        return output.makeStream()


@functools.cache
def _parsed(key: str) -> TTFontFace:
    return TTFontFace(FACES[key].file())


@functools.cache
def _hb_face(key: str) -> Any:
    return uharfbuzz.Face(uharfbuzz.Blob(_parsed(key)._ttf_data))


_registry_lock = threading.Lock()


def font_name(key: str, *, bold: bool = False) -> str:
    """The reportlab name of face ``key`` at regular or bold weight,
    registering it the first time (once per process)."""
    return _font(key, bold).fontName


def font(key: str, *, bold: bool = False) -> InstanceFont:
    """Face ``key`` at regular or bold weight, registered once per process."""
    return _font(key, bold)


@functools.cache
def _font(key: str, bold: bool) -> InstanceFont:
    name = f"{FACES[key].name}-{'Bold' if bold else 'Regular'}"
    with _registry_lock:
        found = pdfmetrics._fonts.get(name)
        if isinstance(found, InstanceFont):
            return found
        registered = InstanceFont(name, FACES[key], BOLD if bold else REGULAR)
        pdfmetrics.registerFont(registered)
        return registered


def chain(han: HanForm) -> tuple[str, ...]:
    """The faces to try, in order, for a line whose Han characters take ``han`` forms."""
    return ("latin", "thai", "arabic", "hebrew", han, *(h for h in _HAN_FACES if h != han))


@functools.cache
def face_for(ch: str, han: HanForm) -> str | None:
    """The first face of ``chain(han)`` that has a glyph for ``ch``, or None."""
    for key in chain(han):
        if has_glyph(key, ch):
            return key
    return None


def has_glyph(key: str, ch: str) -> bool:
    """Whether face ``key``'s character map has ``ch``."""
    return ord(ch) in _parsed(key).charToGlyph


# --- text extraction ----------------------------------------------------------------
#
# reportlab writes each subset's ToUnicode map with four hex digits per
# character, which cannot hold a character beyond the Basic Multilingual Plane
# (𩸽, 𠮷): it must be written as a UTF-16 surrogate pair. And a glyph that
# HarfBuzz substitutes (a Thai tone mark made smaller over a vowel) has no
# character of its own; reportlab gives it a private-use code, which maps back
# here to the character its glyph name says it draws ("uni0E48.small": U+0E48).
_by_face_name: dict[str, InstanceFont] = {}


def _text_of(font: InstanceFont | None, code: int) -> str:
    if font is not None and 0xE000 <= code <= 0xF8FF:
        gid = font.face.charToGlyph.get(code)
        if gid is not None:
            name = font.glyph_name(gid)
            text = toUnicode(name.split(".")[0]) if name.startswith("uni") else ""
            if text:
                return unicodedata.normalize("NFC", text)
    return chr(code)


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ``makeToUnicodeCMap``, with UTF-16 and private-use glyphs mapped back."""
    return _to_unicode_cmap_of(fontname, tuple(subset))


@functools.lru_cache(maxsize=1024)
def _to_unicode_cmap_of(fontname: str, subset: tuple[int, ...]) -> str:
    font = _by_face_name.get(fontname.partition("+")[2])
    entries = [
        f"<{code:02X}> <{_text_of(font, value).encode('utf-16-be').hex().upper()}>"
        for code, value in enumerate(subset)
    ]
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo",
            f"<< /Registry ({fontname})",
            f"/Ordering ({fontname})",
            "/Supplement 0",
            ">> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
            f"{len(entries)} beginbfchar",
            *entries,
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


ttfonts.makeToUnicodeCMap = _to_unicode_cmap
