"""Celery entry points of the nightly jobs; the work is in services.nightly."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task

from loans.services.nightly import nightly_run

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def nightly_run_task(day: str | None = None) -> None:
    """Run the nightly jobs for ``day`` (ISO date; default: today in Japan)."""
    report = nightly_run(today=dt.date.fromisoformat(day) if day else None)
    logger.info("nightly run: %s", report)
