"""Set a registered library up as an ISO 18626 peer and print its new security code."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from core.identifiers import user_id_normalize
from iso18626.models import SchemaVersion
from iso18626.services import peer_setup
from registration.models import Library


class Command(BaseCommand):
    help = (
        "Let a library's ILL system talk ISO 18626 to the NDL: ISIL, endpoint, schema "
        "version; prints a new security code (shown once; the old one stops working)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user_id", help="the library's User ID, e.g. ILL-US-00001")
        parser.add_argument("--isil", required=True, help="the library's ISIL (ISO 15511)")
        parser.add_argument("--endpoint", required=True, help="the peer's https:// endpoint")
        parser.add_argument(
            "--schema-version", default=SchemaVersion.V1_2, choices=SchemaVersion.values
        )

    def handle(self, *args: Any, **options: Any) -> None:
        library = Library.objects.filter(user_id=user_id_normalize(options["user_id"])).first()
        if library is None:
            raise CommandError(f"No library has the User ID {options['user_id']}.")
        try:
            peer, code = peer_setup(
                library=library,
                isil=options["isil"],
                endpoint_url=options["endpoint"],
                schema_version=options["schema_version"],
                actor=None,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{library.user_id} is ISO 18626 peer {peer.isil} ({peer.schema_version})."
        )
        self.stdout.write(f"Security code (shown once): {code}")
