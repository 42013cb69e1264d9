"""The staff roles as Django groups, kept in step with the code on every migrate.

Staff users also carry ``site``: lending staff see their site's work queues.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from .errors import DomainError
from .models import Site, User

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
        ("catalogue", "material"): ALL,
        ("loans", "loanrequest"): WORK,
        ("loans", "shipment"): ("view",),
        ("loans", "overdueloan"): ("view",),
        ("returns", "damagecase"): ("view", "change"),
        ("core", "site"): ("view",),
        ("conversations", "thread"): ("view",),
        ("conversations", "message"): ("add", "view"),
        ("conversations", "staffnote"): ("add", "view"),
        # Photocopies: decide requests, keep the fee table and the copy
        # policies, record payments.
        ("copies", "copypolicy"): ALL,
        ("copies", "feerate"): ALL,
        ("copies", "postalzone"): ALL,
        ("copies", "copyrequest"): WORK,
        ("copies", "copyqueueitem"): ("view",),
        ("copies", "invoice"): ("view", "change"),
        ("copies", "payment"): ("view",),
        # Requests from libraries' ILL systems: identify held items, read the log.
        ("iso18626", "isotransaction"): ("view", "change"),
        ("iso18626", "isomessage"): ("view",),
    },
    # Each site's lending staff: pull, pack and ship; check returns in.
    LENDING_STAFF: {
        ("catalogue", "material"): ("view",),
        ("loans", "loanrequest"): ("view",),
        ("loans", "pullqueueitem"): ("view", "change"),
        ("loans", "shipqueueitem"): ("view", "change"),
        ("loans", "pullslipbatch"): ("add", "view"),
        ("loans", "overdueloan"): ("view",),
        ("loans", "shipment"): WORK,
        ("returns", "returnparcel"): ("view", "change"),
        ("returns", "checkin"): WORK,
        ("returns", "damagecase"): WORK,
        ("registration", "library"): ("view",),
        ("core", "site"): ("view",),
        # Messages about requests only: registration threads need
        # registration.view_application (conversations.services).
        ("conversations", "thread"): ("view",),
        ("conversations", "message"): ("add", "view"),
        ("conversations", "staffnote"): ("add", "view"),
        # Photocopies: make the copies their site holds and send them.
        ("copies", "copypolicy"): ("view",),
        ("copies", "copyrequest"): ("view",),
        ("copies", "copyqueueitem"): ("view", "change"),
        ("copies", "invoice"): ("view",),
    },
}
# The supervisor may do everything in the domain apps and read the audit log.
SUPERVISOR_APPS = (
    "registration",
    "catalogue",
    "loans",
    "returns",
    "conversations",
    "copies",
    "iso18626",
)
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


# --- What a staff member may do ----------------------------------------------------


def staff_site(user: User | AnonymousUser | None) -> Site | None:
    """The site whose items a lending staff member handles; None when the user
    is not bound to one site (supervisors, superusers, staff without a site,
    libraries and the nightly jobs)."""
    if user is None or not user.is_authenticated or user.is_superuser:
        return None
    if user.site_id is None or user.groups.filter(name=SUPERVISOR).exists():
        return None
    return user.site


def staff_site_require(*, actor: User | None, site_id: int | None) -> None:
    """Refuse site-bound staff acting on another site's items.

    Called at the top of every staff-facing service that touches a site's
    items, so the rule holds whatever calls the service (admin page, list
    action, command). Raises ``DomainError(code="other_site")``; returns
    nothing when ``actor`` may act (not site-bound, or the same site).
    """
    own = staff_site(actor)
    if own is not None and own.pk != site_id:
        raise DomainError(
            _("You work at %(own)s; this item is handled by another NDL site.") % {"own": own},
            code="other_site",
        )


def permission_require(user: User | AnonymousUser, *perms: str) -> None:
    """Raise ``PermissionDenied`` (403) unless ``user`` holds every permission
    in ``perms`` (``"app_label.codename"``): the check at the top of every
    custom admin view, whose model admin may hide the change form itself."""
    if not user.has_perms(perms):
        raise PermissionDenied
