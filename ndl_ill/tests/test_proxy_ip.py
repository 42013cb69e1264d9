"""Behind the reverse proxy, login throttling counts the client's address.

Before ``NDL_TRUSTED_PROXY_COUNT``, every request reached Django from the
proxy's address: five wrong passwords from anywhere locked a library out
everywhere. Now the client's address comes from the entry our proxy appended
to ``X-Forwarded-For``; entries a client wrote itself are never believed.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import RequestFactory

from core.client_ip import client_ip
from core.models import User
from registration.tests.factories import LibraryFactory

GOOD = "correct horse battery staple"
NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
PROXY = "10.0.0.2"  # the reverse proxy, as Django sees it
CLIENT_A = "198.51.100.7"
CLIENT_B = "203.0.113.5"


@pytest.fixture
def throttled(settings):
    settings.AXES_ENABLED = True


@pytest.fixture
def one_proxy(settings):
    settings.NDL_TRUSTED_PROXY_COUNT = 1


@pytest.fixture
def library_login(db):
    library = LibraryFactory()
    user = User.objects.create(username=library.user_id, library=library)
    user.set_password(GOOD)
    user.save()
    return user


def _login(client, username, password, *, remote, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/portal/login/", {"username": username, "password": password}, **headers)


@time_machine.travel(NOW, tick=False)
@pytest.mark.django_db
def test_behind_one_proxy_five_failures_lock_only_that_client(
    client, throttled, one_proxy, library_login
) -> None:
    user_id = library_login.username
    for _ in range(4):
        assert _login(client, user_id, "wrong", remote=PROXY, forwarded=CLIENT_A).status_code == 200
    # The fifth failure locks.
    assert _login(client, user_id, "wrong", remote=PROXY, forwarded=CLIENT_A).status_code == 429
    assert _login(client, user_id, GOOD, remote=PROXY, forwarded=CLIENT_A).status_code == 429
    # Another library staff member, same User ID, another address: signs in.
    assert _login(client, user_id, GOOD, remote=PROXY, forwarded=CLIENT_B).status_code == 302


@time_machine.travel(NOW, tick=False)
@pytest.mark.django_db
def test_behind_one_proxy_a_forged_entry_does_not_escape_the_lock(
    client, throttled, one_proxy, library_login
) -> None:
    """The client writes its own X-Forwarded-For; our proxy appends its real address."""
    user_id = library_login.username
    for n in range(5):
        forged = f"192.0.2.{n + 1}, {CLIENT_A}"
        _login(client, user_id, "wrong", remote=PROXY, forwarded=forged)
    forged = f"192.0.2.99, {CLIENT_A}"
    assert _login(client, user_id, GOOD, remote=PROXY, forwarded=forged).status_code == 429


@time_machine.travel(NOW, tick=False)
@pytest.mark.django_db
def test_without_a_proxy_a_forged_header_is_ignored(client, throttled, library_login) -> None:
    user_id = library_login.username
    for n in range(5):
        _login(client, user_id, "wrong", remote=CLIENT_A, forwarded=f"192.0.2.{n + 1}")
    response = _login(client, user_id, GOOD, remote=CLIENT_A, forwarded=CLIENT_B)
    assert response.status_code == 429
    # The lock is that User ID from that address only.
    assert _login(client, user_id, GOOD, remote=CLIENT_B).status_code == 302


@time_machine.travel(NOW, tick=False)
@pytest.mark.django_db
def test_behind_one_proxy_another_user_id_from_the_locked_address_signs_in(
    client, throttled, one_proxy, library_login
) -> None:
    other = LibraryFactory()
    other_user = User.objects.create(username=other.user_id, library=other)
    other_user.set_password(GOOD)
    other_user.save()
    for _ in range(5):
        _login(client, library_login.username, "wrong", remote=PROXY, forwarded=CLIENT_A)
    assert _login(client, other.user_id, GOOD, remote=PROXY, forwarded=CLIENT_A).status_code == 302


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        # No proxy configured: the header is never read.
        (0, None, CLIENT_A),
        (0, CLIENT_B, CLIENT_A),
        (0, f"{CLIENT_B}, 10.0.0.9", CLIENT_A),
        # One proxy: the right-most entry is the one it appended.
        (1, CLIENT_B, CLIENT_B),
        (1, f"192.0.2.1, {CLIENT_B}", CLIENT_B),
        (1, f" 192.0.2.1 ,{CLIENT_B} ", CLIENT_B),
        (1, "2001:db8::1", "2001:db8::1"),
        # Two proxies: the outer one wrote the client, the inner one the outer.
        (2, f"{CLIENT_B}, 10.0.0.1", CLIENT_B),
        (2, f"192.0.2.1, {CLIENT_B}, 10.0.0.1", CLIENT_B),
        # Not the way the proxies are configured: the peer's own address.
        (1, None, CLIENT_A),
        (1, "", CLIENT_A),
        (1, " , ", CLIENT_A),
        (2, CLIENT_B, CLIENT_A),
        (1, "unknown", CLIENT_A),
        (1, f"{CLIENT_B}, not-an-address", CLIENT_A),
        (1, "1.2.3.4:8080", CLIENT_A),
    ],
)
def test_client_address_for_each_header_and_proxy_count(
    settings, count, forwarded, expected
) -> None:
    settings.NDL_TRUSTED_PROXY_COUNT = count
    headers = {"REMOTE_ADDR": CLIENT_A}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **headers)
    assert client_ip(request) == expected
