"""Moving loan requests between statuses: lock them, then transition them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import DomainError
from core.models import User
from loans.models import LOAN_TRANSITIONS, LoanRequest, LoanStatus
from registration.models import Library


def loans_lock(*, loan_ids: Sequence[int], library: Library | None = None) -> list[LoanRequest]:
    """Lock the chosen loans in pk order, so concurrent services cannot deadlock.

    With ``library``, only that library's loans count as found: a portal user
    cannot touch another library's items by guessing their ids.
    """
    ids = sorted(set(loan_ids))
    if not ids:
        raise DomainError(_("Choose at least one item."), code="no_items")
    queryset = LoanRequest.objects.select_for_update(of=("self",)).filter(pk__in=ids)
    if library is not None:
        queryset = queryset.filter(library=library)
    loans = list(
        queryset.select_related(
            "library", "material", "material__site", "shipment", "shipment__site"
        ).order_by("pk")
    )
    if len(loans) != len(ids):
        if library is not None:
            raise DomainError(_("Some of the chosen items are not on loan to you."), code="missing")
        raise DomainError(_("Some of the chosen items no longer exist."), code="missing")
    return loans


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
