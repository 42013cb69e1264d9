# ruff: noqa: RUF001  (Japanese text uses full-width punctuation on purpose)
"""The copy service's papers: the invoice sent with the copies (English and
Japanese on one page, with the NDL's payment instructions from settings), the
copy slip the site's staff copy from (the exact pages), and the refusal letter
(in the library's language)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.pdfgen.canvas import Canvas

from core.fonts import han_form_for_country
from core.models import Site, SiteCode
from core.pdf import PdfDocument, with_country

from .models import CopyRequest, Invoice
from .services.requests import copy_refusal_messages


def yen(value: Decimal) -> str:
    """An amount as printed: "¥1,234" or "¥1,234.50" when it has sen."""
    if value == value.to_integral_value():
        return f"¥{int(value):,}"
    return f"¥{value:,.2f}"


def _bi(en: str, ja: str) -> str:
    return f"{en} / {ja}"


class InvoicePdf(PdfDocument):
    """A4 invoice for one copy request, in English and Japanese."""

    title = "Invoice for photocopies"

    def __init__(self, *, invoice: Invoice) -> None:
        self.invoice = invoice
        self.copy = invoice.copy_request
        self.library = invoice.library
        self.material = self.copy.material
        self.sender = Site.objects.get(code=SiteCode.KANSAI)
        self.han = han_form_for_country(self.library.country.code)

    def draw(self, canvas: Canvas) -> None:
        with translation.override("en"):
            self._draw()

    def _draw(self) -> None:
        inv = self.invoice
        m = self.margin_mm
        right = self.width_mm - m
        width = right - m
        y = self.letterhead(
            site_lines=[
                self.sender.department,
                *self.sender.address.splitlines(),
                f"Fax {self.sender.fax}  /  {self.sender.email}",
            ]
        )
        self.text(m, y, _bi("INVOICE", "請求書"), size=16, bold=True)
        self.text(right, y, f"No. {inv.number}", size=11, bold=True, align="right")
        y += 7
        self.text(
            right,
            y,
            _bi("Issued", "発行日") + f": {inv.issued_on.isoformat()}",
            size=9,
            align="right",
        )
        y = self.lines(
            m,
            y,
            with_country(
                [self.library.name, *self.library.postal_address.splitlines()],
                self.library.country,
            ),
            han=self.han,
            max_width=width / 2,
        )
        self.text(m, y + 1, _bi("User ID", "利用者ID") + f": {self.library.user_id}", size=9)
        y += 10
        self.box(m, y - 4, width, 17)
        self.text(
            m + 3,
            y + 1,
            _bi("Copy request", "複写申込") + f" {self.copy}  ·  NDL ID {self.material.ndl_id}",
            size=10,
            bold=True,
        )
        self.wrapped(m + 3, y + 7, self.material.title, width=width - 6, size=9)
        y += 20
        part = self.copy.pages_label
        if self.copy.article_title:
            part = f"{self.copy.volume_issue} “{self.copy.article_title}” {part}"
        elif self.copy.chapter_title:
            part = f"“{self.copy.chapter_title}” {part}"
        y = self.wrapped(m, y, _bi("Part copied", "複写箇所") + f": {part}", width=width, size=9)
        y += 4
        col_amount = right
        rows = [
            (
                _bi("Copying fee", "複写料金")
                + f"  ({inv.pages} × {yen(inv.page_rate)}, "
                + f"{self.copy.get_paper_size_display()}, "
                + ("colour / カラー" if self.copy.colour == "colour" else "black and white / 白黒")
                + ")",
                inv.copying_fee,
            ),
            (_bi("Handling fee", "事務手数料"), inv.handling_fee),
            (
                _bi("Postage", "送料") + f"  ({inv.weight_grams} g, zone {inv.zone})",
                inv.postage,
            ),
        ]
        self.rule(m, y - 1, right, y - 1)
        y += 5
        for label, amount in rows:
            self.text(m, y, label, size=10, max_width=width - 35)
            self.text(col_amount, y, yen(amount), size=10, align="right")
            y += 7
        self.rule(m, y - 4, right, y - 4)
        y += 2
        self.text(m, y, _bi("Total", "合計"), size=12, bold=True)
        self.text(col_amount, y, yen(inv.total), size=12, bold=True, align="right")
        y += 7
        if inv.paid_amount:
            self.text(m, y, _bi("Paid", "入金済"), size=10)
            self.text(col_amount, y, yen(inv.paid_amount), size=10, align="right")
            y += 6
            self.text(m, y, _bi("Balance due", "残額"), size=10, bold=True)
            self.text(col_amount, y, yen(inv.balance), size=10, bold=True, align="right")
            y += 6
        y += 6
        days = int(settings.NDL_COPY_PAYMENT_DAYS)
        y = self.wrapped(
            m,
            y,
            f"Please pay within {days} days of the date of issue, quoting the invoice number. "
            "Copies are yours to keep: they are not returned.",
            width=width,
            size=9,
        )
        y = self.wrapped(
            m,
            y,
            f"発行日から{days}日以内に、請求書番号を明記の上お支払いください。"
            "複写物は返却不要です。",
            width=width,
            size=9,
        )
        y += 5
        self.text(m, y, _bi("How to pay", "お支払い方法"), size=11, bold=True)
        y += 6
        y = self.lines(
            m, y, settings.NDL_COPY_PAYMENT_INSTRUCTIONS_EN.splitlines(), size=9, max_width=width
        )
        y += 2
        self.lines(
            m, y, settings.NDL_COPY_PAYMENT_INSTRUCTIONS_JA.splitlines(), size=9, max_width=width
        )


class CopySlip(PdfDocument):
    """A5-sized slip on A4 for the site's staff: the exact pages to copy."""

    title = "Copy slip"

    def __init__(self, *, copy: CopyRequest) -> None:
        self.copy = copy
        self.material = copy.material

    def draw(self, canvas: Canvas) -> None:
        c = self.copy
        mat = self.material
        m = self.margin_mm
        right = self.width_mm - m
        width = right - m
        y = 22.0
        self.text(m, y, _("Copy slip"), size=14, bold=True)
        self.text(right, y, str(c), size=20, bold=True, align="right")
        y += 8
        self.text(
            m,
            y,
            _("Holding site: %(site)s · requested %(date)s")
            % {
                "site": mat.site.local_name if mat.site else "-",
                "date": timezone.localdate(c.requested_at).isoformat(),
            },
            size=9,
        )
        y += 6
        self.rule(m, y, right, y)
        y += 10
        self.text(m, y, mat.call_number or _("(no call number)"), size=16, bold=True)
        self.text(
            right, y, _("NDL ID %(id)s") % {"id": mat.ndl_id}, size=12, bold=True, align="right"
        )
        y += 8
        y = self.wrapped(m, y, mat.title, width=width, size=11)
        y += 6
        self.box(m, y - 6, width, 24, width=1.2)
        self.text(m + 4, y + 1, _("Copy exactly"), size=10, bold=True)
        self.text(m + 4, y + 11, c.pages_label, size=22, bold=True)
        pages = c.pages_asked or 0
        self.text(
            right - 4,
            y + 11,
            _("%(n)s pages") % {"n": pages},
            size=12,
            align="right",
        )
        y += 26
        facts = []
        if c.chapter_title:
            facts.append(_("Chapter or article: %(t)s") % {"t": c.chapter_title})
        if c.volume_issue:
            facts.append(_("Volume / issue: %(v)s") % {"v": c.volume_issue})
        if c.article_title:
            facts.append(_("Article: %(t)s") % {"t": c.article_title})
        facts.append(
            _("Paper: %(size)s, %(colour)s · one copy")
            % {"size": c.get_paper_size_display(), "colour": c.get_colour_display()}
        )
        policy = getattr(mat, "copy_policy", None)
        if policy is not None and policy.method_note:
            facts.append(_("Method: %(m)s") % {"m": policy.method_note})
        if c.staff_check_extent:
            facts.append(_("The record gives no page count: check the part is at most half."))
        for fact in facts:
            y = self.wrapped(m, y, fact, width=width, size=11, leading=6)
        y += 6
        self.text(
            m,
            y,
            _("For %(library)s (%(user_id)s)")
            % {"library": c.library.name, "user_id": c.library.user_id},
            size=9,
            han=han_form_for_country(c.library.country.code),
        )
        y += 12
        self.text(
            m,
            y,
            _("Pages actually copied: ________    Copied by: ________    Date: ________"),
            size=10,
        )


class CopyRefusalLetter(PdfDocument):
    """A4 letter from the Kansai-kan ILL Section: why a copy was not made."""

    title = "Photocopy request: not copied"

    def __init__(self, *, copy: CopyRequest) -> None:
        self.copy = copy
        self.library = copy.library
        self.material = copy.material
        self.sender = Site.objects.get(code=SiteCode.KANSAI)
        self.han = han_form_for_country(self.library.country.code)

    def draw(self, canvas: Canvas) -> None:
        with translation.override(self.library.language):
            self._draw()

    def _draw(self) -> None:
        m = self.margin_mm
        right = self.width_mm - m
        width = right - m
        y = self.letterhead(
            site_lines=[
                self.sender.department,
                *self.sender.address.splitlines(),
                f"Fax {self.sender.fax}  /  {self.sender.email}",
            ]
        )
        decided = timezone.localdate(self.copy.decided_at or timezone.now())
        self.text(right, y, decided.isoformat(), align="right")
        y = self.lines(
            m,
            y + 7,
            with_country(
                [self.library.name, *self.library.postal_address.splitlines()],
                self.library.country,
            ),
            han=self.han,
            max_width=width,
        )
        self.text(m, y + 1, _("User ID: %(id)s") % {"id": self.library.user_id}, size=9)
        y += 14
        self.text(
            m, y, _("Your photocopy request %(id)s") % {"id": str(self.copy)}, size=13, bold=True
        )
        y += 10
        y = self.wrapped(
            m,
            y,
            _(
                "Thank you for your request. We regret that the National Diet Library cannot "
                "make the following copy."
            ),
            width=width,
        )
        y += 4
        self.box(m, y - 4, width, 16)
        self.text(
            m + 3,
            y + 1,
            f"{_('NDL ID')}: {self.material.ndl_id}  ·  {self.copy.pages_label}",
            size=10,
            bold=True,
        )
        self.wrapped(m + 3, y + 7, self.material.title, width=width - 6, size=10)
        y += 20
        self.text(m, y, _("Reason"), size=11, bold=True)
        y += 7
        for reason in copy_refusal_messages(request=self.copy, language=self.library.language):
            self.text(m, y, "•")
            y = self.wrapped(m + 5, y, reason, width=width - 5) + 2
        y += 10
        self.lines(
            m,
            y,
            [
                _("ILL Section, Kansai-kan of the National Diet Library"),
                self.sender.fax and f"Fax: {self.sender.fax}",
            ],
        )
