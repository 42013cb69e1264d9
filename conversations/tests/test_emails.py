"""The message notification as a mail client shows it: a whole HTML document
in the reader's language, the message quoted, and the portal's address shown
as the link (not a link whose words end in a colon with nothing after it)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conversations.services import message_post
from core.models import OutgoingMail, User
from core.tests.factories import StaffFactory
from loans.tests.factories import LoanRequestFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "intro"), [("en", "Read the conversation"), ("ja", "ポータル")]
)
def test_the_library_reads_a_whole_document_with_the_address_shown(settings, language, intro):
    loan = LoanRequestFactory(library__language=language)
    message_post(subject=loan, author=StaffFactory(), body="At the binder until Friday.")
    html = OutgoingMail.objects.get().body_html
    assert html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in html
    url = settings.NDL_PORTAL_BASE_URL.rstrip("/") + reverse(
        "conversations:request", kwargs={"pk": loan.pk}
    )
    assert f'<a href="{url}">{url}</a>' in html
    assert intro in html
    assert "At the binder until Friday." in html


def test_the_ndl_reads_a_whole_japanese_document_with_the_admin_address(settings):
    loan = LoanRequestFactory()
    author = User.objects.create_user(loan.library.user_id, library=loan.library)
    message_post(subject=loan, author=author, body="When will it ship?")
    html = OutgoingMail.objects.get().body_html
    assert '<html lang="ja">' in html
    url = settings.NDL_PORTAL_BASE_URL.rstrip("/") + reverse(
        "admin:conversations_thread_request", args=[loan.pk]
    )
    assert f'<a href="{url}">{url}</a>' in html
