"""The one function that moves a loan request from one status to another."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import DomainError
from core.models import User
from loans.models import LOAN_TRANSITIONS, LoanRequest, LoanStatus


def loan_transition(
    *,
    loan: LoanRequest,
    to: LoanStatus,
    actor: User | None,
    action: str,
    data: dict[str, Any] | None = None,
    update_fields: tuple[str, ...] = (),
) -> None:
    """Move ``loan`` (already locked by the caller) to ``to`` and audit it.

    Raises DomainError on a move the transition table does not allow. The
    caller sets any other fields first and names them in ``update_fields``.
    """
    old = loan.status
    if to not in LOAN_TRANSITIONS[old]:
        raise DomainError(
            _("Request #%(id)s is %(status)s and cannot become %(new)s.")
            % {"id": loan.pk, "status": loan.get_status_display(), "new": LoanStatus(to).label},
            code="illegal_transition",
        )
    loan.status = to
    loan.save(update_fields=["status", *update_fields])
    audit_log(
        actor=actor,
        action=action,
        obj=loan,
        data={"from": old, "to": str(to), **(data or {})},
    )
