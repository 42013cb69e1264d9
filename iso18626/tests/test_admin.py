"""Peers are set up by the command and the admin (the code shown once); the
request lists show the ISO 18626 channel without a query per row."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.tests.factories import StaffFactory
from iso18626.models import IsoMessage, IsoTransaction, PeerAgency
from loans.tests.factories import LoanRequestFactory
from registration.tests.factories import LibraryFactory

from .conftest import make_peer

pytestmark = pytest.mark.django_db


def test_the_command_sets_a_peer_up_and_prints_a_new_code() -> None:
    library = LibraryFactory()
    out = StringIO()
    call_command(
        "iso18626_peer", library.user_id.lower(), "--isil", "us-macu",
        "--endpoint", "https://ill.example.org/iso18626", "--schema-version", "2021-2", stdout=out,
    )  # fmt: skip
    peer = PeerAgency.objects.get(library=library)
    assert (peer.isil, peer.schema_version) == ("US-macu", "2021-2")
    code = out.getvalue().split("shown once): ")[1].strip()
    assert len(code) >= 30 and code not in peer.code_digest


@pytest.mark.parametrize(
    "endpoint", ["http://ill.example.org/iso", "ftp://127.0.0.1/", "http://localhost/"]
)
def test_the_command_refuses_an_endpoint_that_is_not_https(endpoint) -> None:
    library = LibraryFactory()
    with pytest.raises(CommandError, match="https"):
        call_command("iso18626_peer", library.user_id, "--isil", "US-MaCU", "--endpoint", endpoint)


def test_the_command_refuses_a_bad_isil() -> None:
    library = LibraryFactory()
    with pytest.raises(CommandError):
        call_command("iso18626_peer", library.user_id, "--isil", "not an isil", "--endpoint",
                     "https://ill.example.org/")  # fmt: skip


def test_loopback_http_is_refused_in_production(settings) -> None:
    settings.NDL_ISO18626_ALLOW_LOOPBACK_HTTP = False
    library = LibraryFactory()
    with pytest.raises(CommandError):
        call_command("iso18626_peer", library.user_id, "--isil", "US-MaCU", "--endpoint",
                     "http://127.0.0.1:8000/")  # fmt: skip


def test_the_admin_action_shows_a_new_code_once(client) -> None:
    peer = make_peer()
    client.force_login(StaffFactory())
    response = client.post(
        reverse("admin:iso18626_peeragency_changelist"),
        {"action": "issue_code", "_selected_action": [peer.peer.pk]},
    )
    assert response.status_code == 200
    page = response.content.decode()
    code = page.split('class="security-code">')[1].split("<")[0]
    assert code != peer.code
    peer.peer.refresh_from_db()
    assert code not in page.replace(f'class="security-code">{code}', "")
    from iso18626.models import security_code_digest

    assert security_code_digest(code=code, salt=peer.peer.code_salt) == peer.peer.code_digest


def test_the_admin_pages_open(client) -> None:
    peer = make_peer()
    tx = IsoTransaction.objects.create(
        peer=peer.peer, requesting_request_id="r", state="identify", version="1.2"
    )
    client.force_login(StaffFactory())
    for url in (
        reverse("admin:iso18626_peeragency_changelist"),
        reverse("admin:iso18626_isotransaction_change", args=[tx.pk]),
        reverse("admin:iso18626_isotransaction_identify", args=[tx.pk]),
        reverse("admin:iso18626_isomessage_changelist"),
    ):
        assert client.get(url).status_code == 200, url


def test_the_lists_show_the_channel_without_a_query_per_row(client) -> None:
    peer = make_peer()
    library = peer.peer.library
    for i in range(3):
        loan = LoanRequestFactory(library=library)
        IsoTransaction.objects.create(peer=peer.peer, requesting_request_id=f"r{i}", loan=loan,
                                      state="linked", version="1.2")  # fmt: skip
    LoanRequestFactory(library=library)
    client.force_login(StaffFactory())
    page = client.get(reverse("admin:loans_loanrequest_changelist")).content.decode()
    assert page.count("ISO 18626") >= 3
    portal = library.portal_user
    client.force_login(portal)
    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("loans:request_list")).content.decode()
    assert page.count(">ISO 18626<") == 3
    for _ in range(5):
        LoanRequestFactory(library=library)
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("loans:request_list"))
    assert len(more) == len(few)


def test_the_protocol_log_pages_make_no_query_per_message_or_request(client) -> None:
    peer = make_peer()
    library = peer.peer.library
    client.force_login(StaffFactory(is_superuser=True))

    def add(n: int) -> IsoTransaction:
        tx = IsoTransaction.objects.create(
            peer=peer.peer, requesting_request_id=f"r{IsoTransaction.objects.count()}",
            loan=LoanRequestFactory(library=library), state="linked", version="1.2",
        )  # fmt: skip
        for i in range(n):
            IsoMessage.objects.create(transaction=tx, direction="out", kind="RequestResponse",
                                      summary=f"m{i}", body="<a/>")  # fmt: skip
        return tx

    tx = add(1)
    urls = [
        reverse("admin:iso18626_isomessage_changelist"),
        reverse("admin:iso18626_isotransaction_changelist"),
    ]
    counts = []
    for url in urls:
        client.get(url)  # warm the per-process caches
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        counts.append(len(few))
    for _ in range(4):
        add(3)
    for url, before in zip(urls, counts, strict=True):
        with CaptureQueriesContext(connection) as more:
            assert client.get(url).status_code == 200
        assert len(more) == before, url
    change = reverse("admin:iso18626_isotransaction_change", args=[tx.pk])
    client.get(change)  # warm the per-process caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(change).status_code == 200
    for i in range(4):
        IsoMessage.objects.create(transaction=tx, direction="out", kind="StatusChange",
                                  summary=f"n{i}", body="<a/>")  # fmt: skip
    with CaptureQueriesContext(connection) as more:
        assert client.get(change).status_code == 200
    assert len(more) == len(few)
