"""Interoperability over real HTTP: a small requester with its own receiver on
127.0.0.1 drives whole loans against the running app, whose outbox a real
Celery worker delivers through a real Redis.

PostgreSQL only (the worker is another process); needs NDL_TEST_REDIS_URL.
``NDL_ISO18626_LOOPBACK=required`` (as in ``.ci/run``) makes a missing Redis
fail instead of skip.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.tests.factories import StaffFactory
from core.tests.test_celery_integration import REDIS_URL, queue, workers  # noqa: F401
from iso18626.models import IsoTransaction
from loans.services.requests import loan_request_accept, loan_request_reject
from loans.services.shipping import loan_pack, shipment_dispatch
from loans.tests.factories import LoanRequestFactory, MaterialFactory, s10_number
from returns.models import ItemCondition
from returns.services import loan_check_in

from .conftest import make_peer
from .helpers import assert_valid, reqmsg_xml, request_xml, root_of, status_of, text

REQUIRED = os.environ.get("NDL_ISO18626_LOOPBACK") == "required"

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Requester:
    """The borrowing library's ILL system: it POSTs to the NDL and receives its messages."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        requester = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                requester.received.append(body)
                ns = "http://illtransactions.org/2013/iso18626"
                answer = (
                    f'<ISO18626Message xmlns="{ns}" xmlns:ill="{ns}" ill:version="1.2">'
                    "<supplyingAgencyMessageConfirmation><confirmationHeader>"
                    "<timestamp>2026-11-20T10:00:00Z</timestamp>"
                    "<timestampReceived>2026-11-20T10:00:00Z</timestampReceived>"
                    "<messageStatus>OK</messageStatus></confirmationHeader>"
                    "</supplyingAgencyMessageConfirmation></ISO18626Message>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/iso18626"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def post(self, url: str, body: bytes) -> bytes:
        request = urllib.request.Request(  # noqa: S310 - the test's own loopback URL
            url, data=body, headers={"Content-Type": "application/xml"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.read()

    def statuses(self, request_id: str) -> list[tuple[str, str]]:
        out = []
        for body in list(self.received):
            root = root_of(body)
            if text(root, "requestingAgencyRequestId") == request_id:
                out.append((text(root, "reasonForMessage"), text(root, "status")))
        return out

    def wait(self, request_id: str, count: int, timeout: float = 60) -> list[tuple[str, str]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.statuses(request_id)
            if len(got) >= count:
                return got
            time.sleep(0.1)
        raise AssertionError(f"{request_id}: got {self.statuses(request_id)}, wanted {count}")


@pytest.fixture
def routed(queue: str) -> Iterator[str]:  # noqa: F811
    """Tasks the app enqueues (``.delay`` after commit) go to the worker's private queue."""
    from ndl_ill.celery import app

    saved = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        app.conf.task_default_queue = saved


@pytest.fixture
def requester() -> Iterator[Requester]:
    if not REDIS_URL:
        if REQUIRED:
            pytest.fail("NDL_ISO18626_LOOPBACK=required but NDL_TEST_REDIS_URL is not set")
        pytest.skip("set NDL_TEST_REDIS_URL to run the loopback test")
    r = Requester()
    yield r
    r.server.shutdown()


def test_whole_loans_over_http(live_server, requester, routed, workers, tokyo) -> None:  # noqa: F811
    workers()
    peer = make_peer()
    peer.peer.endpoint_url = requester.url
    peer.peer.save(update_fields=["endpoint_url"])
    url = live_server.url + "/iso18626/"
    staff = StaffFactory()
    lent, refused, cancelled = MaterialFactory(), MaterialFactory(), MaterialFactory()

    answer = requester.post(url, request_xml(**peer.auth, request_id="loan", ndl_id=lent.ndl_id))
    assert_valid(answer)
    assert status_of(answer) == ("OK", "")
    assert requester.wait("loan", 1) == [("RequestResponse", "ExpectToSupply")]
    loan = IsoTransaction.objects.get(requesting_request_id="loan").loan
    loan_request_accept(loan=loan, actor=staff)
    loan_pack(loan_id=loan.pk, actor=staff)
    shipment_dispatch(loan_ids=[loan.pk], tracking_number=s10_number(31),
                      shipped_on=dt.date.today(), actor=staff)  # fmt: skip
    requester.wait("loan", 3)
    requester.post(url, reqmsg_xml(**peer.auth, request_id="loan", action="Received"))
    requester.wait("loan", 4)
    renew = requester.post(url, reqmsg_xml(**peer.auth, request_id="loan", action="Renew"))
    assert status_of(renew)[0] == "OK"
    requester.wait("loan", 5)
    requester.post(url, reqmsg_xml(**peer.auth, request_id="loan", action="ShippedReturn",
                                   note=s10_number(32, "US")))  # fmt: skip
    loan_check_in(loan_id=loan.pk, site=tokyo, checked_in_on=dt.date.today(),
                  condition=ItemCondition.GOOD, loan_slip_enclosed=True,
                  to_borrowers_enclosed=True, note="", actor=staff)  # fmt: skip
    got = requester.wait("loan", 6)
    assert got == [
        ("RequestResponse", "ExpectToSupply"),
        ("RequestResponse", "WillSupply"),
        ("StatusChange", "Loaned"),
        ("StatusChange", "Loaned"),
        ("RenewResponse", "Loaned"),
        ("StatusChange", "LoanCompleted"),
    ]
    due = [root_of(b) for b in requester.received if b"dueDate" in b]
    assert due and text(due[0], "dueDate")

    requester.post(url, request_xml(**peer.auth, request_id="no", ndl_id=refused.ndl_id))
    requester.wait("no", 1)
    loan_request_reject(loan=IsoTransaction.objects.get(requesting_request_id="no").loan,
                        actor=staff, codes=["rare"])  # fmt: skip
    assert requester.wait("no", 2)[-1] == ("RequestResponse", "Unfilled")

    requester.post(url, request_xml(**peer.auth, request_id="cancel", ndl_id=cancelled.ndl_id))
    requester.wait("cancel", 1)
    requester.post(url, reqmsg_xml(**peer.auth, request_id="cancel", action="Cancel"))
    assert requester.wait("cancel", 2)[-1] == ("CancelResponse", "Cancelled")

    for _ in range(10):
        LoanRequestFactory(library=peer.peer.library)
    requester.post(url, request_xml(**peer.auth, request_id="cap", ndl_id=MaterialFactory().ndl_id))
    assert requester.wait("cap", 1) == [("RequestResponse", "RetryPossible")]
    for body in requester.received:
        assert_valid(body)
