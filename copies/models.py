"""Photocopy requests: what staff keep about copying a material, the fee
table, the requests themselves, their invoices and the payments against them.

Copies are never returned and never count toward the ten-item loan cap: they
live here, apart from ``loans``, and no loan status refers to them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class CopyPolicy(models.Model):
    """What staff know about copying one material that no record says."""

    material = models.OneToOneField(
        "catalogue.Material",
        verbose_name=_("material"),
        on_delete=models.CASCADE,
        related_name="copy_policy",
    )
    copyright_expired = models.BooleanField(
        _("copyright expired"),
        default=False,
        help_text=_("The work may be copied whole."),
    )
    forbidden = models.BooleanField(
        _("copying forbidden"),
        default=False,
        help_text=_("The material's condition or its rights do not allow copying."),
    )
    forbidden_note = models.TextField(_("why copying is forbidden"), blank=True)
    residential_map = models.BooleanField(_("residential map"), default=False)
    method_note = models.CharField(
        _("copied only by this method"),
        max_length=200,
        blank=True,
        help_text=_("For example: from microfilm. The quote and the copy slip say it."),
    )
    latest_issue = models.CharField(
        _("latest issue held"),
        max_length=100,
        blank=True,
        help_text=_(
            "For a periodical: the volume/issue that is the latest one. Its articles are "
            "not copied whole until the next issue is out."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("copy policy")
        verbose_name_plural = _("copy policies")
        constraints = [
            models.CheckConstraint(
                name="copies_copypolicy_forbidden_has_note",
                condition=models.Q(forbidden=False) | ~models.Q(forbidden_note=""),
                violation_error_message=_("Say why copying is forbidden."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.material)


class PaperSize(models.TextChoices):
    A4 = "a4", _("A4")
    A3 = "a3", _("A3")
    B4 = "b4", _("B4")


class ColourMode(models.TextChoices):
    MONOCHROME = "mono", _("Black and white")
    COLOUR = "colour", _("Colour")


class FeeKind(models.TextChoices):
    PAGE = "page", _("Per page")
    HANDLING = "handling", _("Handling fee")
    POSTAGE = "postage", _("Postage")


class FeeRate(models.Model):
    """One line of the fee table, from its effective date until a later line
    for the same thing replaces it. Nothing about amounts is in the code."""

    kind = models.CharField(_("kind"), max_length=10, choices=FeeKind.choices)
    effective_from = models.DateField(_("effective from"))
    paper_size = models.CharField(
        _("paper size"), max_length=4, choices=PaperSize.choices, blank=True
    )
    colour = models.CharField(_("colour"), max_length=6, choices=ColourMode.choices, blank=True)
    zone = models.PositiveSmallIntegerField(_("postal zone"), null=True, blank=True)
    up_to_grams = models.PositiveIntegerField(_("weight up to (g)"), null=True, blank=True)
    amount = models.DecimalField(_("amount (yen)"), max_digits=10, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "paper_size", "colour", "zone", "up_to_grams", "-effective_from"]
        verbose_name = _("fee")
        verbose_name_plural = _("fee table")
        constraints = [
            models.CheckConstraint(
                name="copies_feerate_amount_not_negative",
                condition=models.Q(amount__gte=0),
                violation_error_message=_("A fee cannot be negative."),
            ),
            # Each kind of line names exactly what it prices.
            models.CheckConstraint(
                name="copies_feerate_page_has_size_and_colour",
                condition=~models.Q(kind="page")
                | (
                    ~models.Q(paper_size="")
                    & ~models.Q(colour="")
                    & models.Q(zone__isnull=True, up_to_grams__isnull=True)
                ),
                violation_error_message=_("A per-page fee names a paper size and a colour."),
            ),
            models.CheckConstraint(
                name="copies_feerate_handling_plain",
                condition=~models.Q(kind="handling")
                | models.Q(paper_size="", colour="", zone__isnull=True, up_to_grams__isnull=True),
                violation_error_message=_("A handling fee names no size, colour or zone."),
            ),
            models.CheckConstraint(
                name="copies_feerate_postage_has_zone_and_weight",
                condition=~models.Q(kind="postage")
                | models.Q(paper_size="", colour="", zone__isnull=False, up_to_grams__isnull=False),
                violation_error_message=_("Postage names a zone and a weight."),
            ),
            # NULL zone and weight count as equal (Coalesce), on every database.
            models.UniqueConstraint(
                "kind",
                "paper_size",
                "colour",
                Coalesce("zone", models.Value(0)),
                Coalesce("up_to_grams", models.Value(0)),
                "effective_from",
                name="copies_feerate_one_per_thing_and_date",
                violation_error_message=_("This fee already has a line from that date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.effective_from})"


class PostalZone(models.Model):
    """Which postal zone a country's mail goes by (the postage lines' ``zone``)."""

    country = CountryField(_("country"), unique=True)
    zone = models.PositiveSmallIntegerField(_("postal zone"))

    class Meta:
        ordering = ["zone", "country"]
        verbose_name = _("postal zone")
        verbose_name_plural = _("postal zones")

    def __str__(self) -> str:
        return f"{self.country.name}: {self.zone}"


class CopyChannel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    FAX = "fax", _("Designated form by fax")
    POST = "post", _("Designated form by post")


class CopyStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted, to be copied")
    COPIED = "copied", _("Copied, to be sent")
    DISPATCHED = "dispatched", _("Sent with the invoice")
    REFUSED = "refused", _("Not copied")
    CANCELLED = "cancelled", _("Cancelled")


class CopyAction(models.TextChoices):
    ACCEPT = "accept", _("accept the request")
    REFUSE = "refuse", _("refuse the request")
    CANCEL = "cancel", _("cancel the request")
    RECORD_COPIED = "record_copied", _("record the pages copied")
    DISPATCH = "dispatch", _("send the copies with the invoice")


# THE table of allowed moves: status -> action -> new status.
COPY_MOVES: dict[str, dict[str, str]] = {
    CopyStatus.REQUESTED: {
        CopyAction.ACCEPT: CopyStatus.ACCEPTED,
        CopyAction.REFUSE: CopyStatus.REFUSED,
        CopyAction.CANCEL: CopyStatus.CANCELLED,
    },
    CopyStatus.ACCEPTED: {
        CopyAction.REFUSE: CopyStatus.REFUSED,
        CopyAction.CANCEL: CopyStatus.CANCELLED,
        CopyAction.RECORD_COPIED: CopyStatus.COPIED,
    },
    # Pages recorded wrongly are recorded again before dispatch.
    CopyStatus.COPIED: {
        CopyAction.RECORD_COPIED: CopyStatus.COPIED,
        CopyAction.DISPATCH: CopyStatus.DISPATCHED,
    },
    CopyStatus.DISPATCHED: {},
    CopyStatus.REFUSED: {},
    CopyStatus.CANCELLED: {},
}
# Waiting for staff: the copy queue of a site.
QUEUE_STATUSES = (CopyStatus.ACCEPTED, CopyStatus.COPIED)
CANCELLABLE_STATUSES = tuple(s for s, moves in COPY_MOVES.items() if CopyAction.CANCEL in moves)


class CopyRequest(models.Model):
    """One library's request for one copy of a part of one material."""

    library = models.ForeignKey(
        "registration.Library",
        verbose_name=_("library"),
        on_delete=models.PROTECT,
        related_name="copy_requests",
    )
    material = models.ForeignKey(
        "catalogue.Material",
        verbose_name=_("material"),
        on_delete=models.PROTECT,
        related_name="copy_requests",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=CopyStatus.choices, default=CopyStatus.REQUESTED
    )
    channel = models.CharField(_("request channel"), max_length=10, choices=CopyChannel.choices)
    # The part, as the library pinpointed it.
    pages_from = models.PositiveIntegerField(_("from page"), null=True, blank=True)
    pages_to = models.PositiveIntegerField(_("to page"), null=True, blank=True)
    chapter_title = models.CharField(_("chapter or article title"), max_length=300, blank=True)
    volume_issue = models.CharField(_("volume / issue"), max_length=100, blank=True)
    article_title = models.CharField(_("article title"), max_length=300, blank=True)
    article_author = models.CharField(_("article author"), max_length=200, blank=True)
    paper_size = models.CharField(
        _("paper size"), max_length=4, choices=PaperSize.choices, default=PaperSize.A4
    )
    colour = models.CharField(
        _("colour"), max_length=6, choices=ColourMode.choices, default=ColourMode.MONOCHROME
    )
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    research_declared = models.BooleanField(_("declared for study or research"), default=False)
    note = models.TextField(_("library's note"), blank=True)
    # The quote the library saw and confirmed (yen).
    quoted_total = models.DecimalField(
        _("estimated fee (yen)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    quoted_on = models.DateField(_("quoted on"), null=True, blank=True)
    staff_check_extent = models.BooleanField(
        _("staff check the half rule"),
        default=False,
        help_text=_("The record gives no number of pages: staff check the part is at most half."),
    )
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
    refuse_codes = models.JSONField(_("reasons not copied"), default=list, blank=True)
    refuse_details = models.JSONField(_("details of the reasons"), default=dict, blank=True)
    refuse_note = models.TextField(_("note on the refusal"), blank=True)
    pages_copied = models.PositiveIntegerField(_("pages copied"), null=True, blank=True)
    copied_at = models.DateTimeField(_("copied"), null=True, blank=True)
    dispatched_on = models.DateField(_("sent on"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("copy request")
        verbose_name_plural = _("copy requests")
        indexes = [
            models.Index(
                fields=["library", "-requested_at", "-id"], name="copies_request_library_recent"
            ),
            models.Index(fields=["status"], name="copies_request_status"),
        ]
        constraints = [
            # A request refused at once (a faxed form that breaks the rules) is
            # kept as the library wrote it; every other one obeys the rules.
            models.CheckConstraint(
                name="copies_copyrequest_one_copy",
                condition=models.Q(status__in=["refused", "cancelled"]) | models.Q(copies=1),
                violation_error_message=_("Only one copy is made per request."),
            ),
            models.CheckConstraint(
                name="copies_copyrequest_declared_research",
                condition=models.Q(status__in=["refused", "cancelled"])
                | models.Q(research_declared=True),
                violation_error_message=_("Copies are made only for study or research."),
            ),
            models.CheckConstraint(
                name="copies_copyrequest_page_range",
                condition=models.Q(status__in=["refused", "cancelled"])
                | models.Q(pages_from__gte=1, pages_to__gte=models.F("pages_from")),
                violation_error_message=_("The last page cannot come before the first."),
            ),
            models.CheckConstraint(
                name="copies_copyrequest_copied_has_pages",
                condition=~models.Q(status__in=["copied", "dispatched"])
                | models.Q(pages_copied__gt=0, copied_at__isnull=False),
            ),
            models.CheckConstraint(
                name="copies_copyrequest_dispatched_has_date",
                condition=~models.Q(status="dispatched") | models.Q(dispatched_on__isnull=False),
            ),
            models.CheckConstraint(
                name="copies_copyrequest_refused_has_reason",
                condition=~models.Q(status="refused") | ~models.Q(refuse_codes=[]),
            ),
        ]

    def __str__(self) -> str:
        return f"C{self.pk}"

    @property
    def pages_asked(self) -> int | None:
        if self.pages_from is None or self.pages_to is None:
            return None
        return self.pages_to - self.pages_from + 1

    @property
    def pages_label(self) -> str:
        """The pages as written on slips and invoices: "pp. 12-48" or "p. 12"."""
        if self.pages_from is None or self.pages_to is None:
            return "-"
        if self.pages_from == self.pages_to:
            return f"p. {self.pages_from}"
        return f"pp. {self.pages_from}-{self.pages_to}"


class CopyQueueItem(CopyRequest):
    """A site's work queue: accepted copies to make and send."""

    class Meta:
        proxy = True
        verbose_name = _("copy to make")
        verbose_name_plural = _("work queue: copies to make")


class InvoiceStatus(models.TextChoices):
    OPEN = "open", _("Unpaid")
    PART_PAID = "part_paid", _("Partly paid")
    PAID = "paid", _("Paid")
    WRITTEN_OFF = "written_off", _("Written off")


OPEN_INVOICE_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.PART_PAID)


class Invoice(models.Model):
    """The bill sent with the copies; the library pays after delivery.

    The amounts are fixed when it is issued, from the fee table on that day
    and the pages actually copied.
    """

    copy_request = models.OneToOneField(
        CopyRequest,
        verbose_name=_("copy request"),
        on_delete=models.PROTECT,
        related_name="invoice",
    )
    library = models.ForeignKey(
        "registration.Library",
        verbose_name=_("library"),
        on_delete=models.PROTECT,
        related_name="copy_invoices",
    )
    number = models.CharField(_("invoice number"), max_length=20, unique=True)
    issued_on = models.DateField(_("issued on"), db_index=True)
    pages = models.PositiveIntegerField(_("pages"))
    page_rate = models.DecimalField(_("fee per page"), max_digits=10, decimal_places=2)
    copying_fee = models.DecimalField(_("copying fee"), max_digits=10, decimal_places=2)
    handling_fee = models.DecimalField(_("handling fee"), max_digits=10, decimal_places=2)
    postage = models.DecimalField(_("postage"), max_digits=10, decimal_places=2)
    weight_grams = models.PositiveIntegerField(_("weight (g)"))
    zone = models.PositiveSmallIntegerField(_("postal zone"))
    total = models.DecimalField(_("total (yen)"), max_digits=10, decimal_places=2)
    paid_amount = models.DecimalField(
        _("paid (yen)"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    unpaid_flagged_on = models.DateField(
        _("flagged unpaid on"), null=True, blank=True, db_index=True
    )
    reminder_sent_on = models.DateField(_("reminder sent on"), null=True, blank=True)
    block_cleared_at = models.DateTimeField(
        _("new requests allowed again"),
        null=True,
        blank=True,
        help_text=_("Staff allowed new copy requests although this invoice is unpaid."),
    )
    block_cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("allowed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    written_off_note = models.TextField(_("why written off"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("copy invoice")
        verbose_name_plural = _("copy invoices")
        indexes = [
            models.Index(fields=["library", "status"], name="copies_invoice_library_status"),
        ]
        constraints = [
            models.CheckConstraint(
                name="copies_invoice_total_adds_up",
                condition=models.Q(
                    total=models.F("copying_fee") + models.F("handling_fee") + models.F("postage")
                ),
            ),
            models.CheckConstraint(
                name="copies_invoice_paid_within_total",
                condition=models.Q(paid_amount__gte=0, paid_amount__lte=models.F("total")),
                violation_error_message=_("More than the invoice's total cannot be paid."),
            ),
            models.CheckConstraint(
                name="copies_invoice_paid_means_paid",
                condition=~models.Q(status="paid") | models.Q(paid_amount=models.F("total")),
            ),
            models.CheckConstraint(
                name="copies_invoice_written_off_has_note",
                condition=~models.Q(status="written_off") | ~models.Q(written_off_note=""),
                violation_error_message=_("Say why the invoice is written off."),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def balance(self) -> Decimal:
        if self.status == InvoiceStatus.WRITTEN_OFF:
            return Decimal("0")
        return self.total - self.paid_amount


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CREDIT_CARD = "credit_card", _("Credit card")
    COUPON = "coupon", _("IFLA voucher or coupon")
    OTHER = "other", _("Other")


class Payment(models.Model):
    """Money received against one invoice (a part or all of it)."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(_("amount (yen)"), max_digits=10, decimal_places=2)
    received_on = models.DateField(_("received on"))
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                name="copies_payment_amount_positive",
                condition=models.Q(amount__gt=0),
                violation_error_message=_("A payment is more than nothing."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} {self.amount}"
