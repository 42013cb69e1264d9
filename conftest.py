"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest
from django.db import connection

from core.models import Site, SiteCode


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

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
