"""The return address label: the sending site's address, to stick on the parcel."""

from __future__ import annotations

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A6, landscape
from reportlab.pdfgen.canvas import Canvas

from core.fonts import han_form_for_country
from core.models import Site
from core.pdf import PdfDocument, with_country
from registration.models import Library


class ReturnAddressLabel(PdfDocument):
    """A6 landscape, one label: items go back to the site that sent them."""

    title = "Return address label"
    pagesize = landscape(A6)
    margin_mm = 8
    # The label is read by post offices on the way to Japan: always English.
    language = "en"

    def __init__(self, *, site: Site, library: Library) -> None:
        self.site = site
        self.library = library

    def draw(self, canvas: Canvas) -> None:
        m = self.margin_mm
        w = self.width_mm - 2 * m
        self.box(m - 2, m - 2, w + 4, self.height_mm - 2 * m + 4, width=1.2)
        self.text(m, m + 5, _("BY AIR MAIL - REGISTERED"), size=10, bold=True)
        self.text(m + w, m + 5, _("PAR AVION"), size=10, bold=True, align="right")
        y = m + 16
        self.text(m + 6, y, _("To:"), size=9)
        y += 6
        # Both addresses end with their country in English capitals, as
        # international mail needs: the parcel goes to Japan.
        for line in with_country(self.site.return_address_lines, "JP"):
            self.text(m + 14, y, line, size=12, bold=True, max_width=w - 14)
            y += 6
        y += 3
        self.rule(m, y, m + w, y, width=0.3)
        y += 5
        self.text(m, y, _("From:"), size=8)
        from_lines = with_country(
            [
                f"{self.library.name} ({self.library.user_id})",
                *self.library.postal_address.splitlines()[:3],
            ],
            self.library.country,
        )
        han = han_form_for_country(self.library.country.code)
        self.lines(m + 12, y, from_lines, size=8, leading=3.6, han=han, max_width=w - 12)
        self.text(
            m + w,
            self.height_mm - m,
            _("Return of NDL interlibrary loan material"),
            size=7,
            align="right",
        )


def return_label_filename(site: Site) -> str:
    return f"ndl-return-label-{site.code}.pdf"
