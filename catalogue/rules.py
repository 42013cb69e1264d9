# ruff: noqa: RUF001  (Japanese text uses full-width punctuation on purpose)
"""Which NDL materials may be lent: the rules of the NDL page, in one place.

``loanability(material)`` returns every rule the material fails, each as a
``Refusal`` with a stable reason code and an English and Japanese message; an
empty list means the material is loanable. Whether someone else already has
the item ("unavailable") is not a loanability rule: see
``loans.selectors.unavailable_material_ids``.

The messages are kept here in both languages rather than in the gettext
catalogue because they are quoted on refusal letters and emails in the
library's language, whatever language the staff member deciding uses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .models import (
    NON_BOOK_TYPES,
    RARE_TYPES,
    SERIAL_TYPES,
    LanguageCategory,
    Material,
    MaterialType,
    ReviewReason,
)

# "Japanese books acquired in 1996 or later and foreign books acquired in 1948 or later."
JAPANESE_ACQUIRED_FROM = dt.date(1996, 1, 1)
FOREIGN_ACQUIRED_FROM = dt.date(1948, 1, 1)


class Reason:
    """The stable reason codes, shared by loanability and staff refusals."""

    NEEDS_REVIEW = "needs_review"
    JAPANESE_ACQUIRED_BEFORE_1996 = "japanese_acquired_before_1996"
    FOREIGN_ACQUIRED_BEFORE_1948 = "foreign_acquired_before_1948"
    DIGITIZED = "digitized"
    SERIAL = "serial"
    DETERIORATED = "deteriorated"
    RARE = "rare"
    UNSUITABLE = "unsuitable"
    NON_BOOK = "non_book"
    COLLECTION = "collection"
    MARKET_AVAILABLE = "market_available"
    AMUSEMENT = "amusement"
    STAFF_EXCLUDED = "staff_excluded"
    # Only staff give these, when they decide a request.
    NOT_ON_SHELF = "not_on_shelf"
    IN_USE = "in_use"
    OTHER = "other"


# code -> (English, Japanese); "{detail}" is filled in where the rule has one.
MESSAGES: dict[str, tuple[str, str]] = {
    Reason.NEEDS_REVIEW: (
        "NDL staff must check this material before it can be lent: {detail}.",
        "この資料は、貸出できるかどうかを当館職員が確認する必要があります：{detail}。",
    ),
    Reason.JAPANESE_ACQUIRED_BEFORE_1996: (
        "Japanese books are lent only if the NDL acquired them on or after 1 January 1996.",
        "和書は1996年1月1日以降に受け入れた資料のみ貸出できます。",
    ),
    Reason.FOREIGN_ACQUIRED_BEFORE_1948: (
        "Foreign books are lent only if the NDL acquired them on or after 1 January 1948.",
        "洋書は1948年1月1日以降に受け入れた資料のみ貸出できます。",
    ),
    Reason.DIGITIZED: (
        "Digitized materials are not lent.",
        "デジタル化済みの資料は貸出できません。",
    ),
    Reason.SERIAL: (
        "Serials (newspapers, periodicals, etc.) are not lent: {detail}.",
        "逐次刊行物（新聞、雑誌等）は貸出できません：{detail}。",
    ),
    Reason.DETERIORATED: (
        "Materials in deteriorated condition (acidic, etc.) are not lent.",
        "劣化資料（酸性紙等）は貸出できません。",
    ),
    Reason.RARE: (
        "Rare and precious materials (old Japanese books, etc.) are not lent.",
        "貴重書・準貴重書（古典籍等）は貸出できません。",
    ),
    Reason.UNSUITABLE: (
        "Materials unsuitable for lending are not lent: {detail}.",
        "貸出に適さない資料は貸出できません：{detail}。",
    ),
    Reason.NON_BOOK: (
        "Non-book materials are not lent: {detail}.",
        "図書以外の資料は貸出できません：{detail}。",
    ),
    Reason.COLLECTION: (
        "Documents considered as a collection are not lent.",
        "コレクションとして扱う資料は貸出できません。",
    ),
    Reason.MARKET_AVAILABLE: (
        "Materials that can easily be obtained on the market are not lent.",
        "市場で容易に入手できる資料は貸出できません。",
    ),
    Reason.AMUSEMENT: (
        "Books for amusement are not lent.",
        "娯楽用の図書は貸出できません。",
    ),
    Reason.STAFF_EXCLUDED: (
        "Not all NDL materials are loanable; this one is excluded: {detail}",
        "すべての資料が貸出できるわけではありません。この資料は貸出対象外です：{detail}",
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
}

# Material-type and unsuitability labels as they appear in a message's detail.
DETAIL_LABELS: dict[str, tuple[str, str]] = {
    MaterialType.SERIAL: ("serial", "逐次刊行物"),
    MaterialType.NEWSPAPER: ("newspaper", "新聞"),
    MaterialType.PERIODICAL: ("periodical", "雑誌"),
    MaterialType.DOCTORAL_DISSERTATION: ("doctoral dissertation", "博士論文"),
    MaterialType.SINGLE_SHEET_MAP: ("single-sheet map", "一枚物の地図"),
    MaterialType.ELECTRONIC_RESOURCE: ("electronic resource", "電子資料"),
    MaterialType.MUSIC_SCORE: ("music score", "楽譜"),
    MaterialType.PHONOGRAPHIC_RECORD: ("phonographic record", "録音資料"),
    MaterialType.MICROFILM: ("microfilm", "マイクロフィルム"),
    MaterialType.MICROFICHE: ("microfiche", "マイクロフィッシュ"),
    MaterialType.MAP: ("map", "地図"),
    MaterialType.ARTICLE: ("article", "記事"),
    MaterialType.MICROFORM: ("microform", "マイクロ資料"),
    MaterialType.SOUND: ("sound recording", "録音資料"),
    MaterialType.MOVING_IMAGE: ("moving image", "映像資料"),
    MaterialType.STILL_IMAGE: ("still image", "静止画資料"),
    MaterialType.KIT: ("kit", "キット資料"),
    MaterialType.PHYSICAL_OBJECT: ("physical object", "立体物"),
    ReviewReason.UNKNOWN_TYPE: ("material type unknown", "資料種別が不明"),
    ReviewReason.UNKNOWN_LANGUAGE: ("language unknown", "言語が不明"),
    ReviewReason.NO_SITE: ("holding site unknown", "所蔵館が不明"),
    ReviewReason.NO_ACQUISITION_DATE: ("acquisition date unknown", "受入日が不明"),
    "large_sized": ("large-sized book", "大型本"),
    "reference": ("reference book", "参考図書"),
    "pamphlet": ("pamphlet", "パンフレット"),
}

LOANABILITY_CODES: tuple[str, ...] = (
    Reason.NEEDS_REVIEW,
    Reason.JAPANESE_ACQUIRED_BEFORE_1996,
    Reason.FOREIGN_ACQUIRED_BEFORE_1948,
    Reason.DIGITIZED,
    Reason.SERIAL,
    Reason.DETERIORATED,
    Reason.RARE,
    Reason.UNSUITABLE,
    Reason.NON_BOOK,
    Reason.COLLECTION,
    Reason.MARKET_AVAILABLE,
    Reason.AMUSEMENT,
    Reason.STAFF_EXCLUDED,
)
# What staff may give when they reject a request.
REJECT_CODES: tuple[str, ...] = (
    *LOANABILITY_CODES,
    Reason.NOT_ON_SHELF,
    Reason.IN_USE,
    Reason.OTHER,
)


@dataclass(frozen=True)
class Refusal:
    """One failed rule: a stable code, an optional detail and two messages."""

    code: str
    detail: str = ""

    def message(self, language: str = "en") -> str:
        en, ja = MESSAGES[self.code]
        template = ja if language == "ja" else en
        detail = self._detail(language)
        if not detail:  # a staff refusal may give the code without saying which
            template = template.replace(": {detail}", "").replace("：{detail}", "")
        return template.format(detail=detail)

    @property
    def message_en(self) -> str:
        return self.message("en")

    @property
    def message_ja(self) -> str:
        return self.message("ja")

    def _detail(self, language: str) -> str:
        # Several unknown facts are one detail, their codes joined by commas.
        parts = self.detail.split(",") if self.detail else []
        if not parts or not all(part in DETAIL_LABELS for part in parts):
            return self.detail
        labels = [DETAIL_LABELS[part][1 if language == "ja" else 0] for part in parts]
        return ("、" if language == "ja" else ", ").join(labels)


# The vocabularies, once (``Choices.values`` builds its list at every call, and
# the portal's search checks twenty materials a page).
_TYPES = frozenset(MaterialType.values)
_LANGUAGES = frozenset(LanguageCategory.values)
_REVIEW_REASONS = tuple(ReviewReason.values)


def unknown_facts(material: Material) -> list[str]:
    """The ``ReviewReason`` codes of what is not known about ``material``.

    The reasons an import stored (a type or language it could not map) and
    the facts that are missing now: a type or language category outside the
    vocabulary or empty, no holding site, no acquisition date. In the order
    of ``ReviewReason``; ``[]`` when every fact the rules read is known.
    """
    found = {str(code) for code in material.review_reasons or []}
    if material.material_type not in _TYPES:
        found.add(ReviewReason.UNKNOWN_TYPE)
    if material.language not in _LANGUAGES:
        found.add(ReviewReason.UNKNOWN_LANGUAGE)
    if material.site_id is None:
        found.add(ReviewReason.NO_SITE)
    if material.acquired_on is None:
        found.add(ReviewReason.NO_ACQUISITION_DATE)
    if not found:
        return []
    known = [code for code in _REVIEW_REASONS if code in found]
    return known + sorted(found - set(known))


def loanability(material: Material) -> list[Refusal]:
    """Every rule ``material`` fails, in the NDL page's order; [] if loanable.

    A material with unknown facts (``unknown_facts``) is never loanable: it
    first fails ``needs_review``, naming what is unknown; a rule that needs
    an unknown fact is not applied, the others are.
    """
    refusals: list[Refusal] = []
    unknown = unknown_facts(material)
    if unknown:
        refusals.append(Refusal(Reason.NEEDS_REVIEW, ",".join(unknown)))
    acquired_on = material.acquired_on
    if acquired_on is None:
        pass
    elif material.language == LanguageCategory.JAPANESE:
        if acquired_on < JAPANESE_ACQUIRED_FROM:
            refusals.append(Refusal(Reason.JAPANESE_ACQUIRED_BEFORE_1996))
    elif material.language == LanguageCategory.FOREIGN and acquired_on < FOREIGN_ACQUIRED_FROM:
        refusals.append(Refusal(Reason.FOREIGN_ACQUIRED_BEFORE_1948))
    if material.is_digitized or material.digitized_url:
        refusals.append(Refusal(Reason.DIGITIZED))
    if material.material_type in SERIAL_TYPES:
        refusals.append(Refusal(Reason.SERIAL, str(material.material_type)))
    if material.is_deteriorated:
        refusals.append(Refusal(Reason.DETERIORATED))
    if material.is_rare or material.material_type in RARE_TYPES:
        refusals.append(Refusal(Reason.RARE))
    if material.unsuitable:
        refusals.append(Refusal(Reason.UNSUITABLE, str(material.unsuitable)))
    if material.material_type in NON_BOOK_TYPES:
        refusals.append(Refusal(Reason.NON_BOOK, str(material.material_type)))
    if material.is_collection:
        refusals.append(Refusal(Reason.COLLECTION))
    if material.market_available:
        refusals.append(Refusal(Reason.MARKET_AVAILABLE))
    if material.is_amusement:
        refusals.append(Refusal(Reason.AMUSEMENT))
    if material.staff_excluded:
        refusals.append(Refusal(Reason.STAFF_EXCLUDED, material.staff_note))
    return refusals


def is_loanable(material: Material) -> bool:
    return not loanability(material)


def reason_message(code: str, *, detail: str = "", language: str = "en") -> str:
    """The message for a stored reason code (e.g. on a rejected request)."""
    return Refusal(code, detail).message(language)


def rejection_messages(
    *, material: Material, codes: list[str], note: str, language: str = "en"
) -> list[str]:
    """The reasons a request was not lent, worded for the library.

    A loanability code takes its detail from the material (which unsuitability,
    which non-book type, the staff's note); ``other`` is the staff's note.
    """
    details = {r.code: r.detail for r in loanability(material)}
    messages = []
    for code in codes:
        detail = note if code == Reason.OTHER else details.get(code, "")
        if code == Reason.STAFF_EXCLUDED and not detail:
            detail = note
        messages.append(Refusal(code, detail).message(language).strip())
    if note and Reason.OTHER not in codes and Reason.STAFF_EXCLUDED not in codes:
        messages.append(note)
    return messages
