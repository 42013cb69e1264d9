"""Cached bodies of the portal's busiest pages, one set per library.

The dashboard and the request list are read far more often than anything on
them changes, and rendering them is most of what they cost. Their bodies (the
part of the page below the header, which holds no form token and no message)
are cached under a key made of:

- the library's *stamp*, renewed whenever something the library sees changes,
  and the *global stamp*, renewed when something every library sees changes
  (the catalogue, the sites, a deploy's migrations);
- the page, its query parameters, the language, and today's date in Tokyo
  (what is due soon and what is overdue depend on the day).

Nothing is ever deleted: a renewed stamp makes the old bodies unreachable and
they expire on their own (``PAGE_TIMEOUT``). Stamps are random, not counters
(nor clock readings, which a frozen test clock repeats), so a stamp lost from
the cache (evicted, or Redis emptied) is replaced by a value no old body was
stored under.

Stamps are renewed by ``library_pages_touch`` and ``portal_pages_touch_all``,
called from model signals (``library_pages_watch`` in each app's ``ready()``)
for every save and delete of a watched model, and by the services that
change rows in bulk (``QuerySet.update`` sends no signal). Each touch renews
the stamp at once, so later reads in the same transaction see it, and again
when the transaction commits, so a body rendered meanwhile by a concurrent
request from the data before the commit cannot be served afterwards.

The cache is only a shortcut: when it cannot be reached, pages are rendered
afresh and changes are saved all the same; the error is logged. The Redis
backend (``core.resilience``) answers misses while Redis is away and deletes
the stamps whose renewal it missed as soon as Redis answers again; with any
other backend a lost renewal leaves a body stale for at most ``PAGE_TIMEOUT``.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps as django_apps
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from .i18n import current_language

logger = logging.getLogger(__name__)

# A body is kept at most this long even when nothing changes: it bounds what
# a change made outside the application (a manual SQL fix) could leave stale.
PAGE_TIMEOUT = 10 * 60

_GLOBAL_STAMP = "portal:stamp:all"


def _library_stamp_key(library_id: int) -> str:
    return f"portal:stamp:library:{library_id}"


def _new_stamp() -> str:
    return uuid.uuid4().hex


def _renew(keys: list[str]) -> None:
    try:
        cache.set_many({key: _new_stamp() for key in keys}, timeout=None)
    except Exception:  # whatever the cache backend raises: see the module docstring
        logger.exception("portal page cache: could not renew %s", ", ".join(keys))


def _touch(keys: list[str]) -> None:
    if not keys:
        return
    _renew(keys)
    transaction.on_commit(lambda: _renew(keys))


def library_pages_touch(*, library_ids: Iterable[int | None]) -> None:
    """Whatever these libraries see has changed: render their pages afresh."""
    _touch(sorted({_library_stamp_key(pk) for pk in library_ids if pk is not None}))


def portal_pages_touch_all() -> None:
    """Something every library sees has changed (a title, a site's address)."""
    _touch([_GLOBAL_STAMP])


def _stamps(library_id: int) -> list[str] | None:
    keys = [_library_stamp_key(library_id), _GLOBAL_STAMP]
    found = cache.get_many(keys)
    if len(found) < len(keys):
        for key in keys:
            if key not in found:
                # add() keeps a value another request set first.
                cache.add(key, _new_stamp(), timeout=None)
        found = cache.get_many(keys)
    if len(found) < len(keys):
        # Not kept: no cache (`make run`), or one that answers with misses
        # while Redis is away (core/resilience.py). No body is cached or
        # served under an empty stamp.
        return None
    return [str(found[key]) for key in keys]


def library_page_body(
    *, library_id: int, page: str, params: Iterable[Any] = (), render: Callable[[], str]
) -> SafeString:
    """The cached body of ``page`` for this library, or ``render()``'s, cached.

    ``render`` returns rendered template output (safe HTML); ``params`` are
    whatever else the body depends on (the query string's filter and page).
    """
    try:
        stamps = _stamps(library_id)
    except Exception:  # whatever the cache backend raises: see the module docstring
        logger.exception("portal page cache: unavailable, %s rendered afresh", page)
        stamps = None
    if stamps is None:
        # render() returns rendered template output, already escaped.
        return mark_safe(render())  # noqa: S308  # nosec B308, B703
    parts = [
        page,
        library_id,
        *stamps,
        current_language(),
        timezone.localdate().isoformat(),
        *params,
    ]
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    key = f"portal:page:{page}:{library_id}:{digest}"
    body = _cache_get(key)
    if body is None:
        body = render()
        try:
            cache.set(key, str(body), timeout=PAGE_TIMEOUT)
        except Exception:  # whatever the cache backend raises: see the module docstring
            logger.exception("portal page cache: could not store %s", page)
    # What render() returned, or stored: rendered template output, already escaped.
    return mark_safe(body)  # noqa: S308  # nosec B308, B703


def _cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:  # whatever the cache backend raises: see the module docstring
        logger.exception("portal page cache: could not read %s", key)
        return None


def library_pages_watch(
    model: type[models.Model], *, library_id: Callable[[Any], int | None]
) -> None:
    """Renew the stamp of ``library_id(instance)`` whenever an instance is saved or deleted."""

    def touch(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
        if not kwargs.get("raw"):
            library_pages_touch(library_ids=[library_id(instance)])

    _connect(model, touch, "pagecache")


def _connect(model: type[models.Model], handler: Callable[..., None], prefix: str) -> None:
    # A proxy's instances are saved with the proxy as the sender.
    for sender in [model, *_proxies_of(model)]:
        uid = f"{prefix}.{sender._meta.label_lower}"
        post_save.connect(handler, sender=sender, weak=False, dispatch_uid=uid + ".save")
        post_delete.connect(handler, sender=sender, weak=False, dispatch_uid=uid + ".delete")


def _proxies_of(model: type[models.Model]) -> list[type[models.Model]]:
    return [
        m
        for m in django_apps.get_models()
        if m._meta.proxy and m._meta.concrete_model is model._meta.concrete_model and m is not model
    ]


def portal_pages_watch_all(model: type[models.Model]) -> None:
    """Renew the global stamp whenever an instance of ``model`` is saved or deleted."""

    def touch(sender: type[models.Model], **kwargs: Any) -> None:
        if not kwargs.get("raw"):
            portal_pages_touch_all()

    _connect(model, touch, "pagecache.all")


def portal_pages_touch_after_migrate(**kwargs: Any) -> None:
    """A deploy (which migrates) may change templates and translations."""
    portal_pages_touch_all()
