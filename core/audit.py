"""The audit log. Every service calls ``audit_log`` inside its transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEntry, User

_SECRET_KEYS = {"password", "token", "secret"}


def _mask(data: dict[str, Any]) -> dict[str, Any]:
    return {k: ("***" if any(s in k.lower() for s in _SECRET_KEYS) else v) for k, v in data.items()}


def audit_log(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        data=_mask(data or {}),
    )
