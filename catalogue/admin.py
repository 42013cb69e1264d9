"""Admin of the catalogue: staff keep the loan rules of each material."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import admin
from django.db.models import Q
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from core.i18n import current_language
from core.identifiers import IdentifierError, fold, isbn_search_key, ndl_id_normalize

from .forms import MaterialAdminForm
from .models import Material, ReviewReason
from .rules import loanability
from .services.materials import material_save


class ReviewQueueFilter(admin.SimpleListFilter):
    """The review queue: materials an import could not map (``review_reasons``)."""

    title = _("review queue")
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Needs staff review")), ("no", _("Reviewed"))]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        # The same condition as the partial index catalogue_material_review.
        in_queue = ~Q(review_reasons=[])
        if self.value() == "yes":
            return queryset.filter(in_queue)
        if self.value() == "no":
            return queryset.exclude(in_queue)
        return queryset


_REVIEW_LABELS = dict(ReviewReason.choices)


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    form = MaterialAdminForm
    list_display = (
        "ndl_id",
        "title",
        "responsibility",
        "language",
        "acquired_on",
        "material_type",
        "site",
        "loanable",
        "to_review",
    )
    list_select_related = ("site",)
    list_filter = (
        ReviewQueueFilter,
        "site",
        "language",
        "material_type",
        "unsuitable",
        "is_digitized",
        "is_deteriorated",
        "is_rare",
        "is_collection",
        "market_available",
        "is_amusement",
        "staff_excluded",
        "source_format",
    )
    search_fields = ("=ndl_id", "title", "responsibility", "=isbn")
    readonly_fields = ("loanability_reasons", "to_review", "source_format", "updated_at")
    list_per_page = 50
    # Counting 200,000 rows for "of N total" costs more than the page itself.
    show_full_result_count = False
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "ndl_id",
                    "title",
                    "title_transcription",
                    "responsibility",
                    "author_names",
                    "author_transcriptions",
                    "publisher",
                    "date_issued",
                    "year",
                    "extent",
                    "page_count",
                    "isbn",
                    "issn",
                    "jp_number",
                    "periodicity",
                    "language_code",
                    "call_number",
                    "digitized_url",
                    "source_format",
                    "site",
                )
            },
        ),
        (
            _("Loan rules"),
            {
                "fields": (
                    "loanability_reasons",
                    "to_review",
                    "language",
                    "acquired_on",
                    "material_type",
                    "unsuitable",
                    "is_digitized",
                    "is_deteriorated",
                    "is_rare",
                    "is_collection",
                    "market_available",
                    "is_amusement",
                    "staff_excluded",
                    "staff_note",
                )
            },
        ),
        (None, {"fields": ("updated_at",)}),
    )

    @admin.display(boolean=True, description=_("loanable"))
    def loanable(self, obj: Material) -> bool:
        return not loanability(obj)

    @admin.display(description=_("why staff must review"))
    def to_review(self, obj: Material) -> str:
        """The import's reasons, in the staff member's language ("" when none)."""
        return ", ".join(str(_REVIEW_LABELS.get(code, code)) for code in obj.review_reasons or [])

    @admin.display(description=_("why not loanable"))
    def loanability_reasons(self, obj: Material) -> str:
        if obj.pk is None:
            return "—"
        refusals = loanability(obj)
        if not refusals:
            return str(_("Loanable."))
        language = current_language()
        return format_html_join(
            "",
            "<div><code>{}</code> {}</div>",
            ((r.code, r.message(language)) for r in refusals),
        )

    def save_model(
        self, request: HttpRequest, obj: Material, form: ModelForm, change: bool
    ) -> None:
        material_save(
            material=obj,
            actor=request.user,  # type: ignore[arg-type]
            changed=list(form.changed_data),
        )

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        """Words as Django's admin searches them, plus the identifiers in any form.

        An ISBN typed as ISBN-10 or ISBN-13, full-width or with any dash, and an
        NDL ID in any case find their material (``core.identifiers``).
        """
        term = fold(search_term).strip()
        results, may_have_duplicates = super().get_search_results(request, queryset, term)
        if not term:
            return results, may_have_duplicates
        identifiers = Q(isbn=isbn_search_key(term))
        with contextlib.suppress(IdentifierError):
            identifiers |= Q(ndl_id=ndl_id_normalize(term))
        return results | queryset.filter(identifiers), may_have_duplicates
