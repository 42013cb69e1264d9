"""ISO 18626: the libraries whose ILL systems talk to the NDL, each request
that arrived that way, and every message in and out (the protocol log and the
outbox in one table)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

# Failed security codes in a row before a peer is locked out, and for how long.
LOCKOUT_FAILURES = 5
LOCKOUT_MINUTES = 15


class SchemaVersion(models.TextChoices):
    """What ``ill:version`` we write to a peer (we read every version)."""

    V1_2 = "1.2", _("1.2 (2017 schema)")
    V2021_2 = "2021-2", _("2021-2 (2021 schema)")


def security_code_digest(*, code: str, salt: str) -> str:
    """The keyed hash kept instead of a peer's security code: HMAC-SHA256
    keyed by the project's secret key and the row's own salt."""
    return salted_hmac(f"iso18626.PeerAgency.{salt}", code.strip(), algorithm="sha256").hexdigest()


class PeerAgency(models.Model):
    """A registered library whose ILL system may send ISO 18626 messages."""

    library = models.OneToOneField(
        "registration.Library",
        verbose_name=_("library"),
        on_delete=models.PROTECT,
        related_name="iso18626_peer",
    )
    isil = models.CharField(_("ISIL"), max_length=16, unique=True)
    endpoint_url = models.URLField(_("peer endpoint URL"), max_length=300)
    schema_version = models.CharField(
        _("schema version"),
        max_length=10,
        choices=SchemaVersion.choices,
        default=SchemaVersion.V1_2,
    )
    code_salt = models.CharField(_("salt"), max_length=32, editable=False)
    code_digest = models.CharField(
        _("keyed hash of the security code"), max_length=64, editable=False
    )
    code_set_at = models.DateTimeField(_("security code issued"), null=True, editable=False)
    failed_attempts = models.PositiveSmallIntegerField(
        _("failed authentications in a row"), default=0, editable=False
    )
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["isil"]
        verbose_name = _("ISO 18626 peer")
        verbose_name_plural = _("ISO 18626 peers")
        constraints = [
            # A lockout follows repeated failures, never a clean record.
            models.CheckConstraint(
                name="iso18626_peeragency_lockout_after_failures",
                condition=models.Q(locked_until__isnull=True)
                | models.Q(failed_attempts__gte=LOCKOUT_FAILURES),
            ),
            models.CheckConstraint(
                name="iso18626_peeragency_isil_shape",
                condition=models.Q(isil__regex=r"^[A-Za-z0-9]{1,4}-[A-Za-z0-9:/-]{1,11}$"),
            ),
        ]

    def __str__(self) -> str:
        return self.isil

    @staticmethod
    def new_code() -> str:
        """A fresh security code: 32 URL-safe characters (192 random bits)."""
        return secrets.token_urlsafe(24)

    def code_set(self, code: str) -> None:
        """Keep what verifies ``code`` (a new salt, the keyed hash); not saved."""
        self.code_salt = secrets.token_hex(16)
        self.code_digest = security_code_digest(code=code, salt=self.code_salt)


class TransactionState(models.TextChoices):
    """Where an ISO 18626 request stands on our side, beside its loan."""

    LINKED = "linked", _("A loan or copy request")
    IDENTIFY = "identify", _("Held for staff to identify the item")
    UNFILLED = "unfilled", _("Answered Unfilled")
    RETRY = "retry", _("Answered RetryPossible")


class IsoTransaction(models.Model):
    """One ISO 18626 request: the requester's id, and the NDL loan request it
    became (its existence is what says a loan arrived by ISO 18626)."""

    peer = models.ForeignKey(
        PeerAgency, verbose_name=_("peer"), on_delete=models.PROTECT, related_name="transactions"
    )
    requesting_request_id = models.CharField(_("requester's request id"), max_length=200)
    loan = models.OneToOneField(
        "loans.LoanRequest",
        verbose_name=_("loan request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="iso18626",
    )
    # A Copy (or CopyOrLoan) request that became a photocopy request.
    copy = models.OneToOneField(
        "copies.CopyRequest",
        verbose_name=_("copy request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="iso18626",
    )
    state = models.CharField(_("state"), max_length=10, choices=TransactionState.choices)
    service_type = models.CharField(_("service type"), max_length=20, default="Loan")
    bibliographic = models.JSONField(_("item as the requester described it"), default=dict)
    version = models.CharField(_("version the peer sent"), max_length=10)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("ISO 18626 request")
        verbose_name_plural = _("ISO 18626 requests")
        constraints = [
            models.UniqueConstraint(
                fields=["peer", "requesting_request_id"],
                name="iso18626_isotransaction_one_per_request_id",
            ),
            models.CheckConstraint(
                name="iso18626_isotransaction_linked_has_loan_or_copy",
                condition=~models.Q(state="linked")
                | models.Q(loan__isnull=False)
                | models.Q(copy__isnull=False),
            ),
            models.CheckConstraint(
                name="iso18626_isotransaction_loan_or_copy_not_both",
                condition=models.Q(loan__isnull=True) | models.Q(copy__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.peer.isil} {self.requesting_request_id}"

    @property
    def supplying_request_id(self) -> str:
        """Our id for it in every message: the loan request's number once there is one."""
        if self.copy_id:
            return f"NDL-C{self.copy_id}"
        return f"NDL-{self.loan_id}" if self.loan_id else f"NDL-ISO-{self.pk}"


class Direction(models.TextChoices):
    IN = "in", _("Received")
    OUT = "out", _("Sent")


class DeliveryStatus(models.TextChoices):
    """An incoming message is ``answered``; an outgoing one goes queued →
    sent (the peer confirmed OK), refused (the peer answered ERROR), or
    failed (no usable answer; retried until ``NDL_ISO18626_MAX_ATTEMPTS``)."""

    ANSWERED = "answered", _("Answered")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Confirmed by the peer")
    REFUSED = "refused", _("Refused by the peer")
    FAILED = "failed", _("Failed, will retry")
    GAVE_UP = "gave_up", _("Failed, gave up")


# An outgoing message later in a request waits while an earlier one is in these.
UNDELIVERED = (DeliveryStatus.QUEUED, DeliveryStatus.FAILED)


class IsoMessage(models.Model):
    """One message in or out, with the raw XML (secrets masked) and the answer."""

    transaction = models.ForeignKey(
        IsoTransaction,
        verbose_name=_("ISO 18626 request"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    kind = models.CharField(_("message"), max_length=40)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    body = models.TextField(_("XML"))
    response = models.TextField(_("answer XML"), blank=True)
    result = models.CharField(_("result"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True, null=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resent by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("ISO 18626 message")
        verbose_name_plural = _("ISO 18626 messages")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="iso18626_message_status_idx"),
            # The outbox's backlog: each request's undelivered messages in order
            # (the worker's claim, "is an earlier one undelivered?"); it holds
            # only what is still to send, however long the protocol log grows.
            models.Index(
                fields=["transaction", "id"],
                condition=models.Q(direction="out", status__in=["queued", "failed"]),
                name="iso18626_message_outbox_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="iso18626_isomessage_sent_has_time",
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
            ),
            models.CheckConstraint(
                name="iso18626_isomessage_incoming_answered",
                condition=~models.Q(direction="in") | models.Q(status="answered"),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_direction_display()} {self.kind}"
