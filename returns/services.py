"""Returns, check-in at NDL, and damage and loss cases.

Items go back to the site that sent them, by registered air mail or an air
carrier with tracking and compensation, never by surface mail. Check-in ends
the loan; damage or loss is a case that NDL instructs and settles.

Which loan may be returned, checked in or reported in which status is the
table ``loans.models.LOAN_MOVES``. A parcel is handled item by item: each
item moves by its own state and the caller gets an ``Outcomes`` saying what
was done with each. A report or a damaged check-in that meets an open case
of the same kind joins it (its findings are added) instead of opening a
second one or being refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit_log
from core.emails import STAFF_LANGUAGE, mail_queue, mail_render
from core.errors import DomainError
from core.models import Site, User
from loans.models import LOAN_MOVES, LoanAction, LoanRequest, LoanStatus
from loans.services.scope import staff_loans_require
from loans.services.shipping import staff_site, tracking_number_clean
from loans.services.transitions import (
    Outcomes,
    loan_transition,
    loans_lock,
    move_allowed,
    move_check,
    outcome_done,
    outcome_skipped,
    outcomes_require_one,
)
from loans.signals import damage_case_reported
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
REPORT_ACTIONS: dict[tuple[bool, str], LoanAction] = {
    (True, CaseKind.DAMAGE): LoanAction.LIBRARY_REPORT_DAMAGE,
    (True, CaseKind.LOSS): LoanAction.LIBRARY_REPORT_LOSS,
    (False, CaseKind.DAMAGE): LoanAction.STAFF_REPORT_DAMAGE,
    (False, CaseKind.LOSS): LoanAction.STAFF_REPORT_LOSS,
}
# The portal offers a report form for a loan in one of these (LOAN_MOVES).
LIBRARY_REPORTABLE_STATUSES = tuple(
    status
    for status, moves in LOAN_MOVES.items()
    if LoanAction.LIBRARY_REPORT_DAMAGE in moves or LoanAction.LIBRARY_REPORT_LOSS in moves
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
) -> Outcomes[ReturnParcel]:
    """The library sent items back to the site that lent them.

    Item by item (``LOAN_MOVES``, RECORD_RETURN): a held item, or one
    recorded lost that turned up (its loss case gets a note), becomes
    RETURN_SHIPPED; any other item is reported as skipped with the reason.
    Raises DomainError, writing nothing, for surface mail, a bad tracking
    number or date, items of several sites, another library's items, or
    when no item can be returned.
    """
    if method == ReturnMethod.SURFACE_MAIL:
        raise DomainError(str(SURFACE_MAIL_MESSAGE), code="surface_mail")
    if method not in ALLOWED_RETURN_METHODS:
        raise DomainError(_("Choose how the parcel was sent."), code="method")
    carrier = carrier.strip()
    if method == ReturnMethod.AIR_CARRIER and not carrier:
        raise DomainError(_("Name the international air carrier."), code="carrier")
    if method == ReturnMethod.REGISTERED_AIR_MAIL:
        carrier = ""
        tracking_number = tracking_number_clean(tracking_number)
    tracking_number = tracking_number.strip()
    if not tracking_number:
        raise DomainError(_("Enter the tracking number of the parcel."), code="tracking_number")
    if sent_on > _today():
        raise DomainError(_("The date sent cannot be in the future."), code="future_date")
    with transaction.atomic():
        locked = loans_lock(loan_ids=loan_ids, library=library)
        skipped = [
            outcome_skipped(loan, LoanAction.RECORD_RETURN)
            for loan in locked
            if not move_allowed(loan=loan, action=LoanAction.RECORD_RETURN)
        ]
        if len(skipped) == len(locked):
            outcomes_require_one(skipped)
        loans = [
            loan for loan in locked if move_allowed(loan=loan, action=LoanAction.RECORD_RETURN)
        ]
        sites = {loan.shipment.site_id for loan in loans if loan.shipment}
        if len(sites) != 1:
            raise DomainError(
                _(
                    "Items must be returned to the library that sent them: put the items from "
                    "each NDL site in a separate parcel."
                ),
                code="mixed_sites",
            )
        latest_receipt = max((loan.received_on for loan in loans if loan.received_on), default=None)
        if latest_receipt is not None and sent_on < latest_receipt:
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
        outcomes: Outcomes[ReturnParcel] = Outcomes(parcel)
        for loan in locked:
            if loan not in loans:
                continue
            if loan.status == LoanStatus.LOST:
                _case_add(
                    loan=loan,
                    kind=CaseKind.LOSS,
                    text=_("The library found the item and sent it back on %(date)s.")
                    % {"date": sent_on.isoformat()},
                    reported_on=sent_on,
                    by_library=True,
                    actor=actor,
                )
            loan_transition(
                loan=loan,
                to=LoanStatus.RETURN_SHIPPED,
                actor=actor,
                action="returns.loan.return_ship",
                data={"parcel": parcel.pk},
            )
        by_pk = {item.loan_id: item for item in skipped}
        for loan in locked:
            outcomes.items.append(
                by_pk.get(loan.pk)
                or outcome_done(
                    loan, _("%(ndl_id)s: sent back.") % {"ndl_id": loan.material.ndl_id}
                )
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
                "skipped": [item.loan_id for item in skipped],
            },
        )
        return outcomes


# --- Check-in -----------------------------------------------------------------


def _check_in_site_require(*, actor: User, site: Site) -> None:
    own = staff_site(actor)
    if own is not None and own.pk != site.pk:
        raise DomainError(
            _("You can only check items in at your own site (%(site)s).") % {"site": own},
            code="other_site",
        )


def _check_in_locked(
    *,
    loan: LoanRequest,
    site: Site,
    checked_in_on: dt.date,
    condition: str,
    loan_slip_enclosed: bool,
    to_borrowers_enclosed: bool,
    note: str,
    actor: User,
) -> CheckIn:
    """Check one locked loan in (``move_check`` already passed)."""
    assert loan.shipment is not None  # noqa: S101 - every checkable status has one  # nosec B101
    if checked_in_on < loan.shipment.shipped_on:
        raise DomainError(
            _("The check-in date cannot be before the item was shipped (%(date)s).")
            % {"date": loan.shipment.shipped_on.isoformat()},
            code="before_shipment",
        )
    if CheckIn.objects.filter(loan=loan).exists():
        raise DomainError(
            _("Request #%(id)s is already checked in.") % {"id": loan.pk},
            code="already_checked_in",
        )
    was_lost = loan.status == LoanStatus.LOST
    wrong_site = loan.shipment.site_id != site.pk
    note = note.strip()
    check_in = CheckIn.objects.create(
        loan=loan,
        site=site,
        checked_in_on=checked_in_on,
        condition=condition,
        loan_slip_enclosed=loan_slip_enclosed,
        to_borrowers_enclosed=to_borrowers_enclosed,
        wrong_site=wrong_site,
        note=note,
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
    if was_lost:
        # The lost item turned up: its loss case learns it; staff settle it.
        _case_add(
            loan=loan,
            kind=CaseKind.LOSS,
            text=_("The item turned up and was checked in at %(site)s on %(date)s.")
            % {"site": site.local_name, "date": checked_in_on.isoformat()},
            reported_on=checked_in_on,
            by_library=False,
            actor=actor,
        )
    if condition == ItemCondition.DAMAGED:
        _case_report(
            loan=loan,
            kind=CaseKind.DAMAGE,
            description=note or _("Found damaged at check-in."),
            reported_on=checked_in_on,
            reported_by_library=False,
            actor=actor,
        )
    return check_in


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
    """An item is back at ``site``; the loan ends.

    Allowed from the statuses ``LOAN_MOVES`` gives CHECK_IN (held, on its
    way back, or lost and turned up); refused with the item's state and what
    to do instead otherwise, e.g. for an item still SHIPPED (record its
    receipt, or that the post brought it back undelivered). A damaged item
    opens a damage case or joins the open one; a lost one's case is told.
    Raises DomainError for another site's staff, a bad condition or date.
    """
    _check_in_site_require(actor=actor, site=site)
    if condition not in ItemCondition.values:
        raise DomainError(_("Choose the condition of the item."), code="condition")
    if checked_in_on > _today():
        raise DomainError(_("The check-in date cannot be in the future."), code="future_date")
    with transaction.atomic():
        (loan,) = loans_lock(loan_ids=[loan_id])
        move_check(loan=loan, action=LoanAction.CHECK_IN)
        return _check_in_locked(
            loan=loan,
            site=site,
            checked_in_on=checked_in_on,
            condition=condition,
            loan_slip_enclosed=loan_slip_enclosed,
            to_borrowers_enclosed=to_borrowers_enclosed,
            note=note,
            actor=actor,
        )


def return_parcel_check_in(
    *,
    parcel_id: int,
    site: Site,
    checked_in_on: dt.date,
    conditions: Mapping[int, str],
    loan_slip_enclosed: bool,
    to_borrowers_enclosed: bool,
    note: str,
    actor: User,
) -> Outcomes[ReturnParcel]:
    """Check in every item of a return parcel, each by its own state.

    ``conditions`` maps loan ids to "good" or "damaged" (good when absent).
    An item that cannot be checked in (already checked in, …) is reported
    as skipped with the reason; raises DomainError, writing nothing, when
    none can, or for another site's staff or a bad date or condition.
    """
    _check_in_site_require(actor=actor, site=site)
    if checked_in_on > _today():
        raise DomainError(_("The check-in date cannot be in the future."), code="future_date")
    if any(c not in ItemCondition.values for c in conditions.values()):
        raise DomainError(_("Choose the condition of the item."), code="condition")
    with transaction.atomic():
        parcel = ReturnParcel.objects.select_for_update(of=("self",)).filter(pk=parcel_id).first()
        if parcel is None:
            raise DomainError(_("This return parcel does not exist."), code="missing")
        # Staff check in what reached their site, whoever lent it (a
        # wrong-site return is flagged, as by ``loan_check_in``).
        loan_ids = list(parcel.loans.values_list("pk", flat=True))
        outcomes: Outcomes[ReturnParcel] = Outcomes(parcel)
        for loan in loans_lock(loan_ids=loan_ids):
            if not move_allowed(loan=loan, action=LoanAction.CHECK_IN):
                outcomes.items.append(outcome_skipped(loan, LoanAction.CHECK_IN))
                continue
            condition = conditions.get(loan.pk, ItemCondition.GOOD)
            _check_in_locked(
                loan=loan,
                site=site,
                checked_in_on=checked_in_on,
                condition=condition,
                loan_slip_enclosed=loan_slip_enclosed,
                to_borrowers_enclosed=to_borrowers_enclosed,
                note=note,
                actor=actor,
            )
            outcomes.items.append(
                outcome_done(
                    loan,
                    _("%(ndl_id)s: checked in (%(condition)s).")
                    % {
                        "ndl_id": loan.material.ndl_id,
                        "condition": ItemCondition(condition).label,
                    },
                )
            )
        outcomes_require_one(outcomes.items)
        return outcomes


# --- Damage and loss ------------------------------------------------------------


def _open_case(*, loan: LoanRequest, kind: str) -> DamageCase | None:
    return (
        DamageCase.objects.select_for_update(of=("self",))
        .filter(loan=loan, kind=kind)
        .exclude(status=CaseStatus.SETTLED)
        .first()
    )


def _case_add(
    *,
    loan: LoanRequest,
    kind: str,
    text: str,
    reported_on: dt.date,
    by_library: bool,
    actor: User | None,
) -> DamageCase | None:
    """Add findings to the loan's open case of ``kind``, if there is one."""
    case = _open_case(loan=loan, kind=kind)
    if case is None:
        return None
    who = _("the library") if by_library else _("NDL staff")
    case.description = (
        f"{case.description}\n\n"
        + _("%(date)s, reported by %(who)s:") % {"date": reported_on.isoformat(), "who": who}
        + f" {text}"
    )
    case.save(update_fields=["description"])
    audit_log(
        actor=actor,
        action="returns.case.join",
        obj=case,
        data={"loan": loan.pk, "by_library": by_library, "text": text},
    )
    if by_library:
        # News from outside the NDL: the sending site hears of it.
        _case_alert(case=case, loan=loan, key=f"damage-case-joined-{case.pk}-{reported_on}")
    return case


def _case_alert(*, case: DamageCase, loan: LoanRequest, key: str) -> None:
    assert loan.shipment is not None  # noqa: S101 - only shipped loans reach here  # nosec B101
    site = loan.shipment.site
    admin_path = reverse("admin:returns_damagecase_change", args=[case.pk])
    mail_queue(
        to=[site.email],
        template="damage-case-reported",
        context={
            "case": case,
            "loan": loan,
            "library": loan.library,
            "site": site,
            "admin_url": settings.NDL_PORTAL_BASE_URL.rstrip("/") + admin_path,
        },
        dedupe_key=key,
        # An alert for the sending site's staff, who read Japanese.
        language=STAFF_LANGUAGE,
    )


def _case_report(
    *,
    loan: LoanRequest,
    kind: str,
    description: str,
    reported_on: dt.date,
    reported_by_library: bool,
    actor: User | None,
) -> DamageCase:
    """Join the locked loan's open case of ``kind`` or open one, alerting the
    sending site; a loss makes the loan LOST where ``LOAN_MOVES`` says so."""
    case = _case_add(
        loan=loan,
        kind=kind,
        text=description,
        reported_on=reported_on,
        by_library=reported_by_library,
        actor=actor,
    )
    if case is None:
        case = DamageCase.objects.create(
            loan=loan,
            kind=kind,
            reported_by_library=reported_by_library,
            reported_on=reported_on,
            description=description,
            created_by=actor,
        )
        audit_log(
            actor=actor,
            action="returns.case.report",
            obj=case,
            data={"kind": kind, "by_library": reported_by_library, "loan": loan.pk},
        )
        _case_alert(case=case, loan=loan, key=f"damage-case-reported-{case.pk}")
        damage_case_reported.send(sender=DamageCase, case=case, loan=loan)
    if kind == CaseKind.LOSS and loan.status != LoanStatus.LOST:
        loan_transition(
            loan=loan,
            to=LoanStatus.LOST,
            actor=actor,
            action="returns.loan.lost",
            data={"case": case.pk},
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
    """Record damage or loss, from the library (``library`` given) or from a letter.

    Allowed where ``LOAN_MOVES`` gives the report action of that reporter
    and kind; a report meeting an open case of the same kind is added to it
    and that case is returned. Raises DomainError, writing nothing, for a
    status that allows no such report, an unknown kind, no description or
    a future date.
    """
    staff_loans_require(actor=actor, loan_ids=[loan_id])
    if kind not in CaseKind.values:
        raise DomainError(_("Say whether the item was damaged or lost."), code="kind")
    description = description.strip()
    if not description:
        raise DomainError(_("Describe what happened."), code="description")
    if reported_on > _today():
        raise DomainError(_("The report date cannot be in the future."), code="future_date")
    with transaction.atomic():
        (loan,) = loans_lock(loan_ids=[loan_id], library=library)
        move_check(loan=loan, action=REPORT_ACTIONS[(library is not None, kind)])
        return _case_report(
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
    staff_loans_require(actor=actor, loan_ids=DamageCase.objects.filter(pk=case_id).values("loan"))
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
    # The library's email is rendered before the case is locked, from the
    # case as it will read once instructed; nothing is queued if refused.
    after = (
        DamageCase.objects.select_related("loan__library", "loan__material")
        .filter(pk=case_id)
        .first()
    )
    rendered = None
    if after is not None:  # else the lock below says the case is unknown
        after.instruction = instruction
        after.compensation_amount = amount
        after.compensation_currency = currency
        after.instructed_on = instructed_on
        after.status = CaseStatus.INSTRUCTED
        library = after.loan.library
        rendered = mail_render(
            template="damage-case-instructed",
            context={
                "case": after,
                "loan": after.loan,
                "library": library,
                "lang": library.language,
            },
            language=library.language,
        )
    with transaction.atomic():
        case = _lock_case(case_id)
        if case.status == CaseStatus.SETTLED:
            raise DomainError(_("This case is already settled."), code="settled")
        move_check(loan=case.loan, action=LoanAction.INSTRUCT)
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
            rendered=rendered,
            dedupe_key=f"damage-case-instructed-{case.pk}-{instruction}-{amount}-{currency}",
            # Only if the case came into being after the read above.
            template="damage-case-instructed",
            context={"case": case, "loan": case.loan, "library": library, "lang": library.language},
            language=library.language,
        )
        return case


def damage_case_settle(*, case_id: int, settled_on: dt.date, note: str, actor: User) -> DamageCase:
    """The replacement or compensation arrived; a lost item's loan ends."""
    staff_loans_require(actor=actor, loan_ids=DamageCase.objects.filter(pk=case_id).values("loan"))
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
        move_check(loan=loan, action=LoanAction.SETTLE)
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
