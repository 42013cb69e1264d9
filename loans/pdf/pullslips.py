"""Pull slips: one per accepted item, four to an A4 page, in stack order.

Staff walk the stacks with the batch, cut the page along the lines and leave
each slip in its item; the desk's scan box reads the slip's Code 128 barcode
(``loans.selectors_desk.slip_code``) to pack it.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from core.pdf import PdfDocument
from loans.models import LoanRequest, PullSlipBatch
from loans.selectors_desk import slip_code

SLIPS_PER_PAGE = 4


def pull_slips_filename(batch: PullSlipBatch) -> str:
    return f"ndl-pull-slips-{batch.site.code}-{batch.pk}.pdf"


class PullSlips(PdfDocument):
    """The slips of one batch; drawn in the language of the staff who print."""

    title = "Pull slips"  # document metadata, not shown
    margin_mm = 12

    def __init__(self, *, batch: PullSlipBatch, loans: Sequence[LoanRequest]) -> None:
        self.batch = batch
        self.loans = list(loans)

    @property
    def slip_height(self) -> float:
        return (self.height_mm - 2 * self.margin_mm) / SLIPS_PER_PAGE

    def draw(self, canvas: Canvas) -> None:
        for index, loan in enumerate(self.loans):
            if index and index % SLIPS_PER_PAGE == 0:
                canvas.showPage()
            top = self.margin_mm + (index % SLIPS_PER_PAGE) * self.slip_height
            self.slip(loan, top=top, number=index + 1)

    def slip(self, loan: LoanRequest, *, top: float, number: int) -> None:
        m = self.margin_mm
        right = self.width_mm - m
        width = right - m
        material = loan.material
        if top > m:
            self.rule(m, top, right, top, width=0.3)  # cut here
        y = top + 8
        self.text(m, y, _("Pull slip"), size=9, bold=True)
        self.text(
            right,
            y,
            _("Batch %(batch)s · %(n)d of %(total)d · %(site)s")
            % {
                "batch": self.batch.pk,
                "n": number,
                "total": len(self.loans),
                "site": self.batch.site.local_name,
            },
            size=8,
            align="right",
        )
        y += 9
        self.text(m, y, material.call_number or _("(no call number)"), size=16, bold=True)
        self.text(
            right,
            y,
            _("NDL ID %(id)s") % {"id": material.ndl_id},
            size=12,
            bold=True,
            align="right",
        )
        y += 7
        self.fitted(m, y, material.title, width=width, height=9, size=11, min_size=7)
        y += 13
        library = loan.library
        self.text(
            m,
            y,
            _("Request #%(id)s for %(library)s (%(user_id)s), %(country)s")
            % {
                "id": loan.pk,
                "library": library.name,
                "user_id": library.user_id,
                "country": library.country.name,
            },
            size=9,
            max_width=width,
        )
        y += 5
        if loan.decided_at:
            decided = timezone.localdate(loan.decided_at).isoformat()
            self.text(m, y, _("Accepted on %(date)s") % {"date": decided}, size=9)
        code = slip_code(loan.pk)
        barcode = Code128(code, barHeight=13 * mm, barWidth=0.38 * mm, quiet=True, lquiet=6 * mm)
        barcode.drawOn(self.canvas, m * mm, (self.height_mm - (y + 19)) * mm)
        self.text(m + 6, y + 23, code, size=9)
