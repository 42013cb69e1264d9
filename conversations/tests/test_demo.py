"""The demo's conversations tell the same story as its loans: a question about
the registration, and the explanation of a refusal the library asks about,
each message after the event it answers, one unread message on each side."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from conversations.models import Message, Side, Thread
from conversations.selectors import library_unread_threads, staff_unread_count
from core.models import User
from loans.models import LoanStatus
from registration.models import Library

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(django_capture_on_commit_callbacks) -> Library:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())
    return Library.objects.get(name="Demo University East Asian Library")


def test_the_library_asks_about_its_registration_and_is_answered(demo) -> None:
    thread = Thread.objects.get(library=demo, loan_request__isnull=True)
    talk = thread.messages.order_by("created_at", "pk")
    asked = talk.filter(sender=Side.LIBRARY).first()
    assert asked is not None and demo.registered_on is not None
    # Asked as a registered library: after its registration.
    assert asked.created_at.date() >= demo.registered_on
    after = [(m.sender, m.body) for m in talk.filter(created_at__gte=asked.created_at)]
    assert [sender for sender, _body in after] == [Side.LIBRARY, Side.NDL, Side.LIBRARY]
    assert "change notice" in after[1][1]
    assert "変更届" in after[1][1]


def test_the_refusal_is_explained_after_the_decision(demo) -> None:
    refused = demo.loans.get(status=LoanStatus.REJECTED)
    thread = Thread.objects.get(loan_request=refused)
    messages = list(thread.messages.order_by("created_at", "pk"))
    assert [m.sender for m in messages] == [Side.NDL, Side.LIBRARY, Side.NDL]
    # The reasons came with the decision, in the library's language.
    assert "The item is in use at the NDL." in messages[0].body
    assert messages[0].created_at == refused.decided_at
    assert refused.requested_at < messages[0].created_at < messages[1].created_at
    assert messages[1].created_at < messages[2].created_at
    assert thread.last_message_at == messages[2].created_at


def test_one_message_waits_on_each_side(demo) -> None:
    admin = User.objects.get(username="admin")
    assert staff_unread_count(user=admin) == 1
    unread = library_unread_threads(library_id=demo.pk)
    refused = demo.loans.get(status=LoanStatus.REJECTED)
    assert [(t.loan_request_id, t.unread) for t in unread] == [(refused.pk, 1)]


def test_seeding_again_posts_nothing_more(demo, django_capture_on_commit_callbacks) -> None:
    count = Message.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())
    assert Message.objects.count() == count


def test_the_letter_asking_for_information_is_dated_as_the_letter(demo) -> None:
    waiting = Library.objects.get(name="Demo State Library")
    letter = waiting.application.letters.get()
    message = Message.objects.get(thread__library=waiting)
    assert timezone.localtime(message.created_at).date() == letter.dated
