"""Fixtures shared by every app's tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from core.models import Site, SiteCode


def _db_order(item: pytest.Item) -> int:
    """pytest-django's order: tests in a rolled-back transaction first, then
    transactional ones (which empty the database when they end), then the rest."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    if (marker is not None and marker.kwargs.get("transaction")) or (
        "transactional_db" in fixtures or "live_server" in fixtures
    ):
        return 1
    return 0 if marker is not None or "db" in fixtures else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    # pytest-django sorts the transactional tests last, but pytest then groups
    # the tests that share a session-scoped parameter (Playwright's browser),
    # which can pull browser tests in among the others: those that follow them
    # would find the database emptied (no NDL sites). Sort again, keeping each
    # group's own order.
    items.sort(key=_db_order)

    # Every transactional test restores the migrated data (the NDL sites, the
    # staff roles) afterwards. Mixing tests that do with tests that do not
    # would leave later tests without the sites, or with the roles twice.
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker is not None
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            kwargs = {**marker.kwargs, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)

    engine = settings.DATABASES["default"]["ENGINE"]
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords and "postgresql" not in engine:
            item.add_marker(skip_pg)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: its database is new, and a page
    cached by an earlier test for a library with the same id must not show."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def tokyo(db: None) -> Site:
    return Site.objects.get(code=SiteCode.TOKYO)


@pytest.fixture
def kansai(db: None) -> Site:
    return Site.objects.get(code=SiteCode.KANSAI)


@pytest.fixture
def ilcl(db: None) -> Site:
    return Site.objects.get(code=SiteCode.ILCL)


@pytest.fixture
def library(db: None) -> Any:
    """A registered library (a module may give its own, e.g. with a fee table)."""
    from registration.tests.factories import LibraryFactory

    return LibraryFactory()


@pytest.fixture
def portal(client: Client, library: Any) -> Client:
    """The test client signed in to the portal as ``library``'s user."""
    from core.models import User

    client.force_login(User.objects.create_user(username=library.user_id, library=library))
    return client
