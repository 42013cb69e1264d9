"""The documents a registered library receives: the written approval, the
Certificate of User Registration and the designated request form.

They are rendered from the library's stored details whenever they are
downloaded, so a reprint after a change notice shows the current details.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext
from reportlab.pdfgen.canvas import Canvas

from core.fonts import han_form_for_country
from core.i18n import in_japanese
from core.models import Site
from core.pdf import PdfDocument, with_country

from .models import Library
from .selectors import registration_office

CONDITIONS = (
    gettext_lazy(
        "The borrowed materials will be read only within the specified reading room "
        "under the supervision of the library staff."
    ),
    gettext_lazy("The borrowed materials will not be copied or duplicated by any means."),
    gettext_lazy(
        "If the borrowed materials are lost or damaged, contact the National Diet Library "
        "immediately, and replacement or full compensation will be made as the National "
        "Diet Library instructed."
    ),
)

# The registration office's department and postal address as stored for the
# Kansai-kan, marked so that a Japanese document can give them in Japanese.
# Stored values that differ (after an edit) are drawn as they are.
OFFICE_DETAILS = (
    gettext_noop("ILL Section, Public Services Division"),
    gettext_noop(
        "Kansai-kan of the National Diet Library\n"
        "8-1-3 Seikadai, Seika-cho, Soraku-gun, Kyoto Prefecture\n"
        "619-0287 Japan"
    ),
)


def _date(value: dt.date | None) -> str:
    """The date in the active language: "2 November 2026" or "2026年11月2日"."""
    if not value:
        return ""
    japanese = in_japanese()
    return formats.date_format(value, "DATE_FORMAT" if japanese else "j F Y")


class _LibraryDocument(PdfDocument):
    def __init__(self, *, library: Library, office: Site | None = None) -> None:
        if not library.user_id:
            raise ValueError("Registration documents exist only for a registered library.")
        self.library = library
        self.office = office or registration_office()
        self.language = library.language
        # The library's name and address keep the Han forms of its country.
        self.han = han_form_for_country(library.country.code)

    @property
    def office_lines(self) -> list[str]:
        office = self.office
        if not self.in_japanese:
            return [office.department, *office.address.splitlines()]
        heading = _("%(department)s, %(site)s, National Diet Library") % {
            "department": _(office.department),
            "site": office.local_name,
        }
        return [heading, *_(office.address).splitlines()]

    def library_lines(self) -> list[str]:
        """The library's name and postal address, the country last in English
        capitals as international mail needs."""
        lines = [self.library.name]
        if self.library.name_original:
            lines.append(self.library.name_original)
        return with_country(
            [*lines, *self.library.postal_address.splitlines()], self.library.country
        )

    def centred(self, x: float, y: float, value: str, *, size: float, leading: float) -> float:
        """Draw each line of ``value`` centred on ``x``; return the y below the last one."""
        for line in value.splitlines():
            self.text(x, y, line, size=size, align="center")
            y += leading
        return y

    def footer(self, text: str) -> None:
        self.rule(self.margin_mm, 282, self.width_mm - self.margin_mm, 282, width=0.3)
        width = self.width_mm - 2 * self.margin_mm
        self.text(self.margin_mm, 287, text, size=7, han=self.han, max_width=width)


class ApprovalLetter(_LibraryDocument):
    title: ClassVar[str] = "Approval of user registration"  # document metadata, not shown

    def draw(self, canvas: Canvas) -> None:
        lib = self.library
        left = self.margin_mm
        right = self.width_mm - self.margin_mm
        width = right - left
        y = self.letterhead(site_lines=self.office_lines)
        self.text(right, y, _date(lib.registered_on), align="right")
        y = self.lines(left, y + 8, self.library_lines(), han=self.han, max_width=width)
        self.text(
            left,
            y,
            _("Attn: %(name)s") % {"name": lib.representative_director},
            size=10,
            han=self.han,
            max_width=width,
        )
        y += 12
        heading = _(
            "Approval of your application for the User Registration System\n"
            "for Interlibrary Loan Services"
        )
        for line in heading.splitlines():
            self.text(left, y, line, bold=True, size=12)
            y += 6
        y += 4
        if not self.in_japanese:
            # A Japanese letter names the addressee once, in the "Attn" line.
            salutation = pgettext("letter to a person", "Dear %(name)s,")
            self.text(
                left,
                y,
                salutation % {"name": lib.representative_director},
                han=self.han,
                max_width=width,
            )
            y += 8
        y = self.wrapped(
            left,
            y,
            _(
                "We are pleased to inform you that the National Diet Library (NDL) has approved "
                "the application of %(name)s for the User Registration System for Interlibrary "
                "Loan Services. Your library's User ID is:"
            )
            % {"name": lib.name},
            width=width,
            han=self.han,
        )
        y += 3
        self.box(left, y, width, 12, width=0.8)
        self.text(left + width / 2, y + 8, lib.user_id or "", size=16, bold=True, align="center")
        y += 20
        y = self.wrapped(
            left,
            y,
            _(
                "Please keep the enclosed Certificate of User Registration. Quote the User ID in "
                "all correspondence with the NDL. Requests are made online with the User ID and "
                "password; if you cannot use the online service, send the enclosed designated "
                "request form by post or by fax (%(fax)s) to the address above. No other form "
                "is accepted."
            )
            % {"fax": self.office.fax},
            width=width,
        )
        y += 4
        self.text(
            left, y, _("Your library agreed to these conditions of the loan service:"), bold=True
        )
        y += 6
        for number, condition in enumerate(CONDITIONS, 1):
            self.text(left + 2, y, f"{number}.")
            y = self.wrapped(left + 8, y, str(condition), width=width - 8)
            y += 1
        y += 3
        y = self.wrapped(
            left,
            y,
            _(
                "At most ten items may be borrowed at any time. Items must be shipped back within "
                "one month from the date of receipt; loans are not extended. If your library's "
                "name, address or other details change, please notify us by letter or fax quoting "
                "your User ID."
            ),
            width=width,
        )
        y += 2
        y = self.wrapped(
            left,
            y,
            _(
                "Your library bears only the return postage: the NDL pays the postage for sending "
                "the materials to you, and there is no lending fee."
            ),
            width=width,
        )
        # A long name and address push the text down: the closing moves up
        # into the space before it rather than into the footer.
        y = min(y + 10, 261)
        if self.in_japanese:
            self.text(right, y, _("Yours sincerely,"), align="right")
        else:
            self.text(left, y, _("Yours sincerely,"))
        self.lines(left, y + 12, _("ILL Section, Kansai-kan\nNational Diet Library").splitlines())
        self.footer(
            _("%(user_id)s · %(name)s · Approval of user registration")
            % {"user_id": lib.user_id, "name": lib.name}
        )


class RegistrationCertificate(_LibraryDocument):
    title: ClassVar[str] = "Certificate of User Registration"  # document metadata, not shown

    def draw(self, canvas: Canvas) -> None:
        lib = self.library
        left = self.margin_mm
        right = self.width_mm - self.margin_mm
        centre = self.width_mm / 2
        self.box(left - 5, 15, right - left + 10, 262, width=1.5)
        self.box(left - 3, 17, right - left + 6, 258, width=0.4)
        names = ["National Diet Library", "国立国会図書館"]
        if self.in_japanese:
            names.reverse()
        self.text(centre, 38, names[0], size=14, bold=True, align="center")
        self.text(centre, 45, names[1], size=11, align="center")
        self.text(
            centre, 66, _("Certificate of User Registration"), size=22, bold=True, align="center"
        )
        self.text(
            centre,
            74,
            _("User Registration System for Interlibrary Loan Services"),
            size=11,
            align="center",
        )
        self.text(centre, 95, _("This is to certify that"), size=11, align="center")
        width = right - left - 10
        y = self.wrapped(
            centre,
            108,
            lib.name,
            width=width,
            size=16,
            leading=7,
            bold=True,
            align="center",
            han=self.han,
        )
        if lib.name_original:
            y = self.wrapped(
                centre,
                y + 1,
                lib.name_original,
                width=width,
                size=13,
                leading=6,
                align="center",
                han=self.han,
            )
        y += 1
        address = with_country(lib.postal_address.splitlines(), lib.country)
        for line in address:
            y = self.wrapped(
                centre, y, line, width=width, size=10, leading=5, align="center", han=self.han
            )
        y += 6
        y = self.centred(
            centre,
            y,
            _("is registered as a borrowing library of the NDL interlibrary loan service."),
            size=11,
            leading=6,
        )
        y += 10
        label_x, value_x = left + 25, left + 75
        self.text(label_x, y, _("User ID"), size=11)
        self.text(value_x, y, lib.user_id or "", size=18, bold=True)
        y += 12
        self.text(label_x, y, _("Date of registration"), size=11)
        self.text(value_x, y, _date(lib.registered_on), size=11)
        y += 20
        self.rule(left + 20, y, right - 20, y, width=0.3)
        y += 8
        self.text(centre, y, _("Issued by"), size=9, align="center")
        y += 6
        for line in self.office_lines:
            self.text(centre, y, line, size=10, align="center")
            y += 5
        self.text(
            centre, y + 1, _("Fax: %(fax)s") % {"fax": self.office.fax}, size=10, align="center"
        )
        self.centred(
            centre,
            262,
            _(
                "Please quote the User ID in all correspondence and when notifying a change "
                "of details."
            ),
            size=8,
            leading=4,
        )


class RequestForm(_LibraryDocument):
    title: ClassVar[str] = "Designated request form"  # document metadata, not shown
    rows: ClassVar[int] = 10

    def draw(self, canvas: Canvas) -> None:
        lib = self.library
        left = self.margin_mm
        right = self.width_mm - self.margin_mm
        width = right - left
        self.text(left, 18, _("National Diet Library · Interlibrary Loan"), size=10, bold=True)
        self.text(left, 27, _("Designated Request Form"), size=18, bold=True)
        if not self.in_japanese:
            self.text(right, 27, "図書館間貸出申込書", size=11, align="right")
        self.box(left, 32, width, 18)
        self.text(left + 3, 38, _("User ID"), size=8)
        self.text(left + 3, 45, lib.user_id or "", size=13, bold=True)
        self.text(left + 50, 38, _("Library"), size=8)
        self.fitted(left + 50, 44, lib.name, width=width - 53, height=6, size=11, han=self.han)
        self.rule(left + 47, 32, left + 47, 50)

        y = 57.0
        self.text(left, y, _("Send by post or fax to:"), size=9, bold=True)
        y = self.lines(
            left,
            y + 5,
            [*self.office_lines, _("Fax: %(fax)s") % {"fax": self.office.fax}],
            size=9,
            leading=4.3,
        )

        # The table of items.
        top = y + 4
        columns = [
            (pgettext("number of a row", "No."), 10),
            (_("NDL ID"), 30),
            (_("Title"), 75),
            (_("Author"), 40),
            (pgettext("year of publication", "Year"), 15),
        ]
        header_h, row_h = 8.0, 14.0
        self.box(left, top, width, header_h + row_h * self.rows)
        x = left
        for label, w in columns:
            self.text(x + 2, top + 5.5, label, size=9, bold=True)
            if x > left:
                self.rule(x, top, x, top + header_h + row_h * self.rows, width=0.3)
            x += w
        self.rule(left, top + header_h, right, top + header_h, width=0.8)
        for row in range(self.rows):
            row_top = top + header_h + row * row_h
            if row:
                self.rule(left, row_top, right, row_top, width=0.3)
            self.text(left + 5, row_top + 8.5, str(row + 1), size=9, align="center")
        y = top + header_h + row_h * self.rows + 7
        self.text(left, y, _("Only this designated request form is accepted."), size=10, bold=True)
        y = self.wrapped(
            left,
            y + 5,
            _(
                "Request online when you can. At most ten items may be on loan to your library "
                "at any time, including items you already hold. Borrowed items are read only in "
                "your reading room under staff supervision and must not be copied."
            ),
            width=width,
            size=8,
            leading=4,
        )
        y += 6
        self.text(left, y, _("Date:"), size=9)
        self.rule(left + 10, y + 1, left + 60, y + 1, width=0.3)
        self.text(left + 70, y, _("Name and signature of the requesting librarian:"), size=9)
        self.rule(left + 70, y + 9, right, y + 9, width=0.3)


DOCUMENTS: dict[str, tuple[object, type[_LibraryDocument]]] = {
    "approval": (gettext_lazy("Written approval"), ApprovalLetter),
    "certificate": (gettext_lazy("Certificate of User Registration"), RegistrationCertificate),
    "request-form": (gettext_lazy("Designated request form"), RequestForm),
}


def document_filename(library: Library, kind: str) -> str:
    return f"{library.user_id}-{kind}.pdf"
