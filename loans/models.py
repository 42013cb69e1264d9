"""Loan requests and outbound shipments (the materials are ``catalogue``'s)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LoanStatus(models.TextChoices):
    """The life of one request for one item: where the physical item is.

    Each state maps onto an ISO 18626 status (see ``ISO18626_STATUS``); the
    moves between them are the table ``LOAN_MOVES``.
    """

    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted, to be shipped")
    SHIPPED = "shipped", _("Shipped")
    RECEIVED = "received", _("Received by the library")
    OVERDUE = "overdue", _("Overdue")
    RETURN_SHIPPED = "return_shipped", _("Return shipped")
    CHECKED_IN = "checked_in", _("Returned and checked in")
    UNDELIVERED = "undelivered", _("Returned undelivered by the post")
    LOST = "lost", _("Lost")
    LOSS_SETTLED = "loss_settled", _("Loss settled")
    REJECTED = "rejected", _("Not lent")
    CANCELLED = "cancelled", _("Cancelled")


ISO18626_STATUS: dict[str, str] = {
    LoanStatus.REQUESTED: "RequestReceived",
    LoanStatus.ACCEPTED: "WillSupply",
    LoanStatus.SHIPPED: "Loaned",
    LoanStatus.RECEIVED: "Loaned",
    LoanStatus.OVERDUE: "Overdue",
    LoanStatus.RETURN_SHIPPED: "Loaned",  # requester side: ShippedReturn
    LoanStatus.CHECKED_IN: "LoanCompleted",
    # The requester never had the item; it may ask for it again.
    LoanStatus.UNDELIVERED: "Unfilled",
    LoanStatus.LOST: "Loaned",
    LoanStatus.LOSS_SETTLED: "CompletedWithoutReturn",
    LoanStatus.REJECTED: "Unfilled",
    LoanStatus.CANCELLED: "Cancelled",
}


class ActionBy(models.TextChoices):
    STAFF = "staff", _("NDL staff")
    LIBRARY = "library", _("the borrowing library")
    NIGHT = "night", _("the nightly job")


class LoanAction(models.TextChoices):
    """Everything staff, a library or a nightly job can do to a loan.

    The label is a verb phrase: refusals say "cannot <label>" and list the
    labels of what can be done instead.
    """

    ACCEPT = "accept", _("accept the request")
    REJECT = "reject", _("decide not to lend")
    CANCEL = "cancel", _("cancel the request")
    PACK = "pack", _("pull and pack the item")
    DISPATCH = "dispatch", _("dispatch the item by registered air mail")
    RECORD_DELIVERY = "record_delivery", _("record the delivery date")
    RECORD_UNDELIVERED = (
        "record_undelivered",
        _("record the parcel as brought back undelivered by the post"),
    )
    CONFIRM_RECEIPT = "confirm_receipt", _("confirm receipt")
    RECORD_RECEIPT_LETTER = "record_receipt_letter", _("record the receipt letter")
    RECORD_RETURN = "record_return", _("record a return parcel")
    CHECK_IN = "check_in", _("check the item in")
    LIBRARY_REPORT_DAMAGE = "library_report_damage", _("report damage")
    LIBRARY_REPORT_LOSS = "library_report_loss", _("report a loss")
    STAFF_REPORT_DAMAGE = "staff_report_damage", _("record damage")
    STAFF_REPORT_LOSS = "staff_report_loss", _("record a loss")
    INSTRUCT = "instruct", _("instruct replacement or compensation")
    SETTLE = "settle", _("settle the case")
    NIGHTLY_OVERDUE_FLAG = "nightly_overdue_flag", _("flag the loan overdue")
    NIGHTLY_OVERDUE_NOTICE = "nightly_overdue_notice", _("send an overdue notice")
    NIGHTLY_ESCALATE = "nightly_escalate", _("escalate the overdue loan to staff")
    NIGHTLY_RECEIPT_ASSUME = (
        "nightly_receipt_assume",
        _("take the delivery date as the date of receipt"),
    )
    NIGHTLY_RECEIPT_REMINDER = (
        "nightly_receipt_reminder",
        _("remind the library of the missing receipt letter"),
    )


ACTION_BY: dict[str, ActionBy] = {
    LoanAction.ACCEPT: ActionBy.STAFF,
    LoanAction.REJECT: ActionBy.STAFF,
    LoanAction.CANCEL: ActionBy.LIBRARY,
    LoanAction.PACK: ActionBy.STAFF,
    LoanAction.DISPATCH: ActionBy.STAFF,
    LoanAction.RECORD_DELIVERY: ActionBy.STAFF,
    LoanAction.RECORD_UNDELIVERED: ActionBy.STAFF,
    LoanAction.CONFIRM_RECEIPT: ActionBy.LIBRARY,
    LoanAction.RECORD_RECEIPT_LETTER: ActionBy.STAFF,
    LoanAction.RECORD_RETURN: ActionBy.LIBRARY,
    LoanAction.CHECK_IN: ActionBy.STAFF,
    LoanAction.LIBRARY_REPORT_DAMAGE: ActionBy.LIBRARY,
    LoanAction.LIBRARY_REPORT_LOSS: ActionBy.LIBRARY,
    LoanAction.STAFF_REPORT_DAMAGE: ActionBy.STAFF,
    LoanAction.STAFF_REPORT_LOSS: ActionBy.STAFF,
    LoanAction.INSTRUCT: ActionBy.STAFF,
    LoanAction.SETTLE: ActionBy.STAFF,
    LoanAction.NIGHTLY_OVERDUE_FLAG: ActionBy.NIGHT,
    LoanAction.NIGHTLY_OVERDUE_NOTICE: ActionBy.NIGHT,
    LoanAction.NIGHTLY_ESCALATE: ActionBy.NIGHT,
    LoanAction.NIGHTLY_RECEIPT_ASSUME: ActionBy.NIGHT,
    LoanAction.NIGHTLY_RECEIPT_REMINDER: ActionBy.NIGHT,
}
# Actions on a damage or loss case (or a whole night's run): offered in no
# refusal's "what can be done now", which names what a person can start.
CASE_ACTIONS = frozenset({LoanAction.INSTRUCT, LoanAction.SETTLE})


@dataclass(frozen=True)
class Move:
    """An allowed move: the status it leads to (None: the status stays) and,
    when the status alone does not decide, the condition it needs."""

    to: LoanStatus | None = None
    when: str = ""


_S = LoanStatus
_A = LoanAction
_STAY = Move()
_REPORTS_WHILE_HELD: dict[LoanAction, Move] = {
    _A.LIBRARY_REPORT_DAMAGE: _STAY,
    _A.LIBRARY_REPORT_LOSS: Move(_S.LOST),
    _A.STAFF_REPORT_DAMAGE: _STAY,
    _A.STAFF_REPORT_LOSS: Move(_S.LOST),
    _A.INSTRUCT: Move(when="case not settled"),
    _A.SETTLE: Move(when="case instructed"),
}
_HELD: dict[LoanAction, Move] = {
    # A receipt assumed by the nightly job is confirmed later: the letter is
    # recorded, the reminders stop, the due date stays.
    _A.CONFIRM_RECEIPT: Move(when="receipt assumed"),
    # A letter after the portal confirmation is filed with it.
    _A.RECORD_RECEIPT_LETTER: Move(when="receipt assumed, or confirmed in the portal"),
    # A receipt assumed from an estimated delivery can prove false.
    _A.RECORD_UNDELIVERED: Move(_S.UNDELIVERED, when="receipt assumed"),
    _A.RECORD_RETURN: Move(_S.RETURN_SHIPPED),
    # A parcel the library did not record in the portal still arrives.
    _A.CHECK_IN: Move(_S.CHECKED_IN),
    **_REPORTS_WHILE_HELD,
    _A.NIGHTLY_RECEIPT_REMINDER: Move(when="receipt assumed, reminder due"),
}

# THE table of allowed moves: status -> action -> Move. A pair that is not
# here is refused by the service with what the item's state is and what can
# be done instead (``loans.services.transitions.move_check``).
LOAN_MOVES: dict[LoanStatus, dict[LoanAction, Move]] = {
    _S.REQUESTED: {
        _A.ACCEPT: Move(_S.ACCEPTED),
        _A.REJECT: Move(_S.REJECTED),
        _A.CANCEL: Move(_S.CANCELLED),
    },
    _S.ACCEPTED: {
        _A.REJECT: Move(_S.REJECTED),
        _A.CANCEL: Move(_S.CANCELLED),
        _A.PACK: Move(when="not packed"),
        _A.DISPATCH: Move(_S.SHIPPED, when="packed"),
    },
    _S.SHIPPED: {
        _A.RECORD_DELIVERY: _STAY,
        _A.RECORD_UNDELIVERED: Move(_S.UNDELIVERED),
        _A.CONFIRM_RECEIPT: Move(_S.RECEIVED),
        _A.RECORD_RECEIPT_LETTER: Move(_S.RECEIVED),
        # An item missing from the parcel, or a parcel lost by the post.
        _A.LIBRARY_REPORT_LOSS: Move(_S.LOST),
        _A.STAFF_REPORT_DAMAGE: _STAY,
        _A.STAFF_REPORT_LOSS: Move(_S.LOST),
        _A.INSTRUCT: Move(when="case not settled"),
        _A.SETTLE: Move(when="case instructed"),
        _A.NIGHTLY_RECEIPT_ASSUME: Move(_S.RECEIVED, when="delivered over three days ago"),
    },
    _S.RECEIVED: {
        **_HELD,
        _A.NIGHTLY_OVERDUE_FLAG: Move(_S.OVERDUE, when="due date passed"),
    },
    _S.OVERDUE: {
        **_HELD,
        _A.NIGHTLY_OVERDUE_NOTICE: Move(when="notice due"),
        _A.NIGHTLY_ESCALATE: Move(when="last notice sent"),
    },
    _S.RETURN_SHIPPED: {
        _A.CHECK_IN: Move(_S.CHECKED_IN),
        **_REPORTS_WHILE_HELD,
    },
    _S.LOST: {
        # The item turned up: the library sends it back, or it arrives.
        _A.RECORD_RETURN: Move(_S.RETURN_SHIPPED),
        _A.CHECK_IN: Move(_S.CHECKED_IN),
        # A second report of the loss joins the open case.
        _A.LIBRARY_REPORT_LOSS: _STAY,
        _A.STAFF_REPORT_LOSS: _STAY,
        _A.INSTRUCT: Move(when="case not settled"),
        _A.SETTLE: Move(_S.LOSS_SETTLED, when="case instructed"),
    },
    _S.CHECKED_IN: {
        # Damage noticed after the check-in; its case runs to settlement.
        _A.STAFF_REPORT_DAMAGE: _STAY,
        _A.INSTRUCT: Move(when="case not settled"),
        _A.SETTLE: Move(when="case instructed"),
    },
    _S.UNDELIVERED: {},
    _S.LOSS_SETTLED: {},
    _S.REJECTED: {},
    _S.CANCELLED: {},
}

# Derived from LOAN_MOVES: the statuses each status can become.
LOAN_TRANSITIONS: dict[str, frozenset[str]] = {
    status: frozenset(m.to for m in moves.values() if m.to is not None and m.to != status)
    for status, moves in LOAN_MOVES.items()
}

# Every request that is not rejected, cancelled or back at NDL counts toward
# the ten-item cap; a lost item counts until its case is settled.
CAP_COUNTING_STATUSES = (
    LoanStatus.REQUESTED,
    LoanStatus.ACCEPTED,
    LoanStatus.SHIPPED,
    LoanStatus.RECEIVED,
    LoanStatus.OVERDUE,
    LoanStatus.RETURN_SHIPPED,
    LoanStatus.LOST,
)
# An item is unavailable to others while a request for it is in one of these.
ACTIVE_STATUSES = CAP_COUNTING_STATUSES
# The library holds the item (the loan period runs).
HELD_STATUSES = (LoanStatus.RECEIVED, LoanStatus.OVERDUE)
# Not yet shipped: the library may still cancel (as LOAN_MOVES says).
CANCELLABLE_STATUSES = tuple(s for s, moves in LOAN_MOVES.items() if LoanAction.CANCEL in moves)
LOAN_CAP = 10


class RequestChannel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    FAX = "fax", _("Designated form by fax")
    POST = "post", _("Designated form by post")


class ReceiptChannel(models.TextChoices):
    PORTAL = "portal", _("Confirmed in the portal")
    FAX = "fax", _("Receipt letter by fax")
    EMAIL = "email", _("Receipt letter by email")
    # The library stayed silent: the nightly job took the delivery date.
    ASSUMED = "assumed", _("Assumed from the delivery date")


class Shipment(models.Model):
    """A registered air mail parcel from one NDL site to one library."""

    site = models.ForeignKey(
        "core.Site", verbose_name=_("sending site"), on_delete=models.PROTECT, related_name="+"
    )
    library = models.ForeignKey(
        "registration.Library",
        verbose_name=_("library"),
        on_delete=models.PROTECT,
        related_name="shipments",
    )
    tracking_number = models.CharField(_("tracking number"), max_length=13, unique=True)
    shipped_on = models.DateField(_("shipped on"))
    delivered_on = models.DateField(_("delivered on (tracking)"), null=True, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    receipt_letter_on = models.DateField(_("receipt letter received on"), null=True, blank=True)
    receipt_channel = models.CharField(
        _("receipt confirmed by"), max_length=10, choices=ReceiptChannel.choices, blank=True
    )
    late_letter_flagged_on = models.DateField(
        _("receipt letter flagged late on"), null=True, blank=True, db_index=True
    )
    delivery_estimated = models.BooleanField(_("delivery date estimated"), default=False)
    receipt_notices_sent = models.PositiveSmallIntegerField(
        _("missing receipt letter notices sent"), default=0
    )
    undelivered_on = models.DateField(
        _("brought back undelivered on"), null=True, blank=True, db_index=True
    )
    undelivered_note = models.TextField(_("why the post brought it back"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shipped by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-shipped_on", "-pk"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [
            models.CheckConstraint(
                name="loans_shipment_received_after_shipped",
                condition=models.Q(received_on__isnull=True)
                | models.Q(received_on__gte=models.F("shipped_on")),
            ),
            models.CheckConstraint(
                name="loans_shipment_delivered_after_shipped",
                condition=models.Q(delivered_on__isnull=True)
                | models.Q(delivered_on__gte=models.F("shipped_on")),
            ),
            models.CheckConstraint(
                name="loans_shipment_undelivered_after_shipped",
                condition=models.Q(undelivered_on__isnull=True)
                | models.Q(undelivered_on__gte=models.F("shipped_on")),
            ),
            # A parcel the post brought back was never received.
            models.CheckConstraint(
                name="loans_shipment_undelivered_not_received",
                condition=models.Q(undelivered_on__isnull=True)
                | models.Q(received_on__isnull=True),
            ),
            # UPU S10 shape; the check digit is verified by the service.
            models.CheckConstraint(
                name="loans_shipment_tracking_s10_format",
                condition=models.Q(tracking_number__regex=r"^[A-Z]{2}[0-9]{9}[A-Z]{2}$"),
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_number


class LoanRequest(models.Model):
    """One library's request for one item, followed until the item is back."""

    library = models.ForeignKey(
        "registration.Library",
        verbose_name=_("library"),
        on_delete=models.PROTECT,
        related_name="loans",
    )
    material = models.ForeignKey(
        "catalogue.Material",
        verbose_name=_("material"),
        on_delete=models.PROTECT,
        related_name="loans",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=LoanStatus.choices, default=LoanStatus.REQUESTED
    )
    channel = models.CharField(_("request channel"), max_length=10, choices=RequestChannel.choices)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reject_codes = models.JSONField(_("reasons not lent"), default=list, blank=True)
    reject_note = models.TextField(_("note on the refusal"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    # Accepted items are pulled from the stacks and packed before they ship.
    packed_at = models.DateTimeField(_("pulled and packed"), null=True, blank=True)
    shipment = models.ForeignKey(
        Shipment,
        verbose_name=_("shipment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="loans",
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    condition_on_receipt = models.CharField(_("condition on receipt"), max_length=300, blank=True)
    due_on = models.DateField(_("due back (shipped by)"), null=True, blank=True, db_index=True)
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)
    # The step of the notice schedule reached (``NDL_OVERDUE_NOTICE_DAYS``);
    # a late first notice skips steps.
    overdue_notices_sent = models.PositiveSmallIntegerField(_("overdue notices sent"), default=0)
    # The number of the last overdue notice the library got about this loan:
    # 1 for its first, whatever the step. Raised in the same conditional
    # UPDATE that claims the step, so no two notices carry the same number.
    overdue_notice_number = models.PositiveSmallIntegerField(
        _("last overdue notice number"), default=0, db_default=0
    )
    escalated_on = models.DateField(_("escalated to staff on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("loan request")
        verbose_name_plural = _("loan requests")
        indexes = [
            models.Index(fields=["library", "status"], name="loans_request_library_status"),
            models.Index(fields=["status", "due_on"], name="loans_request_status_due"),
            # The portal's request list: a library's newest requests first.
            models.Index(
                fields=["library", "-requested_at", "-id"], name="loans_request_library_recent"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["material"],
                name="loans_loanrequest_one_active_per_material",
                condition=models.Q(status__in=ACTIVE_STATUSES),
                violation_error_message=_("This item is already requested or out on loan."),
            ),
            models.CheckConstraint(
                name="loans_loanrequest_due_one_month_after_receipt",
                condition=models.Q(due_on__isnull=True)
                | models.Q(received_on__isnull=False, due_on__gt=models.F("received_on")),
            ),
            # Every notice moves the schedule at least one step on.
            models.CheckConstraint(
                name="loans_loanrequest_notice_number_within_steps",
                condition=models.Q(overdue_notice_number__lte=models.F("overdue_notices_sent")),
            ),
            models.CheckConstraint(
                name="loans_loanrequest_shipped_has_shipment",
                condition=models.Q(
                    status__in=[
                        LoanStatus.REQUESTED,
                        LoanStatus.ACCEPTED,
                        LoanStatus.REJECTED,
                        LoanStatus.CANCELLED,
                    ]
                )
                | models.Q(shipment__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.material.ndl_id}"

    @property
    def iso18626_status(self) -> str:
        return ISO18626_STATUS[self.status]


# Admin work queues and lists; the filtering lives in their admin classes.
class PullQueueItem(LoanRequest):
    class Meta:
        proxy = True
        verbose_name = _("item to pull")
        verbose_name_plural = _("work queue: items to pull")


class ShipQueueItem(LoanRequest):
    class Meta:
        proxy = True
        verbose_name = _("item to ship")
        verbose_name_plural = _("work queue: packed, to ship")


class OverdueLoan(LoanRequest):
    class Meta:
        proxy = True
        verbose_name = _("overdue loan")
        verbose_name_plural = _("overdue loans")


class PullSlipBatch(models.Model):
    """One printed batch of pull slips: the accepted items a site's staff
    fetch from the stacks in one walk, recorded so the next batch holds only
    what came after."""

    site = models.ForeignKey(
        "core.Site", verbose_name=_("holding site"), on_delete=models.PROTECT, related_name="+"
    )
    loans = models.ManyToManyField(
        LoanRequest, verbose_name=_("items"), related_name="pull_slip_batches"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("printed by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("printed"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("pull slip batch")
        verbose_name_plural = _("pull slip batches")

    def __str__(self) -> str:
        return f"#{self.pk} {self.site}"
