"""Every change to a library's registration, from the postal application to withdrawal.

Each function locks the rows it changes, re-checks its rules after the lock,
writes, audits (``registration.<entity>.<action>``) and queues any email to
go out after commit. A broken rule raises ``DomainError`` and writes nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations.services import ndl_message_record
from core.audit import audit_log
from core.emails import RenderedMail, mail_queue, mail_render
from core.errors import DomainError
from core.identifiers import name_key, name_text, user_id_normalize
from core.models import User

from .models import (
    CLOSED_STATUSES,
    LIBRARY_TRANSITIONS,
    OPEN_APPLICATION_STATUSES,
    Application,
    ApplicationChannel,
    ApplicationDocument,
    ChangeNotice,
    Correspondence,
    DocumentKind,
    LetterDirection,
    Library,
    LibraryStatus,
    NoticeChannel,
    UserIdCounter,
)

# Details that are names: stored composed (NFC), spaces collapsed.
NAME_FIELDS = ("name", "name_original")
# The details a library gives on its application and may later change by notice.
LIBRARY_DETAIL_FIELDS = (
    "name",
    "name_original",
    "country",
    "postal_address",
    "email",
    "fax",
    "phone",
    "representative_director",
    "representative_title",
)

# Magic numbers of the scans we accept; the file name and the browser's
# content type are not trusted.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


@dataclass(frozen=True)
class Scan:
    """A scan to attach: which document it shows and the uploaded file."""

    kind: str
    file: UploadedFile


# --- helpers -----------------------------------------------------------------


def _validation_message(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _full_clean(obj: Any, *, exclude: Iterable[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        raise DomainError(_validation_message(exc)) from exc


def _today() -> dt.date:
    return timezone.localdate()


def _check_not_future(day: dt.date, what: str) -> None:
    if day > _today():
        raise DomainError(_("The %(what)s cannot be in the future.") % {"what": what})


def _lock_library(library: Library) -> Library:
    return Library.objects.select_for_update().get(pk=library.pk)


def _lock_application(application: Application) -> tuple[Application, Library]:
    # Library first, then application: every service takes the locks in this order.
    library = _lock_library(application.library)
    locked = Application.objects.select_for_update().get(pk=application.pk)
    locked.library = library
    return locked, library


def library_transition(
    *,
    library: Library,
    to: LibraryStatus,
    actor: User | None,
    action: str,
    data: dict[str, Any] | None = None,
    update_fields: Sequence[str] = (),
) -> None:
    """Move ``library`` (already locked) to ``to`` and audit old -> new.

    The caller sets any other fields first and names them in ``update_fields``.
    """
    old = library.status
    if old == LibraryStatus.WITHDRAWN:
        raise DomainError(
            _("The registration of %(library)s was withdrawn; it cannot be changed any more.")
            % {"library": library.name},
            code="withdrawn",
        )
    if to not in LIBRARY_TRANSITIONS[old]:
        raise DomainError(
            _("%(library)s is %(status)s and cannot become %(new)s.")
            % {
                "library": library.name,
                "status": library.get_status_display(),
                "new": LibraryStatus(to).label,
            },
            code="illegal_transition",
        )
    library.status = to
    library.status_changed_at = timezone.now()
    library.save(update_fields=["status", "status_changed_at", *update_fields])
    audit_log(
        actor=actor,
        action=action,
        obj=library,
        data={"from": old, "to": str(to), **(data or {})},
    )


def scan_check(*, file: UploadedFile) -> str:
    """Return the content type of an acceptable scan, or raise DomainError."""
    size = file.size or 0
    if size == 0:
        raise DomainError(_("The file %(name)s is empty.") % {"name": file.name})
    if size > settings.UPLOAD_MAX_BYTES:
        raise DomainError(
            _("The file %(name)s is %(size)s; a scan may be at most %(max)s.")
            % {
                "name": file.name,
                "size": filesizeformat(size),
                "max": filesizeformat(settings.UPLOAD_MAX_BYTES),
            }
        )
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    for magic, content_type in _SIGNATURES:
        if head.startswith(magic):
            return content_type
    raise DomainError(
        _("The file %(name)s is not a PDF, JPEG or PNG file. Only these may be attached.")
        % {"name": file.name}
    )


def _scan_store(*, application: Application, scan: Scan, content_type: str) -> ApplicationDocument:
    if scan.kind not in DocumentKind.values:
        raise DomainError(_("Choose which document the scan shows."))
    original_name = (scan.file.name or "scan").rsplit("/", 1)[-1][:200]
    document = ApplicationDocument(
        application=application,
        kind=scan.kind,
        original_name=original_name,
        content_type=content_type,
        size=scan.file.size or 0,
    )
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[content_type]
    # The stored name is ours: the uploaded name never reaches the file system.
    document.file.save(f"scan.{extension}", scan.file, save=False)
    document.save()
    return document


def _scans_check(scans: Sequence[Scan]) -> list[str]:
    """Check every scan before anything is written."""
    return [scan_check(file=scan.file) for scan in scans]


# --- application -------------------------------------------------------------


def _name_check_free(library: Library) -> None:
    """Refuse ``library``'s name if another open or registered library of its
    country has it, compared by ``name_key`` (NFKC, case-folded, spaces
    collapsed: the same name pasted in another Unicode form is the same)."""
    duplicate = (
        Library.objects.filter(name_key=library.name_key, country=library.country)
        .exclude(status__in=CLOSED_STATUSES)
        .exclude(pk=library.pk)
        .first()
    )
    if duplicate is not None:
        raise DomainError(
            _("%(name)s (%(country)s) has already applied or is registered (status: %(status)s).")
            % {
                "name": duplicate.name,
                "country": duplicate.country.name,
                "status": duplicate.get_status_display(),
            },
            code="duplicate",
        )


def application_record(
    *,
    actor: User | None,
    name: str,
    country: str,
    postal_address: str,
    email: str,
    representative_director: str,
    received_on: dt.date,
    has_signed_application: bool,
    has_reading_room_picture: bool,
    has_leaflet: bool,
    signature_verified: bool,
    channel: str = ApplicationChannel.POST,
    name_original: str = "",
    fax: str = "",
    phone: str = "",
    representative_title: str = "",
    language: str = "en",
    copier_conditions: str = "",
    scans: Sequence[Scan] = (),
) -> Application:
    """Record a postal application that has arrived; the library is then under review.

    Refused, with nothing written: an application that came by fax or email
    (the NDL accepts originals by post only), one with any of the three
    documents missing or without a verified original handwritten signature
    (the packet is incomplete; staff ask the library to send it complete),
    a library already applying or registered under the same name in the
    same country, and any scan that is not a PDF/JPEG/PNG or is too large.
    """
    if channel != ApplicationChannel.POST:
        raise DomainError(
            _(
                "Applications received by %(channel)s are not accepted: the NDL accepts only "
                "the original documents sent by post. Ask the library to post the originals."
            )
            % {"channel": ApplicationChannel(channel).label.lower()},
            code="not_by_post",
        )
    missing = [
        label
        for present, label in (
            (has_signed_application, DocumentKind.APPLICATION.label),
            (has_reading_room_picture, DocumentKind.READING_ROOM.label),
            (has_leaflet, DocumentKind.LEAFLET.label),
        )
        if not present
    ]
    if missing:
        raise DomainError(
            _(
                "The application is incomplete; missing: %(missing)s. "
                "All three documents are needed."
            )
            % {"missing": ", ".join(str(m) for m in missing)},
            code="missing_document",
        )
    if not signature_verified:
        raise DomainError(
            _(
                "The application must carry the original handwritten signature of the "
                "representative director; verify it before recording."
            ),
            code="unsigned",
        )
    _check_not_future(received_on, _("date received"))
    content_types = _scans_check(scans)

    with transaction.atomic():
        library = Library(
            name=name_text(name),
            name_original=name_text(name_original),
            country=country,
            postal_address=postal_address.strip(),
            email=email.strip(),
            fax=fax.strip(),
            phone=phone.strip(),
            representative_director=representative_director.strip(),
            representative_title=representative_title.strip(),
            language=language,
            status=LibraryStatus.UNDER_REVIEW,
        )
        library.name_key = name_key(library.name)
        _name_check_free(library)
        _full_clean(library)
        try:
            # A concurrent recording of the same library can pass the check
            # above; the named unique constraint stops the second one.
            with transaction.atomic():
                library.save()
        except IntegrityError as exc:
            raise DomainError(
                _("%(name)s (%(country)s) has already applied or is registered.")
                % {"name": library.name, "country": library.country.name},
                code="duplicate",
            ) from exc
        application = Application(
            library=library,
            received_on=received_on,
            channel=channel,
            has_signed_application=has_signed_application,
            has_reading_room_picture=has_reading_room_picture,
            has_leaflet=has_leaflet,
            signature_verified=signature_verified,
            copier_conditions=copier_conditions.strip(),
            recorded_by=actor if actor is not None and actor.pk else None,
        )
        _full_clean(application, exclude=["library", "recorded_by", "decided_by"])
        application.save()
        for scan, content_type in zip(scans, content_types, strict=True):
            _scan_store(application=application, scan=scan, content_type=content_type)
        audit_log(
            actor=actor,
            action="registration.application.record",
            obj=application,
            data={
                "library": library.pk,
                "received_on": received_on.isoformat(),
                "scans": len(scans),
            },
        )
    return application


def application_scan_add(
    *, actor: User | None, application: Application, scans: Sequence[Scan]
) -> list[ApplicationDocument]:
    """Attach further scans to an application (e.g. documents sent later)."""
    if not scans:
        raise DomainError(_("Choose at least one file."))
    content_types = _scans_check(scans)
    with transaction.atomic():
        application, _library = _lock_application(application)
        documents = [
            _scan_store(application=application, scan=scan, content_type=content_type)
            for scan, content_type in zip(scans, content_types, strict=True)
        ]
        audit_log(
            actor=actor,
            action="registration.application.scan_add",
            obj=application,
            data={"documents": [d.pk for d in documents]},
        )
    return documents


def application_request_info(
    *, actor: User | None, application: Application, dated: dt.date, summary: str
) -> Correspondence:
    """Record a letter asking the library for more information or documents.

    The application then waits (status info_requested) until a reply is recorded.
    A second letter while waiting is recorded too.
    """
    summary = summary.strip()
    if not summary:
        raise DomainError(_("Say what the letter asks for."))
    _check_not_future(dated, _("letter date"))
    with transaction.atomic():
        application, library = _lock_application(application)
        if dated < application.received_on:
            raise DomainError(_("The letter cannot be dated before the application was received."))
        if library.status not in OPEN_APPLICATION_STATUSES:
            raise DomainError(
                _("The application of %(library)s was already decided (%(status)s).")
                % {"library": library.name, "status": library.get_status_display()},
                code="decided",
            )
        letter = Correspondence(
            application=application,
            direction=LetterDirection.TO_LIBRARY,
            dated=dated,
            summary=summary,
            recorded_by=actor if actor is not None and actor.pk else None,
        )
        letter.save()
        # The question is also posted in the library's registration
        # conversation and emailed, so the answer can come sooner than by post.
        ndl_message_record(subject=library, actor=actor, body=summary, email=True)
        data = {"letter": letter.pk, "dated": dated.isoformat()}
        if library.status == LibraryStatus.INFO_REQUESTED:
            audit_log(
                actor=actor, action="registration.application.request_info", obj=library, data=data
            )
        else:
            library_transition(
                library=library,
                to=LibraryStatus.INFO_REQUESTED,
                actor=actor,
                action="registration.application.request_info",
                data=data,
            )
    return letter


def application_reply_record(
    *,
    actor: User | None,
    application: Application,
    dated: dt.date,
    summary: str,
    scans: Sequence[Scan] = (),
) -> Correspondence:
    """Record the library's reply to a request for information; review resumes."""
    summary = summary.strip()
    if not summary:
        raise DomainError(_("Say what the reply contains."))
    _check_not_future(dated, _("reply date"))
    content_types = _scans_check(scans)
    with transaction.atomic():
        application, library = _lock_application(application)
        if library.status != LibraryStatus.INFO_REQUESTED:
            raise DomainError(
                _("No information was requested from %(library)s; its status is %(status)s.")
                % {"library": library.name, "status": library.get_status_display()},
                code="not_waiting",
            )
        last_request = (
            application.letters.filter(direction=LetterDirection.TO_LIBRARY)
            .order_by("-dated")
            .values_list("dated", flat=True)
            .first()
        )
        if last_request is not None and dated < last_request:
            raise DomainError(
                _("The reply cannot be dated before the letter it answers (%(date)s).")
                % {"date": last_request.isoformat()}
            )
        letter = Correspondence(
            application=application,
            direction=LetterDirection.FROM_LIBRARY,
            dated=dated,
            summary=summary,
            recorded_by=actor if actor is not None and actor.pk else None,
        )
        letter.save()
        for scan, content_type in zip(scans, content_types, strict=True):
            _scan_store(application=application, scan=scan, content_type=content_type)
        library_transition(
            library=library,
            to=LibraryStatus.UNDER_REVIEW,
            actor=actor,
            action="registration.application.reply_record",
            data={"letter": letter.pk, "dated": dated.isoformat(), "scans": len(scans)},
        )
    return letter


# --- decision ----------------------------------------------------------------


def _user_id_allocate(*, country: str) -> str:
    """Draw the next free User ID for ``country`` under a row lock.

    Format: ``ILL-<ISO 3166-1 alpha-2>-<5-digit number>``, numbered per country
    from 00001 (e.g. ``ILL-US-00042``). The country's counter row is locked for
    the rest of the caller's transaction, so concurrent approvals queue up;
    numbers already taken (e.g. imported from an earlier register) are skipped.
    """
    counter, _created = UserIdCounter.objects.select_for_update().get_or_create(country=country)
    number = counter.last_number
    while True:
        number += 1
        if number > 99999:
            raise DomainError(_("No User ID numbers are left for this country."))
        candidate = f"ILL-{country}-{number:05d}"
        if not Library.objects.filter(user_id=candidate).exists():
            break
    counter.last_number = number
    counter.save(update_fields=["last_number"])
    return candidate


def library_approve(*, actor: User | None, library: Library) -> Library:
    """Approve a complete application and register the library.

    Issues the User ID (see ``_user_id_allocate`` for the format), sets the
    library active with today's registration date, creates its portal login
    (username = User ID, no usable password, not staff) and emails the
    library a single-use link to set the password. The written approval,
    the certificate and the request form are rendered from this data on
    demand (``registration.pdf``).
    """
    with transaction.atomic():
        library = _lock_library(library)
        application = Application.objects.select_for_update().filter(library=library).first()
        if application is None:
            raise DomainError(_("%(library)s has no recorded application.") % {"library": library})
        if not application.is_complete:
            raise DomainError(
                _("The application of %(library)s is incomplete and cannot be approved.")
                % {"library": library.name},
                code="incomplete",
            )
        if library.status == LibraryStatus.INFO_REQUESTED:
            raise DomainError(
                _(
                    "%(library)s has not yet answered the request for information; "
                    "record the reply first."
                )
                % {"library": library.name},
                code="waiting",
            )
        if library.status not in OPEN_APPLICATION_STATUSES:
            raise DomainError(
                _("The application of %(library)s was already decided (%(status)s).")
                % {"library": library.name, "status": library.get_status_display()},
                code="decided",
            )
        user_id = _user_id_allocate(country=str(library.country))
        if User.objects.filter(username__iexact=user_id).exists():
            raise DomainError(_("A login named %(user_id)s already exists.") % {"user_id": user_id})
        today = _today()
        library.user_id = user_id
        library.registered_on = today
        library.status_reason = ""
        library_transition(
            library=library,
            to=LibraryStatus.ACTIVE,
            actor=actor,
            action="registration.library.approve",
            data={"user_id": user_id, "registered_on": today.isoformat()},
            update_fields=["user_id", "registered_on", "status_reason"],
        )
        application.decided_on = today
        application.decided_by = actor if actor is not None and actor.pk else None
        application.save(update_fields=["decided_on", "decided_by"])
        user = User(username=user_id, email=library.email, library=library, is_staff=False)
        user.set_unusable_password()
        user.save()
        audit_log(
            actor=actor,
            action="registration.library.login_create",
            obj=user,
            data={"library": library.pk},
        )
        mail_queue(
            to=[library.email],
            template="library-approved",
            context={
                "library": library,
                "user_id": user_id,
                "details_url": settings.NDL_PORTAL_BASE_URL.rstrip("/")
                + reverse("registration:details"),
            },
            dedupe_key=f"registration.library.approve:{library.pk}",
            language=library.language,
            # The link is made when the mail is sent; the outbox keeps no token.
            password_set_for=user,
        )
    return library


def library_password_link_send(*, actor: User | None, library: Library) -> Library:
    """Email a registered library a new single-use link to choose its password.

    For an active or suspended library with a portal login, e.g. when the
    first link expired (``PASSWORD_RESET_TIMEOUT``, 72 hours) or the password
    is forgotten. The link is made when the mail is sent and never stored
    (``core.emails``). Raises DomainError (code ``no_login``) otherwise. The
    audit entry names who asked for it, not the link.
    """
    # Rendered before the library is locked; the link is made at sending.
    current = Library.objects.get(pk=library.pk)
    rendered = mail_render(
        template="library-password-link",
        context={"library": current, "user_id": current.user_id},
        language=current.language,
        password_set_for=User.objects.filter(library=current).first(),
    )
    with transaction.atomic():
        library = _lock_library(library)
        user = User.objects.filter(library=library).first()
        if user is None or library.status not in (LibraryStatus.ACTIVE, LibraryStatus.SUSPENDED):
            raise DomainError(
                _("%(library)s has no portal login to send a password link for.")
                % {"library": library.name},
                code="no_login",
            )
        entry = audit_log(
            actor=actor,
            action="registration.library.password_link_send",
            obj=user,
            data={"library": library.pk},
        )
        if rendered.password_set_for != user:  # the login changed meanwhile
            rendered = mail_render(
                template="library-password-link",
                context={"library": library, "user_id": library.user_id},
                language=library.language,
                password_set_for=user,
            )
        mail_queue(
            to=[library.email],
            rendered=rendered,
            dedupe_key=f"registration.library.password_link:{library.pk}:{entry.pk}",
        )
    return library


def library_reject(*, actor: User | None, library: Library, reason: str) -> Library:
    """Reject an open application, with the reason the library is told."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give the reason for the rejection."), code="reason_required")
    rendered = _status_mail_render(
        library=library, to=LibraryStatus.REJECTED, template="library-rejected", reason=reason
    )
    with transaction.atomic():
        library = _lock_library(library)
        application = Application.objects.select_for_update().filter(library=library).first()
        library.status_reason = reason
        library_transition(
            library=library,
            to=LibraryStatus.REJECTED,
            actor=actor,
            action="registration.library.reject",
            data={"reason": reason},
            update_fields=["status_reason"],
        )
        if application is not None:
            application.decided_on = max(_today(), application.received_on)
            application.decided_by = actor if actor is not None and actor.pk else None
            application.rejection_reason = reason
            application.save(update_fields=["decided_on", "decided_by", "rejection_reason"])
        mail_queue(
            to=[library.email],
            rendered=rendered,
            dedupe_key=f"registration.library.reject:{library.pk}",
        )
    return library


# --- after registration ------------------------------------------------------


def _status_mail_render(
    *, library: Library, to: LibraryStatus, template: str, reason: str
) -> RenderedMail:
    """The library's email about its new status, rendered before the library
    is locked: the library as it will read after the change. If the change
    is then refused, nothing is queued."""
    after = copy.copy(Library.objects.get(pk=library.pk))
    after.status = to
    after.status_reason = reason
    return mail_render(
        template=template,
        context={"library": after, "reason": reason},
        language=after.language,
    )


def _status_change(
    *,
    actor: User | None,
    library: Library,
    to: LibraryStatus,
    reason: str,
    action: str,
) -> Library:
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give the reason."), code="reason_required")
    rendered = _status_mail_render(
        library=library, to=to, template="library-status-changed", reason=reason
    )
    with transaction.atomic():
        library = _lock_library(library)
        library.status_reason = reason
        library_transition(
            library=library,
            to=to,
            actor=actor,
            action=action,
            data={"reason": reason},
            update_fields=["status_reason"],
        )
        mail_queue(
            to=[library.email],
            rendered=rendered,
            dedupe_key=f"{action}:{library.pk}:{timezone.now().isoformat()}",
        )
    return library


def library_suspend(*, actor: User | None, library: Library, reason: str) -> Library:
    """Suspend a registered library: it keeps its login but cannot request."""
    return _status_change(
        actor=actor,
        library=library,
        to=LibraryStatus.SUSPENDED,
        reason=reason,
        action="registration.library.suspend",
    )


def library_reinstate(*, actor: User | None, library: Library, reason: str) -> Library:
    """Lift a suspension: the library may request again."""
    return _status_change(
        actor=actor,
        library=library,
        to=LibraryStatus.ACTIVE,
        reason=reason,
        action="registration.library.reinstate",
    )


def library_withdraw(*, actor: User | None, library: Library, reason: str) -> Library:
    """End a registration for good. The login stays so items out can be returned."""
    return _status_change(
        actor=actor,
        library=library,
        to=LibraryStatus.WITHDRAWN,
        reason=reason,
        action="registration.library.withdraw",
    )


def change_notice_record(
    *,
    actor: User | None,
    library: Library,
    received_on: dt.date,
    channel: str,
    quoted_user_id: str,
    changes: dict[str, Any],
    note: str = "",
) -> ChangeNotice:
    """Record a library's notice of changed details and apply the change.

    The notice must come by letter or fax and quote the library's User ID.
    ``changes`` maps detail fields to their new values; only the fields that
    really change are applied, and the notice keeps ``[old, new]`` for each.
    """
    if channel not in NoticeChannel.values:
        raise DomainError(
            _("A change notice is accepted by letter or fax only."), code="bad_channel"
        )
    unknown = sorted(set(changes) - set(LIBRARY_DETAIL_FIELDS))
    if unknown:
        raise DomainError(
            _("These details cannot be changed by notice: %(fields)s.")
            % {"fields": ", ".join(unknown)}
        )
    _check_not_future(received_on, _("date received"))
    quoted = user_id_normalize(quoted_user_id).upper()
    with transaction.atomic():
        library = _lock_library(library)
        if library.status == LibraryStatus.WITHDRAWN:
            raise DomainError(
                _("The registration of %(library)s was withdrawn; it cannot be changed any more.")
                % {"library": library.name},
                code="withdrawn",
            )
        if library.user_id is None or library.status not in (
            LibraryStatus.ACTIVE,
            LibraryStatus.SUSPENDED,
        ):
            raise DomainError(
                _("%(library)s is not registered; change notices apply to registered libraries.")
                % {"library": library.name},
                code="not_registered",
            )
        if not quoted:
            raise DomainError(
                _("A change notice must quote the library's User ID."), code="no_user_id"
            )
        if quoted != library.user_id:
            raise DomainError(
                _(
                    "The notice quotes User ID %(quoted)s, but %(library)s is %(user_id)s. "
                    "Check the notice before recording it."
                )
                % {"quoted": quoted, "library": library.name, "user_id": library.user_id},
                code="user_id_mismatch",
            )
        if received_on < (library.registered_on or received_on):
            raise DomainError(_("The notice cannot predate the registration."))
        diff: dict[str, list[str]] = {}
        for field in LIBRARY_DETAIL_FIELDS:
            if field not in changes:
                continue
            new = str(changes[field] or "")
            new = name_text(new) if field in NAME_FIELDS else new.strip()
            old = str(getattr(library, field) or "")
            if new != old:
                diff[field] = [old, new]
                setattr(library, field, new)
        if not diff:
            raise DomainError(
                _("The notice changes nothing: every value given is the current one."),
                code="no_change",
            )
        if "name" in diff:
            # Compared by the constraint in full_clean(), like any other library.
            library.name_key = name_key(library.name)
        _full_clean(library)
        library.save(update_fields=[*diff, "name_key"] if "name" in diff else list(diff))
        notice = ChangeNotice(
            library=library,
            received_on=received_on,
            channel=channel,
            quoted_user_id=quoted,
            changes=diff,
            note=note.strip(),
            recorded_by=actor if actor is not None and actor.pk else None,
        )
        notice.save()
        if "email" in diff:
            User.objects.filter(library=library).update(email=library.email)
        audit_log(
            actor=actor,
            action="registration.change_notice.record",
            obj=library,
            data={"notice": notice.pk, "changes": diff},
        )
    return notice
