"""Reads of the registration data for the admin, the portal and the PDFs."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import cast

from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from core.models import Site, SiteCode

from .models import OPEN_APPLICATION_STATUSES, Application, ChangeNotice, Library


class AgeBand(StrEnum):
    """Where an open application stands against the four-to-six-week target."""

    WITHIN_TARGET = "within"  # less than four weeks old
    IN_TARGET = "target"  # four to six weeks: approval is due now
    OVERDUE = "over"  # over six weeks


def application_age_days(*, application: Application, today: dt.date | None = None) -> int:
    return ((today or timezone.localdate()) - application.received_on).days


def application_age_band(*, days: int) -> AgeBand:
    low, high = settings.NDL_APPROVAL_TARGET_DAYS
    if days < low:
        return AgeBand.WITHIN_TARGET
    if days <= high:
        return AgeBand.IN_TARGET
    return AgeBand.OVERDUE


def application_list_open(*, band: AgeBand | None = None) -> QuerySet[Application]:
    """Open applications, oldest first, optionally only those in one age band."""
    qs = Application.objects.select_related("library").filter(
        library__status__in=OPEN_APPLICATION_STATUSES
    )
    return application_filter_band(queryset=qs, band=band) if band else qs


def application_filter_band(
    *, queryset: QuerySet[Application], band: AgeBand, today: dt.date | None = None
) -> QuerySet[Application]:
    """Filter by age band on ``received_on`` (the NDL counts from receipt)."""
    today = today or timezone.localdate()
    low, high = settings.NDL_APPROVAL_TARGET_DAYS
    four_weeks_ago = today - dt.timedelta(days=low)
    six_weeks_ago = today - dt.timedelta(days=high)
    if band == AgeBand.WITHIN_TARGET:
        return queryset.filter(received_on__gt=four_weeks_ago)
    if band == AgeBand.IN_TARGET:
        return queryset.filter(received_on__lte=four_weeks_ago, received_on__gte=six_weeks_ago)
    return queryset.filter(received_on__lt=six_weeks_ago)


def change_notice_list(*, library: Library) -> QuerySet[ChangeNotice]:
    return ChangeNotice.objects.filter(library=library).order_by("-received_on", "-pk")


def registration_office() -> Site:
    """The ILL Section at Kansai-kan: receives applications and issues registrations."""
    return Site.objects.get(code=SiteCode.KANSAI)


def library_field_label(name: str) -> str:
    """The translated label of one of the library's detail fields."""
    return str(cast(models.Field, Library._meta.get_field(name)).verbose_name)
