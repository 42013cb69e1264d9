"""The shared kernel: staff and portal users, the three NDL sites, the audit
log and the email outbox. Every other app depends on these."""

from __future__ import annotations

import secrets
from base64 import b32encode

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from .i18n import in_japanese


class SiteCode(models.TextChoices):
    TOKYO = "tokyo", _("Tokyo Main Library")
    KANSAI = "kansai", _("Kansai-kan")
    ILCL = "ilcl", _("International Library of Children's Literature")


class Site(models.Model):
    """One of the three NDL libraries that hold, ship and receive items."""

    code = models.CharField(_("code"), max_length=10, choices=SiteCode.choices, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_ja = models.CharField(_("name in Japanese"), max_length=120)
    department = models.CharField(_("department"), max_length=200)
    address = models.TextField(_("postal address"))
    fax = models.CharField(_("fax"), max_length=40)
    email = models.EmailField(_("email for receipt letters"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("NDL site")
        verbose_name_plural = _("NDL sites")

    def __str__(self) -> str:
        return self.local_name

    @property
    def local_name(self) -> str:
        """The site's name in the language being rendered (portal, email, PDF)."""
        return self.name_ja if in_japanese() else self.name

    @property
    def return_address_lines(self) -> list[str]:
        return [self.department, *self.address.splitlines()]


# django-otp's Device manager is untyped: the stubs cannot name the manager of
# BackupCodeDevice.user's reverse relation.
class User(AbstractUser):  # type: ignore[django-manager-missing]
    """A staff member (admin) or a borrowing library's portal login.

    A portal login's username is the library's User ID.
    """

    library = models.OneToOneField(
        "registration.Library",
        verbose_name=_("library"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="portal_user",
    )
    site = models.ForeignKey(
        Site,
        verbose_name=_("NDL site"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text=_("For lending staff: the site whose work queues they see."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="core_user_library_login_not_staff",
                condition=models.Q(library__isnull=True) | models.Q(is_staff=False),
            ),
        ]

    @property
    def is_library(self) -> bool:
        return self.library_id is not None


class AuditEntry(models.Model):
    """Who did what to which object, written by every service."""

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.CharField(_("object id"), max_length=40)
    object_repr = models.CharField(_("object"), max_length=200)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["object_type", "object_id"], name="core_audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr}"


class MailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutgoingMail(models.Model):
    """The outbox: an email is a row first, then a Celery task sends it.

    ``dedupe_key`` makes every notice unique, so a job that runs twice cannot
    queue the same notice twice.
    """

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    to = models.JSONField(_("to"), default=list)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MailStatus.choices, default=MailStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # The body holds a placeholder for this user's set-password link; the
    # link (a signed token) is made when the mail is sent and never stored.
    password_set_user = models.ForeignKey(
        User,
        verbose_name=_("set-password link for"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing email")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="core_mail_status_idx")]
        constraints = [
            models.CheckConstraint(
                name="core_outgoingmail_sent_has_time",
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.subject


def backup_code_normalise(code: str) -> str:
    """A backup code as typed (any case, spaces or hyphens) in its stored form."""
    return "".join(code.split()).replace("-", "").lower()


def backup_code_digest(*, code: str, salt: str, secret: str | None = None) -> str:
    """The keyed hash that the database keeps instead of a backup code:
    HMAC-SHA256 keyed by the project's secret key and the code's own salt
    (``secret`` picks another key, for the keys in SECRET_KEY_FALLBACKS)."""
    return salted_hmac(
        f"core.BackupCode.{salt}", backup_code_normalise(code), secret=secret, algorithm="sha256"
    ).hexdigest()


class BackupCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A staff member's single-use backup codes, their second factor for
    emergencies (django-otp finds this model among its devices).

    The database keeps only a keyed hash of each code (``BackupCode``): the
    codes are shown once, to whoever issues them (``core.services.backup_codes_issue``).
    """

    class Meta:
        verbose_name = _("backup codes")
        verbose_name_plural = _("backup codes")

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token: object) -> bool:
        """True, and the code is used up, when ``token`` is one of the codes.

        Every stored hash is compared in constant time, under a lock, so the
        same code cannot sign in twice even from two requests at once. A
        wrong code counts towards django-otp's throttling.
        """
        verify_allowed, _reason = self.verify_is_allowed()
        if not verify_allowed or not isinstance(token, str) or not token.strip():
            return False
        keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
        with transaction.atomic():
            match = None
            for row in BackupCode.objects.select_for_update().filter(device=self).order_by("pk"):
                for key in keys:
                    digest = backup_code_digest(code=token, salt=row.salt, secret=key)
                    if constant_time_compare(digest, row.digest):
                        match = row
            if match is None:
                self.throttle_increment()
                return False
            match.delete()
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
        return True


class BackupCode(models.Model):
    """What verifies one backup code: a salt and the keyed hash, never the code."""

    device = models.ForeignKey(
        BackupCodeDevice, verbose_name=_("device"), on_delete=models.CASCADE, related_name="codes"
    )
    salt = models.CharField(_("salt"), max_length=32)
    digest = models.CharField(_("keyed hash"), max_length=64)

    class Meta:
        verbose_name = _("backup code")
        verbose_name_plural = _("backup codes")

    def __str__(self) -> str:
        return f"#{self.pk}"

    @staticmethod
    def random_code() -> str:
        """A new code: ten letters and digits (50 random bits)."""
        return b32encode(secrets.token_bytes(10)).decode()[:10].lower()

    @classmethod
    def for_code(cls, *, device: BackupCodeDevice, code: str) -> BackupCode:
        """An unsaved row that verifies ``code`` (a fresh salt, the keyed hash)."""
        salt = secrets.token_hex(16)
        return cls(device=device, salt=salt, digest=backup_code_digest(code=code, salt=salt))
