"""Return parcels, check-in at NDL, and damage and loss cases."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReturnMethod(models.TextChoices):
    REGISTERED_AIR_MAIL = "registered_air_mail", _("Registered air mail")
    AIR_CARRIER = "air_carrier", _("International air carrier with tracking and compensation")
    SURFACE_MAIL = "surface_mail", _("Surface mail (not allowed)")


ALLOWED_RETURN_METHODS = (ReturnMethod.REGISTERED_AIR_MAIL, ReturnMethod.AIR_CARRIER)


class ReturnParcel(models.Model):
    """A parcel the library sent back to the site that lent the items in it."""

    library = models.ForeignKey(
        "registration.Library",
        verbose_name=_("library"),
        on_delete=models.PROTECT,
        related_name="return_parcels",
    )
    site = models.ForeignKey(
        "core.Site", verbose_name=_("returned to"), on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(_("method"), max_length=30, choices=ReturnMethod.choices)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=40)
    sent_on = models.DateField(_("sent on"))
    loans = models.ManyToManyField(
        "loans.LoanRequest", verbose_name=_("items"), related_name="return_parcels"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-sent_on", "-pk"]
        verbose_name = _("return parcel")
        verbose_name_plural = _("return parcels")
        # The lending desk finds a parcel by the tracking number scanned.
        indexes = [models.Index(fields=["tracking_number"], name="returns_parcel_tracking")]
        constraints = [
            models.CheckConstraint(
                name="returns_returnparcel_no_surface_mail",
                condition=models.Q(method__in=ALLOWED_RETURN_METHODS),
                violation_error_message=_("Returns must not be sent by surface mail."),
            ),
            models.CheckConstraint(
                name="returns_returnparcel_air_carrier_named",
                condition=~models.Q(method="air_carrier") | ~models.Q(carrier=""),
                violation_error_message=_("Name the air carrier."),
            ),
            models.CheckConstraint(
                name="returns_returnparcel_has_tracking",
                condition=~models.Q(tracking_number=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_number} → {self.site}"


class ItemCondition(models.TextChoices):
    GOOD = "good", _("Good")
    DAMAGED = "damaged", _("Damaged")


class CheckIn(models.Model):
    """An item back at an NDL site; ends the loan."""

    loan = models.OneToOneField(
        "loans.LoanRequest",
        verbose_name=_("loan"),
        on_delete=models.PROTECT,
        related_name="check_in",
    )
    site = models.ForeignKey(
        "core.Site", verbose_name=_("checked in at"), on_delete=models.PROTECT, related_name="+"
    )
    checked_in_on = models.DateField(_("checked in on"))
    condition = models.CharField(_("condition"), max_length=10, choices=ItemCondition.choices)
    loan_slip_enclosed = models.BooleanField(_("loan slip enclosed"))
    to_borrowers_enclosed = models.BooleanField(_('"To Borrowers" sheet enclosed'))
    wrong_site = models.BooleanField(_("returned to the wrong site"), default=False, db_index=True)
    note = models.TextField(_("note"), blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-checked_in_on", "-pk"]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        indexes = [models.Index(fields=["site", "wrong_site"], name="returns_checkin_site_wrong")]

    def __str__(self) -> str:
        return f"{self.loan} @ {self.site}"


class CaseKind(models.TextChoices):
    DAMAGE = "damage", _("Damage")
    LOSS = "loss", _("Loss")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open: NDL to instruct")
    INSTRUCTED = "instructed", _("Instructed: waiting for the library")
    SETTLED = "settled", _("Settled")


class Instruction(models.TextChoices):
    REPLACEMENT = "replacement", _("Replacement copy")
    COMPENSATION = "compensation", _("Full compensation")


class DamageCase(models.Model):
    """Damage to or loss of a lent item, tracked until settled."""

    loan = models.ForeignKey(
        "loans.LoanRequest",
        verbose_name=_("loan"),
        on_delete=models.PROTECT,
        related_name="damage_cases",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=CaseKind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    reported_by_library = models.BooleanField(_("reported by the library"))
    reported_on = models.DateField(_("reported on"))
    description = models.TextField(_("what happened"))
    instruction = models.CharField(
        _("NDL's instruction"), max_length=15, choices=Instruction.choices, blank=True
    )
    compensation_amount = models.DecimalField(
        _("compensation amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    compensation_currency = models.CharField(_("currency"), max_length=3, blank=True)
    instructed_on = models.DateField(_("instructed on"), null=True, blank=True)
    settled_on = models.DateField(_("settled on"), null=True, blank=True)
    settlement_note = models.TextField(_("settlement"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-reported_on", "-pk"]
        verbose_name = _("damage or loss case")
        verbose_name_plural = _("damage and loss cases")
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "kind"],
                name="returns_damagecase_one_open_per_loan_kind",
                condition=~models.Q(status="settled"),
            ),
            models.CheckConstraint(
                name="returns_damagecase_compensation_has_amount",
                condition=~models.Q(instruction="compensation")
                | (models.Q(compensation_amount__gt=0) & ~models.Q(compensation_currency="")),
            ),
            models.CheckConstraint(
                name="returns_damagecase_settled_has_date",
                condition=~models.Q(status="settled") | models.Q(settled_on__isnull=False),
            ),
            models.CheckConstraint(
                name="returns_damagecase_instructed_has_instruction",
                condition=models.Q(status="open")
                | (~models.Q(instruction="") & models.Q(instructed_on__isnull=False)),
            ),
            models.CheckConstraint(
                name="returns_damagecase_currency_iso",
                condition=models.Q(compensation_currency="")
                | models.Q(compensation_currency__regex=r"^[A-Z]{3}$"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.loan}"
