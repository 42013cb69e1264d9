"""Redis stopped or frozen: every page still renders, every change commits once,
and the mail it queued is sent later by the outbox's sweeper.

Each test starts a ``redis-server`` of its own on a free port, used as the
cache (sessions, portal pages; database 1) and as the Celery broker (database
0), as in production, then kills it or freezes it (SIGSTOP) and walks a
library and a member of staff through the product with the test client,
timing every call. Before these guards, the stopped Redis answered 500 on
login and on every signed-in page, and the frozen one held each request for
60 s.

Needs ``redis-server`` on PATH; skipped without it unless
``NDL_REDIS_TESTS=required`` (as in ``.ci/run``).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import environ
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from core import resilience
from core.models import MailStatus, OutgoingMail, User
from core.services import outgoing_mail_send, outgoing_mail_sweep
from core.tests.factories import StaffFactory
from loans.models import LoanStatus
from loans.tests.factories import LoanRequestFactory
from ndl_ill.celery import app as celery_app
from ndl_ill.settings.base import resilient_cache
from registration.tests.factories import LibraryFactory
from returns.models import CaseKind, DamageCase
from returns.tests.factories import HeldLoanFactory

REDIS_SERVER = shutil.which("redis-server")
REQUIRED = os.environ.get("NDL_REDIS_TESTS") == "required"
PASSWORD = "correct horse battery staple"
# Far below the 60 s a frozen broker used to cost, far above the 0.5 s timeout.
BOUND = 3.0

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        REDIS_SERVER is None and not REQUIRED,
        reason="needs redis-server on PATH (NDL_REDIS_TESTS=required makes this fail instead)",
    ),
    pytest.mark.django_db(transaction=True),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)

    def llen(self, db: int, key: str) -> int:
        import redis

        return int(redis.Redis.from_url(self.url(db)).llen(key))


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private ``redis-server`` on a free port, killed after the test."""
    if REDIS_SERVER is None:
        pytest.fail("NDL_REDIS_TESTS=required but redis-server is not on PATH")
    port = _free_port()
    process = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = RedisServer(port=port, process=process)
    try:
        deadline = time.monotonic() + 10
        while not server.ping():
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield server
    finally:
        server.thaw()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@pytest.fixture
def on_redis(redis_server: RedisServer, settings: Any) -> Iterator[RedisServer]:
    """The cache, the sessions and the broker on the private Redis, as in production."""
    settings.CACHES = {
        "default": {
            **resilient_cache(environ.Env.cache_url_config(redis_server.url(1))),
            "KEY_PREFIX": "ndl-ill-test",
        }
    }
    conf = celery_app.conf
    # The stored values, not the properties (which CELERY_BROKER_URL overrides).
    saved = {key: conf.get(key) for key in ("task_always_eager", "broker_url", "broker_write_url")}
    conf.task_always_eager = False
    conf.broker_url = conf.broker_write_url = redis_server.url(0)
    resilience._breakers.clear()
    resilience._pending_deletes.clear()
    try:
        yield redis_server
    finally:
        conf.update(saved)
        resilience._breakers.clear()
        resilience._pending_deletes.clear()


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    library = LibraryFactory()
    user = User.objects.create(username=library.user_id, library=library)
    user.set_password(PASSWORD)
    user.save()
    return {
        "library": library,
        "held": HeldLoanFactory(library=library),
        "requested": LoanRequestFactory(),
        "staff": StaffFactory(),
    }


def _timed(call: Callable[[], Any], what: str) -> Any:
    start = time.monotonic()
    response = call()
    elapsed = time.monotonic() - start
    assert elapsed < BOUND, f"{what} took {elapsed:.1f}s"
    assert response.status_code in (200, 302), f"{what} answered {response.status_code}"
    return response


def _journey(world: dict[str, Any]) -> None:
    """A library signs in, reads its pages, reports damage; staff accept a request."""
    library, held, requested = world["library"], world["held"], world["requested"]
    portal = Client()
    response = _timed(
        lambda: portal.post(
            reverse("portal:login"), {"username": library.user_id, "password": PASSWORD}
        ),
        "portal login",
    )
    assert response.status_code == 302
    for name in ("portal:dashboard", "loans:request_list", "returns:parcel_list"):
        page = _timed(lambda name=name: portal.get(reverse(name)), name)
        assert page.status_code == 200
    assert library.name in _timed(lambda: portal.get(reverse("portal:dashboard")), "again").text
    response = _timed(
        lambda: portal.post(
            reverse("returns:case_report", args=[held.pk]),
            {"kind": CaseKind.DAMAGE, "description": "Coffee stain", "reported_on": "2026-03-20"},
        ),
        "damage report",
    )
    assert response.status_code == 302
    assert "Your report has been sent" in _timed(lambda: portal.get(response.url), "after").text

    staff = Client()
    response = _timed(
        lambda: staff.post(
            reverse("admin:login"),
            {"username": world["staff"].username, "password": PASSWORD, "next": "/admin/"},
        ),
        "admin login",
    )
    assert response.status_code == 302
    decide = reverse("admin:loans_loanrequest_decide", args=[requested.pk])
    assert _timed(lambda: staff.get(decide), "decide page").status_code == 200
    response = _timed(lambda: staff.post(decide, {"accept": "1"}), "staff decision")
    assert response.status_code == 302
    assert "accepted" in _timed(lambda: staff.get(response.url), "after decision").text

    # Each change committed exactly once.
    assert DamageCase.objects.filter(loan=held).count() == 1
    requested.refresh_from_db()
    assert requested.status == LoanStatus.ACCEPTED


def _queued_mail() -> list[OutgoingMail]:
    return list(OutgoingMail.objects.order_by("pk"))


def test_with_redis_running_the_cache_and_the_broker_are_used(on_redis, world) -> None:
    _journey(world)
    mails = _queued_mail()
    assert len(mails) == 2  # the damage report to staff, the decision to the library
    # Each mail went to the broker, and the sessions and pages to the cache.
    assert on_redis.llen(0, "celery") == 2
    import redis

    assert redis.Redis.from_url(on_redis.url(1)).dbsize() > 0
    assert not resilience.breaker("broker").is_open()


def test_with_redis_stopped_everything_works_and_mail_is_sent_later(on_redis, world) -> None:
    on_redis.stop()
    _journey(world)
    mails = _queued_mail()
    assert len(mails) == 2
    assert {m.status for m in mails} == {MailStatus.QUEUED}
    assert mail.outbox == []  # a request never talks to the mail server
    # The sweeper finds them and a worker sends each once.
    swept = outgoing_mail_sweep(older_than=dt.timedelta(0))
    assert swept == [m.pk for m in mails]
    assert [outgoing_mail_send(mail_id=pk) for pk in swept] == [True, True]
    assert [outgoing_mail_send(mail_id=pk) for pk in swept] == [False, False]
    assert len(mail.outbox) == 2


def test_with_redis_frozen_no_request_hangs(on_redis, world) -> None:
    on_redis.freeze()
    start = time.monotonic()
    _journey(world)
    # One timeout per service and breaker interval, not one per call.
    assert time.monotonic() - start < 2 * BOUND
    assert {m.status for m in _queued_mail()} == {MailStatus.QUEUED}
    on_redis.thaw()
    assert on_redis.llen(0, "celery") == 0  # nothing reached the broker: the sweeper sends


@pytest.mark.parametrize("failure", ["stop", "freeze"])
def test_a_broker_that_is_down_costs_at_most_a_second_then_is_skipped(
    on_redis, world, failure
) -> None:
    from core.tasks import mail_send_task

    getattr(on_redis, failure)()
    start = time.monotonic()
    assert mail_send_task.delay(1) is None  # not sent, not raised
    first = time.monotonic() - start
    start = time.monotonic()
    assert mail_send_task.delay(2) is None
    second = time.monotonic() - start
    assert first < 1.0  # one bounded attempt, no reconnection loop
    assert second < 0.05  # the breaker is open: not tried again at once


def test_a_logout_while_redis_is_frozen_holds_once_it_is_back(on_redis, world, settings) -> None:
    """The session the cache still holds is deleted as soon as Redis answers."""
    settings.NDL_SERVICE_RETRY_AFTER = 0.2
    library = world["library"]
    portal = Client()
    portal.post(reverse("portal:login"), {"username": library.user_id, "password": PASSWORD})
    assert _timed(lambda: portal.get(reverse("portal:dashboard")), "signed in").status_code == 200
    stolen = portal.cookies["sessionid"].value

    on_redis.freeze()
    _timed(lambda: portal.post(reverse("portal:logout")), "logout")
    on_redis.thaw()
    time.sleep(0.3)  # the breaker lets the next call through

    thief = Client()
    thief.cookies["sessionid"] = stolen
    response = _timed(lambda: thief.get(reverse("portal:dashboard")), "stolen session")
    assert response.status_code == 302
    assert reverse("portal:login") in response.url


def test_a_page_renders_afresh_while_redis_is_away_and_is_cached_again_after(
    on_redis, world, settings
) -> None:
    settings.NDL_SERVICE_RETRY_AFTER = 0.2
    library = world["library"]
    portal = Client()
    portal.post(reverse("portal:login"), {"username": library.user_id, "password": PASSWORD})
    assert "1 of 10 items outstanding" in portal.get(reverse("portal:dashboard")).text
    on_redis.freeze()
    LoanRequestFactory(library=library)  # the stamp renewal is lost
    assert (
        "2 of 10 items outstanding"
        in _timed(lambda: portal.get(reverse("portal:dashboard")), "dashboard").text
    )
    on_redis.thaw()
    time.sleep(0.3)
    # The stamp whose renewal was lost is deleted first: no stale page.
    assert "2 of 10 items outstanding" in portal.get(reverse("portal:dashboard")).text


def test_a_hung_mail_server_fails_the_attempt_within_the_timeout(world, settings) -> None:
    """Only a worker talks to the mail server; a hung one costs it EMAIL_TIMEOUT."""
    queued = OutgoingMail.objects.create(
        dedupe_key="hung-smtp", to=["ill@library.example.org"], subject="s", body_text="b"
    )
    with socket.socket() as hung:  # accepts connections, never greets
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = hung.getsockname()
        settings.EMAIL_TIMEOUT = 1
        start = time.monotonic()
        assert outgoing_mail_send(mail_id=queued.pk) is False
        assert time.monotonic() - start < BOUND
    queued.refresh_from_db()
    assert queued.status == MailStatus.FAILED
    assert queued.next_attempt_at is not None
