"""The shared kernel: staff and portal users, the three NDL sites, the audit
log and the email outbox. Every other app depends on these."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

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


class User(AbstractUser):
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
