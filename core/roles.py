"""The staff roles as Django groups, kept in step with the code on every migrate.

Staff users also carry ``site``: lending staff see their site's work queues.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

logger = logging.getLogger(__name__)

REGISTRATION_OFFICER = "Registration officer"
LENDING_STAFF = "Lending staff"
SUPERVISOR = "Supervisor"

ALL = ("add", "change", "delete", "view")
WORK = ("add", "change", "view")

# role -> {(app_label, model): actions}. Models another app has not created
# yet are skipped; the next migrate adds them.
ROLE_PERMISSIONS: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    # Kansai-kan ILL Section: registers libraries, decides loan requests,
    # keeps the catalogue's loan rules.
    REGISTRATION_OFFICER: {
        ("registration", "library"): WORK,
        ("registration", "application"): WORK,
        ("registration", "applicationdocument"): WORK,
        ("registration", "correspondence"): WORK,
        ("registration", "changenotice"): WORK,
        ("loans", "material"): ALL,
        ("loans", "loanrequest"): WORK,
        ("loans", "shipment"): ("view",),
        ("loans", "overdueloan"): ("view",),
        ("returns", "damagecase"): ("view", "change"),
        ("core", "site"): ("view",),
    },
    # Each site's lending staff: pull, pack and ship; check returns in.
    LENDING_STAFF: {
        ("loans", "material"): ("view",),
        ("loans", "loanrequest"): ("view",),
        ("loans", "pullqueueitem"): ("view", "change"),
        ("loans", "shipqueueitem"): ("view", "change"),
        ("loans", "overdueloan"): ("view",),
        ("loans", "shipment"): WORK,
        ("returns", "returnparcel"): ("view", "change"),
        ("returns", "checkin"): WORK,
        ("returns", "damagecase"): WORK,
        ("registration", "library"): ("view",),
        ("core", "site"): ("view",),
    },
}
# The supervisor may do everything in the domain apps and read the audit log.
SUPERVISOR_APPS = ("registration", "loans", "returns")
SUPERVISOR_EXTRA = {
    ("core", "auditentry"): ("view",),
    ("core", "outgoingmail"): ("view",),
    ("core", "site"): ("view", "change"),
    ("core", "user"): ("view",),
}


def _permissions(rules: dict[tuple[str, str], tuple[str, ...]]) -> list[Permission]:
    query = Q(pk__in=[])
    for (app_label, model), actions in rules.items():
        query |= Q(
            content_type__app_label=app_label,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    return list(Permission.objects.filter(query))


def roles_sync() -> dict[str, int]:
    """Create the groups and set exactly their permissions; safe to rerun."""
    result: dict[str, int] = {}
    for name, rules in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions = _permissions(rules)
        group.permissions.set(permissions)
        result[name] = len(permissions)
    group, _created = Group.objects.get_or_create(name=SUPERVISOR)
    permissions = [
        *Permission.objects.filter(content_type__app_label__in=SUPERVISOR_APPS),
        *_permissions(SUPERVISOR_EXTRA),
    ]
    group.permissions.set(permissions)
    result[SUPERVISOR] = len(permissions)
    return result


def roles_sync_after_migrate(sender: AppConfig, **kwargs: Any) -> None:
    # post_migrate fires once per app; the permissions of every app exist by
    # the time the last app's signal is sent, so sync then.
    configs = [c for c in apps.get_app_configs() if c.models_module is not None]
    if configs and sender.label == configs[-1].label:
        roles_sync()
