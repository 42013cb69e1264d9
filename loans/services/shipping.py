"""Outbound work: pull and pack, dispatch by registered air mail, receipt.

The loan period starts on the date of receipt, which the library confirms in
the portal or states on the "Receipt Letter of the Loan Material" it faxes or
emails to the sending site. No service moves a due date once it is set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit_log
from core.emails import mail_queue
from core.errors import DomainError
from core.identifiers import s10_normalize, validate_s10
from core.models import Site, User
from core.roles import SUPERVISOR
from loans.duedates import due_date_for
from loans.models import LoanRequest, LoanStatus, ReceiptChannel, Shipment
from registration.models import Library

from .transitions import loan_transition, loans_lock

NO_EXTENSION_MESSAGE = gettext_lazy(
    "The NDL does not extend the deadline of loans. Please return the materials; "
    "you can request them again afterwards."
)


def _today() -> dt.date:
    return timezone.localdate()


def staff_site(user: User) -> Site | None:
    """The site a lending staff member works for; None for supervisors (all sites)."""
    if user.is_superuser or user.site_id is None:
        return None
    if user.groups.filter(name=SUPERVISOR).exists():
        return None
    return user.site


def _check_staff_site(*, actor: User, site_id: int) -> None:
    own = staff_site(actor)
    if own is not None and own.pk != site_id:
        raise DomainError(
            _("You work at %(own)s; this item is handled by another NDL site.") % {"own": own},
            code="other_site",
        )


# --- Pull and pack ------------------------------------------------------------


def loan_pack(*, loan_id: int, actor: User) -> LoanRequest:
    """Staff pulled the accepted item from the stacks and packed it."""
    with transaction.atomic():
        (loan,) = loans_lock(loan_ids=[loan_id])
        _check_staff_site(actor=actor, site_id=loan.material.site_id)
        if loan.status != LoanStatus.ACCEPTED:
            raise DomainError(
                _("Request #%(id)s is %(status)s; only accepted items are pulled and packed.")
                % {"id": loan.pk, "status": loan.get_status_display()},
                code="not_accepted",
            )
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
    """Normalize and validate an S10 number; raise DomainError with the reason."""
    number = s10_normalize(value)
    try:
        validate_s10(number)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code="tracking_number") from exc
    return number


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
    with transaction.atomic():
        loans = loans_lock(loan_ids=loan_ids)
        for loan in loans:
            if loan.status != LoanStatus.ACCEPTED:
                raise DomainError(
                    _("Request #%(id)s is %(status)s; only accepted items can be shipped.")
                    % {"id": loan.pk, "status": loan.get_status_display()},
                    code="not_accepted",
                )
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
        site = loans[0].material.site
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
        mail_queue(
            to=[library.email],
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


def shipment_record_delivery(*, shipment_id: int, delivered_on: dt.date, actor: User) -> Shipment:
    """Staff note the delivery date that tracking shows."""
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


# --- Receipt ------------------------------------------------------------------


def _shipment_receive(
    *,
    shipment: Shipment,
    received_on: dt.date,
    conditions: Mapping[int, str],
    channel: ReceiptChannel,
    actor: User | None,
    action: str,
) -> list[LoanRequest]:
    """Mark a locked shipment and its items received; the loan period starts."""
    if shipment.received_on is not None:
        raise DomainError(
            _("Receipt of this shipment was already recorded (received on %(date)s).")
            % {"date": shipment.received_on.isoformat()},
            code="already_received",
        )
    if received_on > _today():
        raise DomainError(_("The date of receipt cannot be in the future."), code="future_date")
    if received_on < shipment.shipped_on:
        raise DomainError(
            _("The date of receipt cannot be before the shipment date (%(date)s).")
            % {"date": shipment.shipped_on.isoformat()},
            code="before_shipment",
        )
    loans = list(
        LoanRequest.objects.select_for_update(of=("self",))
        .select_related("material")
        .filter(shipment=shipment)
        .order_by("pk")
    )
    due_on = due_date_for(received_on=received_on)
    for loan in loans:
        loan.received_on = received_on
        loan.due_on = due_on
        loan.condition_on_receipt = (conditions.get(loan.pk) or "").strip()[:300]
        loan_transition(
            loan=loan,
            to=LoanStatus.RECEIVED,
            actor=actor,
            action="loans.loan.receive",
            data={"received_on": received_on.isoformat(), "due_on": due_on.isoformat()},
            update_fields=("received_on", "due_on", "condition_on_receipt"),
        )
    shipment.received_on = received_on
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
        },
    )
    return loans


def shipment_confirm_receipt(
    *,
    shipment_id: int,
    library: Library,
    received_on: dt.date,
    conditions: Mapping[int, str],
    actor: User | None,
) -> Shipment:
    """The library confirms receipt in the portal, with each item's condition."""
    with transaction.atomic():
        shipment = _lock_shipment(shipment_id)
        if shipment.library_id != library.pk:
            raise DomainError(_("This shipment does not exist."), code="missing")
        _shipment_receive(
            shipment=shipment,
            received_on=received_on,
            conditions=conditions,
            channel=ReceiptChannel.PORTAL,
            actor=actor,
            action="loans.shipment.confirm_receipt",
        )
        return shipment


def receipt_letter_record(
    *,
    shipment_id: int,
    channel: ReceiptChannel,
    letter_on: dt.date,
    received_on: dt.date,
    conditions: Mapping[int, str],
    actor: User,
) -> Shipment:
    """Staff record the Receipt Letter that came by fax or email."""
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
        _shipment_receive(
            shipment=shipment,
            received_on=received_on,
            conditions=conditions,
            channel=channel,
            actor=actor,
            action="loans.shipment.receipt_letter",
        )
        shipment.receipt_letter_on = letter_on
        shipment.save(update_fields=["receipt_letter_on"])
        return shipment


# --- No extension -----------------------------------------------------------


def loan_extend(*, loan: LoanRequest, actor: User | None) -> None:
    """Always refused: the NDL page says the deadline is never extended."""
    raise DomainError(str(NO_EXTENSION_MESSAGE), code="no_extension")
