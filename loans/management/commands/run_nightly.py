"""Run the nightly jobs by hand, with the same services the Celery task calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from loans.services.nightly import nightly_run


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}") from exc


class Command(BaseCommand):
    help = "Flag overdue loans and late receipt letters and queue their notices."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            type=_date,
            default=None,
            help="Run as if today were this date (YYYY-MM-DD, Japan time). Default: today.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = nightly_run(today=options["date"])
        lines = [
            f"Nightly run for {report.today.isoformat()}",
            f"  loans flagged overdue:        {report.overdue_flagged}",
            f"  overdue notices queued:       {report.overdue_notices}"
            f" (covering {report.overdue_loans_noticed} loans)",
            f"  loans escalated to staff:     {report.escalated}",
            f"  late receipt letters flagged: {report.late_receipts_flagged}",
            f"  late receipt notices queued:  {report.late_receipt_notices}",
            f"  receipt letter reminders:     {report.receipt_reminders}",
        ]
        self.stdout.write("\n".join(lines))
