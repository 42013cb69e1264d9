"""The papers packed with every shipment: the loan slip and "To Borrowers".

The right half of "To Borrowers" is the "Receipt Letter of the Loan Material"
the library fills in and faxes or emails to the sending site within three
days, so it names that site's fax and email.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from core.fonts import han_form_for_country
from core.pdf import PdfDocument, with_country
from loans.models import LoanRequest, Shipment

CONDITIONS_OF_USE = [
    gettext_lazy(
        "Read the materials only in your library's reading room, under the supervision of "
        "library staff."
    ),
    gettext_lazy("Do not copy or duplicate the materials by any means."),
    gettext_lazy(
        "If a material is lost or damaged, contact the National Diet Library immediately; "
        "replacement or full compensation will be made as the NDL instructs."
    ),
]
RETURN_POSTAGE = gettext_lazy(
    "Your library bears only the return postage: the NDL pays the postage for sending the "
    "materials to you, and there is no lending fee."
)
RETURN_RULES = [
    gettext_lazy(
        "Ship the materials back within one month from the date of receipt. The NDL does not "
        "extend the deadline; you may request the materials again after returning them."
    ),
    gettext_lazy(
        "Return them to the library that sent them, by registered air mail or an international "
        "air carrier with tracking and compensation for loss, never by surface mail."
    ),
    gettext_lazy(
        "Put this sheet and the loan slip between the leaves of the book, pack it tightly in a "
        "solid box and use the return address label."
    ),
]


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def shipment_pdf_filename(shipment: Shipment, kind: str) -> str:
    return f"ndl-{kind}-{shipment.tracking_number}.pdf"


class _ShipmentDocument(PdfDocument):
    def __init__(self, *, shipment: Shipment, loans: Sequence[LoanRequest]) -> None:
        self.shipment = shipment
        self.loans = list(loans)
        self.language = shipment.library.language
        self.han = han_form_for_country(shipment.library.country.code)

    def site_lines(self) -> list[str]:
        site = self.shipment.site
        return [
            site.local_name,
            site.department,
            *site.address.splitlines(),
            _("Fax: %(fax)s   Email: %(email)s") % {"fax": site.fax, "email": site.email},
        ]

    def library_lines(self) -> list[str]:
        """Name, User ID and postal address, the country last in English capitals."""
        library = self.shipment.library
        return with_country(
            [
                library.name,
                _("User ID: %(id)s") % {"id": library.user_id},
                *library.postal_address.splitlines(),
            ],
            library.country,
        )

    def bullets(
        self, x: float, y: float, items: Sequence[object], *, width: float, size: float = 9
    ) -> float:
        for item in items:
            self.text(x, y, "•", size=size)
            y = (
                self.wrapped(x + 4, y, str(item), width=width - 4, size=size, leading=size * 0.45)
                + 1
            )
        return y


class LoanSlip(_ShipmentDocument):
    """One slip per shipment: the items, the borrower, the sender, the rules."""

    title = "Loan slip"  # document metadata, not shown

    def draw(self, canvas: Canvas) -> None:
        m = self.margin_mm
        right = self.width_mm - m
        y = self.letterhead(site_lines=self.site_lines())
        self.text(m, y, _("Loan Slip"), size=16, bold=True)
        if not self.in_japanese:
            self.text(m + 32, y, "貸出票", size=12)
        self.text(
            right,
            y,
            _("Tracking No. %(n)s") % {"n": self.shipment.tracking_number},
            size=10,
            align="right",
        )
        y += 6
        self.text(
            right,
            y,
            _("Shipped on %(d)s") % {"d": _date(self.shipment.shipped_on)},
            size=9,
            align="right",
        )
        self.text(m, y, _("Registered air mail"), size=9)
        y += 9
        self.text(m, y, _("Borrowing library"), size=9, bold=True)
        self.text(m + 90, y, _("Sent by"), size=9, bold=True)
        y += 5
        left_end = self.lines(
            m, y, self.library_lines(), size=9, leading=4.5, han=self.han, max_width=86
        )
        right_end = self.lines(m + 90, y, self.site_lines()[:2], size=9, leading=4.5)
        y = max(left_end, right_end) + 4

        columns = [
            (m, _("Req.")),
            (m + 14, _("NDL ID")),
            (m + 42, _("Title")),
            (m + 130, _("Call number")),
        ]
        self.rule(m, y - 4, right, y - 4)
        for x, label in columns:
            self.text(x, y, label, size=9, bold=True)
        y += 2
        self.rule(m, y, right, y)
        y += 5
        for loan in self.loans:
            material = loan.material
            self.text(m, y, f"#{loan.pk}", size=9)
            self.text(m + 14, y, material.ndl_id, size=9)
            self.text(m + 130, y, material.call_number, size=9)
            y = self.wrapped(m + 42, y, material.title, width=84, size=9, leading=4.5)
            y += 1.5
        self.rule(m, y - 2, right, y - 2)
        y += 4
        received = self.shipment.received_on
        due = self.loans[0].due_on if self.loans else None
        if received and due:
            self.text(
                m,
                y,
                _("Received on %(r)s; ship back by %(d)s.")
                % {"r": _date(received), "d": _date(due)},
                size=10,
                bold=True,
            )
            y += 5
            self.text(
                m,
                y,
                _("Loans are not extended; the item may be requested again after its return."),
                size=9,
            )
        else:
            self.text(
                m,
                y,
                _("Due: ship back within one month from the date of receipt (no extensions)."),
                size=10,
                bold=True,
            )
        y += 9
        self.text(m, y, _("Conditions of use"), size=11, bold=True)
        y = self.bullets(m, y + 6, CONDITIONS_OF_USE, width=right - m)
        y += 3
        self.text(m, y, _("Return"), size=11, bold=True)
        y = self.bullets(m, y + 6, RETURN_RULES, width=right - m)
        self.text(
            m,
            self.height_mm - 12,
            _("Keep this slip with the item and return it with the item."),
            size=8,
        )


class ToBorrowers(_ShipmentDocument):
    """Landscape A4: "To Borrowers" on the left, the Receipt Letter on the right."""

    title = "To Borrowers / Receipt Letter of the Loan Material"
    pagesize = landscape(A4)
    margin_mm = 12

    def draw(self, canvas: Canvas) -> None:
        half = self.width_mm / 2
        self._draw_information(self.margin_mm, half - 2 * self.margin_mm)
        canvas.setDash(3, 3)
        self.rule(half, 8, half, self.height_mm - 8, width=0.3)
        canvas.setDash()
        self._draw_receipt_letter(half + self.margin_mm, half - 2 * self.margin_mm)

    def _draw_information(self, x: float, width: float) -> None:
        site = self.shipment.site
        self.text(x, 18, _("To Borrowers"), size=16, bold=True)
        self.text(x, 24, _("National Diet Library"), size=9)
        if not self.in_japanese:
            self.text(x + 34, 24, "国立国会図書館", size=9)
        y = 32.0
        y = self.wrapped(
            x,
            y,
            _(
                "These materials are lent to your library through the NDL Interlibrary Loan "
                "Service for overseas. Please make sure the items and the loan slip are correct "
                "and that the materials are in good condition."
            ),
            width=width,
            size=9,
            leading=4.2,
        )
        y += 3
        self.text(x, y, _("Before use"), size=10, bold=True)
        y += 5
        steps = [
            _("1. Arrival of the material"),
            _("2. Check the condition of the material"),
            _(
                "3. Fill in the Receipt Letter (right) and send it within three days by fax or "
                "email to the library that sent the material"
            ),
            _("4. Use of the loan material"),
        ]
        for step in steps:
            y = self.wrapped(x, y, step, width=width, size=9, leading=4.2)
        y += 3
        self.text(x, y, _("Use of borrowed materials"), size=10, bold=True)
        y = self.bullets(x, y + 5, CONDITIONS_OF_USE, width=width, size=8.5)
        y += 2
        self.text(x, y, _("Return"), size=10, bold=True)
        y = self.bullets(x, y + 5, [*RETURN_RULES, RETURN_POSTAGE], width=width, size=8.5)
        y += 2
        self.text(x, y, _("Return address"), size=10, bold=True)
        y += 5
        # The address the parcel is sent to: its country in English capitals.
        self.lines(x, y, with_country(site.return_address_lines, "JP"), size=9, leading=4.2)

    def _draw_receipt_letter(self, x: float, width: float) -> None:
        site = self.shipment.site
        library = self.shipment.library
        right = x + width
        self.text(x, 18, _("Receipt Letter of the Loan Material"), size=14, bold=True)
        if not self.in_japanese:
            self.text(x, 24, "貸出資料受領書", size=9)
        self.box(x, 28, width, 19, width=0.8)
        self.text(x + 3, 33, _("Send within three days of receipt, by fax or email, to:"), size=8.5)
        self.text(
            x + 3,
            38,
            _("%(site)s, National Diet Library") % {"site": site.local_name},
            size=9.5,
            bold=True,
        )
        self.text(
            x + 3,
            43,
            _("Fax: %(fax)s     Email: %(email)s") % {"fax": site.fax, "email": site.email},
            size=9.5,
            bold=True,
        )
        y = 53.0
        y = self.wrapped(
            x,
            y,
            _("From: %(name)s") % {"name": library.name},
            width=width,
            size=9,
            leading=4.5,
            han=self.han,
        )
        self.text(x, y, _("User ID: %(id)s") % {"id": library.user_id}, size=9)
        y += 4.5
        self.text(
            x,
            y,
            _("Tracking No.: %(n)s    Shipped on: %(d)s")
            % {"n": self.shipment.tracking_number, "d": _date(self.shipment.shipped_on)},
            size=9,
        )
        y += 7
        self.text(x, y, _("Items"), size=9, bold=True)
        self.text(right - 30, y, _("Condition"), size=9, bold=True)
        y += 1.5
        self.rule(x, y, right, y)
        y += 4.5
        for loan in self.loans:
            self.text(x, y, f"{loan.material.ndl_id}", size=8.5)
            self.box(right - 30, y - 2.6, 2.8, 2.8, width=0.4)
            self.text(right - 26.5, y, _("good"), size=8.5)
            self.box(right - 16, y - 2.6, 2.8, 2.8, width=0.4)
            self.text(right - 12.5, y, _("damaged"), size=8.5)
            y = self.wrapped(x + 22, y, loan.material.title, width=width - 56, size=8.5, leading=4)
            y += 1
        self.rule(x, y - 2, right, y - 2)
        y += 6
        for label in (
            _("Date received:"),
            _("Condition / remarks:"),
            "",
            _("Name:"),
            _("Signature:"),
        ):
            if label:
                self.text(x, y, label, size=9.5)
            self.rule(x + 36, y + 1, right, y + 1, width=0.3)
            y += 9
        self.text(x, y, _("Date sent:"), size=9.5)
        self.rule(x + 36, y + 1, right, y + 1, width=0.3)
        y += 10
        self.wrapped(
            x,
            y,
            _(
                "We have received the materials listed above in the condition stated. We will read "
                "them only in our reading room under staff supervision, will not copy them, and "
                "will ship them back within one month from the date of receipt."
            ),
            width=width,
            size=8,
            leading=3.8,
        )
