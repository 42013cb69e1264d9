"""A PostgreSQL server that hangs fails a connection within seconds.

libpq's ``connect_timeout`` is set for PostgreSQL only (SQLite has no such
option), from ``NDL_DB_CONNECT_TIMEOUT`` (default 5 seconds), by every
settings module that reads DATABASE_URL.
"""

from __future__ import annotations

import socket
import time

import pytest
from django.db import OperationalError, connection
from django.db.backends.postgresql.base import DatabaseWrapper

from ndl_ill.settings import base


def test_postgresql_gets_the_connect_timeout() -> None:
    database = {"ENGINE": "django.db.backends.postgresql", "NAME": "ndl_ill"}
    assert base.with_connect_timeout(database)["OPTIONS"] == {"connect_timeout": 5}
    assert base.NDL_DB_CONNECT_TIMEOUT == 5


def test_other_options_stay_and_an_explicit_timeout_wins() -> None:
    database = {
        "ENGINE": "django.db.backends.postgresql",
        "OPTIONS": {"sslmode": "require", "connect_timeout": 2},
    }
    assert base.with_connect_timeout(database)["OPTIONS"] == {
        "sslmode": "require",
        "connect_timeout": 2,
    }


def test_sqlite_gets_no_connect_timeout() -> None:
    database = {"ENGINE": "django.db.backends.sqlite3", "OPTIONS": {"timeout": 20}}
    assert base.with_connect_timeout(database)["OPTIONS"] == {"timeout": 20}


def test_the_running_database_has_it_when_it_is_postgresql() -> None:
    options = connection.settings_dict["OPTIONS"]
    if connection.vendor == "postgresql":
        assert options["connect_timeout"] == base.NDL_DB_CONNECT_TIMEOUT
    else:
        assert "connect_timeout" not in options


def test_a_server_that_never_answers_fails_the_connection_in_seconds(
    monkeypatch, django_db_blocker
) -> None:
    """A listening socket that never speaks PostgreSQL, like a hung server:
    without the timeout, connecting would wait for the operating system."""
    monkeypatch.setattr(base, "NDL_DB_CONNECT_TIMEOUT", 2)  # libpq's smallest
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen()
        host, port = hung.getsockname()
        settings_dict = base.with_connect_timeout(
            {
                **connection.settings_dict,
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "ndl_ill",
                "USER": "postgres",
                "PASSWORD": "",
                "HOST": host,
                "PORT": port,
                "OPTIONS": {},
                "CONN_MAX_AGE": 0,
            }
        )
        wrapper = DatabaseWrapper(settings_dict, alias="hung")
        started = time.monotonic()
        with django_db_blocker.unblock(), pytest.raises(OperationalError):
            wrapper.ensure_connection()
        assert time.monotonic() - started < 10
