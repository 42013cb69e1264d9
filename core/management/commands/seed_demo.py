"""Demo data for ``make run``: staff logins, a registered library, two open
applications and the sample catalogue. Safe to run again: existing rows are
kept and the printed passwords are set again. Free-text notes are written
"English / 日本語", so the demo reads right in either language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from catalogue.demo import seed_demo_catalogue
from catalogue.models import Material
from catalogue.rules import Reason, loanability
from conversations.demo import demo_registration_thread_date, seed_demo_conversations
from copies.demo import seed_demo_copies
from core.backup_codes import backup_codes_issue
from core.identifiers import s10_check_digit
from core.models import Site, SiteCode, User
from core.roles import LENDING_STAFF, SUPERVISOR, roles_sync
from loans.models import LoanRequest, RequestChannel
from loans.services.requests import (
    loan_request_accept,
    loan_request_create,
    loan_request_reject,
)
from loans.services.shipping import loan_pack, shipment_confirm_receipt, shipment_dispatch
from registration import services
from registration.models import Library, LibraryStatus


def _s10(serial: int) -> str:
    digits = f"{serial:08d}"
    return f"RR{digits}{s10_check_digit(digits)}JP"


# Demo-only credentials, printed for whoever runs the demo on their machine.
ADMIN_PASSWORD = "ndl-admin-demo-2026"  # noqa: S105 - demo only  # nosec B105
STAFF_PASSWORD = "ndl-lending-demo-2026"  # noqa: S105 - demo only  # nosec B105
LIBRARY_PASSWORD = "library-portal-demo-2026"  # noqa: S105 - demo only  # nosec B105

DEMO_LIBRARY: dict[str, Any] = {
    "name": "Demo University East Asian Library",
    "name_original": "デモ大学東アジア図書館",
    "country": "US",
    "postal_address": "100 Campus Drive\nBerkeley, CA 94720",
    "email": "ill@demo-library.example.org",
    "fax": "+1 510 555 0100",
    "phone": "+1 510 555 0101",
    "representative_director": "Dr. Mary Reader",
    "representative_title": "University Librarian",
}
UNDER_REVIEW: dict[str, Any] = {
    "name": "Bibliothèque de démonstration",
    "country": "FR",
    "postal_address": "1 rue de l'Exemple\n75005 Paris",
    "email": "pret@bibliotheque-demo.example.fr",
    "representative_director": "Mme Claire Directrice",
}
WAITING: dict[str, Any] = {
    "name": "Demo State Library",
    "country": "AU",
    "postal_address": "1 Library Lane\nMelbourne VIC 3000",
    "email": "ill@state-library-demo.example.au",
    "representative_director": "Mr. John Head",
}


DEMO_REGISTERED_DAYS_AGO = 30


class Command(BaseCommand):
    help = "Load the demo data and print the URLs and logins."

    def handle(self, *args: Any, **options: Any) -> None:
        roles_sync()
        sites = {site.code: site for site in Site.objects.all()}
        missing = set(SiteCode.values) - set(sites)
        if missing:
            self.stderr.write(f"Sites missing ({', '.join(sorted(missing))}): run migrate first.")
            return

        admin = self._user("admin", ADMIN_PASSWORD, is_staff=True, is_superuser=True)
        admin.groups.add(Group.objects.get(name=SUPERVISOR))
        lending = Group.objects.get(name=LENDING_STAFF)
        for code in (SiteCode.TOKYO, SiteCode.KANSAI, SiteCode.ILCL):
            user = self._user(code, STAFF_PASSWORD, is_staff=True, site=sites[code])
            user.groups.add(lending)

        library = self._registered_library(admin)
        self._open_application(admin, UNDER_REVIEW, days_ago=12)
        waiting = self._open_application(admin, WAITING, days_ago=33)
        if (
            waiting.status == LibraryStatus.UNDER_REVIEW
            and not waiting.application.letters.exists()
        ):
            letter_dated = timezone.localdate() - dt.timedelta(days=20)
            services.application_request_info(
                actor=admin,
                application=waiting.application,
                dated=letter_dated,
                summary=(
                    "Please tell us the conditions for using the scanner in your reading room."
                    " / 閲覧室でのスキャナーの利用条件をお知らせください。"
                ),
            )
            demo_registration_thread_date(
                library=waiting,
                when=dt.datetime.combine(
                    letter_dated, dt.time(10), tzinfo=timezone.get_current_timezone()
                ),
            )
        materials = seed_demo_catalogue()
        self._demo_loans(library, admin, sites)
        seed_demo_conversations(library=library, staff=admin)
        copies = seed_demo_copies(library=library, staff=admin)
        codes = {
            user.username: self._backup_codes(user, count=5 if user.is_superuser else 2)
            for user in User.objects.filter(is_staff=True, username__in=["admin", *SiteCode.values])
        }

        base = settings.NDL_PORTAL_BASE_URL.rstrip("/")
        lines = [
            "",
            "=" * 64,
            "NDL ILL demo is ready",
            "=" * 64,
            f"Back-office (staff): {base}{reverse('admin:index')}",
            f"  admin / {ADMIN_PASSWORD}   (superuser, Supervisor)",
            f"        one-time codes: {' '.join(codes['admin'])}",
            *(
                f"  {code:<6}/ {STAFF_PASSWORD}   (Lending staff, {sites[code].name})"
                f"\n        one-time codes: {' '.join(codes[code])}"
                for code in (SiteCode.TOKYO, SiteCode.KANSAI, SiteCode.ILCL)
            ),
            "  Staff sign in with a second factor: type one of the one-time codes",
            "  (each works once; run `make run` again for new ones).",
            f"Portal (libraries):  {base}{reverse('portal:login')}",
            f"  User ID {library.user_id} / {LIBRARY_PASSWORD}   ({library.name})",
            "Open applications: one under review, one waiting for information.",
            "Messages: the library asks about its registration and about a refused request.",
            f"Catalogue: {materials} sample materials.",
            f"Photocopies: {copies} copy requests (one sent with an invoice, partly paid);"
            " an example fee table.",
            "=" * 64,
            "",
        ]
        self.stdout.write("\n".join(lines))

    def _backup_codes(self, user: User, *, count: int) -> list[str]:
        """Fresh single-use backup codes, so a newcomer passes the second factor."""
        return backup_codes_issue(user=user, actor=None, count=count)

    def _demo_loans(self, library: Library, admin: User, sites: dict[str, Site]) -> None:
        """A few loans at different stages, so the portal has something to show."""
        if library.loans.exists():
            return
        tokyo = sites[SiteCode.TOKYO]
        loanable = [
            m for m in Material.objects.filter(site=tokyo).order_by("ndl_id") if not loanability(m)
        ][:5]
        if len(loanable) < 4:
            return
        today = timezone.localdate()
        portal_user = User.objects.get(library=library)
        loans = loan_request_create(
            library=library,
            ndl_ids=[m.ndl_id for m in loanable],
            channel=RequestChannel.PORTAL,
            actor=portal_user,
        )
        for loan in loans[:3]:
            loan_request_accept(loan=loan, actor=admin)
        # The fifth is in use in the reading room: refused, with its reason
        # posted in the request's conversation (conversations.demo goes on).
        for loan in loans[4:5]:
            loan_request_reject(loan=loan, actor=admin, codes=[Reason.IN_USE])
        for loan in loans[:2]:
            loan_pack(loan_id=loan.pk, actor=admin)
        # Demo history only: date the requests as if made three weeks ago, so
        # the shipments below come after them. Only the three accepted ones
        # have a decision date: the fourth still waits for it.
        started = timezone.now() - dt.timedelta(days=24)
        LoanRequest.objects.filter(pk__in=[loan.pk for loan in loans]).update(requested_at=started)
        LoanRequest.objects.filter(pk__in=[loan.pk for loan in loans[:3]]).update(
            decided_at=started + dt.timedelta(days=1)
        )
        LoanRequest.objects.filter(pk__in=[loan.pk for loan in loans[4:5]]).update(
            decided_at=started + dt.timedelta(days=2)
        )
        LoanRequest.objects.filter(pk__in=[loan.pk for loan in loans[:2]]).update(
            packed_at=started + dt.timedelta(days=2)
        )
        received = shipment_dispatch(
            loan_ids=[loans[0].pk],
            tracking_number=_s10(12345678),
            shipped_on=today - dt.timedelta(days=20),
            actor=admin,
        )
        shipment_confirm_receipt(
            shipment_id=received.pk,
            library=library,
            received_on=today - dt.timedelta(days=9),
            conditions={loans[0].pk: "Good / 良好"},
            actor=portal_user,
        )
        shipment_dispatch(
            loan_ids=[loans[1].pk],
            tracking_number=_s10(12345679),
            shipped_on=today - dt.timedelta(days=2),
            actor=admin,
        )

    def _user(self, username: str, password: str, **fields: Any) -> User:
        user, _created = User.objects.get_or_create(username=username, defaults=fields)
        for name, value in fields.items():
            setattr(user, name, value)
        user.set_password(password)
        user.save()
        return user

    def _registered_library(self, admin: User) -> Library:
        library = Library.objects.filter(
            name=DEMO_LIBRARY["name"], country=DEMO_LIBRARY["country"]
        ).first()
        if library is None:
            application = services.application_record(
                actor=admin,
                received_on=timezone.localdate() - dt.timedelta(days=60),
                has_signed_application=True,
                has_reading_room_picture=True,
                has_leaflet=True,
                signature_verified=True,
                copier_conditions=(
                    "Copiers are operated by staff only. / 複写機は職員のみが操作します。"
                ),
                **DEMO_LIBRARY,
            )
            library = services.library_approve(actor=admin, library=application.library)
            # Demo history only: approved a month ago (the application came
            # two months ago), before the requests of three weeks ago.
            Library.objects.filter(pk=library.pk).update(
                registered_on=timezone.localdate() - dt.timedelta(days=DEMO_REGISTERED_DAYS_AGO)
            )
            library.refresh_from_db()
        with transaction.atomic():
            # Demo only: the real library sets its password through the emailed link.
            portal_user = User.objects.get(library=library)
            portal_user.set_password(LIBRARY_PASSWORD)
            portal_user.save(update_fields=["password"])
        return library

    def _open_application(self, admin: User, details: dict[str, Any], *, days_ago: int) -> Library:
        library = Library.objects.filter(name=details["name"], country=details["country"]).first()
        if library is not None:
            return library
        application = services.application_record(
            actor=admin,
            received_on=timezone.localdate() - dt.timedelta(days=days_ago),
            has_signed_application=True,
            has_reading_room_picture=True,
            has_leaflet=True,
            signature_verified=True,
            **details,
        )
        return application.library
