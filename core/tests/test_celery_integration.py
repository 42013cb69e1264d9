"""A real Celery worker takes the jobs from a real Redis and sends each mail once.

Runs only where NDL_TEST_REDIS_URL is set (the PostgreSQL run of .ci/run):
the worker is a separate process, so it needs a real, shared database and
the test data committed (``transaction=True``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.models import MailStatus, OutgoingMail
from core.tasks import mail_send_task, outbox_sweep_task
from loans.tasks import nightly_run_task
from ndl_ill.celery import app as celery_app

REDIS_URL = os.environ.get("NDL_TEST_REDIS_URL", "")
TIMEOUT = 60

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.skipif(not REDIS_URL, reason="set NDL_TEST_REDIS_URL to run against Redis"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, queue: str, log: Path, **env: str) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ndl_ill",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
                "-Q",
                queue,
                "-n",
                f"{queue}-{uuid.uuid4().hex[:6]}@%h",
            ],
            cwd=settings.BASE_DIR,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "ndl_ill.settings.test_worker",
                "DATABASE_URL": _test_database_url(),
                "NDL_TEST_REDIS_URL": REDIS_URL,
                "NDL_TEST_CELERY_QUEUE": queue,
                **env,
            },
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def queue() -> Iterator[str]:
    """A private queue on the real Redis, the test process publishing to it."""
    import redis

    name = f"ndl-test-{uuid.uuid4().hex[:10]}"
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    conf.task_always_eager = False
    conf.broker_url = REDIS_URL
    try:
        yield name
    finally:
        conf.task_always_eager, conf.broker_url = saved
        client = redis.Redis.from_url(REDIS_URL)
        client.delete(name)
        # A message left unacknowledged by a killed worker: drop ours only.
        for tag, raw in client.hgetall("unacked").items():
            try:
                routing_key = json.loads(raw)[2]
            except (ValueError, IndexError):
                continue
            if routing_key == name:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
        client.close()


@pytest.fixture
def workers(tmp_path: Path, queue: str) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(**env: str) -> Worker:
        worker = Worker(queue, tmp_path / "worker.log", **env)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        log = tmp_path / "worker.log"
        if log.exists():
            sys.stdout.write(log.read_text(errors="replace")[-5000:])


def _mail_dir(tmp_path: Path) -> Path:
    path = tmp_path / "mail"
    path.mkdir(exist_ok=True)
    return path


def _messages(mail_dir: Path) -> list[str]:
    return [p.read_text() for p in sorted(mail_dir.iterdir())]


def _queued_row(key: str) -> OutgoingMail:
    with mock.patch("core.emails._enqueue"):
        return OutgoingMail.objects.create(
            dedupe_key=key,
            to=["ill@library.example.org"],
            subject=f"Notice {key}",
            body_text="Please send the receipt letter.",
        )


def _status(row: OutgoingMail) -> str:
    row.refresh_from_db()
    return row.status


def _locked_elsewhere(row: OutgoingMail) -> bool:
    with transaction.atomic():
        free = OutgoingMail.objects.select_for_update(skip_locked=True).filter(pk=row.pk)
        return not free.exists()


def _age(row: OutgoingMail) -> None:
    # What the sweeper would find ten minutes later.
    OutgoingMail.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=10)
    )


def test_a_worker_runs_the_night_from_redis_and_the_notice_is_sent(tmp_path, queue, workers):
    from loans.tests.factories_nightly import HeldLoanFactory

    loan = HeldLoanFactory(due_on=dt.date(2026, 5, 10))
    mail_dir = _mail_dir(tmp_path)
    workers(NDL_TEST_EMAIL_FILE_PATH=str(mail_dir))

    nightly_run_task.apply_async(args=["2026-05-11"], queue=queue)

    _wait_for(
        lambda: OutgoingMail.objects.filter(status=MailStatus.SENT).exists(), "the notice to send"
    )
    row = OutgoingMail.objects.get()
    assert row.attempts == 1
    (message,) = _messages(mail_dir)
    assert loan.library.email in message
    loan.refresh_from_db()
    assert loan.overdue_notices_sent == 1


def test_mail_lost_when_redis_was_emptied_is_sent_once_by_the_sweeper(tmp_path, queue, workers):
    import redis

    row = _queued_row("lost-1")
    mail_send_task.apply_async(args=[row.pk], queue=queue)
    client = redis.Redis.from_url(REDIS_URL)
    assert client.llen(queue) == 1
    client.delete(queue)  # Redis lost the message before any worker took it
    client.close()
    _age(row)

    mail_dir = _mail_dir(tmp_path)
    workers(NDL_TEST_EMAIL_FILE_PATH=str(mail_dir))
    outbox_sweep_task.apply_async(queue=queue)
    outbox_sweep_task.apply_async(queue=queue)

    _wait_for(lambda: _status(row) == MailStatus.SENT, "the swept mail to send")
    time.sleep(1)  # let the second sweep's message be handled too
    assert len(_messages(mail_dir)) == 1


def test_a_worker_killed_mid_send_leaves_the_mail_for_one_other_worker(tmp_path, queue, workers):
    # A mail server that accepts the connection and never answers: the
    # worker is stuck mid-send, holding the row lock, when it is killed.
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(TIMEOUT)
    try:
        row = _queued_row("killed-1")
        first = workers(
            NDL_TEST_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            NDL_TEST_EMAIL_PORT=str(server.getsockname()[1]),
        )
        mail_send_task.apply_async(args=[row.pk], queue=queue)
        client_socket, _ = server.accept()
        assert _locked_elsewhere(row)
        first.kill()
        client_socket.close()
    finally:
        server.close()

    _wait_for(lambda: not _locked_elsewhere(row), "PostgreSQL to roll the dead worker back")
    row.refresh_from_db()
    assert row.status == MailStatus.QUEUED
    assert row.attempts == 0  # the killed attempt rolled back

    _age(row)
    mail_dir = _mail_dir(tmp_path)
    workers(NDL_TEST_EMAIL_FILE_PATH=str(mail_dir))
    outbox_sweep_task.apply_async(queue=queue)

    _wait_for(lambda: _status(row) == MailStatus.SENT, "another worker to send it")
    outbox_sweep_task.apply_async(queue=queue)
    time.sleep(1)
    assert len(_messages(mail_dir)) == 1
    row.refresh_from_db()
    assert row.attempts == 1
