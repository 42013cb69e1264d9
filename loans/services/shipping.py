"""Outbound work: pull and pack, dispatch by registered air mail, receipt,
and parcels the post brings back undelivered.

The loan period starts on the date of receipt, which the library confirms in
the portal or states on the "Receipt Letter of the Loan Material" it faxes or
emails to the sending site; when it stays silent, the nightly job takes the
delivery date (``loans.services.nightly.shipments_late_receipt_flag``). No
service moves a due date once it is set; only a parcel the post brought back
withdraws the due date of a receipt that was assumed, never true.

Which item may move how is the table ``LOAN_MOVES``; a parcel is handled item
by item and the caller gets an ``Outcomes`` saying what was done with each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.emails import RenderedMail, mail_queue, mail_render
from core.errors import DomainError
from core.identifiers import s10_clean
from core.models import User
from core.roles import staff_site as staff_site  # re-exported for the admin
from core.roles import staff_site_require
from loans.duedates import due_date_for
from loans.models import LoanAction, LoanRequest, LoanStatus, ReceiptChannel, Shipment
from registration.models import Library

from .transitions import (
    ItemOutcome,
    Outcomes,
    loan_transition,
    loans_lock,
    move_allowed,
    move_check,
    outcome_done,
    outcome_skipped,
    outcomes_require_one,
)


def _today() -> dt.date:
    return timezone.localdate()


# The site rule lives in core.roles; these names stay for the callers here.
_check_staff_site = staff_site_require


# --- Pull and pack ------------------------------------------------------------


def loan_pack(*, loan_id: int, actor: User) -> LoanRequest:
    """Staff pulled the accepted item from the stacks and packed it."""
    with transaction.atomic():
        (loan,) = loans_lock(loan_ids=[loan_id])
        _check_staff_site(actor=actor, site_id=loan.material.site_id)
        move_check(loan=loan, action=LoanAction.PACK)
        if loan.packed_at is not None:
            raise DomainError(
                _("Request #%(id)s is already packed.") % {"id": loan.pk}, code="already_packed"
            )
        loan.packed_at = timezone.now()
        loan.save(update_fields=["packed_at"])
        audit_log(actor=actor, action="loans.loan.pack", obj=loan)
        return loan


# --- Dispatch -----------------------------------------------------------------


def tracking_number_clean(value: str) -> str:
    """A typed UPU S10 number, normalised and checked (``core.identifiers.s10_clean``).

    Raises DomainError with the reason, for the services' callers.
    """
    try:
        return s10_clean(value)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code="tracking_number") from exc


def shipment_dispatch(
    *,
    loan_ids: Sequence[int],
    tracking_number: str,
    shipped_on: dt.date,
    actor: User,
) -> Shipment:
    """Send accepted, packed items of one library from one site by registered air mail."""
    number = tracking_number_clean(tracking_number)
    if shipped_on > _today():
        raise DomainError(_("The shipping date cannot be in the future."), code="future_date")
    rendered = _dispatch_mail_render(loan_ids=loan_ids, number=number, shipped_on=shipped_on)
    with transaction.atomic():
        loans = loans_lock(loan_ids=loan_ids)
        # All or nothing: the chosen items are in one parcel; staff repack
        # when one of them can no longer go.
        for loan in loans:
            move_check(loan=loan, action=LoanAction.DISPATCH)
            if loan.packed_at is None:
                raise DomainError(
                    _("Request #%(id)s is not packed yet.") % {"id": loan.pk}, code="not_packed"
                )
            packed_on = timezone.localdate(loan.packed_at)
            if shipped_on < packed_on:
                raise DomainError(
                    _(
                        "Request #%(id)s was packed on %(packed)s; the shipping date cannot "
                        "be earlier."
                    )
                    % {"id": loan.pk, "packed": packed_on.isoformat()},
                    code="shipped_before_packed",
                )
        if len({loan.library_id for loan in loans}) > 1:
            raise DomainError(
                _("One shipment goes to one library; the chosen items are for several."),
                code="mixed_libraries",
            )
        if len({loan.material.site_id for loan in loans}) > 1:
            raise DomainError(
                _("One shipment leaves from one NDL site; the chosen items are held at several."),
                code="mixed_sites",
            )
        site = loans[0].material.lending_site
        _check_staff_site(actor=actor, site_id=site.pk)
        if Shipment.objects.filter(tracking_number=number).exists():
            raise DomainError(
                _("The tracking number %(number)s is already used by another shipment.")
                % {"number": number},
                code="duplicate_tracking",
            )
        library = loans[0].library
        shipment = Shipment.objects.create(
            site=site,
            library=library,
            tracking_number=number,
            shipped_on=shipped_on,
            created_by=actor,
        )
        for loan in loans:
            loan.shipment = shipment
            loan_transition(
                loan=loan,
                to=LoanStatus.SHIPPED,
                actor=actor,
                action="loans.loan.ship",
                data={"shipment": shipment.pk},
                update_fields=("shipment",),
            )
        audit_log(
            actor=actor,
            action="loans.shipment.dispatch",
            obj=shipment,
            data={
                "tracking_number": number,
                "shipped_on": shipped_on.isoformat(),
                "loans": [loan.pk for loan in loans],
            },
        )
        if rendered is not None and rendered[0] != [loan.pk for loan in loans]:
            rendered = None  # other items than were read: rendered below instead
        mail_queue(
            to=[library.email],
            rendered=rendered[1] if rendered is not None else None,
            # Only when the read before the lock did not fit the parcel.
            template="shipment-dispatched",
            context={
                "library": library,
                "shipment": shipment,
                "site": site,
                "loans": loans,
                "lang": library.language,
            },
            dedupe_key=f"shipment-dispatched-{shipment.pk}",
            language=library.language,
        )
        return shipment


def _dispatch_mail_render(
    *, loan_ids: Sequence[int], number: str, shipped_on: dt.date
) -> tuple[list[int], RenderedMail] | None:
    """The dispatch email, rendered before the items are locked, with the
    ids of the loans it lists; None when they do not make one parcel (the
    service then refuses the dispatch under the lock)."""
    loans = list(
        LoanRequest.objects.filter(pk__in=loan_ids)
        .select_related("library", "material__site")
        .order_by("pk")
    )
    if not loans or len({(loan.library_id, loan.material.site_id) for loan in loans}) > 1:
        return None
    if loans[0].material.site is None:
        return None
    library, site = loans[0].library, loans[0].material.lending_site
    shipment = Shipment(site=site, library=library, tracking_number=number, shipped_on=shipped_on)
    rendered = mail_render(
        template="shipment-dispatched",
        context={
            "library": library,
            "shipment": shipment,
            "site": site,
            "loans": loans,
            "lang": library.language,
        },
        language=library.language,
    )
    return [loan.pk for loan in loans], rendered


def _lock_shipment(shipment_id: int) -> Shipment:
    shipment = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("site", "library")
        .filter(pk=shipment_id)
        .first()
    )
    if shipment is None:
        raise DomainError(_("This shipment does not exist."), code="missing")
    return shipment


def _shipment_loans_lock(shipment: Shipment) -> list[LoanRequest]:
    """The items of a locked shipment, locked in pk order."""
    return list(
        LoanRequest.objects.select_for_update(of=("self",))
        .select_related("material")
        .filter(shipment=shipment)
        .order_by("pk")
    )


def _refuse_unless_any(loans: list[LoanRequest], action: LoanAction) -> None:
    if not any(move_allowed(loan=loan, action=action) for loan in loans):
        outcomes_require_one([outcome_skipped(loan, action) for loan in loans])


def shipment_record_delivery(*, shipment_id: int, delivered_on: dt.date, actor: User) -> Shipment:
    """Staff note the delivery date that tracking shows.

    Allowed while an item of the parcel is still SHIPPED (``LOAN_MOVES``):
    afterwards the date of receipt, not of delivery, runs the loan. Raises
    DomainError for a future date, a date before shipping, another site's
    parcel, or a parcel whose items are all past delivery.
    """
    with transaction.atomic():
        shipment = _lock_shipment(shipment_id)
        _check_staff_site(actor=actor, site_id=shipment.site_id)
        if delivered_on > _today():
            raise DomainError(_("The delivery date cannot be in the future."), code="future_date")
        if delivered_on < shipment.shipped_on:
            raise DomainError(
                _("The delivery date cannot be before the shipment date (%(date)s).")
                % {"date": shipment.shipped_on.isoformat()},
                code="before_shipment",
            )
        _refuse_unless_any(_shipment_loans_lock(shipment), LoanAction.RECORD_DELIVERY)
        old = shipment.delivered_on
        shipment.delivered_on = delivered_on
        shipment.delivery_estimated = False
        shipment.save(update_fields=["delivered_on", "delivery_estimated"])
        audit_log(
            actor=actor,
            action="loans.shipment.record_delivery",
            obj=shipment,
            data={"from": old.isoformat() if old else None, "to": delivered_on.isoformat()},
        )
        return shipment


def shipment_undelivered_record(
    *, shipment_id: int, returned_on: dt.date, note: str, actor: User
) -> Outcomes[Shipment]:
    """The post brought the parcel back to the sending site undelivered.

    Its own outcome, not a check-in: each item still in the post's hands
    (SHIPPED, or RECEIVED/OVERDUE only on a receipt the nightly job assumed)
    becomes UNDELIVERED: back at the site, closed, no longer counted toward
    the ten-item cap, available to other libraries, no receipt notices. An
    assumed receipt and its due dates are withdrawn: they were never true.
    Items in another state (e.g. reported lost) are reported as skipped.
    Raises DomainError for a bad date, another site's parcel, a receipt the
    library confirmed, or when no item can be recorded (nothing is written).
    """
    note = note.strip()
    if returned_on > _today():
        raise DomainError(_("The date cannot be in the future."), code="future_date")
    with transaction.atomic():
        shipment = _lock_shipment(shipment_id)
        _check_staff_site(actor=actor, site_id=shipment.site_id)
        if returned_on < shipment.shipped_on:
            raise DomainError(
                _("The parcel cannot have come back before it was shipped (%(date)s).")
                % {"date": shipment.shipped_on.isoformat()},
                code="before_shipment",
            )
        assumed = shipment.receipt_channel == ReceiptChannel.ASSUMED
        outcomes: Outcomes[Shipment] = Outcomes(shipment)
        now = timezone.now()
        for loan in _shipment_loans_lock(shipment):
            held = loan.status in (LoanStatus.RECEIVED, LoanStatus.OVERDUE)
            if not move_allowed(loan=loan, action=LoanAction.RECORD_UNDELIVERED) or (
                held and not assumed
            ):
                outcomes.items.append(outcome_skipped(loan, LoanAction.RECORD_UNDELIVERED))
                continue
            loan.received_on = loan.due_on = loan.overdue_since = None
            loan.closed_at = now
            loan_transition(
                loan=loan,
                to=LoanStatus.UNDELIVERED,
                actor=actor,
                action="loans.loan.undelivered",
                data={"shipment": shipment.pk, "returned_on": returned_on.isoformat()},
                update_fields=("received_on", "due_on", "overdue_since", "closed_at"),
            )
            outcomes.items.append(
                outcome_done(
                    loan,
                    _("%(ndl_id)s: back at %(site)s undelivered; the loan is closed.")
                    % {"ndl_id": loan.material.ndl_id, "site": shipment.site.local_name},
                )
            )
        outcomes_require_one(outcomes.items)
        old_receipt = shipment.received_on
        shipment.undelivered_on = returned_on
        shipment.undelivered_note = note
        if assumed:
            shipment.received_on = None
            shipment.receipt_channel = ""
        shipment.save(
            update_fields=["undelivered_on", "undelivered_note", "received_on", "receipt_channel"]
        )
        audit_log(
            actor=actor,
            action="loans.shipment.undelivered",
            obj=shipment,
            data={
                "returned_on": returned_on.isoformat(),
                "note": note,
                "assumed_receipt_withdrawn": old_receipt.isoformat()
                if assumed and old_receipt
                else None,
                "loans": [item.loan_id for item in outcomes.done],
            },
        )
        return outcomes


# --- Receipt ------------------------------------------------------------------


def _shipment_receive(
    *,
    shipment: Shipment,
    received_on: dt.date,
    conditions: Mapping[int, str],
    channel: ReceiptChannel,
    actor: User | None,
    action: str,
    move: LoanAction,
) -> Outcomes[Shipment]:
    """Record receipt of a locked shipment, item by item.

    Each SHIPPED item becomes RECEIVED and its loan period starts; on a
    receipt the nightly job assumed, each held item gets its condition and
    keeps its due date; any other item (reported lost, already back) is
    reported as skipped with the reason. Nothing is written when no item
    can be received.
    """
    assumed = shipment.receipt_channel == ReceiptChannel.ASSUMED
    # The letter of a receipt the library already confirmed in the portal
    # joins that record: filed, nothing else changes.
    joins = (
        move == LoanAction.RECORD_RECEIPT_LETTER
        and shipment.receipt_channel == ReceiptChannel.PORTAL
        and shipment.receipt_letter_on is None
    )
    if received_on > _today():
        raise DomainError(_("The date of receipt cannot be in the future."), code="future_date")
    if received_on < shipment.shipped_on:
        raise DomainError(
            _("The date of receipt cannot be before the shipment date (%(date)s).")
            % {"date": shipment.shipped_on.isoformat()},
            code="before_shipment",
        )
    outcomes: Outcomes[Shipment] = Outcomes(shipment)
    due_on = due_date_for(received_on=received_on)
    for loan in _shipment_loans_lock(shipment):
        if not move_allowed(loan=loan, action=move):
            outcomes.items.append(outcome_skipped(loan, move))
            continue
        if loan.status != LoanStatus.SHIPPED and not (assumed or joins):
            outcomes.items.append(
                ItemOutcome(
                    loan.pk,
                    loan.material.ndl_id,
                    False,
                    _("Receipt of this shipment was already recorded (received on %(date)s).")
                    % {"date": (loan.received_on or received_on).isoformat()},
                )
            )
            continue
        if joins and loan.status != LoanStatus.SHIPPED:
            outcomes.items.append(
                outcome_done(
                    loan,
                    _(
                        "%(ndl_id)s: receipt was confirmed in the portal (received on "
                        "%(received)s); the letter is filed with it."
                    )
                    % {
                        "ndl_id": loan.material.ndl_id,
                        "received": (loan.received_on or received_on).isoformat(),
                    },
                )
            )
            continue
        loan.condition_on_receipt = (conditions.get(loan.pk) or "").strip()[:300]
        if loan.status == LoanStatus.SHIPPED:
            loan.received_on = received_on
            loan.due_on = due_on
            loan_transition(
                loan=loan,
                to=LoanStatus.RECEIVED,
                actor=actor,
                action="loans.loan.receive",
                data={"received_on": received_on.isoformat(), "due_on": due_on.isoformat()},
                update_fields=("received_on", "due_on", "condition_on_receipt"),
            )
            text = _("%(ndl_id)s: received on %(received)s, due back by %(due)s.")
        else:
            # The receipt was assumed from the delivery date: no due date moves.
            loan.save(update_fields=["condition_on_receipt"])
            audit_log(
                actor=actor,
                action="loans.loan.receipt_confirmed",
                obj=loan,
                data={"stated_received_on": received_on.isoformat()},
            )
            text = _(
                "%(ndl_id)s: receipt confirmed; the due date stays %(due)s, one month from "
                "the delivery date %(received)s."
            )
        outcomes.items.append(
            outcome_done(
                loan,
                text
                % {
                    "ndl_id": loan.material.ndl_id,
                    "received": (loan.received_on or received_on).isoformat(),
                    "due": (loan.due_on or due_on).isoformat(),
                },
            )
        )
    outcomes_require_one(outcomes.items)
    if not (assumed or joins):
        shipment.received_on = received_on
    if not joins:
        shipment.receipt_channel = channel
    shipment.save(update_fields=["received_on", "receipt_channel"])
    audit_log(
        actor=actor,
        action=action,
        obj=shipment,
        data={
            "received_on": received_on.isoformat(),
            "channel": str(channel),
            "conditions": {str(k): v for k, v in conditions.items()},
            "received": [item.loan_id for item in outcomes.done],
            "skipped": [item.loan_id for item in outcomes.skipped],
        },
    )
    return outcomes


def shipment_confirm_receipt(
    *,
    shipment_id: int,
    library: Library,
    received_on: dt.date,
    conditions: Mapping[int, str],
    actor: User | None,
) -> Outcomes[Shipment]:
    """The library confirms receipt in the portal, with each item's condition.

    Returns what was done with each item (see ``_shipment_receive``); raises
    DomainError for another library's parcel, a bad date, a receipt already
    confirmed, or a parcel none of whose items can be received.
    """
    with transaction.atomic():
        shipment = _lock_shipment(shipment_id)
        if shipment.library_id != library.pk:
            raise DomainError(_("This shipment does not exist."), code="missing")
        return _shipment_receive(
            shipment=shipment,
            received_on=received_on,
            conditions=conditions,
            channel=ReceiptChannel.PORTAL,
            actor=actor,
            action="loans.shipment.confirm_receipt",
            move=LoanAction.CONFIRM_RECEIPT,
        )


def receipt_letter_record(
    *,
    shipment_id: int,
    channel: ReceiptChannel,
    letter_on: dt.date,
    received_on: dt.date,
    conditions: Mapping[int, str],
    actor: User,
) -> Outcomes[Shipment]:
    """Staff record the Receipt Letter that came by fax or email.

    Item by item, as ``shipment_confirm_receipt``; raises DomainError as it
    does, and for a letter dated in the future or before the receipt.
    """
    if channel not in (ReceiptChannel.FAX, ReceiptChannel.EMAIL):
        raise DomainError(
            _("A receipt letter comes by fax or email."), code="receipt_letter_channel"
        )
    with transaction.atomic():
        shipment = _lock_shipment(shipment_id)
        _check_staff_site(actor=actor, site_id=shipment.site_id)
        if letter_on > _today():
            raise DomainError(
                _("The date the letter came cannot be in the future."), code="future_date"
            )
        if letter_on < received_on:
            raise DomainError(
                _("The letter cannot have come before the items were received."),
                code="letter_before_receipt",
            )
        outcomes = _shipment_receive(
            shipment=shipment,
            received_on=received_on,
            conditions=conditions,
            channel=channel,
            actor=actor,
            action="loans.shipment.receipt_letter",
            move=LoanAction.RECORD_RECEIPT_LETTER,
        )
        shipment.receipt_letter_on = letter_on
        shipment.save(update_fields=["receipt_letter_on"])
        return outcomes
