"""No secret is stored readable.

The set-password link of a newly approved library is the key to its account.
The email carries it; the outbox row, the admin, the audit log, the sessions
and therefore every backup hold nothing that would open the account, and the
link stops working after 72 hours or once used.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock
from urllib.parse import urlparse

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import models
from django.db.models import TextField
from django.db.models.functions import Cast
from django.urls import resolve, reverse

from core.emails import LINK_PLACEHOLDER
from core.models import AuditEntry, MailStatus, OutgoingMail, User
from core.services import outgoing_mail_send
from core.tests.factories import StaffFactory, backup_codes_give
from registration import services
from registration.tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-11-20 10:00 +0900", tick=False)


def rows_containing(secret: str) -> list[str]:
    """Every row of every table (ours, Django's, third parties') whose text
    holds ``secret``, sessions decoded."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, TEXT_FIELDS):
                text = model._default_manager.annotate(_text=Cast(field.attname, TextField()))
                for pk in text.filter(_text__contains=secret).values_list("pk", flat=True):
                    found.append(f"{model._meta.label}.{field.name} #{pk}")
    for session in Session.objects.all():
        if secret in repr(session.get_decoded()):
            found.append(f"session {session.session_key}")
    return found


def _approve(django_capture_on_commit_callbacks: Any) -> tuple[User, str]:
    """Approve a library as staff do; return its login and the emailed link."""
    staff = StaffFactory()
    application = ApplicationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.library_approve(actor=staff, library=application.library)
    user = User.objects.get(library=application.library)
    (message,) = mail.outbox
    link = next(w for w in message.body.split() if "/set-password/" in w)
    assert link in message.alternatives[0][0]  # the HTML part carries the same link
    return user, link


def _token(link: str) -> str:
    token: str = resolve(urlparse(link).path).kwargs["token"]
    return token


def test_the_emailed_link_opens_the_account(django_capture_on_commit_callbacks) -> None:
    user, link = _approve(django_capture_on_commit_callbacks)
    assert default_token_generator.check_token(user, _token(link))


def test_the_outbox_holds_a_placeholder_not_the_link(django_capture_on_commit_callbacks) -> None:
    user, link = _approve(django_capture_on_commit_callbacks)
    row = OutgoingMail.objects.get()
    assert row.status == MailStatus.SENT
    assert row.password_set_user == user
    assert LINK_PLACEHOLDER in row.body_text and LINK_PLACEHOLDER in row.body_html
    assert "/set-password/" not in row.body_text + row.body_html
    assert _token(link) not in row.body_text + row.body_html


def test_no_table_holds_the_token_before_or_after_the_password_is_set(
    client, django_capture_on_commit_callbacks
) -> None:
    user, link = _approve(django_capture_on_commit_callbacks)
    token = _token(link)
    assert rows_containing(token) == []

    # The library follows the link and chooses its password.
    response = client.get(urlparse(link).path, follow=True)
    form_url = response.redirect_chain[-1][0]
    new = "a long enough passphrase 2026"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)

    assert rows_containing(token) == []
    assert not default_token_generator.check_token(user, token)  # single use


def test_the_admin_and_the_audit_log_show_no_link(
    client, django_capture_on_commit_callbacks
) -> None:
    _user, link = _approve(django_capture_on_commit_callbacks)
    client.force_login(StaffFactory())
    row = OutgoingMail.objects.get()
    for url in (
        reverse("admin:core_outgoingmail_changelist"),
        reverse("admin:core_outgoingmail_change", args=[row.pk]),
        reverse("admin:core_auditentry_changelist"),
    ):
        page = client.get(url).content.decode()
        assert _token(link) not in page, url
        assert "/set-password/" not in page, url
    for entry in AuditEntry.objects.all():
        assert _token(link) not in repr(entry.data)


def test_a_retried_mail_gets_a_fresh_working_link(django_capture_on_commit_callbacks) -> None:
    """The token is made at each attempt: a failure leaves nothing behind, and
    the link that finally goes out works for 72 hours from then."""
    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")
    ):
        staff = StaffFactory()
        application = ApplicationFactory()
        with django_capture_on_commit_callbacks(execute=True):
            services.library_approve(actor=staff, library=application.library)
    row = OutgoingMail.objects.get()
    assert row.status == MailStatus.FAILED
    assert "/set-password/" not in row.last_error
    row.next_attempt_at = row.created_at
    row.save(update_fields=["next_attempt_at"])
    assert outgoing_mail_send(mail_id=row.pk)
    (message,) = mail.outbox
    link = next(w for w in message.body.split() if "/set-password/" in w)
    user = User.objects.get(library=application.library)
    assert default_token_generator.check_token(user, _token(link))
    assert rows_containing(_token(link)) == []


def test_links_expire_within_72_hours(time_machine, django_capture_on_commit_callbacks) -> None:
    assert settings.PASSWORD_RESET_TIMEOUT <= 72 * 3600
    user, link = _approve(django_capture_on_commit_callbacks)
    token = _token(link)
    sent = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    time_machine.move_to(sent + dt.timedelta(hours=71, minutes=59), tick=False)
    assert default_token_generator.check_token(user, token)
    time_machine.move_to(sent + dt.timedelta(hours=72, seconds=1), tick=False)
    assert not default_token_generator.check_token(user, token)


def test_the_audit_log_masks_secret_keys() -> None:
    from core.audit import audit_log

    staff = StaffFactory()
    entry = audit_log(
        actor=staff,
        action="core.test",
        obj=staff,
        data={"password": "x", "reset_token": "y", "api_secret": "z", "site": "kansai"},
    )
    assert entry.data == {
        "password": "***",
        "reset_token": "***",
        "api_secret": "***",
        "site": "kansai",
    }


def test_the_search_finds_a_planted_token(client) -> None:
    """The control group: the sweep above would see a token in a text
    column, a JSON column or a session."""
    OutgoingMail.objects.create(dedupe_key="x", subject="s", body_text="link /abc-123-planted/")
    AuditEntry.objects.create(
        action="a", object_type="t", object_id="1", data={"k": "json-planted"}
    )
    session = client.session
    session["_password_reset_token"] = "session-planted"
    session.save()
    assert len(rows_containing("abc-123-planted")) == 1
    assert len(rows_containing("json-planted")) == 1
    assert len(rows_containing("session-planted")) == 1


def test_staff_send_a_new_link_that_works_and_is_not_stored(
    client, django_capture_on_commit_callbacks
) -> None:
    user, _first = _approve(django_capture_on_commit_callbacks)
    library = user.library
    staff = StaffFactory()
    client.force_login(staff)
    page = client.get(reverse("admin:registration_library_change", args=[library.pk]))
    url = reverse("admin:registration_library_password_link", args=[library.pk])
    assert url in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {}).status_code == 302
    assert len(mail.outbox) == 2
    link = next(w for w in mail.outbox[1].body.split() if "/set-password/" in w)
    assert default_token_generator.check_token(user, _token(link))
    assert rows_containing(_token(link)) == []
    entry = AuditEntry.objects.get(action="registration.library.password_link_send")
    assert entry.actor == staff
    assert "72 hours" in mail.outbox[1].body


def test_no_link_for_a_library_without_a_login() -> None:
    from core.errors import DomainError

    application = ApplicationFactory()  # under review: no login yet
    with pytest.raises(DomainError) as refused:
        services.library_password_link_send(actor=None, library=application.library)
    assert refused.value.code == "no_login"
    assert not OutgoingMail.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_link_opened_but_not_used_leaves_no_token_behind(
    client, django_capture_on_commit_callbacks
) -> None:
    """Django keeps the token in the session between the link and the form;
    ours keeps it in a signed cookie of the set-password pages, so a library
    that opens the link and walks away leaves nothing in the database."""
    user, link = _approve(django_capture_on_commit_callbacks)
    response = client.get(urlparse(link).path, follow=True)
    assert response.context["validlink"] is True
    assert rows_containing(_token(link)) == []
    cookie = client.cookies["ndl_password_set"]
    assert cookie["httponly"] and cookie["path"] == "/portal/set-password/"
    # The form page works from the cookie alone, and only with it.
    form_url = response.redirect_chain[-1][0]
    client.cookies.pop("ndl_password_set")
    assert client.get(form_url).context["validlink"] is False
    assert not user.check_password("anything")


def test_a_failed_sign_in_does_not_store_the_backup_code(client, settings) -> None:
    """django-axes keeps the form data of failed sign-ins; a backup code typed
    with a wrong password is still valid, so it is masked like the password."""
    settings.AXES_ENABLED = True
    settings.NDL_ADMIN_REQUIRE_OTP = True
    staff = StaffFactory(username="officer")
    backup_codes_give(staff, "unused77")
    data = {"username": "officer", "password": "wrong password", "otp_token": "unused77"}
    client.post(reverse("admin:login"), data, REMOTE_ADDR="192.0.2.7")
    assert AccessAttempt.objects.filter(username="officer").exists()
    assert rows_containing("unused77") == []
