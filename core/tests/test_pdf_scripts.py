"""Every library name prints in every PDF: in its own script, legibly, with
the fonts embedded, and reads back from the PDF as it was written.

The names are those of ``../shared/names/library-names.tsv`` (skipped when the
folder is absent, required when ``NDL_SHARED_REQUIRED=1``).

What "reads back" means: pypdf's text of the page contains the name as it is
stored. For Arabic the page draws the letters joined, as the presentation
forms U+FB50 to U+FEFF, in visual order; pypdf reads them back in logical order,
and Unicode compatibility normalisation (NFKC) folds each form back to its
letter, so the check is that the NFKC of the page's text contains the name.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from fontTools.ttLib import TTFont as FontToolsFont
from pypdf import PdfReader
from pypdf.generic import ContentStream

from catalogue.tests.factories import MaterialFactory
from core import fonts
from core.models import Site, SiteCode
from core.pdf import PdfDocument, country_line
from loans.models import LoanStatus
from loans.pdf.letters import RefusalLetter
from loans.pdf.shipping import LoanSlip, ToBorrowers
from loans.tests.factories import LoanRequestFactory
from registration.models import Library
from registration.pdf import ApprovalLetter, RegistrationCertificate, RequestForm
from registration.tests.factories import LibraryFactory
from returns.pdf import ReturnAddressLabel
from returns.tests.factories import ShippedLoanFactory

pytestmark = pytest.mark.django_db

NAMES_FILE = Path(settings.BASE_DIR).parent / "shared" / "names" / "library-names.tsv"


@dataclass(frozen=True)
class Name:
    language: str
    script: str
    country: str
    original: str
    latin: str


def _names() -> list[Name]:
    if not NAMES_FILE.exists():
        return []
    rows = []
    for line in NAMES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(Name(*line.split("\t")[:5]))
    return rows


def _require_names() -> None:
    if NAMES_FILE.exists():
        return
    if os.environ.get("NDL_SHARED_REQUIRED") == "1":
        pytest.fail(f"{NAMES_FILE} is missing and NDL_SHARED_REQUIRED=1")
    pytest.skip("../shared/names is not present")


NAMES = _names()


# --- reading a PDF back -------------------------------------------------------------


@dataclass
class Page:
    text: str
    fonts: dict[str, dict]  # BaseFont -> font dictionary
    drawn_by: dict[str, set[str]]  # character -> BaseFonts that drew it
    problems: list[str]


def _to_unicode(font: dict) -> dict[int, str]:
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    mapping = {}
    inside = False
    for line in data.splitlines():
        if line.endswith("beginbfchar"):
            inside = True
        elif line == "endbfchar":
            inside = False
        elif inside:
            code, text = line.split()
            mapping[int(code[1:-1], 16)] = bytes.fromhex(text[1:-1]).decode("utf-16-be")
    return mapping


@dataclass
class _Embedded:
    name: str
    cmap: dict[int, str]  # code -> glyph name in the embedded subset
    glyf: object
    to_unicode: dict[int, str]


def read(pdf: bytes) -> Page:
    """The page's text, its fonts, which font drew each character, and every
    problem found: a font not embedded, a character drawn with no glyph."""
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    problems: list[str] = []
    resources = page["/Resources"]["/Font"]
    embedded: dict[str, _Embedded] = {}
    by_base: dict[str, dict] = {}
    for resource_name, ref in resources.items():
        font = ref.get_object()
        base = str(font["/BaseFont"])[1:]
        by_base[base] = font
        descriptor = font.get("/FontDescriptor")
        file = descriptor and descriptor.get_object().get("/FontFile2")
        if file is None:
            problems.append(f"font {base} is not embedded")
            continue
        tt = FontToolsFont(io.BytesIO(file.get_object().get_data()))
        embedded[resource_name] = _Embedded(
            base, tt["cmap"].getcmap(1, 0).cmap, tt["glyf"], _to_unicode(font)
        )
    drawn_by: dict[str, set[str]] = defaultdict(set)
    current: _Embedded | None = None
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"Tf":
            current = embedded.get(str(operands[0]))
        elif operator in (b"Tj", b"TJ"):
            strings = operands[0] if operator == b"TJ" else [operands[0]]
            for string in strings:
                if not isinstance(string, (bytes, str)) or current is None:
                    continue
                raw = string if isinstance(string, bytes) else string.get_original_bytes()
                for code in raw:
                    text = current.to_unicode.get(code, "")
                    glyph_name = current.cmap.get(code, ".notdef")
                    glyph = current.glyf.get(glyph_name)
                    if glyph_name == ".notdef" or glyph is None:
                        problems.append(f"{text!r} drawn with no glyph in {current.name}")
                    elif not text.isspace() and glyph.numberOfContours == 0:
                        problems.append(f"{text!r} drawn with an empty glyph in {current.name}")
                    for ch in text:
                        drawn_by[ch].add(current.name)
    text = page.extract_text()
    return Page(text=text, fonts=by_base, drawn_by=drawn_by, problems=problems)


def _face_of(base: str) -> str:
    """The key in ``core.fonts.FACES`` of an embedded font "ABCDEF+NotoSansJP-Bold"."""
    family = base.partition("+")[2].rpartition("-")[0]
    return next(key for key, face in fonts.FACES.items() if face.name == family)


@pytest.fixture(scope="module")
def source_cmaps() -> dict[str, set[int]]:
    """Each face's own character map, read with fontTools from the package."""
    return {
        key: set(FontToolsFont(face.file(), lazy=True).getBestCmap())
        for key, face in fonts.FACES.items()
    }


def assert_every_glyph_drawn(page: Page, cmaps: dict[str, set[int]], where: str) -> None:
    assert not page.problems, f"{where}: {page.problems}"
    for ch, bases in page.drawn_by.items():
        for base in bases:
            assert ord(ch) in cmaps[_face_of(base)], f"{where}: {ch!r} is not in {base}'s cmap"


def reads_back(page_text: str, name: str) -> bool:
    flat = " ".join(page_text.split())
    if name in flat:
        return True
    # Arabic: presentation forms, folded back to letters (see the module docstring).
    return unicodedata.normalize("NFKC", name) in unicodedata.normalize("NFKC", flat)


# --- the documents --------------------------------------------------------------------

POSTED = {"approval letter", "certificate", "refusal letter", "loan slip", "return label"}


def documents_for(library: Library) -> Iterator[tuple[str, PdfDocument]]:
    """Every document that shows the library's name, for ``library``."""
    yield "approval letter", ApprovalLetter(library=library)
    yield "certificate", RegistrationCertificate(library=library)
    yield "request form", RequestForm(library=library)
    refused = LoanRequestFactory(
        library=library,
        status=LoanStatus.REJECTED,
        reject_codes=["not_on_shelf"],
        decided_at=timezone.now(),
    )
    yield "refusal letter", RefusalLetter(loan=refused)
    shipped = ShippedLoanFactory(library=library, material=MaterialFactory())
    yield "loan slip", LoanSlip(shipment=shipped.shipment, loans=[shipped])
    yield (
        "To Borrowers with the receipt letter",
        ToBorrowers(shipment=shipped.shipment, loans=[shipped]),
    )
    yield "return label", ReturnAddressLabel(site=shipped.shipment.site, library=library)


def library_named(name: Name, **extra: object) -> Library:
    fields: dict[str, object] = {
        "name": name.original,
        "name_original": name.latin,
        "country": name.country,
        "postal_address": f"{name.original}\n12 Example Road",
        "language": "ja" if name.language == "ja" else "en",
        "user_id": f"ILL-{name.country}-{abs(hash(name.original)) % 100000:05d}",
        "registered_on": dt.date(2026, 11, 2),
    }
    fields.update(extra)
    return LibraryFactory(**fields)


@pytest.mark.parametrize("name", NAMES, ids=[f"{n.language}-{n.country}" for n in NAMES])
def test_every_document_prints_the_name_in_its_script_with_embedded_glyphs(name, source_cmaps):
    library = library_named(name)
    for title, document in documents_for(library):
        where = f"{title}, {name.language}"
        page = read(document.render())
        assert reads_back(page.text, name.original), f"{where}: {page.text!r}"
        assert_every_glyph_drawn(page, source_cmaps, where)
        if title in POSTED:
            assert country_line(name.country) in page.text, f"{where}: no country line"


def test_the_names_file_covers_the_scripts_of_the_borrowers():
    _require_names()
    scripts = {n.script for n in NAMES}
    assert {"Hang", "Hans", "Hant", "Cyrl", "Grek", "Latn", "Thai", "Arab", "Jpan"} <= scripts


# --- Han forms: Japanese text in Japanese glyphs, Chinese names in Chinese ones ----

HAN_FACES = {"CN": "zh-Hans", "TW": "zh-Hant", "KR": "ko", "JP": "ja", "EG": "ja"}


@pytest.mark.parametrize(
    ("original", "country", "face"),
    [
        ("北京大学图书馆", "CN", "zh-Hans"),
        ("臺灣示範大學圖書館", "TW", "zh-Hant"),
        ("서울대학교 중앙도서관", "KR", "ko"),
        ("𩸽田記念日本学研究所図書室", "JP", "ja"),
        # A Japanese name abroad: kana make it Japanese, wherever the library is.
        ("ハーバード燕京図書館", "US", "ja"),
    ],
)
def test_han_characters_take_the_forms_of_the_names_country(original, country, face):
    library = library_named(Name("", "", country, original, "Library"))
    page = read(RegistrationCertificate(library=library).render())
    assert original in page.text
    han = [ch for ch in original if unicodedata.name(ch, "").startswith("CJK")]
    for ch in han:
        # (The NDL's own Japanese text may draw the same character in Japanese.)
        assert face in {_face_of(base) for base in page.drawn_by[ch]}, ch


def test_the_ndls_own_japanese_text_stays_japanese_beside_a_chinese_name():
    library = library_named(Name("", "", "CN", "北京大学图书馆", "Peking University Library"))
    page = read(RequestForm(library=library).render())
    assert "図書館間貸出申込書" in page.text
    assert {_face_of(b) for b in page.drawn_by["図"]} == {"ja"}
    assert {_face_of(b) for b in page.drawn_by["图"]} == {"zh-Hans"}


# --- the issue's examples, each printed and read back on the certificate -------------


@pytest.mark.parametrize(
    ("original", "country"),
    [
        ("서울대학교 중앙도서관", "KR"),
        ("北京大学图书馆", "CN"),
        ("Thư viện Trường Đại học ư ệ ố", "VN"),
        ("Knihovna Č", "CZ"),
        ("Бібліотека і ї", "UA"),  # noqa: RUF001
        ("Научная библиотека", "RU"),
        ("𩸽田文庫", "JP"),
        ("𠮷野記念図書館", "JP"),
        ("หอสมุดที่ป่าไม้", "TH"),
        ("مكتبة جامعة المثال", "EG"),
        ("הספרייה הלאומית", "IL"),
    ],
)
def test_the_issues_examples_print_and_read_back(original, country, source_cmaps):
    library = library_named(Name("", "", country, original, "Library"))
    for bold_name_document in (RegistrationCertificate, ApprovalLetter):
        page = read(bold_name_document(library=library).render())
        assert reads_back(page.text, original), page.text
        assert_every_glyph_drawn(page, source_cmaps, original)


def test_cyrillic_is_drawn_in_the_proportional_latin_face_not_a_cjk_one():
    library = library_named(Name("", "", "RU", "Научная библиотека", "Library"))
    page = read(RegistrationCertificate(library=library).render())
    assert {_face_of(b) for b in page.drawn_by["Н"]} == {"latin"}  # noqa: RUF001


def test_an_arabic_name_is_joined_and_drawn_right_to_left():
    library = library_named(Name("", "", "EG", "مكتبة جامعة", "Library"))
    page = read(RegistrationCertificate(library=library).render())
    # Joined: initial, medial and final forms, not the isolated letters.
    assert "\ufee3" in page.drawn_by  # meem, initial form
    assert "\u0645" not in page.drawn_by
    assert reads_back(page.text, "مكتبة جامعة")


# --- fonts: embedded, read once ------------------------------------------------------


def test_no_document_refers_to_a_font_it_does_not_embed():
    library = library_named(Name("", "", "GB", "Bodleian Library", "Bodleian Library"))
    page = read(RegistrationCertificate(library=library).render())
    assert not page.problems
    assert all("+" in base for base in page.fonts), page.fonts  # subsets only


def test_fonts_are_read_once_per_process_not_per_document():
    library = library_named(Name("", "", "KR", "서울대학교 北京 Ünïcode", "Library"))
    RegistrationCertificate(library=library).render()
    loaded = fonts._font.cache_info().currsize
    parsed = fonts._parsed.cache_info().currsize
    RegistrationCertificate(library=library).render()
    ApprovalLetter(library=library).render()
    assert fonts._font.cache_info().currsize == loaded
    assert fonts._parsed.cache_info().currsize == parsed


# --- the country line of posted documents --------------------------------------------


@pytest.mark.parametrize(
    "render",
    [
        lambda lib: RegistrationCertificate(library=lib),
        lambda lib: ApprovalLetter(library=lib),
    ],
    ids=["certificate", "approval letter"],
)
def test_a_japanese_librarys_documents_give_the_country_in_english_capitals(
    render: Callable[[Library], PdfDocument],
):
    library = library_named(
        Name("", "", "GB", "ボドリアン図書館", "Bodleian Library"), language="ja"
    )
    lines = read(render(library).render()).text.splitlines()
    assert "UNITED KINGDOM" in lines
    assert "イギリス" not in "\n".join(lines)


def test_the_return_label_ends_both_addresses_with_the_country():
    library = library_named(Name("", "", "DE", "Universitätsbibliothek Musterstadt", "UB"))
    site = Site.objects.get(code=SiteCode.TOKYO)
    lines = read(ReturnAddressLabel(site=site, library=library).render()).text.splitlines()
    assert any(line.rstrip().endswith("JAPAN") for line in lines)
    assert "GERMANY" in lines


def test_an_address_already_ending_with_the_country_is_not_given_it_twice():
    library = library_named(
        Name("", "", "GB", "Bodleian Library", "Bodleian Library"),
        postal_address="27 Winchester Road\nOxford OX2 6NA\nUnited Kingdom",
    )
    text = read(RegistrationCertificate(library=library).render()).text
    assert text.count("UNITED KINGDOM") == 1
    assert "United Kingdom" not in text


def test_thai_is_shaped_so_a_tone_mark_over_a_vowel_is_drawn_small_and_reads_back():
    library = library_named(Name("", "", "TH", "หอสมุดที่ป่าไม้", "Library"))
    page = read(RegistrationCertificate(library=library).render())
    assert "หอสมุดที่ป่าไม้" in page.text
    # HarfBuzz substituted the tone mark's small form, a glyph with no
    # character of its own: reportlab gave it a private-use code.
    thai = fonts.font("thai", bold=True).face.charToGlyph
    assert any(0xE000 <= code <= 0xF8FF for code in thai)
