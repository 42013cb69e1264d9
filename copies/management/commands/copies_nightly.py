"""Flag unpaid copy invoices by hand, with the service the Celery task calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from copies.services.invoices import invoices_unpaid_flag


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}") from exc


class Command(BaseCommand):
    help = "Flag copy invoices unpaid past the limit and queue one reminder per library."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            type=_date,
            default=None,
            help="Run as if today were this date (YYYY-MM-DD, Japan time). Default: today.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["date"] or timezone.localdate()
        flagged, reminders = invoices_unpaid_flag(today=today)
        self.stdout.write(
            f"Copy invoices for {today.isoformat()}: {flagged} flagged unpaid, "
            f"{reminders} reminders queued"
        )
