"""The catalogue: NDL materials and the facts the loan rules read.

Bibliographic facts come from the NDL's own records (DC-NDL, MARC 21, or the
house CSV) and are replaced by a re-import; the facts the records do not
carry (acquisition date, holding site, condition, rarity, the staff's
judgements) are kept by staff and never overwritten by an import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from core.models import Site


class LanguageCategory(models.TextChoices):
    """The category the loan rules read; ``""`` (stored) when unknown."""

    JAPANESE = "japanese", _("Japanese")
    FOREIGN = "foreign", _("Foreign")


class MaterialType(models.TextChoices):
    """What the item is: the NDL's ``ndltype`` vocabulary and the DCMI types.

    The first eleven are the house's own since the start; the others are the
    types the NDL's records name (``dcndl:materialType``, MARC Leader/06-07,
    007, 008/23-24, 502, 33X). ``""`` is stored when a record's type cannot be
    mapped: the material then waits for staff (``review_reasons``).
    """

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
    # ndltype: Map when the record does not say it is one sheet (an atlas
    # in book form is catalogued as a Book).
    MAP = "map", _("Map")
    ARTICLE = "article", _("Article")
    JAPANESE_CLASSICAL_BOOK = "japanese_classical_book", _("Japanese classical book")
    CHINESE_CLASSICAL_BOOK = "chinese_classical_book", _("Chinese classical book")
    MANUSCRIPT = "manuscript", _("Manuscript")
    MICROFORM = "microform", _("Microform")
    # DCMI types and their MARC counterparts.
    SOUND = "sound", _("Sound recording")
    MOVING_IMAGE = "moving_image", _("Moving image")
    STILL_IMAGE = "still_image", _("Still image")
    KIT = "kit", _("Kit")
    PHYSICAL_OBJECT = "physical_object", _("Physical object")


# Groups of material types named by the NDL page ("Materials not loanable").
SERIAL_TYPES = frozenset(
    {
        MaterialType.SERIAL,
        MaterialType.NEWSPAPER,
        MaterialType.PERIODICAL,
        # An article is read in its serial: a photocopy, never a loan.
        MaterialType.ARTICLE,
    }
)
NON_BOOK_TYPES = frozenset(
    {
        MaterialType.DOCTORAL_DISSERTATION,
        MaterialType.SINGLE_SHEET_MAP,
        MaterialType.MAP,
        MaterialType.ELECTRONIC_RESOURCE,
        MaterialType.MUSIC_SCORE,
        MaterialType.PHONOGRAPHIC_RECORD,
        MaterialType.SOUND,
        MaterialType.MOVING_IMAGE,
        MaterialType.STILL_IMAGE,
        MaterialType.KIT,
        MaterialType.PHYSICAL_OBJECT,
        MaterialType.MICROFILM,
        MaterialType.MICROFICHE,
        MaterialType.MICROFORM,
    }
)
# "Rare and precious materials (old Japanese books, etc.)": by type, whatever
# staff have ticked.
RARE_TYPES = frozenset(
    {
        MaterialType.JAPANESE_CLASSICAL_BOOK,
        MaterialType.CHINESE_CLASSICAL_BOOK,
        MaterialType.MANUSCRIPT,
    }
)


class Unsuitability(models.TextChoices):
    NONE = "", _("Suitable")
    LARGE_SIZED = "large_sized", _("Large-sized book")
    REFERENCE = "reference", _("Reference book")
    PAMPHLET = "pamphlet", _("Pamphlet")


class SourceFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    DCNDL = "dcndl", _("DC-NDL")
    MARC = "marc", _("MARC 21")


class ReviewReason(models.TextChoices):
    """Why staff must look at a material before it can be lent.

    Stored in ``Material.review_reasons`` by an import (a record's type or
    language the importer could not map) and read by the loan rules, which
    also find the facts only staff keep (site, acquisition date) missing.
    """

    UNKNOWN_TYPE = "unknown_type", _("material type unknown")
    UNKNOWN_LANGUAGE = "unknown_language", _("language unknown")
    NO_SITE = "no_site", _("holding site unknown")
    NO_ACQUISITION_DATE = "no_acquisition_date", _("acquisition date unknown")


class Material(models.Model):
    """One physical NDL item that could be lent."""

    ndl_id = models.CharField(_("NDL bibliographic ID"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=500)
    title_transcription = models.CharField(_("title reading"), max_length=500, blank=True)
    responsibility = models.CharField(_("author / responsibility"), max_length=300, blank=True)
    author_names = models.TextField(
        _("authors"), blank=True, help_text=_("One name a line, as the record gives it.")
    )
    author_transcriptions = models.TextField(
        _("authors' readings"), blank=True, help_text=_("One reading a line.")
    )
    publisher = models.CharField(_("publisher"), max_length=300, blank=True)
    date_issued = models.CharField(
        _("date issued"), max_length=30, blank=True, help_text=_("W3CDTF, as the record gives it.")
    )
    year = models.PositiveSmallIntegerField(_("year of publication"), null=True, blank=True)
    extent = models.CharField(_("extent"), max_length=200, blank=True)
    page_count = models.PositiveIntegerField(_("number of pages"), null=True, blank=True)
    isbn = models.CharField(_("ISBN"), max_length=17, blank=True, db_index=True)
    issn = models.CharField(_("ISSN"), max_length=9, blank=True, db_index=True)
    jp_number = models.CharField(_("JP number"), max_length=20, blank=True, db_index=True)
    periodicity = models.CharField(_("periodicity"), max_length=100, blank=True)
    language_code = models.CharField(_("language (ISO 639-2)"), max_length=3, blank=True)
    language = models.CharField(
        _("language category"), max_length=10, choices=LanguageCategory.choices, blank=True
    )
    material_type = models.CharField(
        _("material type"),
        max_length=30,
        choices=MaterialType.choices,
        default=MaterialType.BOOK,
        blank=True,
    )
    digitized_url = models.URLField(_("NDL Digital Collections link"), blank=True)
    source_format = models.CharField(
        _("imported from"),
        max_length=10,
        choices=SourceFormat.choices,
        default=SourceFormat.CSV,
    )
    review_reasons = models.JSONField(_("why staff must review"), default=list, blank=True)
    acquired_on = models.DateField(_("acquisition date"), null=True, blank=True)
    site = models.ForeignKey(
        "core.Site",
        verbose_name=_("holding site"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
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
    # What search finds the material by (catalogue.search_text), derived from the
    # fields above by services.search_index.material_search_vector_update; on
    # PostgreSQL also the column search_vector (tsvector, GIN), outside the model.
    search_title = models.TextField(_("title as searched"), blank=True, default="", editable=False)
    search_names = models.TextField(
        _("authors and publisher as searched"), blank=True, default="", editable=False
    )

    class Meta:
        ordering = ["ndl_id"]
        indexes = [
            # The review queue: the few materials staff must look at.
            models.Index(
                fields=["ndl_id"],
                name="catalogue_material_review",
                condition=~models.Q(review_reasons=[]),
            ),
        ]
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

    @property
    def lending_site(self) -> Site:
        """The site that lends the item, for code about a requested or lent one.

        A material without a site is never loanable (``rules.loanability``),
        so a loan's material has one; raises ``ValueError`` if staff have
        cleared it since.
        """
        if self.site is None:
            raise ValueError(f"Material {self.ndl_id} has no holding site.")
        return self.site
