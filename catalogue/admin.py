"""Admin of the catalogue: staff keep the loan rules of each material."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from core.i18n import current_language

from .forms import MaterialAdminForm
from .models import Material, ReviewReason
from .rules import loanability
from .selectors_search import material_search
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
        "availability",
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
    # Searched by get_search_results (the portal's search); listed for the search box.
    search_fields = ("title",)
    search_help_text = _(
        "Title or its reading, author, publisher, ISBN, ISSN, JP number or NDL ID, in any script."
    )
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Material]:
        # Availability is the loans app's fact; it comes with each row of the
        # list in the list's one query.
        from loans.selectors import with_availability

        return with_availability(super().get_queryset(request))

    @admin.display(description=_("availability"))
    def availability(self, obj: Material) -> str:
        if getattr(obj, "is_unavailable", False):
            return str(_("Requested or on loan now"))
        return str(_("Available"))

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        """The portal's one search (``catalogue.selectors_search``): identifiers in
        any form, then title and reading, then authors and publisher, in that order
        unless staff sort by a column."""
        if not search_term.strip():
            return queryset, False
        hits = material_search(query=search_term)
        if not hits.ids:
            return queryset.none(), False
        rank = Case(
            *(When(pk=pk, then=Value(n)) for n, pk in enumerate(hits.ids)),
            output_field=IntegerField(),
        )
        results = queryset.filter(pk__in=hits.ids).annotate(search_rank=rank)
        if ORDER_VAR not in request.GET:
            # The changelist sorts before it searches (Django 5.2): the rank replaces it.
            results = results.order_by("search_rank", "-pk")
        return results, False
