"""ISO 18626 in the back-office: peers (the security code is shown once), each
request with its protocol log, and the messages (staff can resend ours)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.models import User

from .models import IsoMessage, IsoTransaction, PeerAgency, SchemaVersion, TransactionState
from .services import (
    iso_message_resend,
    peer_code_rotate,
    peer_setup,
    transaction_identify,
    transaction_not_held,
)


def _code_shown(
    model_admin: admin.ModelAdmin[Any], request: HttpRequest, issued: list[tuple[PeerAgency, str]]
) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("New ISO 18626 security code"),
        "issued": issued,
        "opts": PeerAgency._meta,
    }
    return TemplateResponse(request, "admin/iso18626/code_issued.html", context)


class PeerAgencyForm(forms.ModelForm):
    endpoint_url = forms.URLField(
        label=_("peer endpoint URL"), max_length=300, assume_scheme="https"
    )

    class Meta:
        model = PeerAgency
        fields = ("library", "isil", "endpoint_url", "schema_version")


@admin.register(PeerAgency)
class PeerAgencyAdmin(admin.ModelAdmin):
    form = PeerAgencyForm
    list_display = (
        "isil",
        "library",
        "endpoint_url",
        "schema_version",
        "code_set_at",
        "locked_until",
    )
    list_select_related = ("library",)
    search_fields = ("isil", "library__name", "library__user_id")
    raw_id_fields = ("library",)
    readonly_fields = ("code_set_at", "failed_attempts", "locked_until")
    actions = ("issue_code",)

    def get_readonly_fields(self, request: HttpRequest, obj: PeerAgency | None = None) -> Any:
        if obj is not None:
            return ("library", *self.readonly_fields)
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: PeerAgency, form: Any, change: bool) -> None:
        """The same service as ``manage.py iso18626_peer``; a new code each time."""
        library = obj.library
        peer, code = peer_setup(
            library=library,
            isil=obj.isil,
            endpoint_url=obj.endpoint_url,
            schema_version=obj.schema_version or SchemaVersion.V1_2,
            actor=request.user if isinstance(request.user, User) else None,
        )
        obj.pk = peer.pk
        request._iso18626_issued = [(peer, code)]  # type: ignore[attr-defined]

    def _issued_response(self, request: HttpRequest) -> HttpResponse | None:
        issued = getattr(request, "_iso18626_issued", None)
        return _code_shown(self, request, issued) if issued else None

    def response_add(
        self, request: HttpRequest, obj: PeerAgency, post_url_continue: Any = None
    ) -> HttpResponse:
        return self._issued_response(request) or super().response_add(
            request, obj, post_url_continue
        )

    def response_change(self, request: HttpRequest, obj: PeerAgency) -> HttpResponse:
        return self._issued_response(request) or super().response_change(request, obj)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=_("Issue a new security code (shown once)"), permissions=["change"])
    def issue_code(self, request: HttpRequest, queryset: QuerySet[PeerAgency]) -> TemplateResponse:
        actor = request.user if isinstance(request.user, User) else None
        issued = [
            (peer, peer_code_rotate(peer=peer, actor=actor)) for peer in queryset.order_by("pk")
        ]
        return _code_shown(self, request, issued)


class MessageInline(admin.TabularInline):
    model = IsoMessage
    fields = (
        "created_at",
        "direction",
        "summary",
        "status",
        "result",
        "attempts",
        "body",
        "response",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IdentifyForm(forms.Form):
    ndl_id = forms.CharField(label=_("NDL ID of the item"), max_length=40, required=False)


@admin.register(IsoTransaction)
class IsoTransactionAdmin(admin.ModelAdmin):
    list_display = (
        "requesting_request_id", "peer", "state", "loan", "copy", "service_type", "created_at",
    )  # fmt: skip
    list_select_related = ("peer", "loan", "loan__material", "copy")
    list_filter = ("state", "service_type")
    search_fields = ("requesting_request_id", "peer__isil")
    readonly_fields = (
        "peer", "requesting_request_id", "loan", "copy", "state", "service_type", "bibliographic",
        "version", "created_at",
    )  # fmt: skip
    inlines = (MessageInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.identify_view)
        return [
            path("<int:pk>/identify/", view, name="iso18626_isotransaction_identify"),
            *super().get_urls(),
        ]

    def identify_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Staff name the material a held request asks for, or say the NDL does not hold it."""
        if not self.has_change_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        tx = get_object_or_404(IsoTransaction, pk=pk)
        form = IdentifyForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and tx.state == TransactionState.IDENTIFY:
            actor = request.user if isinstance(request.user, User) else None
            try:
                if "not_held" in request.POST:
                    transaction_not_held(transaction_id=tx.pk, actor=actor)  # type: ignore[arg-type]
                elif form.cleaned_data["ndl_id"]:
                    transaction_identify(
                        transaction_id=tx.pk,
                        ndl_id=form.cleaned_data["ndl_id"],
                        actor=actor,  # type: ignore[arg-type]
                    )
                else:
                    raise DomainError(str(_("Enter the NDL ID of the item.")))
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, _("The request was answered."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:iso18626_isotransaction_change", args=[tx.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Identify the item"),
            "tx": tx,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/iso18626/identify.html", context)


@admin.register(IsoMessage)
class IsoMessageAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "created_at",
        "transaction",
        "direction",
        "summary",
        "status",
        "result",
        "attempts",
    )
    list_select_related = ("transaction", "transaction__peer")
    list_filter = ("direction", "status", "kind")
    search_fields = ("summary", "transaction__requesting_request_id", "transaction__peer__isil")
    readonly_fields = (
        "transaction", "direction", "kind", "summary", "status", "result", "attempts",
        "http_status", "last_error", "next_attempt_at", "sent_at", "created_at", "created_by",
        "body", "response",
    )  # fmt: skip
    fields = readonly_fields
    actions = ("resend",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Send the chosen messages again"), permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[IsoMessage]) -> None:
        sent = 0
        for message in queryset.order_by("pk"):
            try:
                iso_message_resend(message_id=message.pk, actor=request.user)  # type: ignore[arg-type]
            except DomainError as exc:
                self.message_user(request, f"#{message.pk}: {exc.message}", messages.ERROR)
            else:
                sent += 1
        if sent:
            self.message_user(
                request, _("%(count)d message(s) queued again.") % {"count": sent}, messages.SUCCESS
            )
