"""Conversations between NDL staff and a library.

A thread belongs to one library and is about either one of its loan requests
or its registration (the application, then the registered library). Messages
are seen by both sides. Staff notes are another model on purpose: no portal
query selects from their table, so a library can never be shown one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The longest message either side may post (a long letter, not a file).
MESSAGE_MAX_LENGTH = 4000


class Side(models.TextChoices):
    NDL = "ndl", _("NDL")
    LIBRARY = "library", _("Library")


class Thread(models.Model):
    library = models.ForeignKey(
        "registration.Library",
        verbose_name=_("library"),
        on_delete=models.PROTECT,
        related_name="threads",
    )
    # Empty: the thread about the library's registration.
    loan_request = models.OneToOneField(
        "loans.LoanRequest",
        verbose_name=_("loan request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="thread",
    )
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(
                fields=["library"],
                condition=models.Q(loan_request__isnull=True),
                name="conversations_thread_one_registration_thread",
            ),
        ]

    def __str__(self) -> str:
        return str(self.subject_label)

    @property
    def subject_label(self) -> str:
        if self.loan_request_id is not None:
            return str(_("Request #%(id)s") % {"id": self.loan_request_id})
        return str(_("Registration"))


class Message(models.Model):
    """A message seen by both sides."""

    thread = models.ForeignKey(
        Thread, verbose_name=_("conversation"), on_delete=models.PROTECT, related_name="messages"
    )
    sender = models.CharField(_("from"), max_length=10, choices=Side.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("message"), max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    # When the other side first opened the conversation after it arrived.
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["thread", "sender", "read_at"], name="conv_message_unread_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="conversations_message_has_body", condition=~models.Q(body="")
            ),
            models.CheckConstraint(
                name="conversations_message_sender_valid",
                condition=models.Q(sender__in=Side.values),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.thread} · {self.get_sender_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class StaffNote(models.Model):
    """A note NDL staff keep on a conversation; never shown to the library."""

    thread = models.ForeignKey(
        Thread,
        verbose_name=_("conversation"),
        on_delete=models.PROTECT,
        related_name="staff_notes",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("note"), max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("staff note")
        verbose_name_plural = _("staff notes")
        constraints = [
            models.CheckConstraint(
                name="conversations_staffnote_has_body", condition=~models.Q(body="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.thread} · {self.created_at:%Y-%m-%d %H:%M}"
