"""Copy requests: preview (rules and quote), create (every channel), cancel,
accept, refuse, record the pages copied, dispatch with the invoice.

Every state change locks the request, checks the move against
``COPY_MOVES``, writes an audit entry and queues its email in the same
transaction (the outbox sends it after commit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalogue.models import Material
from core.audit import audit_log
from core.emails import RenderedMail, mail_queue, mail_render
from core.errors import DomainError
from core.i18n import current_language
from core.models import User
from core.roles import staff_site_require
from registration.models import Library, LibraryStatus

from ..fees import Quote, fee_quote
from ..models import (
    COPY_MOVES,
    CopyAction,
    CopyChannel,
    CopyRequest,
    CopyStatus,
    Invoice,
)
from ..rules import REFUSE_CODES, CopyCheck, Part, Reason, Refusal, copy_check, refusal_messages
from ..selectors import library_blocked_by_invoices, payment_days, policy_for
from ..signals import copy_moved


def copies_today() -> dt.date:
    """The calendar day in Japan (settings.TIME_ZONE): quotes and invoices use it."""
    return timezone.localdate()


@dataclass
class Preview:
    """What the library sees before it confirms: every refusal, the notes,
    and the estimated fee (None when refused or the fee table lacks a line)."""

    check: CopyCheck
    quote: Quote | None = None
    fee_problem: str = ""
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.check.ok and self.quote is not None


def copy_request_preview(
    *,
    library: Library,
    material: Material,
    part: Part,
    paper_size: str,
    colour: str,
    today: dt.date | None = None,
    language: str | None = None,
) -> Preview:
    """Check ``part`` of ``material`` against every rule and quote its fee on
    ``today`` (Japan). Writes nothing; never raises for a rule broken."""
    today = today or copies_today()
    language = language or current_language()
    check = copy_check(material=material, policy=policy_for(material_id=material.pk), part=part)
    if library_blocked_by_invoices(library=library, today=today):
        check.refusals.append(Refusal(Reason.UNPAID_INVOICES, str(payment_days())))
    preview = Preview(check=check)
    if check.ok and part.page_count is not None:
        try:
            preview.quote = fee_quote(
                pages=part.page_count,
                paper_size=paper_size,
                colour=colour,
                country=str(library.country.code if library.country else ""),
                on=today,
            )
        except DomainError as exc:
            preview.fee_problem = exc.message
    preview.messages = [r.message(language) for r in check.refusals]
    return preview


def _library_can_request(library: Library) -> None:
    if not library.can_request:
        raise DomainError(
            _(
                "Your library's registration is %(status)s, so it cannot request copies. "
                "Please contact the ILL Section of the Kansai-kan."
            )
            % {"status": LibraryStatus(library.status).label},
            code="library_cannot_request",
        )


def copy_request_create(
    *,
    library: Library,
    material: Material,
    part: Part,
    paper_size: str,
    colour: str,
    channel: str,
    actor: User | None,
    article_author: str = "",
    note: str = "",
    expected_total: Decimal | None = None,
    on_designated_form: bool = False,
    today: dt.date | None = None,
) -> CopyRequest:
    """Record one copy request for ``library``.

    Portal: every rule must hold and the fee must be quotable, or
    ``DomainError`` lists every reason and nothing is written; with
    ``expected_total`` (the quote the library confirmed), a fee table that
    changed meanwhile is refused too. Fax or post (designated form only):
    a form that breaks the rules is recorded as refused with every reason,
    and the library is told by email (or letter) like any refusal.
    The library row is locked while its unpaid invoices are checked.
    """
    if channel not in CopyChannel.values:
        raise DomainError(_("Unknown request channel."), code="channel")
    if channel != CopyChannel.PORTAL and not on_designated_form:
        raise DomainError(
            _("We cannot accept any form other than the designated request form."),
            code="not_designated_form",
        )
    today = today or copies_today()
    with transaction.atomic():
        locked = Library.objects.select_for_update().get(pk=library.pk)
        _library_can_request(locked)
        preview = copy_request_preview(
            library=locked,
            material=material,
            part=part,
            paper_size=paper_size,
            colour=colour,
            today=today,
        )
        keyed_in = channel != CopyChannel.PORTAL
        if not preview.check.ok and not keyed_in:
            raise DomainError(
                _("This copy cannot be made: %(reasons)s")
                % {"reasons": " ".join(preview.messages)},
                code="not_copiable",
            )
        if preview.check.ok and preview.quote is None:
            raise DomainError(preview.fee_problem, code="no_fee")
        if (
            preview.quote is not None
            and expected_total is not None
            and preview.quote.total != expected_total
        ):
            raise DomainError(
                _(
                    "The fee changed since you saw the estimate (now %(total)s yen). "
                    "Please look at the new estimate and confirm again."
                )
                % {"total": preview.quote.total},
                code="quote_changed",
            )
        request = CopyRequest.objects.create(
            library=locked,
            material=material,
            channel=channel,
            pages_from=part.pages_from,
            pages_to=part.pages_to,
            chapter_title=part.chapter_title.strip(),
            volume_issue=part.volume_issue.strip(),
            article_title=part.article_title.strip(),
            article_author=article_author.strip(),
            paper_size=paper_size,
            colour=colour,
            copies=part.copies,
            research_declared=part.research_declared,
            note=note.strip(),
            quoted_total=preview.quote.total if preview.quote else None,
            quoted_on=today if preview.quote else None,
            staff_check_extent=preview.check.staff_check_extent,
            requested_by=actor if actor is not None and actor.pk else None,
            status=CopyStatus.REQUESTED if preview.check.ok else CopyStatus.REFUSED,
            refuse_codes=preview.check.codes,
            refuse_details={r.code: r.detail for r in preview.check.refusals},
            decided_at=None if preview.check.ok else timezone.now(),
            decided_by=None if preview.check.ok or actor is None or not actor.pk else actor,
        )
        audit_log(
            actor=actor,
            action="copies.copy_request.create",
            obj=request,
            data={
                "library": locked.user_id,
                "ndl_id": material.ndl_id,
                "channel": channel,
                "pages": [part.pages_from, part.pages_to],
                "quoted_total": str(request.quoted_total) if request.quoted_total else None,
                "status": request.status,
                "codes": request.refuse_codes,
            },
        )
        if request.status == CopyStatus.REFUSED:
            _refusal_notify(request=request, library=locked, material=material)
    return request


def _lock(request: CopyRequest) -> CopyRequest:
    return (
        CopyRequest.objects.select_for_update(of=("self",))
        .select_related("material", "library")
        .get(pk=request.pk)
    )


def copy_transition(
    *,
    request: CopyRequest,
    action: CopyAction,
    actor: User | None,
    update_fields: Sequence[str] = (),
    data: dict[str, Any] | None = None,
) -> CopyRequest:
    """Move a locked ``request`` by ``action`` (``COPY_MOVES``), save and audit it,
    and send ``copies.signals.copy_moved`` in the same transaction (ISO 18626
    tells the requester).

    Raises ``DomainError(code="not_allowed")`` naming the request's status
    and the action when the table has no such move.
    """
    to = copy_move_check(request=request, action=action)
    old = request.status
    request.status = to
    request.save(update_fields=["status", *update_fields])
    audit_log(
        actor=actor,
        action=f"copies.copy_request.{action}",
        obj=request,
        data={"from": old, "to": to, **(data or {})},
    )
    copy_moved.send(sender=CopyRequest, copy=request, action=str(action), old=old, new=to)
    return request


def copy_move_check(*, request: CopyRequest, action: CopyAction) -> str:
    """The status ``action`` moves ``request`` to; DomainError if the table forbids it."""
    to = COPY_MOVES[request.status].get(action)
    if to is None:
        raise DomainError(
            _("Copy request %(id)s is “%(status)s”: you cannot %(action)s.")
            % {
                "id": str(request),
                "status": CopyStatus(request.status).label,
                "action": CopyAction(action).label,
            },
            code="not_allowed",
        )
    return to


def copy_request_cancel(*, request: CopyRequest, actor: User | None) -> CopyRequest:
    """The library withdraws a request that has not been copied yet."""
    with transaction.atomic():
        locked = _lock(request)
        locked.cancelled_at = timezone.now()
        copy_transition(
            request=locked,
            action=CopyAction.CANCEL,
            actor=actor,
            update_fields=("cancelled_at",),
        )
    return locked


def copy_request_accept(
    *, request: CopyRequest, actor: User | None, extent: int | None = None
) -> CopyRequest:
    """Staff agree to copy: the request goes to its holding site's copy queue.

    The rules are checked again (staff may have flagged the material since);
    ``extent`` is the page count staff found when the record gives none, and
    the half rule is then applied to it.
    """
    with transaction.atomic():
        locked = _lock(request)
        material = locked.material
        staff_site_require(actor=actor, site_id=material.site_id)
        check = copy_check(
            material=material,
            policy=policy_for(material_id=material.pk),
            part=_part_of(locked),
            extent=extent,
        )
        if not check.ok:
            raise DomainError(
                _(
                    "Copy request %(id)s breaks the rules (%(codes)s); refuse it with those "
                    "reasons instead."
                )
                % {"id": str(locked), "codes": ", ".join(check.codes)},
                code="not_copiable",
            )
        locked.decided_at = timezone.now()
        locked.decided_by = actor if actor is not None and actor.pk else None
        copy_transition(
            request=locked,
            action=CopyAction.ACCEPT,
            actor=actor,
            update_fields=("decided_at", "decided_by"),
            data={"extent": extent},
        )
    return locked


def _part_of(request: CopyRequest) -> Part:
    return Part(
        pages_from=request.pages_from,
        pages_to=request.pages_to,
        chapter_title=request.chapter_title,
        volume_issue=request.volume_issue,
        article_title=request.article_title,
        copies=request.copies,
        research_declared=request.research_declared,
    )


def clean_refuse_codes(*, codes: Sequence[str], note: str) -> list[str]:
    """The reasons staff gave, validated; raises DomainError if unusable."""
    chosen = list(dict.fromkeys(codes))
    if not chosen:
        raise DomainError(_("Give at least one reason for not copying."), code="no_reason")
    unknown = [c for c in chosen if c not in REFUSE_CODES]
    if unknown:
        raise DomainError(
            _("Unknown reason code: %(codes)s.") % {"codes": ", ".join(unknown)},
            code="unknown_reason",
        )
    if Reason.OTHER in chosen and not note.strip():
        raise DomainError(
            _("Explain the reason in the note when you choose “other”."), code="note_required"
        )
    return chosen


def _details_for(request: CopyRequest, codes: Sequence[str]) -> dict[str, str]:
    """The details the messages of staff-chosen codes need, from the request."""
    material = request.material
    check = copy_check(
        material=material, policy=policy_for(material_id=material.pk), part=_part_of(request)
    )
    found = {r.code: r.detail for r in check.refusals}
    fallback = {
        Reason.PAGES_BEYOND_EXTENT: str(getattr(material, "page_count", "") or ""),
        Reason.LATEST_ISSUE: request.volume_issue,
        Reason.UNPAID_INVOICES: str(payment_days()),
    }
    return {c: found.get(c) or fallback.get(c, "") for c in codes}


def copy_request_refuse(
    *, request: CopyRequest, actor: User | None, codes: Sequence[str], note: str = ""
) -> CopyRequest:
    """Staff cannot copy: record every reason and tell the library in its language."""
    chosen = clean_refuse_codes(codes=codes, note=note)
    # The library's email is rendered before the request is locked.
    request = CopyRequest.objects.select_related("library", "material").get(pk=request.pk)
    request.refuse_codes = chosen
    request.refuse_details = _details_for(request, chosen)
    request.refuse_note = note.strip()
    rendered = _refusal_render(request=request, library=request.library, material=request.material)
    with transaction.atomic():
        locked = _lock(request)
        staff_site_require(actor=actor, site_id=locked.material.site_id)
        locked.refuse_codes = chosen
        locked.refuse_details = request.refuse_details
        locked.refuse_note = note.strip()
        locked.decided_at = timezone.now()
        locked.decided_by = actor if actor is not None and actor.pk else None
        copy_transition(
            request=locked,
            action=CopyAction.REFUSE,
            actor=actor,
            update_fields=(
                "refuse_codes",
                "refuse_details",
                "refuse_note",
                "decided_at",
                "decided_by",
            ),
            data={"codes": chosen, "note": locked.refuse_note},
        )
        mail_queue(
            to=[locked.library.email],
            rendered=rendered,
            dedupe_key=f"copy-request-refused:{locked.pk}",
        )
    return locked


def copy_refusal_messages(*, request: CopyRequest, language: str) -> list[str]:
    """Why ``request`` was not copied, in ``language``."""
    return refusal_messages(
        codes=list(request.refuse_codes),
        details=dict(request.refuse_details),
        note=request.refuse_note,
        language=language,
    )


def _refusal_notify(*, request: CopyRequest, library: Library, material: Material) -> None:
    # A form keyed in and refused at once: the mail names the row just
    # written, so it is rendered here (``mail_queue``'s documented exception).
    mail_queue(
        to=[library.email],
        rendered=_refusal_render(request=request, library=library, material=material),
        dedupe_key=f"copy-request-refused:{request.pk}",
    )


def _refusal_render(*, request: CopyRequest, library: Library, material: Material) -> RenderedMail:
    return mail_render(
        template="copy-refused",
        context={
            "library": library,
            "copy": request,
            "material": material,
            "reasons": copy_refusal_messages(request=request, language=library.language),
            "detail_path": reverse("copies:request_detail", args=[request.pk]),
        },
        language=library.language,
    )


def copy_pages_record(*, request: CopyRequest, actor: User | None, pages: int) -> CopyRequest:
    """The site's staff made the copy: record how many pages (the invoice bills these)."""
    if pages < 1:
        raise DomainError(_("Record at least one page copied."), code="pages")
    with transaction.atomic():
        locked = _lock(request)
        staff_site_require(actor=actor, site_id=locked.material.site_id)
        locked.pages_copied = pages
        locked.copied_at = timezone.now()
        copy_transition(
            request=locked,
            action=CopyAction.RECORD_COPIED,
            actor=actor,
            update_fields=("pages_copied", "copied_at"),
            data={"pages_copied": pages},
        )
    return locked


def invoice_number(*, request: CopyRequest, issued_on: dt.date) -> str:
    """The invoice number: year of issue and the request's number, "C2026-000123"."""
    return f"C{issued_on.year}-{request.pk:06d}"


def copy_dispatch(
    *, request: CopyRequest, actor: User | None, sent_on: dt.date | None = None
) -> Invoice:
    """Send the copies by post with their invoice: the invoice is issued from
    the pages copied and the fee table in force on ``sent_on`` (Japan; default
    today), and the library is emailed a link to it."""
    sent_on = sent_on or copies_today()
    if sent_on > copies_today():
        raise DomainError(_("The sending date cannot be in the future."), code="future")
    with transaction.atomic():
        locked = _lock(request)
        library = locked.library
        staff_site_require(actor=actor, site_id=locked.material.site_id)
        copy_move_check(request=locked, action=CopyAction.DISPATCH)
        assert locked.pages_copied is not None  # noqa: S101 - COPIED has pages (constraint)  # nosec B101
        quote = fee_quote(
            pages=locked.pages_copied,
            paper_size=locked.paper_size,
            colour=locked.colour,
            country=str(library.country.code),
            on=sent_on,
        )
        locked.dispatched_on = sent_on
        copy_transition(
            request=locked,
            action=CopyAction.DISPATCH,
            actor=actor,
            update_fields=("dispatched_on",),
            data={"sent_on": sent_on.isoformat(), "total": str(quote.total)},
        )
        invoice = Invoice.objects.create(
            copy_request=locked,
            library=library,
            number=invoice_number(request=locked, issued_on=sent_on),
            issued_on=sent_on,
            pages=quote.pages,
            page_rate=quote.page_rate,
            copying_fee=quote.copying_fee,
            handling_fee=quote.handling_fee,
            postage=quote.postage,
            weight_grams=quote.weight_grams,
            zone=quote.zone,
            total=quote.total,
        )
        audit_log(
            actor=actor,
            action="copies.invoice.issue",
            obj=invoice,
            data={"copy_request": locked.pk, "total": str(invoice.total)},
        )
        mail_queue(
            to=[library.email],
            template="copy-dispatched",
            context={
                "library": library,
                "copy": locked,
                "material": locked.material,
                "invoice": invoice,
                "payment_days": payment_days(),
                "invoice_path": reverse("copies:invoice_pdf", args=[invoice.pk]),
            },
            dedupe_key=f"copy-dispatched:{locked.pk}",
            language=library.language,
        )
    return invoice
