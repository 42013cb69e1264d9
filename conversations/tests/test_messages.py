"""Messages between the NDL and a library: who may write where, what each
side sees, and the one email each message sends to the other side."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from catalogue.rules import Reason
from conversations.models import MESSAGE_MAX_LENGTH, Message, Side, StaffNote, Thread
from conversations.services import message_post
from core.errors import DomainError
from core.models import AuditEntry, OutgoingMail, Site, SiteCode, User
from core.roles import LENDING_STAFF, REGISTRATION_OFFICER
from core.tests.factories import StaffFactory
from loans.models import LoanStatus
from loans.services.requests import loan_request_reject
from loans.tests.factories import LoanRequestFactory
from registration.models import Library
from registration.services import application_request_info
from registration.tests.factories import ApplicationFactory, LibraryFactory

pytestmark = pytest.mark.django_db

NOTE = "Staff only: the borrower phoned twice, be patient 7Q2"


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-11-20 10:00 +0900", tick=False)


def staff(role: str, site: str = SiteCode.TOKYO) -> User:
    user = User.objects.create_user(f"staff-{role}", is_staff=True)
    if role == "lending":
        user.site = Site.objects.get(code=site)
        user.save(update_fields=["site"])
        user.groups.add(Group.objects.get(name=LENDING_STAFF))
    elif role == "officer":
        user.groups.add(Group.objects.get(name=REGISTRATION_OFFICER))
    return User.objects.get(pk=user.pk)


def portal_user(library: Library) -> User:
    return User.objects.create_user(library.user_id, library=library)


def counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (Thread, Message, StaffNote, AuditEntry, OutgoingMail)
    }


# --- the services ----------------------------------------------------------------


def test_it_emails_the_ndl_in_japanese_when_a_library_writes(
    django_capture_on_commit_callbacks, settings
) -> None:
    loan = LoanRequestFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = message_post(
            subject=loan, author=portal_user(loan.library), body="  When will it ship?  "
        )
    assert isinstance(message, Message)
    assert message.sender == Side.LIBRARY
    assert message.body == "When will it ship?"
    assert message.thread.library_id == loan.library_id
    mail = OutgoingMail.objects.get()
    assert mail.to == [settings.NDL_ILL_SECTION_EMAIL]
    assert f"申込み#{loan.pk}" in mail.subject or str(loan.pk) in mail.subject
    assert "When will it ship?" in mail.body_text
    assert reverse("admin:conversations_thread_request", args=[loan.pk]) in mail.body_text
    assert "について" in mail.body_text  # Japanese for the ILL Section
    assert len(callbacks) == 1  # the send task, after commit
    entry = AuditEntry.objects.get(action="conversations.message.post")
    assert entry.data["sender"] == "library"
    assert "When will it ship?" not in str(entry.data)


@pytest.mark.parametrize(
    ("language", "greeting"), [("en", "The NDL wrote to you"), ("ja", "国立国会図書館")]
)
def test_it_emails_the_library_in_its_language_when_staff_write(
    language: str, greeting: str
) -> None:
    loan = LoanRequestFactory(library=LibraryFactory(language=language))
    message_post(subject=loan, author=staff("lending"), body="The item is at the binder.")
    mail = OutgoingMail.objects.get()
    assert mail.to == [loan.library.email]
    assert greeting in mail.body_text
    assert "The item is at the binder." in mail.body_text
    assert reverse("conversations:request", args=[loan.pk]) in mail.body_text


def test_one_email_per_message_and_none_for_a_note() -> None:
    loan = LoanRequestFactory()
    officer = staff("officer")
    message_post(subject=loan, author=officer, body="First question.")
    message_post(subject=loan, author=portal_user(loan.library), body="First answer.")
    message_post(subject=loan, author=officer, body=NOTE, staff_only=True)
    assert OutgoingMail.objects.count() == 2
    assert Thread.objects.count() == 1
    assert not any(NOTE in m.body_text + m.body_html for m in OutgoingMail.objects.all())


def test_the_outbox_row_holds_no_secret() -> None:
    loan = LoanRequestFactory()
    message_post(subject=loan, author=staff("officer"), body="Please confirm the address.")
    mail = OutgoingMail.objects.get()
    assert mail.password_set_user is None
    for text in (mail.body_text, mail.body_html, mail.subject):
        assert "set-password" not in text
        assert "token" not in text.lower()


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "empty"), ("   \n ", "empty"), ("x" * (MESSAGE_MAX_LENGTH + 1), "too_long")],
)
def test_bad_input_is_refused_and_nothing_is_written(body: str, code: str) -> None:
    loan = LoanRequestFactory()
    before = counts()
    for author in (portal_user(loan.library), staff("officer")):
        with pytest.raises(DomainError) as error:
            message_post(subject=loan, author=author, body=body)
        assert error.value.code == code
    assert counts() == before


def test_the_longest_message_is_accepted() -> None:
    loan = LoanRequestFactory()
    message_post(subject=loan, author=portal_user(loan.library), body="x" * MESSAGE_MAX_LENGTH)
    assert Message.objects.count() == 1


def test_a_library_cannot_write_in_another_librarys_thread() -> None:
    loan = LoanRequestFactory()
    other = portal_user(LibraryFactory())
    before = counts()
    for subject in (loan, loan.library):
        with pytest.raises(DomainError) as error:
            message_post(subject=subject, author=other, body="Hello")
        assert error.value.code == "not_yours"
    assert counts() == before


def test_a_library_cannot_write_a_staff_note() -> None:
    loan = LoanRequestFactory()
    before = counts()
    with pytest.raises(DomainError) as error:
        message_post(subject=loan, author=portal_user(loan.library), body="x", staff_only=True)
    assert error.value.code == "forbidden"
    assert counts() == before


@pytest.mark.parametrize(
    ("role", "on_request", "on_registration"),
    [("none", False, False), ("lending", True, False), ("officer", True, True)],
)
def test_staff_write_by_role(role: str, on_request: bool, on_registration: bool) -> None:
    loan = LoanRequestFactory()
    user = staff(role)
    for subject, allowed in ((loan, on_request), (loan.library, on_registration)):
        for staff_only in (False, True):
            before = counts()
            if allowed:
                message_post(subject=subject, author=user, body="ok", staff_only=staff_only)
            else:
                with pytest.raises(DomainError) as error:
                    message_post(subject=subject, author=user, body="no", staff_only=staff_only)
                assert error.value.code == "forbidden"
                assert counts() == before


def test_a_refusal_posts_its_explanation_in_the_conversation() -> None:
    loan = LoanRequestFactory(library=LibraryFactory(language="ja"))
    loan_request_reject(loan=loan, actor=StaffFactory(), codes=[Reason.OTHER], note="Under repair")
    message = Message.objects.get(thread__loan_request=loan)
    assert message.sender == Side.NDL
    assert "Under repair" in message.body
    assert "貸出しできない理由" in message.body or "理由" in message.body
    # The refusal's own email carries the explanation: no second email.
    assert OutgoingMail.objects.count() == 1
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REJECTED


def test_asking_the_applicant_a_question_posts_it_and_emails_it() -> None:
    application = ApplicationFactory()
    application_request_info(
        actor=staff("officer"),
        application=application,
        dated=dt.date(2026, 11, 19),
        summary="Please describe the supervision of the reading room.",
    )
    message = Message.objects.get(thread__library=application.library)
    assert message.thread.loan_request_id is None
    assert message.body == "Please describe the supervision of the reading room."
    mail = OutgoingMail.objects.get()
    assert mail.to == [application.library.email]
    assert "supervision of the reading room" in mail.body_text


# --- the portal ------------------------------------------------------------------


def _portal(client: Any, library: Library) -> Any:
    client.force_login(portal_user(library))
    return client


def test_a_staff_note_is_never_on_any_portal_page_of_the_request(client) -> None:
    loan = LoanRequestFactory()
    officer = staff("officer")
    message_post(subject=loan, author=officer, body="A question for you.")
    message_post(subject=loan, author=officer, body=NOTE, staff_only=True)
    message_post(subject=loan.library, author=officer, body=NOTE, staff_only=True)
    _portal(client, loan.library)
    pages = [
        reverse("portal:dashboard"),
        reverse("loans:request_list"),
        reverse("loans:request_detail", args=[loan.pk]),
        reverse("conversations:request", args=[loan.pk]),
        reverse("conversations:registration"),
        reverse("registration:details"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert NOTE not in response.content.decode(), url
    assert "A question for you." in client.get(pages[3]).content.decode()


def test_the_library_writes_to_the_ndl_from_the_portal(client) -> None:
    loan = LoanRequestFactory()
    _portal(client, loan.library)
    url = reverse("conversations:request", args=[loan.pk])
    response = client.post(url, {"body": "Could you send it with the other item?"})
    assert response.status_code == 302
    assert response["Location"] == url
    message = Message.objects.get()
    assert message.sender == Side.LIBRARY
    assert message.author.library_id == loan.library_id
    assert OutgoingMail.objects.get().to[0].endswith("ndl.go.jp")
    page = client.get(url).content.decode()
    assert "Could you send it with the other item?" in page


@pytest.mark.parametrize("body", ["", "x" * (MESSAGE_MAX_LENGTH + 1)])
def test_the_portal_refuses_bad_input_with_a_message(client, body: str) -> None:
    loan = LoanRequestFactory()
    _portal(client, loan.library)
    before = counts()
    response = client.post(reverse("conversations:request", args=[loan.pk]), {"body": body})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert response.context["form"].errors["body"]
    assert counts() == before


def test_the_portal_shows_unread_messages_from_the_ndl_until_opened(client) -> None:
    loan = LoanRequestFactory()
    message_post(subject=loan, author=staff("lending"), body="Your item is being packed.")
    _portal(client, loan.library)
    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    assert 'data-testid="unread-messages"' in dashboard
    assert reverse("conversations:request", args=[loan.pk]) in dashboard
    detail = client.get(reverse("loans:request_detail", args=[loan.pk])).content.decode()
    assert 'data-testid="unread"' in detail
    client.get(reverse("conversations:request", args=[loan.pk]))
    assert Message.objects.get().read_at is not None
    assert (
        'data-testid="unread-messages"'
        not in client.get(reverse("portal:dashboard")).content.decode()
    )
    detail = client.get(reverse("loans:request_detail", args=[loan.pk])).content.decode()
    assert 'data-testid="unread"' not in detail
    assert 'data-testid="conversation-link"' in detail


def test_the_registration_conversation_in_the_portal(client) -> None:
    library = LibraryFactory()
    message_post(subject=library, author=staff("officer"), body="Is your address still valid?")
    _portal(client, library)
    url = reverse("conversations:registration")
    assert "Is your address still valid?" in client.get(url).content.decode()
    assert client.post(url, {"body": "Yes, it is."}).status_code == 302
    assert Message.objects.filter(sender=Side.LIBRARY, thread__loan_request=None).count() == 1


# --- the admin -------------------------------------------------------------------


def test_staff_reply_and_note_from_the_admin(client, settings) -> None:
    loan = LoanRequestFactory(library=LibraryFactory(language="ja"))
    message_post(subject=loan, author=portal_user(loan.library), body="Any news?")
    officer = staff("officer")
    client.force_login(officer)
    url = reverse("admin:conversations_thread_request", args=[loan.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Any news?" in page.content.decode()
    assert Message.objects.get().read_at is not None  # read by the NDL
    response = client.post(url, {"body": "It ships next week."})
    assert response.status_code == 302
    response = client.post(url, {"body": NOTE, "staff_only": "on"})
    assert response.status_code == 302
    assert Message.objects.filter(sender=Side.NDL).count() == 1
    assert StaffNote.objects.get().body == NOTE
    mails = OutgoingMail.objects.order_by("pk")
    assert [m.to for m in mails] == [[settings.NDL_ILL_SECTION_EMAIL], [loan.library.email]]
    assert "国立国会図書館" in mails[1].body_text
    page = client.get(url).content.decode()
    assert NOTE in page and "It ships next week." in page


def test_the_admin_refuses_bad_input_with_a_message(client) -> None:
    loan = LoanRequestFactory()
    client.force_login(staff("officer"))
    before = counts()
    response = client.post(
        reverse("admin:conversations_thread_request", args=[loan.pk]), {"body": "  "}
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert counts() == before


def test_lending_staff_cannot_open_a_registration_conversation(client) -> None:
    library = LibraryFactory()
    client.force_login(staff("lending"))
    url = reverse("admin:conversations_thread_library", args=[library.pk])
    assert client.get(url).status_code == 403
    before = counts()
    assert client.post(url, {"body": "Hello"}).status_code == 403
    assert counts() == before


def test_the_admin_list_filters_unread_messages_from_libraries(
    client, django_assert_max_num_queries
) -> None:
    read, unread = LoanRequestFactory(), LoanRequestFactory()
    for loan in (read, unread):
        message_post(subject=loan, author=portal_user(loan.library), body="Hello NDL")
    Message.objects.filter(thread__loan_request=read).update(read_at=dt.datetime.now(dt.UTC))
    for _ in range(5):
        other = LoanRequestFactory()
        message_post(
            subject=other,
            author=portal_user(other.library),
            body="More",
        )
    client.force_login(staff("officer"))
    url = reverse("admin:conversations_thread_changelist")
    with django_assert_max_num_queries(12):
        response = client.get(url, {"unread": "yes"})
    assert response.status_code == 200
    shown = {t.pk for t in response.context["cl"].result_list}
    assert unread.thread.pk in shown
    assert read.thread.pk not in shown
    response = client.get(url, {"unread": "no"})
    assert {t.pk for t in response.context["cl"].result_list} == {read.thread.pk}


def test_the_dashboard_panel_is_cached_and_renewed_by_the_services(
    client, django_assert_num_queries
) -> None:
    loan = LoanRequestFactory()
    _portal(client, loan.library)
    assert (
        'data-testid="unread-messages"'
        not in client.get(reverse("portal:dashboard")).content.decode()
    )
    message_post(subject=loan, author=staff("officer"), body="News about your item.")
    assert (
        'data-testid="unread-messages"' in client.get(reverse("portal:dashboard")).content.decode()
    )
    with django_assert_num_queries(1):  # the signed-in user; the panel comes from the cache
        page = client.get(reverse("portal:dashboard")).content.decode()
    assert 'data-testid="unread-messages"' in page
