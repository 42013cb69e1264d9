"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest
from django.db import connection

from core.models import Site, SiteCode


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords and "postgresql" not in engine:
            item.add_marker(skip_pg)


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
