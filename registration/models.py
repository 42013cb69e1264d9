"""Borrowing libraries and their postal applications for registration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from core.identifiers import USER_ID_PATTERN, name_key


class LibraryStatus(models.TextChoices):
    UNDER_REVIEW = "under_review", _("Application under review")
    INFO_REQUESTED = "info_requested", _("Waiting for further information")
    ACTIVE = "active", _("Registered")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The only moves a registration may make; ``library_transition`` enforces it.
LIBRARY_TRANSITIONS: dict[str, frozenset[str]] = {
    LibraryStatus.UNDER_REVIEW: frozenset(
        {LibraryStatus.INFO_REQUESTED, LibraryStatus.ACTIVE, LibraryStatus.REJECTED}
    ),
    LibraryStatus.INFO_REQUESTED: frozenset(
        {LibraryStatus.UNDER_REVIEW, LibraryStatus.ACTIVE, LibraryStatus.REJECTED}
    ),
    LibraryStatus.ACTIVE: frozenset({LibraryStatus.SUSPENDED, LibraryStatus.WITHDRAWN}),
    LibraryStatus.SUSPENDED: frozenset({LibraryStatus.ACTIVE, LibraryStatus.WITHDRAWN}),
    LibraryStatus.REJECTED: frozenset(),
    LibraryStatus.WITHDRAWN: frozenset(),
}
OPEN_APPLICATION_STATUSES = (LibraryStatus.UNDER_REVIEW, LibraryStatus.INFO_REQUESTED)
REGISTERED_STATUSES = (LibraryStatus.ACTIVE, LibraryStatus.SUSPENDED, LibraryStatus.WITHDRAWN)
# A rejected or withdrawn library may apply again under the same name.
CLOSED_STATUSES = (LibraryStatus.REJECTED, LibraryStatus.WITHDRAWN)


class Language(models.TextChoices):
    EN = "en", _("English")
    JA = "ja", _("Japanese")


class NameKeyField(models.TextField):
    """The canonical comparison key of another field (``core.identifiers.name_key``).

    Filled from ``source`` whenever the row is saved, by any path (service,
    admin, ``objects.create()``, ``bulk_create()``), like ``auto_now``; a
    ``QuerySet.update()`` of the source must set it too.
    """

    def __init__(self, *args: Any, source: str = "name", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = name_key(str(getattr(model_instance, self.source) or ""))
        setattr(model_instance, self.attname, value)
        return value


class Library(models.Model):
    """An overseas library: an applicant first, a registered borrower once approved."""

    user_id = models.CharField(
        _("User ID"), max_length=20, unique=True, null=True, blank=True, editable=False
    )
    name = models.CharField(_("name"), max_length=200)
    # ``name`` as compared: the same library is the same key, however typed.
    name_key = NameKeyField(_("name as compared"), source="name")
    name_original = models.CharField(_("name in the original script"), max_length=200, blank=True)
    country = CountryField(_("country"))
    postal_address = models.TextField(_("postal address"))
    email = models.EmailField(_("email"))
    fax = models.CharField(_("fax"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    representative_director = models.CharField(_("representative director"), max_length=200)
    representative_title = models.CharField(
        _("representative director's position"), max_length=200, blank=True
    )
    language = models.CharField(
        _("language for notices"), max_length=2, choices=Language.choices, default=Language.EN
    )
    prefers_post = models.BooleanField(
        _("notices by postal mail"),
        default=False,
        help_text=_("The library asked to receive refusals and notices by post as well."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=LibraryStatus.choices,
        default=LibraryStatus.UNDER_REVIEW,
        db_index=True,
    )
    registered_on = models.DateField(_("registered on"), null=True, blank=True, editable=False)
    status_reason = models.TextField(
        _("reason for the last status change"), blank=True, editable=False
    )
    status_changed_at = models.DateTimeField(
        _("status changed"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("library")
        verbose_name_plural = _("libraries")
        constraints = [
            models.UniqueConstraint(
                fields=["name_key", "country"],
                name="registration_library_unique_name_key_country",
                condition=~models.Q(status__in=CLOSED_STATUSES),
                violation_error_message=_("This library is already registered or applying."),
            ),
            models.CheckConstraint(
                name="registration_library_registered_has_user_id",
                condition=~models.Q(status__in=REGISTERED_STATUSES)
                | (models.Q(user_id__isnull=False) & models.Q(registered_on__isnull=False)),
            ),
            # A User ID is issued on approval only, never to an open application.
            models.CheckConstraint(
                name="registration_library_applicant_has_no_user_id",
                condition=~models.Q(status__in=OPEN_APPLICATION_STATUSES)
                | (models.Q(user_id__isnull=True) & models.Q(registered_on__isnull=True)),
            ),
            models.CheckConstraint(
                name="registration_library_user_id_format",
                condition=models.Q(user_id__isnull=True) | models.Q(user_id__regex=USER_ID_PATTERN),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})" if self.user_id else self.name

    @property
    def can_request(self) -> bool:
        return self.status == LibraryStatus.ACTIVE


class ApplicationChannel(models.TextChoices):
    POST = "post", _("Post")
    FAX = "fax", _("Fax")
    EMAIL = "email", _("Email")


class Application(models.Model):
    """The postal application of a library, with its three documents."""

    library = models.OneToOneField(
        Library, verbose_name=_("library"), on_delete=models.PROTECT, related_name="application"
    )
    received_on = models.DateField(_("received on"))
    channel = models.CharField(
        _("arrived by"),
        max_length=10,
        choices=ApplicationChannel.choices,
        default=ApplicationChannel.POST,
    )
    has_signed_application = models.BooleanField(_("signed application (contract) present"))
    has_reading_room_picture = models.BooleanField(_("picture of the reading room present"))
    has_leaflet = models.BooleanField(_("leaflet or brochure present"))
    signature_verified = models.BooleanField(
        _("original handwritten signature verified"), default=False
    )
    copier_conditions = models.TextField(
        _("copier and scanner conditions"),
        blank=True,
        help_text=_("How the library prevents free use of copiers or scanners, if it has any."),
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["received_on", "pk"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.CheckConstraint(
                name="registration_application_by_post_only",
                condition=models.Q(channel="post"),
                violation_error_message=_("Applications are accepted by post only."),
            ),
            # An application is recorded only when all three documents arrived
            # and the original signature was verified (see application_record).
            models.CheckConstraint(
                name="registration_application_documents_complete",
                condition=models.Q(
                    has_signed_application=True,
                    has_reading_room_picture=True,
                    has_leaflet=True,
                    signature_verified=True,
                ),
                violation_error_message=_(
                    "All three documents and the verified handwritten signature are required."
                ),
            ),
            models.CheckConstraint(
                name="registration_application_received_not_after_decision",
                condition=models.Q(decided_on__isnull=True)
                | models.Q(decided_on__gte=models.F("received_on")),
            ),
        ]

    def __str__(self) -> str:
        return str(self.library)

    @property
    def is_complete(self) -> bool:
        return (
            self.has_signed_application
            and self.has_reading_room_picture
            and self.has_leaflet
            and self.signature_verified
        )


class DocumentKind(models.TextChoices):
    APPLICATION = "application", _("Signed application")
    READING_ROOM = "reading_room", _("Picture of the reading room")
    LEAFLET = "leaflet", _("Leaflet or brochure")
    OTHER = "other", _("Other document")


# The only kinds of scan staff may attach; checked by content, not by name.
SCAN_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")


def _scan_path(instance: ApplicationDocument, filename: str) -> str:
    return f"applications/{instance.application_id}/{instance.kind}-{filename}"


class ApplicationDocument(models.Model):
    """A scan of a document received by post (private; served to staff only)."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.PROTECT, related_name="scans"
    )
    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=_scan_path)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["application", "kind", "pk"]
        verbose_name = _("document scan")
        verbose_name_plural = _("document scans")
        constraints = [
            models.CheckConstraint(
                name="registration_applicationdocument_allowed_type",
                condition=models.Q(content_type__in=SCAN_CONTENT_TYPES),
            ),
            models.CheckConstraint(
                name="registration_applicationdocument_not_empty",
                condition=models.Q(size__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


class LetterDirection(models.TextChoices):
    TO_LIBRARY = "to_library", _("NDL to library")
    FROM_LIBRARY = "from_library", _("Library to NDL")


class Correspondence(models.Model):
    """A letter exchanged about an application (questions, further documents)."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="letters",
    )
    direction = models.CharField(_("direction"), max_length=20, choices=LetterDirection.choices)
    dated = models.DateField(_("date"))
    summary = models.TextField(_("summary"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["dated", "pk"]
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        constraints = [
            models.CheckConstraint(
                name="registration_correspondence_has_summary",
                condition=~models.Q(summary=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dated} {self.get_direction_display()}"


class NoticeChannel(models.TextChoices):
    LETTER = "letter", _("Letter")
    FAX = "fax", _("Fax")


class ChangeNotice(models.Model):
    """A registered library's notice of changed details, quoting its User ID.

    ``changes`` maps each changed field to ``[old, new]``; together the
    notices are the history of the library's details.
    """

    library = models.ForeignKey(
        Library, verbose_name=_("library"), on_delete=models.PROTECT, related_name="change_notices"
    )
    received_on = models.DateField(_("received on"))
    channel = models.CharField(_("received by"), max_length=10, choices=NoticeChannel.choices)
    quoted_user_id = models.CharField(_("User ID quoted in the notice"), max_length=20)
    changes = models.JSONField(_("changes"), default=dict)
    note = models.TextField(_("note"), blank=True)
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
        verbose_name = _("change notice")
        verbose_name_plural = _("change notices")
        constraints = [
            models.CheckConstraint(
                name="registration_changenotice_by_letter_or_fax",
                condition=models.Q(channel__in=["letter", "fax"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.library} {self.received_on}"


class UserIdCounter(models.Model):
    """The last User ID number issued per country.

    ``library_approve`` locks the country's row while it allocates, so two
    approvals at the same moment cannot draw the same number.
    """

    country = CountryField(_("country"), unique=True)
    last_number = models.PositiveIntegerField(_("last number issued"), default=0)

    class Meta:
        verbose_name = _("User ID counter")
        verbose_name_plural = _("User ID counters")
        constraints = [
            models.CheckConstraint(
                name="registration_useridcounter_within_five_digits",
                condition=models.Q(last_number__lte=99999),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country}: {self.last_number}"
