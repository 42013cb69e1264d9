"""The signed-in user and the staff member's one-time-code device, loaded by
SQL compiled once per process (``core.precompiled.PrecompiledGet``): the
same objects as the ORM's own query, and the device's checks unchanged."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.backends import UserBackend
from core.models import BackupCodeDevice, Site, User
from core.precompiled import PrecompiledAll, PrecompiledGet
from core.tests.factories import StaffFactory, backup_codes_give, site
from registration.tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_it_loads_what_the_orm_loads_with_the_related_rows_in_one_query() -> None:
    staff = StaffFactory(site=site())
    library = LibraryFactory()
    library_user = User.objects.create_user(library.user_id, library=library)
    load = PrecompiledGet(User, "library", "site")
    for user in (staff, library_user):
        expected = User.objects.select_related("library", "site").get(pk=user.pk)
        with CaptureQueriesContext(connection) as ctx:
            loaded = load(user.pk)
            # The related rows came with it: no query for them.
            related = (loaded.library, loaded.site)
        assert len(ctx.captured_queries) == 1
        assert _fields(loaded) == _fields(expected)
        for mine, theirs in zip(related, (expected.library, expected.site), strict=True):
            assert (mine and _fields(mine)) == (theirs and _fields(theirs))
        assert loaded._state.db == "default" and not loaded._state.adding


def test_a_missing_row_is_none_and_the_backend_refuses_a_bad_id() -> None:
    assert PrecompiledGet(User, "library", "site")(987654321) is None
    backend = UserBackend()
    assert backend.get_user(987654321) is None
    assert backend.get_user("not a number") is None
    inactive = StaffFactory(is_active=False)
    assert backend.get_user(inactive.pk) is None
    active = StaffFactory()
    assert backend.get_user(str(active.pk)) == active


def test_a_deleted_or_unconfirmed_device_ends_the_second_factor(client, settings) -> None:
    settings.NDL_ADMIN_REQUIRE_OTP = True
    user = StaffFactory()
    device = backup_codes_give(user, "12345678")
    response = client.post(
        reverse("admin:login"),
        {"username": user.username, "password": PASSWORD, "otp_token": "12345678"},
    )
    assert response.status_code == 302
    index = reverse("admin:index")
    assert client.get(index).status_code == 200
    BackupCodeDevice.objects.filter(pk=device.pk).update(confirmed=False)
    assert client.get(index).status_code == 302  # back to the login
    BackupCodeDevice.objects.filter(pk=device.pk).update(confirmed=True)
    # The session forgot the device: a new login is needed.
    assert client.get(index).status_code == 302


def test_all_rows_are_the_orms_in_the_models_order() -> None:
    sites = PrecompiledAll(Site).all()
    assert [_fields(s) for s in sites] == [_fields(s) for s in Site.objects.all()]
    assert len(sites) >= 3


def test_the_site_filter_offers_what_djangos_own_filter_offers(rf) -> None:
    from django.contrib import admin as django_admin

    from loans.admin.shipping import SiteFieldFilter
    from loans.models import LoanRequest

    model_admin = django_admin.site._registry[LoanRequest]
    field = LoanRequest._meta.get_field("material").related_model._meta.get_field("site")
    request = rf.get("/")
    request.user = StaffFactory()
    mine = SiteFieldFilter.field_choices(
        SiteFieldFilter.__new__(SiteFieldFilter), field, request, model_admin
    )
    theirs = django_admin.RelatedFieldListFilter.field_choices(
        django_admin.RelatedFieldListFilter.__new__(django_admin.RelatedFieldListFilter),
        field,
        request,
        model_admin,
    )
    assert mine == theirs


def test_the_compiled_key_fits_every_model_s_primary_key() -> None:
    """The plan is compiled with a stand-in key: out of a key's range (a
    32-bit ``AutoField``, django-otp's devices) the ORM drops the parameter
    and the plan cannot be made (PostgreSQL checks the range, SQLite not)."""
    from django.apps import apps
    from django.db.backends.base.operations import BaseDatabaseOperations

    from core.precompiled import _COMPILED_PK

    for model in apps.get_models():
        kind = model._meta.pk.get_internal_type()
        low, high = BaseDatabaseOperations.integer_field_ranges.get(kind, (None, None))
        if low is not None:
            assert low <= _COMPILED_PK <= high, (model, kind)


def test_every_device_model_loads_by_its_compiled_plan() -> None:
    from django.apps import apps
    from django_otp.models import Device

    staff = StaffFactory(site=site())
    models = [m for m in apps.get_models() if issubclass(m, Device)]
    assert len(models) >= 2  # TOTP and the backup codes
    for model in models:
        device = model.objects.create(user=staff, name="phone", confirmed=True)
        loaded = PrecompiledGet(model)(device.pk)
        assert loaded is not None and _fields(loaded) == _fields(device)
