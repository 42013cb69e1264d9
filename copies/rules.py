# ruff: noqa: RUF001, RUF002  (Japanese text and full-width forms on purpose)
"""What the NDL copies for a library: the photoduplication rules, in one place.

``copy_check(material=…, policy=…, part=…)`` returns every rule a request
fails, each as a ``Refusal`` with a stable reason code and an English and
Japanese message, plus the notes the quote must carry (a material copied only
from microfilm, say) and what staff must decide by hand (a part of a book
whose extent the record does not give). No refusal means the copy can be
made.

The rules (Japan's Copyright Act, Article 31, as the NDL applies it to
copies sent to libraries):

- copies are made for the requester's study or research, which the library
  declares, and one copy per request;
- of a copyrighted work only a part, at most half of it: exactly half of a
  300-page book (150 pages) can be copied, 151 pages cannot;
- an article in a periodical issue that is no longer the latest one can be
  copied whole; a work whose copyright has expired (marked by staff) too;
- the request pinpoints the part: for a book the pages (optionally the
  chapter or article title), for a periodical the volume/issue, the article
  title and its pages;
- never copied: residential maps, electronic resources, audio-visual
  materials, and items whose condition or rights forbid it (staff's note);
- digitized materials are not copied on paper: the library is pointed to
  the material in the NDL Digital Collections instead.

Copies are never returned and do not count toward the ten-item loan cap
(``loans.models.CAP_COUNTING_STATUSES`` knows nothing of them).

The messages are kept here in both languages rather than in the gettext
catalogue because they are quoted on refusal letters and emails in the
library's language, whatever language the staff member deciding uses.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Protocol

from catalogue.models import MaterialType

# The NDL Digital Collections, where a digitized material is read and printed.
DIGITAL_COLLECTIONS_URL = "https://dl.ndl.go.jp/"

# Material types by what the rules make of them. An article record is read in
# its serial: it is pinpointed and copied as a periodical's article. Still
# images, kits and objects are not audio-visual; staff flag them if need be.
PERIODICAL_TYPES = frozenset(
    {MaterialType.SERIAL, MaterialType.PERIODICAL, MaterialType.NEWSPAPER, MaterialType.ARTICLE}
)
ELECTRONIC_TYPES = frozenset({MaterialType.ELECTRONIC_RESOURCE})
AUDIO_VISUAL_TYPES = frozenset(
    {MaterialType.PHONOGRAPHIC_RECORD, MaterialType.SOUND, MaterialType.MOVING_IMAGE}
)


class Reason:
    """The stable reason codes of a refused copy request."""

    NO_DECLARATION = "no_declaration"
    ONE_COPY = "one_copy"
    PART_NOT_GIVEN = "part_not_given"
    PAGES_INVALID = "pages_invalid"
    PAGES_BEYOND_EXTENT = "pages_beyond_extent"
    MORE_THAN_HALF = "more_than_half"
    LATEST_ISSUE = "latest_issue"
    RESIDENTIAL_MAP = "residential_map"
    ELECTRONIC = "electronic_resource"
    AUDIO_VISUAL = "audio_visual"
    FORBIDDEN = "forbidden"
    DIGITIZED = "digitized"
    # The library, not the request: invoices unpaid past the limit.
    UNPAID_INVOICES = "unpaid_invoices"
    # Only staff give these, when they refuse a request.
    NOT_ON_SHELF = "not_on_shelf"
    IN_USE = "in_use"
    OTHER = "other"


class Note:
    """Codes of what a quote says without refusing."""

    METHOD = "method"
    EXTENT_UNKNOWN = "extent_unknown"
    WHOLE_ARTICLE = "whole_article"
    COPYRIGHT_EXPIRED = "copyright_expired"


# code -> (English, Japanese); "{detail}" is filled in where the rule has one.
MESSAGES: dict[str, tuple[str, str]] = {
    Reason.NO_DECLARATION: (
        "Copies are made only for study or research: the library must declare that purpose.",
        "複写は調査研究の目的に限ります。調査研究目的であることの申告が必要です。",
    ),
    Reason.ONE_COPY: (
        "Only one copy is made per request.",
        "複写は1申込につき1部に限ります。",
    ),
    Reason.PART_NOT_GIVEN: (
        "The request must say exactly which part to copy: {detail}.",
        "複写する箇所を特定してください：{detail}。",
    ),
    Reason.PAGES_INVALID: (
        "The pages are not a valid range: {detail}.",
        "ページの指定が正しくありません：{detail}。",
    ),
    Reason.PAGES_BEYOND_EXTENT: (
        "The material has {detail} pages; the pages asked for go beyond them.",
        "この資料は{detail}ページです。指定されたページは資料の範囲を超えています。",
    ),
    Reason.MORE_THAN_HALF: (
        "Only a part of a copyrighted work, at most half of it, can be copied "
        "(Copyright Act, Article 31). Pages asked for / pages in the work: {detail}.",
        "著作権のある著作物は、その一部分（半分まで）に限り複写できます"
        "（著作権法第31条）。申込ページ数／総ページ数：{detail}。",
    ),
    Reason.LATEST_ISSUE: (
        "The issue {detail} is the latest one: an article can be copied whole once the "
        "next issue has been published. Please ask again then.",
        "{detail}は最新号です。論文全体の複写は次号の刊行後に可能になります。"
        "次号刊行後に改めてお申し込みください。",
    ),
    Reason.RESIDENTIAL_MAP: (
        "Residential maps are not copied.",
        "住宅地図は複写できません。",
    ),
    Reason.ELECTRONIC: (
        "Electronic resources are not copied.",
        "電子資料は複写できません。",
    ),
    Reason.AUDIO_VISUAL: (
        "Audio-visual materials are not copied.",
        "視聴覚資料は複写できません。",
    ),
    Reason.FORBIDDEN: (
        "The condition of this material or its rights do not allow copying: {detail}",
        "資料の状態または権利上の理由により複写できません：{detail}",
    ),
    Reason.DIGITIZED: (
        "This material is digitized: please read it, and print what you need, in the "
        "NDL Digital Collections: {detail}",
        "この資料はデジタル化されています。国立国会図書館デジタルコレクションで"
        "閲覧・印刷してください：{detail}",
    ),
    Reason.UNPAID_INVOICES: (
        "Your library has copy invoices unpaid for more than {detail} days; the NDL "
        "accepts new copy requests once they are paid.",
        "{detail}日を過ぎても未払いの複写料金請求があります。お支払いを確認するまで、"
        "新たな複写の申込みはお受けできません。",
    ),
    Reason.NOT_ON_SHELF: (
        "The item could not be found on the shelf.",
        "資料が所定の書架に見当たりません。",
    ),
    Reason.IN_USE: (
        "The item is in use at the NDL.",
        "資料は当館で利用中です。",
    ),
    Reason.OTHER: ("{detail}", "{detail}"),
    Note.METHOD: (
        "This material is copied only by a specific method: {detail}",
        "この資料は特定の方法でのみ複写します：{detail}",
    ),
    Note.EXTENT_UNKNOWN: (
        "The record does not give the number of pages: NDL staff check that the part "
        "is at most half of the work before copying.",
        "書誌にページ数の記載がないため、複写範囲が著作物の半分以内であるかを"
        "当館職員が確認します。",
    ),
    Note.WHOLE_ARTICLE: (
        "An article in an issue that is no longer the latest can be copied whole.",
        "最新号以外の号に掲載された論文は全体を複写できます。",
    ),
    Note.COPYRIGHT_EXPIRED: (
        "The copyright of this work has expired: it can be copied whole.",
        "この著作物は著作権の保護期間が満了しているため、全体を複写できます。",
    ),
}

# Messages of the codes whose wording needs its detail, as given without one
# (a staff member's refusal, the checklist of reasons).
WITHOUT_DETAIL: dict[str, tuple[str, str]] = {
    Reason.PAGES_BEYOND_EXTENT: (
        "The pages asked for go beyond the end of the material.",
        "指定されたページは資料の範囲を超えています。",
    ),
    Reason.LATEST_ISSUE: (
        "The issue is the latest one: an article can be copied whole once the next issue "
        "has been published. Please ask again then.",
        "最新号のため、論文全体の複写は次号の刊行後に可能になります。"
        "次号刊行後に改めてお申し込みください。",
    ),
    Reason.UNPAID_INVOICES: (
        "Your library has copy invoices unpaid past the payment limit; the NDL accepts new "
        "copy requests once they are paid.",
        "支払期限を過ぎても未払いの複写料金請求があります。お支払いを確認するまで、"
        "新たな複写の申込みはお受けできません。",
    ),
}

# What a refusal's "{detail}" may name, in both languages.
DETAIL_LABELS: dict[str, tuple[str, str]] = {
    "pages": ("the pages", "ページ"),
    "volume_issue": ("the volume and issue", "巻号"),
    "article_title": ("the article's title", "論文名"),
    "pages_order": ("the last page comes before the first", "終了ページが開始ページより前です"),
    "microfilm": ("from microfilm", "マイクロフィルムから複写"),
}

# What staff may give when they refuse a request.
REFUSE_CODES: tuple[str, ...] = (
    Reason.NO_DECLARATION,
    Reason.ONE_COPY,
    Reason.PART_NOT_GIVEN,
    Reason.PAGES_BEYOND_EXTENT,
    Reason.MORE_THAN_HALF,
    Reason.LATEST_ISSUE,
    Reason.RESIDENTIAL_MAP,
    Reason.ELECTRONIC,
    Reason.AUDIO_VISUAL,
    Reason.FORBIDDEN,
    Reason.DIGITIZED,
    Reason.UNPAID_INVOICES,
    Reason.NOT_ON_SHELF,
    Reason.IN_USE,
    Reason.OTHER,
)


@dataclass(frozen=True)
class Refusal:
    """One failed rule (or one note): a stable code, an optional detail, two messages."""

    code: str
    detail: str = ""

    def message(self, language: str = "en") -> str:
        detail = self._detail(language)
        en, ja = (
            MESSAGES[self.code] if detail else WITHOUT_DETAIL.get(self.code, MESSAGES[self.code])
        )
        template = ja if language == "ja" else en
        if not detail:  # a staff refusal may give the code without saying which
            for sep in (": {detail}", "：{detail}", ". Pages asked for / pages in the work"):
                template = template.replace(sep, "")
            template = template.replace("。申込ページ数／総ページ数", "")
        return template.format(detail=detail).strip()

    @property
    def message_en(self) -> str:
        return self.message("en")

    @property
    def message_ja(self) -> str:
        return self.message("ja")

    def _detail(self, language: str) -> str:
        parts = []
        for piece in self.detail.split("|") if self.detail else []:
            labels = DETAIL_LABELS.get(piece)
            parts.append(piece if labels is None else labels[1 if language == "ja" else 0])
        return ("、" if language == "ja" else ", ").join(parts)


class MaterialFacts(Protocol):
    """What the rules read from a catalogue record (``catalogue.Material``)."""

    material_type: Any


class PolicyFacts(Protocol):
    """What staff keep about copying a material (``copies.CopyPolicy``)."""

    @property
    def copyright_expired(self) -> bool: ...
    @property
    def forbidden(self) -> bool: ...
    @property
    def forbidden_note(self) -> str: ...
    @property
    def residential_map(self) -> bool: ...
    @property
    def method_note(self) -> str: ...
    @property
    def latest_issue(self) -> str: ...


@dataclass(frozen=True)
class NoPolicy:
    """A material staff have said nothing about: copyable under the general rules."""

    copyright_expired: bool = False
    forbidden: bool = False
    forbidden_note: str = ""
    residential_map: bool = False
    method_note: str = ""
    latest_issue: str = ""


@dataclass(frozen=True)
class Part:
    """The part a library asks to have copied, as it pinpointed it."""

    pages_from: int | None = None
    pages_to: int | None = None
    chapter_title: str = ""
    volume_issue: str = ""
    article_title: str = ""
    copies: int = 1
    research_declared: bool = False

    @property
    def page_count(self) -> int | None:
        """Pages in the range, both ends included; None when not a valid range."""
        if self.pages_from is None or self.pages_to is None:
            return None
        if self.pages_from < 1 or self.pages_to < self.pages_from:
            return None
        return self.pages_to - self.pages_from + 1


@dataclass
class CopyCheck:
    """The verdict on one request: every refusal, the quote's notes, and
    whether staff must check the half rule by hand (extent unknown)."""

    refusals: list[Refusal] = field(default_factory=list)
    notes: list[Refusal] = field(default_factory=list)
    staff_check_extent: bool = False

    @property
    def ok(self) -> bool:
        return not self.refusals

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.refusals]


def issue_key(value: str) -> str:
    """A volume/issue as compared: full-width folded, case and spacing and
    punctuation ignored ("Vol. 12, No. 3" == "vol12 no3" == "ｖｏｌ．１２　ｎｏ．３")."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return re.sub(r"[\s.,:;/()（）\-]+", "", folded)


def is_periodical(material: MaterialFacts) -> bool:
    return str(material.material_type) in PERIODICAL_TYPES


def material_refusals(*, material: MaterialFacts, policy: PolicyFacts | None) -> list[Refusal]:
    """What makes a material never copyable, whatever part is asked for."""
    facts: PolicyFacts = policy or NoPolicy()
    kind = str(material.material_type)
    refusals: list[Refusal] = []
    if facts.residential_map:
        refusals.append(Refusal(Reason.RESIDENTIAL_MAP))
    if kind in ELECTRONIC_TYPES:
        refusals.append(Refusal(Reason.ELECTRONIC))
    if kind in AUDIO_VISUAL_TYPES:
        refusals.append(Refusal(Reason.AUDIO_VISUAL))
    if facts.forbidden:
        refusals.append(Refusal(Reason.FORBIDDEN, facts.forbidden_note))
    url = (getattr(material, "digitized_url", "") or "").strip()
    if url or getattr(material, "is_digitized", False):
        refusals.append(Refusal(Reason.DIGITIZED, url or DIGITAL_COLLECTIONS_URL))
    return refusals


def copy_check(
    *, material: MaterialFacts, policy: PolicyFacts | None, part: Part, extent: int | None = None
) -> CopyCheck:
    """Every rule a request for ``part`` of ``material`` fails, in one pass.

    ``extent`` is the material's number of pages; None takes the record's
    ``page_count`` (None there too: the half rule is left to staff, which
    ``staff_check_extent`` says). Staff who count the pages pass ``extent``.
    """
    facts: PolicyFacts = policy or NoPolicy()
    check = CopyCheck()
    refusals = check.refusals
    if not part.research_declared:
        refusals.append(Refusal(Reason.NO_DECLARATION))
    if part.copies != 1:
        refusals.append(Refusal(Reason.ONE_COPY))
    refusals.extend(material_refusals(material=material, policy=facts))

    periodical = is_periodical(material)
    missing = []
    if periodical and not part.volume_issue.strip():
        missing.append("volume_issue")
    if periodical and not part.article_title.strip():
        missing.append("article_title")
    if part.pages_from is None or part.pages_to is None:
        missing.append("pages")
    if missing:
        refusals.append(Refusal(Reason.PART_NOT_GIVEN, "|".join(missing)))
    elif part.page_count is None:
        refusals.append(Refusal(Reason.PAGES_INVALID, "pages_order"))

    if extent is None:
        extent = getattr(material, "page_count", None)
    pages = part.page_count
    if extent and pages is not None and part.pages_to is not None and part.pages_to > extent:
        refusals.append(Refusal(Reason.PAGES_BEYOND_EXTENT, str(extent)))

    latest = bool(
        periodical
        and facts.latest_issue.strip()
        and issue_key(part.volume_issue) == issue_key(facts.latest_issue)
    )
    if facts.method_note.strip():
        check.notes.append(Refusal(Note.METHOD, facts.method_note.strip()))
    if facts.copyright_expired:
        check.notes.append(Refusal(Note.COPYRIGHT_EXPIRED))
    elif periodical:
        if latest:
            refusals.append(Refusal(Reason.LATEST_ISSUE, part.volume_issue.strip()))
        elif part.volume_issue.strip():
            check.notes.append(Refusal(Note.WHOLE_ARTICLE))
    elif pages is not None:
        if not extent:
            check.staff_check_extent = True
            check.notes.append(Refusal(Note.EXTENT_UNKNOWN))
        elif pages * 2 > extent:
            refusals.append(Refusal(Reason.MORE_THAN_HALF, half_detail(pages, extent)))
    return check


def half_detail(pages: int, extent: int) -> str:
    """The detail of a MORE_THAN_HALF refusal, in figures both languages read."""
    return f"{pages}/{extent}"


def max_pages(extent: int) -> int:
    """The most pages of a work of ``extent`` pages that may be copied (half, rounded down)."""
    return extent // 2


def reason_message(code: str, *, detail: str = "", language: str = "en") -> str:
    """The message for a stored reason code (e.g. on a refused request)."""
    return Refusal(code, detail).message(language)


def refusal_messages(
    *, codes: list[str], details: dict[str, str], note: str, language: str = "en"
) -> list[str]:
    """The reasons a request was refused, worded for the library.

    ``details`` are the stored details by code; ``other`` is the staff's note,
    which is also added on its own when staff wrote one with other codes.
    """
    messages = []
    for code in codes:
        detail = note if code == Reason.OTHER else details.get(code, "")
        messages.append(Refusal(code, detail).message(language))
    if note and Reason.OTHER not in codes:
        messages.append(note)
    return messages
