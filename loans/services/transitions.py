"""Moving loan requests between statuses: lock them, check the move against
``LOAN_MOVES``, then transition them.

Every service asks ``move_check`` before it changes a loan. A refused move
raises a ``DomainError`` that says where the item is and what can be done
instead; a service working on several items (a parcel, a receipt, a night)
asks ``move_allowed`` for each and reports an ``ItemOutcome`` per item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit_log
from core.errors import DomainError
from core.models import User
from loans.models import (
    ACTION_BY,
    CASE_ACTIONS,
    LOAN_MOVES,
    LOAN_TRANSITIONS,
    ActionBy,
    LoanAction,
    LoanRequest,
    LoanStatus,
    Move,
)
from loans.signals import loan_moved
from registration.models import Library

# Where the physical item is, for each status: the first half of a refusal.
WHERE: dict[LoanStatus, Any] = {
    LoanStatus.REQUESTED: gettext_lazy(
        "The request awaits the NDL's decision; the item is on the shelf at the NDL."
    ),
    LoanStatus.ACCEPTED: gettext_lazy(
        "The item is at the NDL, waiting to be pulled, packed and shipped."
    ),
    LoanStatus.SHIPPED: gettext_lazy(
        "The item is with the post or the library: its receipt is not recorded yet."
    ),
    LoanStatus.RECEIVED: gettext_lazy("The library holds the item."),
    LoanStatus.OVERDUE: gettext_lazy("The library holds the item past its due date."),
    LoanStatus.RETURN_SHIPPED: gettext_lazy("The item is on its way back to the NDL."),
    LoanStatus.CHECKED_IN: gettext_lazy("The item is back at the NDL; the loan is closed."),
    LoanStatus.UNDELIVERED: gettext_lazy(
        "The post brought the parcel back undelivered: the item is at the NDL and the loan "
        "is closed."
    ),
    LoanStatus.LOST: gettext_lazy("The item is recorded lost; its loss case is open."),
    LoanStatus.LOSS_SETTLED: gettext_lazy("The item was lost and the loss is settled."),
    LoanStatus.REJECTED: gettext_lazy("The NDL decided not to lend it; the item never left."),
    LoanStatus.CANCELLED: gettext_lazy("The request was cancelled; the item never left."),
}


def move_of(*, status: str, action: LoanAction) -> Move | None:
    """The allowed move of ``action`` from ``status``, or None."""
    return LOAN_MOVES[LoanStatus(status)].get(action)


def move_allowed(*, loan: LoanRequest, action: LoanAction) -> bool:
    return move_of(status=loan.status, action=action) is not None


def moves_open_to(
    *, status: str, by: ActionBy, loan: LoanRequest | None = None
) -> list[LoanAction]:
    """What ``by`` can start from ``status``, in the table's order; with
    ``loan``, without the moves whose packing condition it does not meet."""
    packed = loan is not None and loan.packed_at is not None
    unmet = {LoanAction.PACK: packed, LoanAction.DISPATCH: loan is not None and not packed}
    return [
        action
        for action, move in LOAN_MOVES[LoanStatus(status)].items()
        if ACTION_BY[action] == by
        and action not in CASE_ACTIONS
        and not (move.when and unmet.get(action, False))
    ]


def move_refusal(*, loan: LoanRequest, action: LoanAction) -> str:
    """Why ``action`` cannot be done to ``loan`` now, and what can be done instead."""
    status = LoanStatus(loan.status)
    parts = [
        _("Request #%(id)s (%(ndl_id)s) is “%(status)s”, so you cannot %(action)s.")
        % {
            "id": loan.pk,
            "ndl_id": loan.material.ndl_id,
            "status": status.label,
            "action": LoanAction(action).label,
        },
        str(WHERE[status]),
    ]
    by = ACTION_BY[action]
    if by == ActionBy.NIGHT:
        by = ActionBy.STAFF
    open_to = moves_open_to(status=status, by=by, loan=loan)
    if open_to:
        parts.append(
            _("What can be done now: %(actions)s.")
            % {"actions": _(", ").join(str(LoanAction(a).label) for a in open_to)}
        )
    elif not LOAN_MOVES[status]:
        parts.append(_("Nothing more can be done with this request."))
    else:
        other = _("the NDL") if by == ActionBy.LIBRARY else _("the library")
        parts.append(_("The next step is for %(who)s.") % {"who": other})
    return " ".join(parts)


def move_check(*, loan: LoanRequest, action: LoanAction) -> Move:
    """The move ``action`` makes from the loan's status; DomainError if none.

    A cell's ``when`` condition (packed, receipt assumed, …) is the calling
    service's to check, with its own message.
    """
    move = move_of(status=loan.status, action=action)
    if move is None:
        raise DomainError(move_refusal(loan=loan, action=action), code="not_allowed_now")
    return move


@dataclass(frozen=True)
class ItemOutcome:
    """What one operation on several items did with one of them."""

    loan_id: int
    ndl_id: str
    done: bool
    message: str


T = TypeVar("T")


@dataclass
class Outcomes(Generic[T]):
    """The record an operation on several items made (``subject``) and what it
    did with each item, in pk order: views and the admin show ``items``."""

    subject: T
    items: list[ItemOutcome] = field(default_factory=list)

    @property
    def done(self) -> list[ItemOutcome]:
        return [item for item in self.items if item.done]

    @property
    def skipped(self) -> list[ItemOutcome]:
        return [item for item in self.items if not item.done]


def outcome_done(loan: LoanRequest, message: str) -> ItemOutcome:
    return ItemOutcome(loan.pk, loan.material.ndl_id, True, message)


def outcome_skipped(loan: LoanRequest, action: LoanAction) -> ItemOutcome:
    return ItemOutcome(loan.pk, loan.material.ndl_id, False, move_refusal(loan=loan, action=action))


def outcomes_require_one(items: Sequence[ItemOutcome]) -> None:
    """Refuse (nothing is written) when no item could be handled: a single
    reason as is, several joined."""
    if items and not any(item.done for item in items):
        reasons = dict.fromkeys(item.message for item in items)
        raise DomainError(" ".join(reasons), code="not_allowed_now")


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
    loan_moved.send(sender=LoanRequest, loan=loan, action=action, old=old, new=str(to))
