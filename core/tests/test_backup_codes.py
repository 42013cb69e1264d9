"""Staff backup codes: the database keeps only what verifies them.

A backup code is a second factor: whoever reads one (in a table, the admin,
the audit log, a session or a backup) holds half of a staff account. The codes
are shown once, to whoever issues them; every table keeps a salted keyed hash
(HMAC-SHA256), compared in constant time, and each code works once.
"""

from __future__ import annotations

import re
from importlib import import_module
from io import StringIO
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import models as core_models
from core.backup_codes import backup_codes_issue
from core.errors import DomainError
from core.models import AuditEntry, BackupCode, BackupCodeDevice, User
from core.tests.factories import StaffFactory
from core.tests.test_secrets import rows_containing
from registration.tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db

GOOD = "correct horse battery staple"


@pytest.fixture
def otp_required(settings: Any) -> None:
    settings.NDL_ADMIN_REQUIRE_OTP = True
    settings.AXES_ENABLED = True


def _sign_in(client: Any, user: User, code: str, password: str = GOOD) -> int:
    data = {"username": user.username, "password": password, "otp_token": code}
    return client.post(reverse("admin:login"), data, REMOTE_ADDR="192.0.2.9").status_code


def test_codes_are_returned_once_and_stored_only_as_keyed_hashes() -> None:
    staff = StaffFactory(username="officer")
    codes = backup_codes_issue(user=staff, actor=staff)
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-7]{10}", code) for code in codes)
    device = BackupCodeDevice.objects.get(user=staff)
    assert device.confirmed
    rows = list(BackupCode.objects.filter(device=device))
    assert len(rows) == 10
    assert all(re.fullmatch(r"[0-9a-f]{64}", row.digest) for row in rows)
    assert len({row.salt for row in rows}) == 10  # a salt of its own for each code
    for code in codes:
        assert rows_containing(code) == []
    (entry,) = AuditEntry.objects.filter(action="backup_codes.issue")
    assert entry.data == {"user": "officer", "count": 10}
    assert entry.actor == staff


def test_signing_in_and_failing_leave_no_code_in_any_table_page_or_log(
    client: Any, otp_required: None, django_user_model: Any
) -> None:
    """The sweep: issue, sign in with one code, fail with another (wrong
    password, so axes keeps the attempt), fail with a wrong code; then no
    table, decoded session, axes attempt, audit entry or admin page of the
    device holds any of the codes."""
    staff = StaffFactory(username="sweeper", is_superuser=True)
    codes = backup_codes_issue(user=staff, actor=None, count=5)
    assert _sign_in(client, staff, codes[0]) == 302
    assert client.get(reverse("admin:index")).status_code == 200
    device = BackupCodeDevice.objects.get(user=staff)
    pages = [
        client.get(reverse("admin:core_backupcodedevice_changelist")),
        client.get(reverse("admin:core_backupcodedevice_change", args=[device.pk])),
        client.get(reverse("admin:core_backupcodedevice_history", args=[device.pk])),
        client.get(reverse("admin:core_auditentry_changelist")),
    ]
    assert all(page.status_code == 200 for page in pages)
    other = django_user_model.objects.create_user("other", password=GOOD, is_staff=True)
    backup_codes_issue(user=other, actor=staff, count=1)
    assert _sign_in(client, staff, codes[1], password="wrong password") == 200
    assert _sign_in(client, staff, "notacode42") == 200
    assert AccessAttempt.objects.filter(username="sweeper").exists()

    for code in codes:
        assert rows_containing(code) == [], code
        assert code.encode() not in b"".join(page.content for page in pages)
        assert not AuditEntry.objects.filter(data__icontains=code).exists()
    assert BackupCode.objects.filter(device=device).count() == 4  # only the used one is gone


def test_a_used_code_cannot_be_used_twice(client: Any, otp_required: None) -> None:
    staff = StaffFactory()
    code, *_rest = backup_codes_issue(user=staff, actor=None, count=2)
    assert _sign_in(client, staff, code) == 302
    client.logout()
    assert _sign_in(client, staff, code) == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_wrong_code_fails_and_counts_towards_throttling(client: Any, otp_required: None) -> None:
    staff = StaffFactory()
    codes = backup_codes_issue(user=staff, actor=None, count=3)
    assert _sign_in(client, staff, "wrongcode2") == 200
    assert client.get(reverse("admin:index")).status_code == 302
    device = BackupCodeDevice.objects.get(user=staff)
    assert device.throttling_failure_count == 1
    assert device.codes.count() == 3
    # Typed as printed or with spaces and capitals, a right code still works.
    spaced = " ".join([codes[0][:5], codes[0][5:]]).upper()
    device.throttle_reset()
    assert device.verify_token(spaced) is True
    assert device.verify_token("") is False
    assert device.verify_token(None) is False


def test_codes_are_compared_in_constant_time() -> None:
    staff = StaffFactory()
    codes = backup_codes_issue(user=staff, actor=None, count=3)
    device = BackupCodeDevice.objects.get(user=staff)
    with mock.patch.object(
        core_models, "constant_time_compare", wraps=core_models.constant_time_compare
    ) as compare:
        assert device.verify_token(codes[2]) is True
    # Every stored hash was compared, not only until the first match.
    assert compare.call_count == 3


def test_issuing_again_replaces_the_earlier_codes() -> None:
    staff = StaffFactory()
    first = backup_codes_issue(user=staff, actor=None, count=2)
    second = backup_codes_issue(user=staff, actor=None, count=2)
    device = BackupCodeDevice.objects.get(user=staff)
    assert BackupCodeDevice.objects.filter(user=staff).count() == 1
    assert not any(device.verify_token(code) for code in first)
    device.throttle_reset()
    assert all(device.verify_token(code) for code in second)
    assert device.codes.count() == 0


@pytest.mark.parametrize("count", [0, -1, 21])
def test_a_count_out_of_range_is_refused_and_writes_nothing(count: int) -> None:
    staff = StaffFactory()
    with pytest.raises(DomainError) as raised:
        backup_codes_issue(user=staff, actor=None, count=count)
    assert raised.value.code == "backup_codes_count"
    assert not BackupCodeDevice.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_library_login_gets_no_backup_codes() -> None:
    login = User.objects.create_user("JP-9999", library=LibraryFactory())
    with pytest.raises(DomainError) as raised:
        backup_codes_issue(user=login, actor=None)
    assert raised.value.code == "backup_codes_not_staff"
    assert not BackupCodeDevice.objects.exists()


def test_the_admin_action_shows_the_codes_once(client: Any) -> None:
    admin_user = StaffFactory(username="root", is_superuser=True)
    staff = StaffFactory(username="newcomer", is_superuser=False)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:core_user_changelist"),
        {"action": "issue_backup_codes", "_selected_action": [str(staff.pk)]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    (shown,) = [codes for user, codes in response.context["issued"] if user == staff]
    assert len(shown) == 10
    assert all(code in response.content.decode() for code in shown)
    device = BackupCodeDevice.objects.get(user=staff)
    page = client.get(reverse("admin:core_backupcodedevice_change", args=[device.pk]))
    assert not any(code in page.content.decode() for code in shown)
    assert device.verify_token(shown[0]) is True
    # The same action from the list of devices issues a fresh set.
    response = client.post(
        reverse("admin:core_backupcodedevice_changelist"),
        {"action": "issue_backup_codes", "_selected_action": [str(device.pk)]},
    )
    (fresh,) = [codes for user, codes in response.context["issued"] if user == staff]
    assert not set(fresh) & set(shown)


def test_staff_without_the_permission_cannot_issue_codes(client: Any) -> None:
    staff = StaffFactory(username="plain", is_superuser=False)
    target = StaffFactory(username="target", is_superuser=False)
    client.force_login(staff)
    response = client.post(
        reverse("admin:core_user_changelist"),
        {"action": "issue_backup_codes", "_selected_action": [str(target.pk)]},
    )
    assert response.status_code == 403
    assert not BackupCodeDevice.objects.exists()


def test_a_totp_key_is_not_shown_once_the_device_exists(client: Any) -> None:
    admin_user = StaffFactory(is_superuser=True)
    device = TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    client.force_login(admin_user)
    assert (
        client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code == 403
    )
    assert (
        client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk])).status_code == 403
    )
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200
    assert device.key not in page.content.decode()


def test_an_upgrade_turns_readable_static_codes_into_hashes_and_drops_them() -> None:
    """A database that used django-otp's otp_static keeps its staff's codes
    working, as hashes, and loses the readable tables (migration 0005)."""
    migration = import_module("core.migrations.0005_backup_codes")
    staff = StaffFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE otp_static_staticdevice (id integer PRIMARY KEY, user_id integer,"
            " name varchar(64), confirmed boolean)"
        )
        cursor.execute(
            "CREATE TABLE otp_static_statictoken (id integer PRIMARY KEY, device_id integer,"
            " token varchar(16))"
        )
        cursor.execute(
            "INSERT INTO otp_static_staticdevice VALUES (1, %s, 'backup', %s)", [staff.pk, True]
        )
        cursor.execute("INSERT INTO otp_static_statictoken VALUES (1, 1, 'old12345')")
        cursor.execute("INSERT INTO otp_static_statictoken VALUES (2, 1, 'old67890')")

    def execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    migration.static_tokens_to_backup_codes(
        apps, SimpleNamespace(connection=connection, execute=execute)
    )
    assert not {"otp_static_staticdevice", "otp_static_statictoken"} & set(
        connection.introspection.table_names()
    )
    assert rows_containing("old12345") == []
    device = BackupCodeDevice.objects.get(user=staff)
    assert device.verify_token("old67890") is True
    assert device.codes.count() == 1


def test_seed_demo_prints_codes_that_work_and_stores_none(
    client: Any, otp_required: None, django_capture_on_commit_callbacks: Any
) -> None:
    from core.management.commands import seed_demo

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    printed = re.findall(r"one-time codes: (.+)", out.getvalue())
    assert len(printed) == 4  # admin and the three sites' lending staff
    codes = [code for line in printed for code in line.split()]
    assert len(codes) == 5 + 3 * 2
    for code in codes:
        assert rows_containing(code) == []
    admin_codes = printed[0].split()
    data = {"username": "admin", "password": seed_demo.ADMIN_PASSWORD, "otp_token": admin_codes[0]}
    assert client.post(reverse("admin:login"), data).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
