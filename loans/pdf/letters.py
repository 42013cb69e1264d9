"""The postal letter that tells a library why the NDL cannot lend an item."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.pdfgen.canvas import Canvas

from catalogue.rules import rejection_messages
from core.fonts import han_form_for_country
from core.models import Site, SiteCode
from core.pdf import PdfDocument, with_country

from ..models import LoanRequest


class RefusalLetter(PdfDocument):
    """A4 letter from the Kansai-kan ILL Section, in the library's language."""

    title = "Interlibrary loan: request not lent"

    def __init__(self, *, loan: LoanRequest) -> None:
        self.loan = loan
        self.library = loan.library
        self.material = loan.material
        self.sender = Site.objects.get(code=SiteCode.KANSAI)
        self.han = han_form_for_country(self.library.country.code)

    def draw(self, canvas: Canvas) -> None:
        with translation.override(self.library.language):
            self._draw()

    def _draw(self) -> None:
        m = self.margin_mm
        right = self.width_mm - m
        width = self.width_mm - 2 * m
        y = self.letterhead(
            site_lines=[
                self.sender.department,
                *self.sender.address.splitlines(),
                f"Fax {self.sender.fax}  /  {self.sender.email}",
            ]
        )
        decided = timezone.localdate(self.loan.decided_at or timezone.now())
        self.text(right, y, decided.isoformat(), align="right")
        # The address, below the date (a long name would run into it), ends
        # with the country in English capitals as a posted letter's must.
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
            m,
            y,
            _("Your interlibrary loan request #%(id)s") % {"id": self.loan.pk},
            size=13,
            bold=True,
        )
        y += 10
        y = self.wrapped(
            m,
            y,
            _(
                "Thank you for your request. We regret that the National Diet Library cannot "
                "lend the following item."
            ),
            width=width,
        )
        y += 4
        self.box(m, y - 4, width, 16)
        self.text(m + 3, y + 1, f"{_('NDL ID')}: {self.material.ndl_id}", size=10, bold=True)
        self.wrapped(m + 3, y + 7, self.material.title, width=width - 6, size=10)
        y += 20
        self.text(m, y, _("Reason"), size=11, bold=True)
        y += 7
        for reason in rejection_messages(
            material=self.material,
            codes=list(self.loan.reject_codes),
            note=self.loan.reject_note,
            language=self.library.language,
        ):
            self.text(m, y, "•")
            y = self.wrapped(m + 5, y, reason, width=width - 5) + 2
        y += 6
        y = self.wrapped(
            m,
            y,
            _(
                "Generally, the NDL lends Japanese books acquired in 1996 or later and foreign "
                "books acquired in 1948 or later. Please note that not all NDL materials are "
                "loanable."
            ),
            width=width,
            size=9,
        )
        y += 12
        self.lines(
            m,
            y,
            [
                _("ILL Section, Kansai-kan of the National Diet Library"),
                self.sender.fax and f"Fax: {self.sender.fax}",
            ],
        )
