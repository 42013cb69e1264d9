"""The catalogue of lendable items, loan requests and outbound shipments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LanguageCategory(models.TextChoices):
    JAPANESE = "japanese", _("Japanese")
    FOREIGN = "foreign", _("Foreign")


class MaterialType(models.TextChoices):
    BOOK = "book", _("Book")
    SERIAL = "serial", _("Serial")
    NEWSPAPER = "newspaper", _("Newspaper")
    PERIODICAL = "periodical", _("Periodical")
    DOCTORAL_DISSERTATION = "doctoral_dissertation", _("Doctoral dissertation")
    SINGLE_SHEET_MAP = "single_sheet_map", _("Single-sheet map")
    ELECTRONIC_RESOURCE = "electronic_resource", _("Electronic resource")
    MUSIC_SCORE = "music_score", _("Music score")
    PHONOGRAPHIC_RECORD = "phonographic_record", _("Phonographic record")
    MICROFILM = "microfilm", _("Microfilm")
    MICROFICHE = "microfiche", _("Microfiche")


# Groups of material types named by the NDL page ("Materials not loanable").
SERIAL_TYPES = frozenset({MaterialType.SERIAL, MaterialType.NEWSPAPER, MaterialType.PERIODICAL})
NON_BOOK_TYPES = frozenset(
    {
        MaterialType.DOCTORAL_DISSERTATION,
        MaterialType.SINGLE_SHEET_MAP,
        MaterialType.ELECTRONIC_RESOURCE,
        MaterialType.MUSIC_SCORE,
        MaterialType.PHONOGRAPHIC_RECORD,
        MaterialType.MICROFILM,
        MaterialType.MICROFICHE,
    }
)


class Unsuitability(models.TextChoices):
    NONE = "", _("Suitable")
    LARGE_SIZED = "large_sized", _("Large-sized book")
    REFERENCE = "reference", _("Reference book")
    PAMPHLET = "pamphlet", _("Pamphlet")


class Material(models.Model):
    """One physical NDL item that could be lent."""

    ndl_id = models.CharField(_("NDL bibliographic ID"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=500)
    responsibility = models.CharField(_("author / responsibility"), max_length=300, blank=True)
    publisher = models.CharField(_("publisher"), max_length=300, blank=True)
    year = models.PositiveSmallIntegerField(_("year of publication"), null=True, blank=True)
    isbn = models.CharField(_("ISBN"), max_length=17, blank=True, db_index=True)
    language = models.CharField(
        _("language category"), max_length=10, choices=LanguageCategory.choices
    )
    material_type = models.CharField(
        _("material type"), max_length=30, choices=MaterialType.choices, default=MaterialType.BOOK
    )
    acquired_on = models.DateField(_("acquisition date"))
    site = models.ForeignKey(
        "core.Site", verbose_name=_("holding site"), on_delete=models.PROTECT, related_name="+"
    )
    call_number = models.CharField(_("call number"), max_length=60, blank=True)
    is_digitized = models.BooleanField(_("digitized"), default=False)
    is_deteriorated = models.BooleanField(_("deteriorated (acidic, etc.)"), default=False)
    is_rare = models.BooleanField(_("rare or precious"), default=False)
    unsuitable = models.CharField(
        _("unsuitable for lending"),
        max_length=20,
        choices=Unsuitability.choices,
        default=Unsuitability.NONE,
        blank=True,
    )
    is_collection = models.BooleanField(_("document considered as a collection"), default=False)
    market_available = models.BooleanField(_("easily obtainable on the market"), default=False)
    is_amusement = models.BooleanField(_("book for amusement"), default=False)
    staff_excluded = models.BooleanField(_("excluded by staff"), default=False)
    staff_note = models.TextField(_("staff's reason for excluding"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["ndl_id"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        constraints = [
            models.CheckConstraint(
                name="loans_material_exclusion_has_note",
                condition=models.Q(staff_excluded=False) | ~models.Q(staff_note=""),
                violation_error_message=_("Say why staff excluded this material."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ndl_id} {self.title}"


class LoanStatus(models.TextChoices):
    """The life of one request for one item.

    Each state maps onto an ISO 18626 status (see ``ISO18626_STATUS``).
    """

    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted, to be shipped")
    SHIPPED = "shipped", _("Shipped")
    RECEIVED = "received", _("Received by the library")
    OVERDUE = "overdue", _("Overdue")
    RETURN_SHIPPED = "return_shipped", _("Return shipped")
    CHECKED_IN = "checked_in", _("Returned and checked in")
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
    LoanStatus.LOST: "Loaned",
    LoanStatus.LOSS_SETTLED: "CompletedWithoutReturn",
    LoanStatus.REJECTED: "Unfilled",
    LoanStatus.CANCELLED: "Cancelled",
}

LOAN_TRANSITIONS: dict[str, frozenset[str]] = {
    LoanStatus.REQUESTED: frozenset(
        {LoanStatus.ACCEPTED, LoanStatus.REJECTED, LoanStatus.CANCELLED}
    ),
    LoanStatus.ACCEPTED: frozenset({LoanStatus.SHIPPED, LoanStatus.REJECTED, LoanStatus.CANCELLED}),
    LoanStatus.SHIPPED: frozenset({LoanStatus.RECEIVED, LoanStatus.LOST, LoanStatus.CHECKED_IN}),
    LoanStatus.RECEIVED: frozenset(
        {LoanStatus.OVERDUE, LoanStatus.RETURN_SHIPPED, LoanStatus.LOST, LoanStatus.CHECKED_IN}
    ),
    LoanStatus.OVERDUE: frozenset(
        {LoanStatus.RETURN_SHIPPED, LoanStatus.LOST, LoanStatus.CHECKED_IN}
    ),
    LoanStatus.RETURN_SHIPPED: frozenset({LoanStatus.CHECKED_IN, LoanStatus.LOST}),
    LoanStatus.LOST: frozenset({LoanStatus.LOSS_SETTLED, LoanStatus.CHECKED_IN}),
    LoanStatus.CHECKED_IN: frozenset(),
    LoanStatus.LOSS_SETTLED: frozenset(),
    LoanStatus.REJECTED: frozenset(),
    LoanStatus.CANCELLED: frozenset(),
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
# Not yet shipped: the library may still cancel.
CANCELLABLE_STATUSES = (LoanStatus.REQUESTED, LoanStatus.ACCEPTED)
LOAN_CAP = 10


class RequestChannel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    FAX = "fax", _("Designated form by fax")
    POST = "post", _("Designated form by post")


class ReceiptChannel(models.TextChoices):
    PORTAL = "portal", _("Confirmed in the portal")
    FAX = "fax", _("Receipt letter by fax")
    EMAIL = "email", _("Receipt letter by email")


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
        Material, verbose_name=_("material"), on_delete=models.PROTECT, related_name="loans"
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
    overdue_notices_sent = models.PositiveSmallIntegerField(_("overdue notices sent"), default=0)
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
