import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError

from core.models import Site, SiteCode, User


@pytest.mark.django_db
def test_it_creates_the_three_sites_by_migration():
    sites = {s.code: s for s in Site.objects.all()}
    assert set(sites) == {SiteCode.TOKYO, SiteCode.KANSAI, SiteCode.ILCL}
    assert "619-0287" in sites["kansai"].address
    assert sites["kansai"].fax == "+81-774-94-9112"
    assert "100-8924" in sites["tokyo"].address
    assert "110-0007" in sites["ilcl"].address


def test_production_settings_refuse_to_start_without_secrets(monkeypatch):
    import importlib
    import sys

    for var in (
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "CACHE_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    sys.modules.pop("ndl_ill.settings.production", None)
    with pytest.raises(ImproperlyConfigured):
        importlib.import_module("ndl_ill.settings.production")
    sys.modules.pop("ndl_ill.settings.production", None)


@pytest.mark.django_db
def test_a_library_login_cannot_be_staff(kansai):
    from registration.tests.factories import LibraryFactory

    library = LibraryFactory()
    with pytest.raises(IntegrityError):
        User.objects.create(username="x", library=library, is_staff=True)


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_the_logins(django_capture_on_commit_callbacks):
    from io import StringIO

    from django.contrib.auth.password_validation import validate_password
    from django.core.management import call_command

    from core.management.commands import seed_demo
    from registration.models import Library, LibraryStatus

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
        call_command("seed_demo", stdout=out)
    assert Library.objects.count() == 3
    statuses = set(Library.objects.values_list("status", flat=True))
    assert statuses == {
        LibraryStatus.ACTIVE,
        LibraryStatus.UNDER_REVIEW,
        LibraryStatus.INFO_REQUESTED,
    }
    registered = Library.objects.get(status=LibraryStatus.ACTIVE)
    assert registered.user_id in out.getvalue()
    assert seed_demo.LIBRARY_PASSWORD in out.getvalue()
    portal = User.objects.get(library=registered)
    assert portal.check_password(seed_demo.LIBRARY_PASSWORD)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(seed_demo.ADMIN_PASSWORD)
    for code in ("tokyo", "kansai", "ilcl"):
        staff = User.objects.get(username=code)
        assert staff.site.code == code and staff.is_staff and not staff.is_superuser
        assert staff.groups.filter(name="Lending staff").exists()
        validate_password(seed_demo.STAFF_PASSWORD, staff)
    validate_password(seed_demo.ADMIN_PASSWORD, admin)
    validate_password(seed_demo.LIBRARY_PASSWORD, portal)


def test_production_caches_in_redis_and_fails_fast(monkeypatch):
    import importlib
    import sys

    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 50)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "ill.example.org")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db:5432/ndl")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://redis:6379/0")
    monkeypatch.setenv("CACHE_URL", "redis://redis:6379/1")
    sys.modules.pop("ndl_ill.settings.production", None)
    try:
        production = importlib.import_module("ndl_ill.settings.production")
    finally:
        sys.modules.pop("ndl_ill.settings.production", None)
    cache = production.CACHES["default"]
    assert cache["BACKEND"] == "core.resilience.ResilientRedisCache"
    assert cache["LOCATION"] == "redis://redis:6379/1"
    assert cache["KEY_PREFIX"] == "ndl-ill"
    assert cache["OPTIONS"]["socket_timeout"] <= 1
    assert production.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
