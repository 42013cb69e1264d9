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

    for var in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL"):
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
