"""Loan requests: create (every channel, under the ten-item cap), cancel, decide."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, OperationalError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalogue.models import Material
from catalogue.rules import REJECT_CODES, Reason, loanability, rejection_messages
from conversations.services import ndl_message_record
from core.audit import audit_log
from core.emails import mail_queue, mail_render
from core.errors import DomainError
from core.i18n import current_language
from core.models import User
from core.resilience import is_concurrent_conflict
from registration.models import Library, LibraryStatus

from ..models import (
    ACTIVE_STATUSES,
    CAP_COUNTING_STATUSES,
    LOAN_CAP,
    LoanAction,
    LoanRequest,
    LoanStatus,
    RequestChannel,
)
from .transitions import loan_transition, move_check


def _unavailable_message(material: Material, holder: LoanRequest, library: Library) -> str:
    if holder.library_id == library.pk:
        return _("Your library has already requested %(ndl_id)s (request #%(id)s).") % {
            "ndl_id": material.ndl_id,
            "id": holder.pk,
        }
    return _(
        "%(ndl_id)s is already requested or out on loan; you can request it once it is "
        "back at the NDL."
    ) % {"ndl_id": material.ndl_id}


def cap_message(*, count: int, wanted: int) -> str:
    left = max(LOAN_CAP - count, 0)
    head = ngettext(
        "You asked for %(wanted)s item, but the NDL lends at most %(cap)s items to a library "
        "at any time, including items it already holds.",
        "You asked for %(wanted)s items, but the NDL lends at most %(cap)s items to a library "
        "at any time, including items it already holds.",
        wanted,
    ) % {"wanted": wanted, "cap": LOAN_CAP}
    tail = _(
        "Your library already has %(count)s of %(cap)s items; you can request at most "
        "%(left)s more."
    ) % {"count": count, "cap": LOAN_CAP, "left": left}
    return f"{head} {tail}"


def loan_request_create(
    *,
    library: Library,
    ndl_ids: Sequence[str],
    channel: str,
    actor: User | None,
    on_designated_form: bool = False,
) -> list[LoanRequest]:
    """Request one or several items for ``library``: all of them, or none.

    The one way requests are made, whatever the channel. The library row is
    locked while its items are counted, so two requests at the same moment
    (two tabs, portal and fax) cannot together exceed the ten-item cap.
    """
    if channel not in RequestChannel.values:
        raise DomainError(_("Unknown request channel."), code="channel")
    if channel != RequestChannel.PORTAL and not on_designated_form:
        raise DomainError(
            _("We cannot accept any form other than the designated request form."),
            code="not_designated_form",
        )
    wanted = list(dict.fromkeys(i.strip() for i in ndl_ids if i and i.strip()))
    if not wanted:
        raise DomainError(_("Choose at least one item to request."), code="empty")
    try:
        with transaction.atomic():
            return _create_locked(library=library, wanted=wanted, channel=channel, actor=actor)
    except IntegrityError as exc:
        # Another library took one of the items between our check and insert.
        raise DomainError(
            _(
                "One of these items was requested by another library a moment ago; "
                "nothing was requested. Please search again."
            ),
            code="unavailable",
        ) from exc
    except OperationalError as exc:
        # REPEATABLE READ or SERIALIZABLE: the cap trigger (migration 0006)
        # makes the later of two requests for one library fail this way.
        if not is_concurrent_conflict(exc):
            raise
        raise DomainError(
            _(
                "Another request for your library was being saved at the same moment; "
                "nothing was requested. Please try again."
            ),
            code="conflict",
        ) from exc


def _create_locked(
    *, library: Library, wanted: list[str], channel: str, actor: User | None
) -> list[LoanRequest]:
    locked = Library.objects.select_for_update().get(pk=library.pk)
    if not locked.can_request:
        raise DomainError(
            _(
                "Your library's registration is %(status)s, so it cannot request items. "
                "Please contact the ILL Section of the Kansai-kan."
            )
            % {"status": LibraryStatus(locked.status).label},
            code="library_cannot_request",
        )

    materials = {m.ndl_id: m for m in Material.objects.filter(ndl_id__in=wanted)}
    problems: list[str] = []
    unknown = [i for i in wanted if i not in materials]
    if unknown:
        problems.append(_("No NDL material has the NDL ID %(ids)s.") % {"ids": ", ".join(unknown)})
    language = current_language()
    for ndl_id in wanted:
        material = materials.get(ndl_id)
        if material is None:
            continue
        refusals = loanability(material)
        if refusals:
            problems.append(
                _("%(ndl_id)s cannot be lent: %(reasons)s")
                % {
                    "ndl_id": ndl_id,
                    "reasons": " ".join(r.message(language) for r in refusals),
                }
            )
    if problems:
        raise DomainError(" ".join(problems), code="not_loanable" if not unknown else "unknown")

    holders = {
        loan.material_id: loan
        for loan in LoanRequest.objects.filter(
            material__in=materials.values(), status__in=ACTIVE_STATUSES
        )
    }
    if holders:
        own = [h for h in holders.values() if h.library_id == locked.pk]
        # A form sent twice: everything it asks for is already ours.
        code = "duplicate" if len(own) == len(wanted) else "unavailable"
        raise DomainError(
            " ".join(
                _unavailable_message(m, holders[m.pk], locked)
                for m in materials.values()
                if m.pk in holders
            ),
            code=code,
        )

    count = LoanRequest.objects.filter(library=locked, status__in=CAP_COUNTING_STATUSES).count()
    if count + len(wanted) > LOAN_CAP:
        raise DomainError(cap_message(count=count, wanted=len(wanted)), code="cap")

    created = []
    for ndl_id in wanted:
        loan = LoanRequest.objects.create(
            library=locked,
            material=materials[ndl_id],
            channel=channel,
            requested_by=actor if actor is not None and actor.pk else None,
        )
        audit_log(
            actor=actor,
            action="loans.loan_request.create",
            obj=loan,
            data={"library": locked.user_id, "ndl_id": ndl_id, "channel": channel},
        )
        created.append(loan)
    return created


def _lock(loan: LoanRequest) -> LoanRequest:
    return LoanRequest.objects.select_for_update().select_related("material").get(pk=loan.pk)


def loan_request_cancel(*, loan: LoanRequest, actor: User | None) -> LoanRequest:
    """The library withdraws a request that has not been shipped."""
    with transaction.atomic():
        locked = _lock(loan)
        move_check(loan=locked, action=LoanAction.CANCEL)
        locked.cancelled_at = timezone.now()
        loan_transition(
            loan=locked,
            to=LoanStatus.CANCELLED,
            actor=actor,
            action="loans.loan_request.cancel",
            update_fields=("cancelled_at",),
        )
    return locked


def loan_request_accept(*, loan: LoanRequest, actor: User | None) -> LoanRequest:
    """Staff agree to lend: the item goes to its site's pull queue."""
    # The library's email is rendered before the loan is locked.
    library = Library.objects.get(pk=loan.library_id)
    material = Material.objects.get(pk=loan.material_id)
    rendered = mail_render(
        template="request-accepted",
        context={
            "library": library,
            "loan": loan,
            "material": material,
            "detail_path": reverse("loans:request_detail", args=[loan.pk]),
        },
        language=library.language,
    )
    with transaction.atomic():
        locked = _lock(loan)
        move_check(loan=locked, action=LoanAction.ACCEPT)
        refusals = loanability(material)
        if refusals:
            raise DomainError(
                _(
                    "Request #%(id)s is for an item that cannot be lent (%(codes)s); "
                    "reject it with those reasons instead."
                )
                % {"id": locked.pk, "codes": ", ".join(r.code for r in refusals)},
                code="not_loanable",
            )
        locked.decided_at = timezone.now()
        locked.decided_by = actor if actor is not None and actor.pk else None
        loan_transition(
            loan=locked,
            to=LoanStatus.ACCEPTED,
            actor=actor,
            action="loans.loan_request.accept",
            update_fields=("decided_at", "decided_by"),
        )
        mail_queue(
            to=[library.email],
            rendered=rendered,
            dedupe_key=f"loan-request-accepted:{locked.pk}",
        )
    return locked


def clean_reject_codes(*, codes: Sequence[str], note: str) -> list[str]:
    """The reasons staff gave, validated; raises DomainError if unusable."""
    chosen = list(dict.fromkeys(codes))
    if not chosen:
        raise DomainError(_("Give at least one reason for not lending."), code="no_reason")
    unknown = [c for c in chosen if c not in REJECT_CODES]
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


def loan_request_reject(
    *, loan: LoanRequest, actor: User | None, codes: Sequence[str], note: str = ""
) -> LoanRequest:
    """Staff cannot lend: record why and tell the library in its language."""
    chosen = clean_reject_codes(codes=codes, note=note)
    # The library's email is rendered before the loan is locked.
    library = Library.objects.get(pk=loan.library_id)
    material = Material.objects.get(pk=loan.material_id)
    reasons = rejection_messages(
        material=material, codes=chosen, note=note.strip(), language=library.language
    )
    rendered = mail_render(
        template="request-rejected",
        context={"library": library, "loan": loan, "material": material, "reasons": reasons},
        language=library.language,
    )
    with transaction.atomic():
        locked = _lock(loan)
        move_check(loan=locked, action=LoanAction.REJECT)
        locked.reject_codes = chosen
        locked.reject_note = note.strip()
        locked.decided_at = timezone.now()
        locked.decided_by = actor if actor is not None and actor.pk else None
        loan_transition(
            loan=locked,
            to=LoanStatus.REJECTED,
            actor=actor,
            action="loans.loan_request.reject",
            data={"codes": chosen, "note": locked.reject_note},
            update_fields=("reject_codes", "reject_note", "decided_at", "decided_by"),
        )
        mail_queue(
            to=[library.email],
            rendered=rendered,
            dedupe_key=f"loan-request-rejected:{locked.pk}",
        )
        # The explanation is also posted in the request's conversation, where
        # the library can ask about it; the email above already carries it.
        with translation.override(library.language):
            heading = _("Why the NDL cannot lend this item")
        explanation = "\n".join([heading, *(f"- {reason}" for reason in reasons)])
        ndl_message_record(subject=locked, actor=actor, body=explanation, email=False)
    return locked
