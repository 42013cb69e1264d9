"""Showing what an operation on several items did with each of them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest

from loans.services.transitions import Outcomes


def outcomes_show(request: HttpRequest, outcomes: Outcomes[Any]) -> None:
    """One message per item, in the portal or the admin: done in green,
    skipped (with the reason and what to do instead) as a warning."""
    for item in outcomes.done:
        messages.success(request, item.message)
    for item in outcomes.skipped:
        messages.warning(request, item.message)
