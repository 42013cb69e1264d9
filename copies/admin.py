"""Back-office of the copy service: copy policies and the fee table, the
requests (key in, decide), each site's queue of copies to make (slip, pages
copied, dispatch with the invoice), invoices, payments and balances.

Every page calls the same services as the portal; the model pages are
read-only where a service owns the change.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms as django_forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.admin_rows import QuickRowsMixin, admin_url_for, kept_filters_url, with_list_filters
from core.errors import DomainError
from core.i18n import current_language
from core.roles import staff_site

from .forms import (
    DecideForm,
    DispatchForm,
    KeyInCopyForm,
    PagesCopiedForm,
    PaymentForm,
    RefuseForm,
    WriteOffForm,
)
from .models import (
    OPEN_INVOICE_STATUSES,
    QUEUE_STATUSES,
    CopyPolicy,
    CopyQueueItem,
    CopyRequest,
    CopyStatus,
    FeeRate,
    Invoice,
    InvoiceStatus,
    Payment,
    PostalZone,
)
from .pdf import CopyRefusalLetter, CopySlip, InvoicePdf
from .rules import copy_check
from .selectors import balances, policy_for, unpaid_cutoff
from .services.invoices import invoice_block_clear, invoice_payment_record, invoice_write_off
from .services.requests import (
    _part_of,
    copy_dispatch,
    copy_pages_record,
    copy_refusal_messages,
    copy_request_accept,
    copy_request_create,
    copy_request_refuse,
)


class CopiesMedia(QuickRowsMixin.Media):
    css = {"all": ["ndl_admin_lists.css", "copies/copies_admin.css"]}


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _page(request: HttpRequest, model_admin: admin.ModelAdmin, **context: Any) -> TemplateResponse:
    opts = model_admin.opts
    list_url = kept_filters_url(
        model_admin, request, reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    )
    return TemplateResponse(
        request,
        "copies/admin_form.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": opts,
            "list_url": list_url,
            **context,
        },
    )


@admin.register(CopyPolicy)
class CopyPolicyAdmin(admin.ModelAdmin):
    Media = CopiesMedia

    list_display = (
        "material",
        "copyright_expired",
        "forbidden",
        "residential_map",
        "method_note",
        "latest_issue",
    )
    list_select_related = ("material",)
    list_filter = ("copyright_expired", "forbidden", "residential_map")
    search_fields = ("=material__ndl_id", "material__title")
    raw_id_fields = ("material",)


@admin.register(FeeRate)
class FeeRateAdmin(admin.ModelAdmin):
    Media = CopiesMedia

    list_display = (
        "kind",
        "paper_size",
        "colour",
        "zone",
        "up_to_grams",
        "amount",
        "effective_from",
        "note",
    )
    list_filter = ("kind", "paper_size", "colour", "zone")
    date_hierarchy = "effective_from"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A line in force has priced quotes and invoices: it is not changed
        # but replaced by a new line from a later date.
        if obj is not None and obj.effective_from <= timezone.localdate():
            return [f.name for f in FeeRate._meta.fields if f.name not in ("id", "note")]
        return ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.effective_from <= timezone.localdate():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(PostalZone)
class PostalZoneAdmin(admin.ModelAdmin):
    Media = CopiesMedia

    list_display = ("country", "zone")
    list_filter = ("zone",)


_decide_url = admin_url_for("admin:copies_copyrequest_decide")
_letter_url = admin_url_for("admin:copies_copyrequest_letter")


class CopyColumnsMixin:
    """The part and holding-site columns shared by the request and queue lists."""

    @admin.display(description=gettext_lazy("pages"))
    def pages(self, obj: CopyRequest) -> str:
        return obj.pages_label

    @admin.display(description=gettext_lazy("holding site"))
    def site(self, obj: CopyRequest) -> str:
        return obj.material.site.local_name if obj.material.site else "-"


@admin.register(CopyRequest)
class CopyRequestAdmin(CopyColumnsMixin, QuickRowsMixin, admin.ModelAdmin):
    Media = CopiesMedia

    list_display = (
        "id",
        "decide",
        "library",
        "ndl_id",
        "title",
        "pages",
        "site",
        "status",
        "channel",
        "requested_at",
    )
    list_select_related = ("library", "material", "material__site")
    list_filter = ("status", "channel", "material__site", "staff_check_extent")
    search_fields = ("=library__user_id", "library__name", "=material__ndl_id", "material__title")
    date_hierarchy = "requested_at"
    list_per_page = 50
    show_full_result_count = False
    actions = ("accept_selected",)
    exclude = ("refuse_codes", "refuse_details")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made through copy_request_create (portal or key-in)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return False  # changes through the services only
        return super().has_change_permission(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [
            "refuse_reasons" if f.name == "refuse_note" else f.name
            for f in CopyRequest._meta.fields
            if f.name not in ("refuse_codes", "refuse_details")
        ]

    def get_list_display(self, request: HttpRequest) -> Any:
        # The decision links are for staff who decide.
        shown = super().get_list_display(request)
        if not self.has_change_permission(request):
            shown = [name for name in shown if name != "decide"]
        return shown

    @admin.display(description=gettext_lazy("reasons not copied"))
    def refuse_reasons(self, obj: CopyRequest) -> str:
        reasons = copy_refusal_messages(request=obj, language=current_language())
        return format_html_join("", "<p>{}</p>", ((r,) for r in reasons)) or "-"

    @admin.display(description=gettext_lazy("NDL ID"), ordering="material__ndl_id")
    def ndl_id(self, obj: CopyRequest) -> str:
        return obj.material.ndl_id

    @admin.display(description=gettext_lazy("title"))
    def title(self, obj: CopyRequest) -> str:
        return obj.material.title

    @admin.display(description=gettext_lazy("decision"))
    def decide(self, obj: CopyRequest) -> str:
        if obj.status == CopyStatus.REQUESTED:
            return format_html(
                '<a href="{}">{}</a>', with_list_filters(_decide_url(obj.pk)), _("Decide")
            )
        if obj.status == CopyStatus.REFUSED:
            return format_html(
                '<a href="{}">{}</a>', _letter_url(obj.pk), _("Refusal letter (PDF)")
            )
        return ""

    @admin.action(
        description=gettext_lazy("Accept the selected copy requests"), permissions=["change"]
    )
    def accept_selected(self, request: HttpRequest, queryset: QuerySet[CopyRequest]) -> None:
        accepted = 0
        for copy in queryset.order_by("pk"):
            try:
                copy_request_accept(request=copy, actor=request.user)  # type: ignore[arg-type]
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                accepted += 1
        if accepted:
            self.message_user(
                request,
                ngettext("%(n)s copy request accepted.", "%(n)s copy requests accepted.", accepted)
                % {"n": accepted},
                messages.SUCCESS,
            )

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("key-in/", wrap(self.key_in_view), name="copies_copyrequest_key_in"),
            path("<int:pk>/decide/", wrap(self.decide_view), name="copies_copyrequest_decide"),
            path("<int:pk>/letter/", wrap(self.letter_view), name="copies_copyrequest_letter"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        context = {"can_key_in": self.has_change_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def _check_change(self, request: HttpRequest) -> None:
        if not self.has_change_permission(request):
            raise PermissionDenied

    def _get(self, pk: int) -> CopyRequest:
        copy = (
            CopyRequest.objects.select_related("library", "material", "material__site")
            .filter(pk=pk)
            .first()
        )
        if copy is None:
            raise Http404
        return copy

    def key_in_view(self, request: HttpRequest) -> HttpResponse:
        """A copy request on the designated form that came by fax or post."""
        self._check_change(request)
        form = KeyInCopyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                copy = copy_request_create(
                    library=data["user_id"],
                    material=data["ndl_id"],
                    part=form.part(copies=data["copies"]),
                    paper_size=data["paper_size"],
                    colour=data["colour"],
                    channel=data["channel"],
                    actor=request.user,  # type: ignore[arg-type]
                    article_author=data["article_author"],
                    note=data["note"],
                    on_designated_form=data["on_designated_form"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if copy.status == CopyStatus.REFUSED:
                    self.message_user(
                        request,
                        _(
                            "Copy request %(id)s recorded as not copied: the library is told "
                            "every reason by email; print the letter if it prefers post."
                        )
                        % {"id": str(copy)},
                        messages.WARNING,
                    )
                else:
                    self.message_user(
                        request,
                        _("Copy request %(id)s recorded.") % {"id": str(copy)},
                        messages.SUCCESS,
                    )
                return self.list_back(request)
        return _page(
            request,
            self,
            title=_("Key in a copy request received by fax or post"),
            intro=_(
                "Only requests on the NDL's designated request form are accepted. A form "
                "that breaks the copying rules is recorded as not copied, and the library "
                "is told every reason."
            ),
            forms=[{"form": form, "name": "save", "label": _("Record the copy request")}],
        )

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._check_change(request)
        copy = self._get(pk)
        decide = DecideForm(request.POST if "accept" in request.POST else None)
        refuse = RefuseForm(request.POST if "refuse" in request.POST else None)
        if request.method == "POST":
            try:
                if "accept" in request.POST and decide.is_valid():
                    copy_request_accept(
                        request=copy,
                        actor=request.user,  # type: ignore[arg-type]
                        extent=decide.cleaned_data["extent"],
                    )
                    self.message_user(
                        request,
                        _("Copy request %(id)s accepted: it is in its site's copy queue.")
                        % {"id": str(copy)},
                        messages.SUCCESS,
                    )
                    return self.list_back(request)
                if "refuse" in request.POST and refuse.is_valid():
                    copy_request_refuse(
                        request=copy,
                        actor=request.user,  # type: ignore[arg-type]
                        codes=refuse.cleaned_data["codes"],
                        note=refuse.cleaned_data["note"],
                    )
                    self.message_user(
                        request,
                        _("Copy request %(id)s refused; the library is told by email.")
                        % {"id": str(copy)},
                        messages.SUCCESS,
                    )
                    if copy.library.prefers_post:
                        return HttpResponseRedirect(
                            reverse("admin:copies_copyrequest_letter", args=[pk])
                        )
                    return self.list_back(request)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        language = current_language()
        check = copy_check(
            material=copy.material,
            policy=policy_for(material_id=copy.material_id),
            part=_part_of(copy),
        )
        if not refuse.is_bound:
            refuse = RefuseForm(initial={"codes": check.codes})
        forms: list[dict[str, Any]] = []
        if copy.status == CopyStatus.REQUESTED:
            forms.append(
                {
                    "form": decide,
                    "name": "accept",
                    "label": _("Accept: make this copy"),
                    "heading": _("Copy"),
                }
            )
        forms.append(
            {
                "form": refuse,
                "name": "refuse",
                "label": _("Refuse and tell the library"),
                "heading": _("Not copied"),
            }
        )
        return _page(
            request,
            self,
            title=_("Decide copy request %(id)s") % {"id": str(copy)},
            facts=_facts(copy),
            reasons=[r.message(language) for r in check.refusals],
            notes=[n.message(language) for n in check.notes],
            forms=forms,
        )

    def letter_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        copy = self._get(pk)
        if copy.status != CopyStatus.REFUSED:
            raise Http404
        return _pdf(CopyRefusalLetter(copy=copy).render(), f"copy-refusal-{copy.pk}.pdf")


def _facts(copy: CopyRequest) -> list[tuple[str, Any]]:
    material = copy.material
    part = copy.pages_label
    if copy.chapter_title:
        part += f" — {copy.chapter_title}"
    facts: list[tuple[str, Any]] = [
        (_("Material"), f"{material.ndl_id} {material.title}"),
        (_("Holding site"), material.site.local_name if material.site else "-"),
        (_("Pages in the work"), getattr(material, "page_count", None) or _("not in the record")),
        (_("Library"), f"{copy.library.user_id} {copy.library.name}"),
        (_("Pages"), part),
        (_("Copy"), f"{copy.get_paper_size_display()}, {copy.get_colour_display()}"),
        (_("Status"), copy.get_status_display()),
    ]
    if copy.volume_issue or copy.article_title:
        facts.insert(5, (_("Article"), f"{copy.volume_issue} {copy.article_title}"))
    if copy.quoted_total is not None:
        facts.append((_("Estimated fee (yen)"), copy.quoted_total))
    return facts


_slip_url = admin_url_for("admin:copies_copyqueueitem_slip")
_record_url = admin_url_for("admin:copies_copyqueueitem_record")
_dispatch_url = admin_url_for("admin:copies_copyqueueitem_dispatch")


@admin.register(CopyQueueItem)
class CopyQueueItemAdmin(CopyColumnsMixin, QuickRowsMixin, admin.ModelAdmin):
    """A site's queue: accepted copies to make, then copies made to send."""

    Media = CopiesMedia

    list_display = ("id", "work", "ndl_id", "call_number", "pages", "library", "status", "site")
    list_select_related = ("library", "material", "material__site")
    list_filter = ("status", "material__site")
    search_fields = ("=material__ndl_id", "=library__user_id")
    list_per_page = 50
    ordering = ("decided_at", "pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CopyQueueItem]:
        queryset = super().get_queryset(request).filter(status__in=QUEUE_STATUSES)
        site = staff_site(request.user)  # type: ignore[arg-type]
        if site is not None:
            queryset = queryset.filter(material__site=site)
        return queryset

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in CopyRequest._meta.fields]

    @admin.display(description=gettext_lazy("NDL ID"))
    def ndl_id(self, obj: CopyQueueItem) -> str:
        return obj.material.ndl_id

    @admin.display(description=gettext_lazy("call number"))
    def call_number(self, obj: CopyQueueItem) -> str:
        return obj.material.call_number

    def get_list_display(self, request: HttpRequest) -> Any:
        # Staff who only read the queue get the slip, not the pages and dispatch pages.
        shown = super().get_list_display(request)
        if not self.has_change_permission(request):
            shown = ["slip_link" if name == "work" else name for name in shown]
        return shown

    @admin.display(description=gettext_lazy("work"))
    def slip_link(self, obj: CopyQueueItem) -> str:
        return format_html('<a href="{}">{}</a>', _slip_url(obj.pk), _("Copy slip (PDF)"))

    @admin.display(description=gettext_lazy("work"))
    def work(self, obj: CopyQueueItem) -> str:
        links = [(_slip_url(obj.pk), _("Copy slip (PDF)"))]
        links.append((with_list_filters(_record_url(obj.pk)), _("Pages copied")))
        if obj.status == CopyStatus.COPIED:
            links.append((with_list_filters(_dispatch_url(obj.pk)), _("Send with invoice")))
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/slip/", wrap(self.slip_view), name="copies_copyqueueitem_slip"),
            path("<int:pk>/record/", wrap(self.record_view), name="copies_copyqueueitem_record"),
            path(
                "<int:pk>/dispatch/", wrap(self.dispatch_view), name="copies_copyqueueitem_dispatch"
            ),
            *super().get_urls(),
        ]

    def _get(self, request: HttpRequest, pk: int) -> CopyQueueItem:
        item = self.get_queryset(request).filter(pk=pk).first()
        if item is None:
            raise Http404
        return item

    def slip_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        item = self._get(request, pk)
        return _pdf(CopySlip(copy=item).render(), f"copy-slip-{item.pk}.pdf")

    def record_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        item = self._get(request, pk)
        form = PagesCopiedForm(
            request.POST or None,
            initial={"pages": item.pages_copied or item.pages_asked},
        )
        if request.method == "POST" and form.is_valid():
            try:
                copy_pages_record(
                    request=item,
                    actor=request.user,  # type: ignore[arg-type]
                    pages=form.cleaned_data["pages"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    _("Pages copied recorded for %(id)s.") % {"id": str(item)},
                    messages.SUCCESS,
                )
                return self.list_back(request)
        return _page(
            request,
            self,
            title=_("Pages copied for %(id)s") % {"id": str(item)},
            facts=_facts(item),
            intro=_("The invoice bills the pages actually copied."),
            forms=[{"form": form, "name": "save", "label": _("Record")}],
        )

    def dispatch_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        item = self._get(request, pk)
        form = DispatchForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                invoice = copy_dispatch(
                    request=item,
                    actor=request.user,  # type: ignore[arg-type]
                    sent_on=form.cleaned_data["sent_on"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    _(
                        "Invoice %(number)s issued (%(total)s yen): print it and put it in "
                        "the envelope with the copies."
                    )
                    % {"number": invoice.number, "total": invoice.total},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:copies_invoice_pdf", args=[invoice.pk]))
        return _page(
            request,
            self,
            title=_("Send %(id)s by post with its invoice") % {"id": str(item)},
            facts=[*_facts(item), (_("Pages copied"), item.pages_copied)],
            forms=[{"form": form, "name": "save", "label": _("Issue the invoice and send")}],
        )


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = ("received_on", "amount", "method", "reference", "recorded_by", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class UnpaidPastLimitFilter(admin.SimpleListFilter):
    title = gettext_lazy("payment")
    parameter_name = "unpaid"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("past_limit", gettext_lazy("unpaid past the limit"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
        if self.value() == "past_limit":
            return queryset.filter(
                status__in=OPEN_INVOICE_STATUSES,
                issued_on__lt=unpaid_cutoff(today=timezone.localdate()),
            )
        return queryset


_payment_url = admin_url_for("admin:copies_invoice_payment")
_invoice_pdf_url = admin_url_for("admin:copies_invoice_pdf")


@admin.register(Invoice)
class InvoiceAdmin(QuickRowsMixin, admin.ModelAdmin):
    Media = CopiesMedia

    list_display = (
        "number",
        "work",
        "library",
        "issued_on",
        "total",
        "paid_amount",
        "status",
        "unpaid_flagged_on",
        "block_cleared_at",
    )
    list_select_related = ("library",)
    list_filter = (UnpaidPastLimitFilter, "status", "library")
    search_fields = ("=number", "=library__user_id", "library__name")
    date_hierarchy = "issued_on"
    inlines = (PaymentInline,)
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Invoice._meta.fields]

    def get_list_display(self, request: HttpRequest) -> Any:
        # Staff who only read invoices get the PDF, not the payment page.
        shown = super().get_list_display(request)
        if not self.has_change_permission(request):
            shown = ["pdf_link" if name == "work" else name for name in shown]
        return shown

    @admin.display(description=gettext_lazy("work"))
    def pdf_link(self, obj: Invoice) -> str:
        return format_html('<a href="{}">{}</a>', _invoice_pdf_url(obj.pk), _("PDF"))

    @admin.display(description=gettext_lazy("work"))
    def work(self, obj: Invoice) -> str:
        links = [(_invoice_pdf_url(obj.pk), _("PDF"))]
        if obj.status in OPEN_INVOICE_STATUSES:
            links.append((with_list_filters(_payment_url(obj.pk)), _("Payment")))
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("balances/", wrap(self.balances_view), name="copies_invoice_balances"),
            path("<int:pk>/pdf/", wrap(self.pdf_view), name="copies_invoice_pdf"),
            path("<int:pk>/payment/", wrap(self.payment_view), name="copies_invoice_payment"),
            *super().get_urls(),
        ]

    def _get(self, pk: int) -> Invoice:
        invoice = (
            Invoice.objects.select_related("library", "copy_request", "copy_request__material")
            .filter(pk=pk)
            .first()
        )
        if invoice is None:
            raise Http404
        return invoice

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        invoice = self._get(pk)
        return _pdf(InvoicePdf(invoice=invoice).render(), f"invoice-{invoice.number}.pdf")

    def balances_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = balances()
        return TemplateResponse(
            request,
            "copies/admin_balances.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("What each library owes"),
                "balances": rows,
                "total": sum((b.owed for b in rows), Decimal("0")),
            },
        )

    def payment_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        invoice = self._get(pk)
        pay = PaymentForm(
            request.POST if "pay" in request.POST else None,
            initial={"amount": invoice.balance},
        )
        write_off = WriteOffForm(request.POST if "write_off" in request.POST else None)
        actor = request.user
        if request.method == "POST":
            try:
                if "pay" in request.POST and pay.is_valid():
                    invoice_payment_record(
                        invoice=invoice,
                        actor=actor,  # type: ignore[arg-type]
                        **pay.cleaned_data,
                    )
                    self.message_user(request, _("Payment recorded."), messages.SUCCESS)
                    return self.list_back(request)
                if "write_off" in request.POST and write_off.is_valid():
                    invoice_write_off(
                        invoice=invoice,
                        actor=actor,  # type: ignore[arg-type]
                        note=write_off.cleaned_data["note"],
                    )
                    self.message_user(request, _("Invoice written off."), messages.SUCCESS)
                    return self.list_back(request)
                if "clear" in request.POST:
                    invoice_block_clear(invoice=invoice, actor=actor)  # type: ignore[arg-type]
                    self.message_user(
                        request,
                        _("The library may ask for copies again."),
                        messages.SUCCESS,
                    )
                    return self.list_back(request)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        forms: list[dict[str, Any]] = []
        if invoice.status in OPEN_INVOICE_STATUSES:
            forms = [
                {
                    "form": pay,
                    "name": "pay",
                    "label": _("Record the payment"),
                    "heading": _("Payment received"),
                },
                {
                    "form": write_off,
                    "name": "write_off",
                    "label": _("Write off what is owed"),
                    "heading": _("Write off"),
                },
            ]
            if invoice.block_cleared_at is None:
                forms.append(
                    {
                        "form": django_forms.Form(),
                        "name": "clear",
                        "label": _("Allow new copy requests although unpaid"),
                        "heading": _("New copy requests"),
                    }
                )
        facts: list[tuple[str, Any]] = [
            (_("Library"), f"{invoice.library.user_id} {invoice.library.name}"),
            (_("Issued on"), invoice.issued_on),
            (_("Total (yen)"), invoice.total),
            (_("Paid (yen)"), invoice.paid_amount),
            (_("Still owed (yen)"), invoice.balance),
            (_("Status"), InvoiceStatus(invoice.status).label),
        ]
        return _page(
            request,
            self,
            title=_("Invoice %(number)s") % {"number": invoice.number},
            facts=facts,
            forms=forms,
        )


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    Media = CopiesMedia

    list_display = ("invoice", "amount", "received_on", "method", "reference", "recorded_by")
    list_select_related = ("invoice", "recorded_by")
    list_filter = ("method",)
    search_fields = ("=invoice__number", "reference")
    date_hierarchy = "received_on"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
