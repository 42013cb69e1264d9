"""The catalogue: NDL materials and the facts the loan rules read."""

from __future__ import annotations

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
                name="catalogue_material_exclusion_has_note",
                condition=models.Q(staff_excluded=False) | ~models.Q(staff_note=""),
                violation_error_message=_("Say why staff excluded this material."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ndl_id} {self.title}"
