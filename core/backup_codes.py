"""Staff backup codes: the second factor for a day without the authenticator app."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from .audit import audit_log
from .errors import DomainError
from .models import BackupCode, BackupCodeDevice, User

BACKUP_CODE_DEVICE_NAME = "Backup codes"
MAX_BACKUP_CODES = 20


def backup_codes_issue(*, user: User, actor: User | None, count: int = 10) -> list[str]:
    """Give ``user`` ``count`` new single-use backup codes; return them.

    The plain codes exist only in the returned list: show them once to whoever
    issued them. The database keeps a salted keyed hash of each
    (``BackupCode``), the audit entry says how many were issued, never which.
    Earlier codes of the user stop working.

    Raises ``DomainError`` (code ``backup_codes_not_staff``) for a library's
    portal login or an account without staff status, and
    (``backup_codes_count``) when ``count`` is not between 1 and 20.
    Issue 11, section 2: the database keeps only what verifies a secret.
    """
    if not 1 <= count <= MAX_BACKUP_CODES:
        raise DomainError(
            _("Issue between 1 and %(most)d backup codes.") % {"most": MAX_BACKUP_CODES},
            code="backup_codes_count",
        )
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_staff or user.is_library:
            raise DomainError(
                _("Backup codes are for NDL staff accounts only."), code="backup_codes_not_staff"
            )
        device = BackupCodeDevice.objects.filter(user=user).order_by("pk").first()
        if device is None:
            device = BackupCodeDevice.objects.create(
                user=user, name=BACKUP_CODE_DEVICE_NAME, confirmed=True
            )
        # One set of codes per person: any older devices go with their codes.
        BackupCodeDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.codes.all().delete()
        codes = [BackupCode.random_code() for _ in range(count)]
        BackupCode.objects.bulk_create(BackupCode.for_code(device=device, code=c) for c in codes)
        device.confirmed = True
        device.throttle_reset(commit=False)
        device.save()
        audit_log(
            actor=actor,
            action="backup_codes.issue",
            obj=device,
            data={"user": user.username, "count": count},
        )
    return codes
