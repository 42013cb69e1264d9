"""Outgoing ISO 18626 messages follow the loans' and the copy requests' moves
(``loans.signals``, ``copies.signals``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from copies.signals import copy_moved
from loans.signals import damage_case_reported, loan_moved

from .services import case_reported_message, copy_moved_message, loan_moved_message


@receiver(loan_moved, dispatch_uid="iso18626.loan_moved")
def _loan_moved(sender: Any, *, loan: Any, action: str, old: str, new: str, **kwargs: Any) -> None:
    loan_moved_message(loan=loan, action=action, old=old, new=new)


@receiver(damage_case_reported, dispatch_uid="iso18626.damage_case_reported")
def _case_reported(sender: Any, *, case: Any, loan: Any, **kwargs: Any) -> None:
    case_reported_message(case=case, loan=loan)


@receiver(copy_moved, dispatch_uid="iso18626.copy_moved")
def _copy_moved(sender: Any, *, copy: Any, action: str, old: str, new: str, **kwargs: Any) -> None:
    copy_moved_message(copy=copy, action=action, old=old, new=new)
