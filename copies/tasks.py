"""Celery entry point of the copy service's nightly job; the work is in services."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from .services.invoices import invoices_unpaid_flag

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def copies_nightly_task(day: str | None = None) -> None:
    """Flag invoices unpaid past the limit on ``day`` (ISO date; default today in Japan)."""
    today = dt.date.fromisoformat(day) if day else timezone.localdate()
    flagged, reminders = invoices_unpaid_flag(today=today)
    logger.info("copies nightly: %s invoices flagged, %s reminders", flagged, reminders)
