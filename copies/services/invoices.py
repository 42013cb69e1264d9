"""Invoices after delivery: payments (partial or full), write-offs, lifting
the block on new requests, and the nightly flag and reminder of invoices
unpaid past the limit (``NDL_COPY_PAYMENT_DAYS``)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.emails import mail_queue
from core.errors import DomainError
from core.models import AuditEntry, User
from registration.models import Library

from ..models import OPEN_INVOICE_STATUSES, Invoice, InvoiceStatus, Payment, PaymentMethod
from ..selectors import overdue_invoices, payment_days

# Invoices claimed per transaction by the nightly job.
CHUNK = 2000


def _lock(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def _require_open(invoice: Invoice) -> None:
    if invoice.status not in OPEN_INVOICE_STATUSES:
        raise DomainError(
            _("Invoice %(number)s is closed (%(status)s).")
            % {"number": invoice.number, "status": InvoiceStatus(invoice.status).label},
            code="closed",
        )


def invoice_payment_record(
    *,
    invoice: Invoice,
    amount: Decimal | str,
    received_on: dt.date,
    method: str,
    actor: User | None,
    reference: str = "",
) -> Payment:
    """Record money received against ``invoice`` (yen, exact decimals).

    A part payment leaves the invoice partly paid; the payment that
    completes it marks it paid and closes it. Refused: an amount that is not
    a positive number, more than the balance, a closed invoice, a date in
    the future or before the invoice, an unknown method.
    """
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("Enter the amount as a number of yen."), code="amount") from exc
    if value <= 0:
        raise DomainError(_("A payment is more than nothing."), code="amount")
    if method not in PaymentMethod.values:
        raise DomainError(_("Choose how the library paid."), code="method")
    if received_on > timezone.localdate():
        raise DomainError(_("The payment date cannot be in the future."), code="future")
    with transaction.atomic():
        locked = _lock(invoice)
        _require_open(locked)
        if received_on < locked.issued_on:
            raise DomainError(
                _("The payment date cannot be before the invoice was issued (%(date)s).")
                % {"date": locked.issued_on.isoformat()},
                code="before_issue",
            )
        balance = locked.total - locked.paid_amount
        if value > balance:
            raise DomainError(
                _("Only %(balance)s yen is still owed on invoice %(number)s.")
                % {"balance": balance, "number": locked.number},
                code="overpaid",
            )
        payment = Payment.objects.create(
            invoice=locked,
            amount=value,
            received_on=received_on,
            method=method,
            reference=reference.strip(),
            recorded_by=actor if actor is not None and actor.pk else None,
        )
        old = locked.status
        locked.paid_amount = locked.paid_amount + value
        if locked.paid_amount == locked.total:
            locked.status = InvoiceStatus.PAID
            locked.closed_at = timezone.now()
        else:
            locked.status = InvoiceStatus.PART_PAID
        locked.save(update_fields=["paid_amount", "status", "closed_at"])
        audit_log(
            actor=actor,
            action="copies.invoice.payment",
            obj=locked,
            data={
                "from": old,
                "to": locked.status,
                "amount": str(value),
                "paid": str(locked.paid_amount),
                "method": method,
            },
        )
    return payment


def invoice_write_off(*, invoice: Invoice, actor: User | None, note: str) -> Invoice:
    """Staff give up what is still owed on ``invoice``, saying why; it closes."""
    if not note.strip():
        raise DomainError(_("Say why the invoice is written off."), code="note_required")
    with transaction.atomic():
        locked = _lock(invoice)
        _require_open(locked)
        old = locked.status
        locked.status = InvoiceStatus.WRITTEN_OFF
        locked.written_off_note = note.strip()
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "written_off_note", "closed_at"])
        audit_log(
            actor=actor,
            action="copies.invoice.write_off",
            obj=locked,
            data={
                "from": old,
                "to": locked.status,
                "written_off": str(locked.total - locked.paid_amount),
                "note": locked.written_off_note,
            },
        )
    return locked


def invoice_block_clear(*, invoice: Invoice, actor: User | None) -> Invoice:
    """Staff let the library ask for copies again although ``invoice`` is unpaid
    (payment promised, a transfer on its way); the invoice stays open."""
    with transaction.atomic():
        locked = _lock(invoice)
        _require_open(locked)
        if locked.block_cleared_at is not None:
            raise DomainError(
                _("New requests are already allowed despite invoice %(number)s.")
                % {"number": locked.number},
                code="already_cleared",
            )
        locked.block_cleared_at = timezone.now()
        locked.block_cleared_by = actor if actor is not None and actor.pk else None
        locked.save(update_fields=["block_cleared_at", "block_cleared_by"])
        audit_log(actor=actor, action="copies.invoice.block_clear", obj=locked)
    return locked


def invoices_unpaid_flag(*, today: dt.date) -> tuple[int, int]:
    """Flag every invoice unpaid past the limit on ``today`` and remind its
    library once; return (invoices flagged, reminders queued).

    Set-based: per chunk one locked SELECT, one conditional UPDATE (the claim:
    only rows not flagged yet), one bulk audit INSERT, and one email per
    library (not per invoice). A second run the same night, or a second
    worker, finds nothing left to claim and queues nothing; the dedupe key
    of the reminder guards the outbox as well.
    """
    flagged = reminders = 0
    while True:
        with transaction.atomic():
            rows = list(
                overdue_invoices(today=today)
                .filter(unpaid_flagged_on__isnull=True)
                .select_for_update()
                .order_by("pk")
                .values_list("pk", "library_id", "number")[:CHUNK]
            )
            if not rows:
                return flagged, reminders
            ids = [pk for pk, _lib, _num in rows]
            updated = Invoice.objects.filter(pk__in=ids, unpaid_flagged_on__isnull=True).update(
                unpaid_flagged_on=today, reminder_sent_on=today
            )
            AuditEntry.objects.bulk_create(
                [
                    AuditEntry(
                        actor=None,
                        action="copies.invoice.unpaid_flag",
                        object_type=Invoice._meta.label_lower,
                        object_id=str(pk),
                        object_repr=number,
                        data={"flagged_on": today.isoformat(), "limit_days": payment_days()},
                    )
                    for pk, _lib, number in rows
                ]
            )
            by_library: dict[int, list[int]] = defaultdict(list)
            for pk, library_id, _num in rows:
                by_library[library_id].append(pk)
            invoices = {
                i.pk: i for i in Invoice.objects.filter(pk__in=ids).order_by("issued_on", "pk")
            }
            for library in Library.objects.filter(pk__in=by_library).order_by("pk"):
                mine = [invoices[pk] for pk in by_library[library.pk]]
                key = hashlib.sha256(",".join(str(i.pk) for i in mine).encode()).hexdigest()[:24]
                mail = mail_queue(
                    to=[library.email],
                    template="copy-invoice-unpaid",
                    context={
                        "library": library,
                        "invoices": mine,
                        "owed": sum((i.total - i.paid_amount for i in mine), Decimal("0")),
                        "payment_days": payment_days(),
                        "list_path": reverse("copies:request_list"),
                    },
                    dedupe_key=f"copy-invoice-unpaid:{library.pk}:{key}",
                    language=library.language,
                )
                reminders += mail is not None
            flagged += updated
