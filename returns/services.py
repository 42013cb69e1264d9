"""Returns, check-in at NDL, and damage and loss cases.

Items go back to the site that sent them, by registered air mail or an air
carrier with tracking and compensation, never by surface mail. Check-in ends
the loan; damage or loss is a case that NDL instructs and settles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

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
from loans.models import HELD_STATUSES, LoanRequest, LoanStatus
from loans.services.shipping import staff_site
from loans.services.transitions import loan_transition, loans_lock
from registration.models import Library

from .models import (
    ALLOWED_RETURN_METHODS,
    CaseKind,
    CaseStatus,
    CheckIn,
    DamageCase,
    Instruction,
    ItemCondition,
    ReturnMethod,
    ReturnParcel,
)

SURFACE_MAIL_MESSAGE = gettext_lazy(
    "All returns must be sent by registered air mail or international air carrier providing "
    "tracking service and compensation for loss, not by surface mail."
)
# The library may report damage or loss while it holds the item or has shipped it back.
LIBRARY_REPORTABLE_STATUSES = (*HELD_STATUSES, LoanStatus.RETURN_SHIPPED)
# Staff may also record a loss in transit, or damage found at or after check-in.
STAFF_REPORTABLE_STATUSES = (
    LoanStatus.SHIPPED,
    *LIBRARY_REPORTABLE_STATUSES,
    LoanStatus.LOST,
    LoanStatus.CHECKED_IN,
)
# A loss can only be of an item that is out of NDL's hands.
LOSABLE_STATUSES = (LoanStatus.SHIPPED, *LIBRARY_REPORTABLE_STATUSES)
CHECK_IN_STATUSES = (
    LoanStatus.SHIPPED,
    *HELD_STATUSES,
    LoanStatus.RETURN_SHIPPED,
    LoanStatus.LOST,
)


def _today() -> dt.date:
    return timezone.localdate()


# --- Return parcels -----------------------------------------------------------


def return_parcel_record(
    *,
    library: Library,
    loan_ids: Sequence[int],
    method: str,
    carrier: str,
    tracking_number: str,
    sent_on: dt.date,
    actor: User | None,
) -> ReturnParcel:
    """The library sent items back to the site that lent them."""
    if method == ReturnMethod.SURFACE_MAIL:
        raise DomainError(str(SURFACE_MAIL_MESSAGE), code="surface_mail")
    if method not in ALLOWED_RETURN_METHODS:
        raise DomainError(_("Choose how the parcel was sent."), code="method")
    carrier = carrier.strip()
    if method == ReturnMethod.AIR_CARRIER and not carrier:
        raise DomainError(_("Name the international air carrier."), code="carrier")
    if method == ReturnMethod.REGISTERED_AIR_MAIL:
        carrier = ""
        tracking_number = s10_normalize(tracking_number)
        try:
            validate_s10(tracking_number)
        except ValidationError as exc:
            raise DomainError(exc.messages[0], code="tracking_number") from exc
    tracking_number = tracking_number.strip()
    if not tracking_number:
        raise DomainError(_("Enter the tracking number of the parcel."), code="tracking_number")
    if sent_on > _today():
        raise DomainError(_("The date sent cannot be in the future."), code="future_date")
    with transaction.atomic():
        loans = loans_lock(loan_ids=loan_ids, library=library)
        for loan in loans:
            if loan.status not in HELD_STATUSES:
                raise DomainError(
                    _("Request #%(id)s is %(status)s; only items you hold can be returned.")
                    % {"id": loan.pk, "status": loan.get_status_display()},
                    code="not_held",
                )
        sites = {loan.shipment.site_id for loan in loans if loan.shipment}
        if len(sites) != 1:
            raise DomainError(
                _(
                    "Items must be returned to the library that sent them: put the items from "
                    "each NDL site in a separate parcel."
                ),
                code="mixed_sites",
            )
        latest_receipt = max(loan.received_on for loan in loans if loan.received_on)
        if sent_on < latest_receipt:
            raise DomainError(
                _("The date sent cannot be before the items were received (%(date)s).")
                % {"date": latest_receipt.isoformat()},
                code="before_receipt",
            )
        site = loans[0].shipment.site  # type: ignore[union-attr]
        parcel = ReturnParcel.objects.create(
            library=library,
            site=site,
            method=method,
            carrier=carrier,
            tracking_number=tracking_number,
            sent_on=sent_on,
            created_by=actor,
        )
        parcel.loans.set(loans)
        for loan in loans:
            loan_transition(
                loan=loan,
                to=LoanStatus.RETURN_SHIPPED,
                actor=actor,
                action="returns.loan.return_ship",
                data={"parcel": parcel.pk},
            )
        audit_log(
            actor=actor,
            action="returns.parcel.record",
            obj=parcel,
            data={
                "method": method,
                "carrier": carrier,
                "tracking_number": tracking_number,
                "sent_on": sent_on.isoformat(),
                "loans": [loan.pk for loan in loans],
            },
        )
        return parcel


# --- Check-in -----------------------------------------------------------------


def loan_check_in(
    *,
    loan_id: int,
    site: Site,
    checked_in_on: dt.date,
    condition: str,
    loan_slip_enclosed: bool,
    to_borrowers_enclosed: bool,
    note: str,
    actor: User,
) -> CheckIn:
    """An item is back at ``site``; the loan ends. Damage opens a case."""
    own = staff_site(actor)
    if own is not None and own.pk != site.pk:
        raise DomainError(
            _("You can only check items in at your own site (%(site)s).") % {"site": own},
            code="other_site",
        )
    if condition not in ItemCondition.values:
        raise DomainError(_("Choose the condition of the item."), code="condition")
    if checked_in_on > _today():
        raise DomainError(_("The check-in date cannot be in the future."), code="future_date")
    with transaction.atomic():
        (loan,) = loans_lock(loan_ids=[loan_id])
        if loan.status == LoanStatus.CHECKED_IN or CheckIn.objects.filter(loan=loan).exists():
            raise DomainError(
                _("Request #%(id)s is already checked in.") % {"id": loan.pk},
                code="already_checked_in",
            )
        if loan.status not in CHECK_IN_STATUSES or loan.shipment is None:
            raise DomainError(
                _("Request #%(id)s was never shipped (%(status)s); it cannot be checked in.")
                % {"id": loan.pk, "status": loan.get_status_display()},
                code="not_shipped",
            )
        if checked_in_on < loan.shipment.shipped_on:
            raise DomainError(
                _("The check-in date cannot be before the item was shipped (%(date)s).")
                % {"date": loan.shipment.shipped_on.isoformat()},
                code="before_shipment",
            )
        wrong_site = loan.shipment.site_id != site.pk
        check_in = CheckIn.objects.create(
            loan=loan,
            site=site,
            checked_in_on=checked_in_on,
            condition=condition,
            loan_slip_enclosed=loan_slip_enclosed,
            to_borrowers_enclosed=to_borrowers_enclosed,
            wrong_site=wrong_site,
            note=note.strip(),
            checked_in_by=actor,
        )
        loan.closed_at = timezone.now()
        loan_transition(
            loan=loan,
            to=LoanStatus.CHECKED_IN,
            actor=actor,
            action="returns.loan.check_in",
            data={"check_in": check_in.pk, "site": site.code, "wrong_site": wrong_site},
            update_fields=("closed_at",),
        )
        audit_log(
            actor=actor,
            action="returns.check_in.record",
            obj=check_in,
            data={
                "condition": condition,
                "loan_slip_enclosed": loan_slip_enclosed,
                "to_borrowers_enclosed": to_borrowers_enclosed,
                "wrong_site": wrong_site,
            },
        )
        if condition == ItemCondition.DAMAGED:
            _case_open(
                loan=loan,
                kind=CaseKind.DAMAGE,
                description=note.strip() or _("Found damaged at check-in."),
                reported_on=checked_in_on,
                reported_by_library=False,
                actor=actor,
            )
        return check_in


# --- Damage and loss ------------------------------------------------------------


def _case_open(
    *,
    loan: LoanRequest,
    kind: str,
    description: str,
    reported_on: dt.date,
    reported_by_library: bool,
    actor: User | None,
) -> DamageCase:
    """Open a case for a locked loan and alert the sending site."""
    if DamageCase.objects.filter(loan=loan, kind=kind).exclude(status=CaseStatus.SETTLED).exists():
        raise DomainError(
            _("A %(kind)s case for request #%(id)s is already open.")
            % {"kind": CaseKind(kind).label.lower(), "id": loan.pk},
            code="case_open",
        )
    case = DamageCase.objects.create(
        loan=loan,
        kind=kind,
        reported_by_library=reported_by_library,
        reported_on=reported_on,
        description=description,
        created_by=actor,
    )
    if kind == CaseKind.LOSS:
        loan_transition(
            loan=loan,
            to=LoanStatus.LOST,
            actor=actor,
            action="returns.loan.lost",
            data={"case": case.pk},
        )
    audit_log(
        actor=actor,
        action="returns.case.report",
        obj=case,
        data={"kind": kind, "by_library": reported_by_library, "loan": loan.pk},
    )
    assert loan.shipment is not None  # noqa: S101 - only shipped loans reach here  # nosec B101
    site = loan.shipment.site
    mail_queue(
        to=[site.email],
        template="damage-case-reported",
        context={"case": case, "loan": loan, "library": loan.library, "site": site},
        dedupe_key=f"damage-case-reported-{case.pk}",
    )
    return case


def damage_case_report(
    *,
    loan_id: int,
    kind: str,
    description: str,
    reported_on: dt.date,
    actor: User | None,
    library: Library | None = None,
) -> DamageCase:
    """Record damage or loss, from the library (``library`` given) or from a letter."""
    if kind not in CaseKind.values:
        raise DomainError(_("Say whether the item was damaged or lost."), code="kind")
    description = description.strip()
    if not description:
        raise DomainError(_("Describe what happened."), code="description")
    if reported_on > _today():
        raise DomainError(_("The report date cannot be in the future."), code="future_date")
    with transaction.atomic():
        (loan,) = loans_lock(loan_ids=[loan_id], library=library)
        allowed: tuple[LoanStatus, ...] = (
            LIBRARY_REPORTABLE_STATUSES if library is not None else STAFF_REPORTABLE_STATUSES
        )
        if kind == CaseKind.LOSS:
            allowed = tuple(s for s in allowed if s in LOSABLE_STATUSES)
        if loan.status not in allowed or loan.shipment is None:
            raise DomainError(
                _("Request #%(id)s is %(status)s; a %(kind)s cannot be reported for it now.")
                % {
                    "id": loan.pk,
                    "status": loan.get_status_display(),
                    "kind": CaseKind(kind).label.lower(),
                },
                code="not_reportable",
            )
        return _case_open(
            loan=loan,
            kind=kind,
            description=description,
            reported_on=reported_on,
            reported_by_library=library is not None,
            actor=actor,
        )


def _lock_case(case_id: int) -> DamageCase:
    case = (
        DamageCase.objects.select_for_update(of=("self",))
        .select_related("loan__library", "loan__material")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise DomainError(_("This case does not exist."), code="missing")
    return case


def damage_case_instruct(
    *,
    case_id: int,
    instruction: str,
    amount: Decimal | None,
    currency: str,
    instructed_on: dt.date,
    actor: User,
) -> DamageCase:
    """NDL instructs a replacement copy or full compensation; the library is told."""
    currency = currency.strip().upper()
    if instruction not in Instruction.values:
        raise DomainError(_("Choose replacement or compensation."), code="instruction")
    if instruction == Instruction.COMPENSATION:
        if amount is None or amount <= 0:
            raise DomainError(_("Enter the compensation amount (more than zero)."), code="amount")
        if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
            raise DomainError(
                _("Enter the currency as a three-letter ISO 4217 code, e.g. JPY or USD."),
                code="currency",
            )
    else:
        amount, currency = None, ""
    if instructed_on > _today():
        raise DomainError(_("The instruction date cannot be in the future."), code="future_date")
    with transaction.atomic():
        case = _lock_case(case_id)
        if case.status == CaseStatus.SETTLED:
            raise DomainError(_("This case is already settled."), code="settled")
        if instructed_on < case.reported_on:
            raise DomainError(
                _("The instruction cannot be dated before the report (%(date)s).")
                % {"date": case.reported_on.isoformat()},
                code="before_report",
            )
        case.instruction = instruction
        case.compensation_amount = amount
        case.compensation_currency = currency
        case.instructed_on = instructed_on
        case.status = CaseStatus.INSTRUCTED
        case.save(
            update_fields=[
                "instruction",
                "compensation_amount",
                "compensation_currency",
                "instructed_on",
                "status",
            ]
        )
        audit_log(
            actor=actor,
            action="returns.case.instruct",
            obj=case,
            data={
                "instruction": instruction,
                "amount": str(amount) if amount is not None else None,
                "currency": currency,
            },
        )
        library = case.loan.library
        mail_queue(
            to=[library.email],
            template="damage-case-instructed",
            context={"case": case, "loan": case.loan, "library": library, "lang": library.language},
            dedupe_key=f"damage-case-instructed-{case.pk}-{instruction}-{amount}-{currency}",
            language=library.language,
        )
        return case


def damage_case_settle(*, case_id: int, settled_on: dt.date, note: str, actor: User) -> DamageCase:
    """The replacement or compensation arrived; a lost item's loan ends."""
    note = note.strip()
    if not note:
        raise DomainError(_("Say how the case was settled."), code="note")
    if settled_on > _today():
        raise DomainError(_("The settlement date cannot be in the future."), code="future_date")
    with transaction.atomic():
        # Loan before case, the order damage_case_report takes them in.
        loan_id = DamageCase.objects.filter(pk=case_id).values_list("loan_id", flat=True).first()
        if loan_id is None:
            raise DomainError(_("This case does not exist."), code="missing")
        loan = LoanRequest.objects.select_for_update(of=("self",)).get(pk=loan_id)
        case = _lock_case(case_id)
        if case.status == CaseStatus.SETTLED:
            raise DomainError(_("This case is already settled."), code="settled")
        if case.status != CaseStatus.INSTRUCTED:
            raise DomainError(
                _("Record NDL's instruction before settling the case."), code="not_instructed"
            )
        assert case.instructed_on is not None  # noqa: S101 - guaranteed by the status  # nosec B101
        if settled_on < case.instructed_on:
            raise DomainError(
                _("The settlement cannot be dated before the instruction (%(date)s).")
                % {"date": case.instructed_on.isoformat()},
                code="before_instruction",
            )
        case.status = CaseStatus.SETTLED
        case.settled_on = settled_on
        case.settlement_note = note
        case.save(update_fields=["status", "settled_on", "settlement_note"])
        audit_log(
            actor=actor,
            action="returns.case.settle",
            obj=case,
            data={"settled_on": settled_on.isoformat()},
        )
        # A lost item that turned up and was checked in stays CHECKED_IN.
        if case.kind == CaseKind.LOSS and loan.status == LoanStatus.LOST:
            loan.closed_at = timezone.now()
            loan_transition(
                loan=loan,
                to=LoanStatus.LOSS_SETTLED,
                actor=actor,
                action="returns.loan.loss_settled",
                data={"case": case.pk},
                update_fields=("closed_at",),
            )
        return case
