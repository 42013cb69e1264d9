"""The ten-item cap holds at every isolation level, on separate connections.

Two sessions each add the tenth item for a library that holds nine. Before
migration 0006, two sessions at REPEATABLE READ both committed: eleven
outstanding. Now the second one waits for the first and is then refused:
by the cap (READ COMMITTED) or with a serialization failure (REPEATABLE
READ, SERIALIZABLE), which the request service reports as a clear message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection, connections, transaction

from catalogue.tests.factories import MaterialFactory
from core.errors import DomainError
from loans.models import CAP_COUNTING_STATUSES, RequestChannel
from loans.services.requests import loan_request_create
from loans.tests.factories import LoanRequestFactory
from registration.models import Library
from registration.tests.factories import LibraryFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LEVELS = ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"]
CHECK_VIOLATION = "23514"
SERIALIZATION_FAILURE = "40001"
WAIT = 10.0


def _outstanding(library: Library) -> int:
    return library.loans.filter(status__in=CAP_COUNTING_STATUSES).count()


MATERIALS: list[Any] = []


@pytest.fixture
def nine() -> Library:
    library = LibraryFactory()
    LoanRequestFactory.create_batch(9, library=library)
    assert _outstanding(library) == 9
    MATERIALS[:] = MaterialFactory.create_batch(3)
    return library


@pytest.fixture
def session() -> Iterator[Any]:
    """Open psycopg sessions on the test database, each its own connection."""
    opened: list[psycopg.Connection[Any]] = []
    db = connection.settings_dict

    def open_session() -> psycopg.Connection[Any]:
        conn = psycopg.connect(
            host=db["HOST"] or "127.0.0.1",
            port=db["PORT"] or 5432,
            user=db["USER"],
            password=db["PASSWORD"] or None,
            dbname=db["NAME"],
            autocommit=True,  # BEGIN … COMMIT by hand
        )
        opened.append(conn)
        return conn

    yield open_session
    for conn in opened:
        conn.close()


def _insert(conn: psycopg.Connection[Any], library: Library) -> None:
    # A material made before the sessions began: their snapshots must see it.
    material = MATERIALS.pop()
    conn.execute(
        "INSERT INTO loans_loanrequest (library_id, material_id, status, channel, requested_at,"
        " reject_codes, reject_note, condition_on_receipt, overdue_notices_sent)"
        " VALUES (%s, %s, 'requested', 'portal', now(), '[]', '', '', 0)",
        [library.pk, material.pk],
    )


def _wait_until_blocked(observer: psycopg.Connection[Any], pid: int) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        row = observer.execute(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]
        ).fetchone()
        if row and row[0] == "Lock":
            return
        time.sleep(0.02)
    raise AssertionError("the second session never waited for the first")


@pytest.mark.parametrize("reads_first", [True, False], ids=["reads-first", "inserts-at-once"])
@pytest.mark.parametrize("level", LEVELS)
def test_two_sessions_adding_the_tenth_item_leave_ten(nine, session, level, reads_first) -> None:
    first, second, observer = session(), session(), session()
    for conn in (first, second):
        conn.execute(f"BEGIN ISOLATION LEVEL {level}")
        if reads_first:  # as the service does: both snapshots predate both inserts
            conn.execute("SELECT count(*) FROM loans_loanrequest WHERE library_id = %s", [nine.pk])
    _insert(first, nine)

    outcome: dict[str, str] = {}

    def add_the_other_tenth() -> None:
        try:
            _insert(second, nine)
            second.execute("COMMIT")
            outcome["second"] = "committed"
        except psycopg.Error as exc:
            outcome["second"] = exc.sqlstate or type(exc).__name__
            second.execute("ROLLBACK")

    thread = threading.Thread(target=add_the_other_tenth)
    thread.start()
    _wait_until_blocked(observer, second.info.backend_pid)
    first.execute("COMMIT")
    thread.join(WAIT)
    assert not thread.is_alive()

    expected = CHECK_VIOLATION if level == "READ COMMITTED" else SERIALIZATION_FAILURE
    # Without reading first, the INSERT takes the snapshot before it waits:
    # still older than the first commit.
    assert outcome["second"] == expected
    assert _outstanding(nine) == 10


@pytest.mark.parametrize("level", LEVELS)
def test_the_eleventh_from_one_session_is_refused_at_every_level(nine, session, level) -> None:
    conn = session()
    conn.execute(f"BEGIN ISOLATION LEVEL {level}")
    _insert(conn, nine)
    with pytest.raises(psycopg.errors.CheckViolation, match="ten_item_cap"):
        _insert(conn, nine)
    conn.execute("ROLLBACK")
    assert _outstanding(nine) == 9


ISOLATION = {
    "READ COMMITTED": psycopg.IsolationLevel.READ_COMMITTED,
    "REPEATABLE READ": psycopg.IsolationLevel.REPEATABLE_READ,
    "SERIALIZABLE": psycopg.IsolationLevel.SERIALIZABLE,
}


@pytest.mark.parametrize("level", LEVELS)
def test_the_service_answers_a_clear_message_to_the_second_request(nine, level) -> None:
    """Two requests through the service, the second from an older snapshot."""
    first_material, second_material = MaterialFactory(), MaterialFactory()
    second_ready, first_done = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def with_level() -> None:
        connection.ensure_connection()
        connection.connection.isolation_level = ISOLATION[level]

    def first() -> None:
        try:
            with_level()
            second_ready.wait(WAIT)
            loan_request_create(
                library=nine,
                ndl_ids=[first_material.ndl_id],
                channel=RequestChannel.PORTAL,
                actor=None,
            )
            outcome["first"] = "created"
        finally:
            first_done.set()
            connections.close_all()

    def second() -> None:
        try:
            with_level()
            with transaction.atomic():
                # The page the library submitted from was read in this transaction.
                assert Library.objects.filter(pk=nine.pk).exists()
                second_ready.set()
                first_done.wait(WAIT)
                loan_request_create(
                    library=nine,
                    ndl_ids=[second_material.ndl_id],
                    channel=RequestChannel.PORTAL,
                    actor=None,
                )
            outcome["second"] = "created"
        except DomainError as exc:
            outcome["second"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    assert outcome["first"] == "created"
    refused = outcome["second"]
    assert isinstance(refused, DomainError), refused
    if level == "READ COMMITTED":
        assert refused.code == "cap"
        assert "10 of 10" in refused.message
    else:
        assert refused.code == "conflict"
        assert "at the same moment" in refused.message
    assert _outstanding(nine) == 10
