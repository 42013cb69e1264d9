"""Redis and the Celery broker may fail; a web request must not.

Both are shortcuts around the database, which alone holds the truth: the
cache keeps sessions (written through to the database) and portal page bodies,
and the broker carries "send this mail now" for rows of the outbox that the
sweeper (``core.tasks.outbox_sweep_task``) sends anyway. So every call to them
from a request is

- **bounded**: socket connect and read timeouts (``NDL_REDIS_TIMEOUT``, half a
  second by default) and no retries, so a Redis that is stopped answers at once
  and one that hangs (a frozen process, a half-open connection) costs at most
  the timeout;
- **survived**: the error is logged and the call answers as if the cache were
  empty (reads miss, writes are skipped) or the message were lost (the row
  stays queued);
- **not repeated while the service is down**: after a failure, a *breaker*
  skips the service in this process for ``NDL_SERVICE_RETRY_AFTER`` seconds,
  so a page that calls the cache ten times waits for one timeout, not ten.

A cache write that was skipped or failed may leave an older value in Redis (a
session from before a logout, a stamp that was to be renewed). Its key is
remembered and deleted as soon as Redis answers again in this process, before
anything else is read; a deleted key is only a miss.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

# Keys remembered per cache server for deletion once it answers again. Beyond
# this many, the oldest are forgotten (and their values expire on their own).
MAX_PENDING_DELETES = 10_000


class Breaker:
    """Whether a service (one Redis, the broker) is worth calling right now.

    Shared by every thread of the process: ``open()`` after a failure makes
    ``is_open()`` true for ``retry_after`` seconds, then one call is let
    through to find out whether the service is back.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._open_until = 0.0

    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def open(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + float(settings.NDL_SERVICE_RETRY_AFTER)

    def close(self) -> None:
        with self._lock:
            self._open_until = 0.0


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker(name: str) -> Breaker:
    """The process-wide breaker for the service called ``name``."""
    with _breakers_lock:
        return _breakers.setdefault(name, Breaker(name))


class ResilientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, each call guarded as the module says."""

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._breaker = breaker("cache " + ",".join(servers))
        self._pending = _pending_deletes.setdefault(self._breaker.name, {})

    def _guarded(self, name: str, fallback: Any, *args: Any, writes: Iterable[Any] = ()) -> Any:
        if self._breaker.is_open():
            self._remember(writes)
            return fallback
        try:
            self._forget_pending()
            return getattr(RedisCacheClient, name)(self, *args)
        except Exception:  # whatever redis-py raises: see the module docstring
            self._breaker.open()
            self._remember(writes)
            logger.exception(
                "cache unavailable (%s); carrying on without it for %ss",
                name,
                settings.NDL_SERVICE_RETRY_AFTER,
            )
            return fallback

    def _remember(self, keys: Iterable[str]) -> None:
        with _pending_lock:
            for key in keys:
                self._pending.pop(key, None)
                self._pending[key] = None
            while len(self._pending) > MAX_PENDING_DELETES:
                del self._pending[next(iter(self._pending))]

    def _forget_pending(self) -> None:
        if not self._pending:
            return
        with _pending_lock:
            keys = list(self._pending)
        super().delete_many(keys)  # raises while Redis is still away: kept
        with _pending_lock:
            for key in keys:
                self._pending.pop(key, None)
        logger.warning("cache back: deleted %d key(s) written while it was away", len(keys))

    def add(self, key: Any, value: Any, timeout: Any) -> Any:
        return self._guarded("add", False, key, value, timeout, writes=[key])

    def get(self, key: Any, default: Any) -> Any:
        return self._guarded("get", default, key, default)

    def set(self, key: Any, value: Any, timeout: Any) -> Any:
        return self._guarded("set", None, key, value, timeout, writes=[key])

    def touch(self, key: Any, timeout: Any) -> Any:
        return self._guarded("touch", False, key, timeout)

    def delete(self, key: Any) -> Any:
        return self._guarded("delete", False, key, writes=[key])

    def get_many(self, keys: Any) -> Any:
        return self._guarded("get_many", {}, list(keys))

    def has_key(self, key: Any) -> Any:
        return self._guarded("has_key", False, key)

    def set_many(self, data: Any, timeout: Any) -> Any:
        return self._guarded("set_many", None, data, timeout, writes=list(data))

    def delete_many(self, keys: Any) -> Any:
        keys = list(keys)
        return self._guarded("delete_many", None, keys, writes=keys)

    def clear(self) -> Any:
        return self._guarded("clear", False)


_pending_deletes: dict[str, dict[str, None]] = {}
_pending_lock = threading.Lock()


class ResilientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` that never fails a request.

    ``incr`` still raises (a counter must not silently stay at zero); nothing
    in the product uses it.
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient


def task_publish(task: Any, *, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
    """Send ``task`` to the broker; the ``AsyncResult``, or None if it could not be sent.

    Bounded by ``NDL_REDIS_TIMEOUT`` (connect, and each read or write) with
    no retry, and skipped for ``NDL_SERVICE_RETRY_AFTER`` seconds after a
    failure. A failure is logged, never raised: a request publishes after
    its change has committed, and what it publishes is redone when lost
    (the outbox's sweeper sends every mail still queued). The app's task
    class (``ndl_ill.celery.Task``) calls this for every publish outside a
    worker.
    """
    from ndl_ill.celery import app

    publish_breaker = breaker("broker")
    if publish_breaker.is_open():
        logger.warning("broker unavailable: %s%r not sent", task.name, args)
        return None
    timeout = float(settings.NDL_REDIS_TIMEOUT)
    try:
        with app.connection_for_write(
            connect_timeout=timeout,
            transport_options={
                "socket_timeout": timeout,
                "socket_connect_timeout": timeout,
                "max_retries": 0,  # kombu would otherwise retry the connection for seconds
            },
        ) as connection:
            return task.apply_async(args, kwargs, connection=connection, retry=False, **options)
    except Exception:  # whatever kombu or redis-py raise: see the module docstring
        publish_breaker.open()
        logger.exception(
            "broker unavailable: %s%r not sent; not trying again for %ss",
            task.name,
            args,
            settings.NDL_SERVICE_RETRY_AFTER,
        )
        return None


# PostgreSQL refuses one of two transactions that met (serialization failure,
# deadlock); nothing of the refused one was written.
CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})


def is_concurrent_conflict(exc: BaseException) -> bool:
    """Whether a database error means "another transaction got there first"."""
    return getattr(exc.__cause__, "sqlstate", None) in CONFLICT_SQLSTATES
