"""Login throttling (django-axes), the admin's second factor (django-otp),
and the password rules."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import User
from core.tests.factories import StaffFactory, backup_codes_give
from registration.tests.factories import LibraryFactory

GOOD = "correct horse battery staple"
NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def throttled(settings):
    settings.AXES_ENABLED = True


@pytest.fixture
def library_login(db):
    library = LibraryFactory()
    user = User.objects.create(username=library.user_id, library=library)
    user.set_password(GOOD)
    user.save()
    return user


def _portal_login(client, username, password, ip):
    return client.post(
        "/portal/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@time_machine.travel(NOW, tick=False)
@pytest.mark.django_db
def test_four_failures_do_not_lock_the_portal_login(client, throttled, library_login):
    for _ in range(4):
        assert (
            _portal_login(client, library_login.username, "wrong", "203.0.113.5").status_code == 200
        )
    response = _portal_login(client, library_login.username, GOOD, "203.0.113.5")
    assert response.status_code == 302


@time_machine.travel(NOW, tick=False)
@pytest.mark.django_db
def test_five_failures_lock_that_user_id_from_that_address_for_15_minutes(
    client, throttled, library_login
):
    for _ in range(5):
        _portal_login(client, library_login.username, "wrong", "203.0.113.5")
    locked = _portal_login(client, library_login.username, GOOD, "203.0.113.5")
    assert locked.status_code == 429
    assert b"locked for 15 minutes" in locked.content

    # another address still works
    assert _portal_login(client, library_login.username, GOOD, "198.51.100.7").status_code == 302
    client.logout()


@pytest.mark.parametrize(
    ("later", "status"),
    [(dt.timedelta(minutes=14, seconds=59), 429), (dt.timedelta(minutes=15, seconds=1), 302)],
)
@pytest.mark.django_db
def test_the_lock_lasts_fifteen_minutes(client, throttled, library_login, later, status):
    with time_machine.travel(NOW, tick=False):
        for _ in range(5):
            _portal_login(client, library_login.username, "wrong", "203.0.113.5")
    with time_machine.travel(NOW + later, tick=False):
        assert (
            _portal_login(client, library_login.username, GOOD, "203.0.113.5").status_code == status
        )


@time_machine.travel(NOW, tick=False)
@pytest.mark.django_db
def test_the_admin_login_is_throttled_too(client, throttled):
    StaffFactory(username="officer")
    for _ in range(5):
        client.post(
            "/admin/login/", {"username": "officer", "password": "nope"}, REMOTE_ADDR="192.0.2.1"
        )
    response = client.post(
        "/admin/login/", {"username": "officer", "password": GOOD}, REMOTE_ADDR="192.0.2.1"
    )
    assert response.status_code == 429


@pytest.fixture
def otp_required(settings):
    settings.NDL_ADMIN_REQUIRE_OTP = True


@pytest.mark.django_db
def test_staff_without_a_second_factor_cannot_reach_the_admin(client, otp_required):
    staff = StaffFactory()
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    response = client.post("/admin/login/", {"username": staff.username, "password": GOOD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    client.force_login(staff)  # a password-only session
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_staff_reach_the_admin_with_a_totp_code(client, otp_required):
    staff = StaffFactory()
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = client.post(
        "/admin/login/", {"username": staff.username, "password": GOOD, "otp_token": code}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_wrong_totp_code_is_refused(client, otp_required):
    staff = StaffFactory()
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    response = client.post(
        "/admin/login/", {"username": staff.username, "password": GOOD, "otp_token": "000000"}
    )
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_a_backup_code_works_once(client, otp_required):
    staff = StaffFactory()
    backup_codes_give(staff, "demo1234")
    data = {"username": staff.username, "password": GOOD, "otp_token": "demo1234"}
    assert client.post("/admin/login/", data).status_code == 302
    client.logout()
    assert client.post("/admin/login/", data).status_code == 200


@pytest.mark.django_db
def test_a_portal_login_cannot_use_the_admin(client):
    library = LibraryFactory()
    user = User.objects.create(username=library.user_id, library=library)
    client.force_login(user)
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("x7#Kq2!vLp9", False),  # 11 characters
        ("x7#Kq2!vLp9z", True),  # 12 characters
        ("password1234", False),  # common
        ("qwertyuiop123", False),  # common
    ],
)
def test_passwords_need_twelve_characters_and_must_not_be_common(password, ok):
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


def test_passwords_are_hashed_with_argon2_in_production():
    from ndl_ill.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
