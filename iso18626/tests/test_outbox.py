"""The outbox's worker: batches claimed per peer, requests side by side, each
request's messages in order, every message sent once, retries with back-off."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from iso18626.models import DeliveryStatus, IsoMessage, IsoTransaction
from iso18626.services import (
    _claim,
    _outcomes_write,
    _queue,
    _verdict,
    iso_outbox_deliver,
    iso_outbox_waits_for_another,
)
from iso18626.tasks import iso_outbox_deliver_task, iso_outbox_sweep_task

from .conftest import Peer, Wire, make_peer
from .helpers import assert_valid, root_of, text


def _backlog(peer: Peer, requests: int, messages: int) -> dict[str, list[int]]:
    """``messages`` queued for each of ``requests`` requests, interleaved as
    they would be over a day; each message's ``note`` is ``request/n``."""
    txs = [
        IsoTransaction.objects.create(
            peer=peer.peer, requesting_request_id=f"r{r}", state="identify", version="1.2"
        )
        for r in range(requests)
    ]
    ids: dict[str, list[int]] = {tx.requesting_request_id: [] for tx in txs}
    for n in range(messages):
        for tx in txs:
            row = _queue(tx=tx, reason="StatusChange", status="ExpectToSupply", key=None,
                         note=f"{tx.requesting_request_id}/{n}")  # fmt: skip
            assert row is not None
            ids[tx.requesting_request_id].append(row.pk)
    return ids


def _posted(bodies: list[bytes]) -> dict[str, list[int]]:
    """The notes the peer received, per request, in the order it received them."""
    out: dict[str, list[int]] = {}
    for body in bodies:
        request, n = text(root_of(body), "note").split("/")
        out.setdefault(request, []).append(int(n))
    return out


def _states(ids: list[int]) -> list[tuple[str, int]]:
    rows = dict(IsoMessage.objects.filter(pk__in=ids).values_list("pk", "status"))
    tries = dict(IsoMessage.objects.filter(pk__in=ids).values_list("pk", "attempts"))
    return [(rows[pk], tries[pk]) for pk in ids]


def test_a_drain_sends_each_request_in_order_once(wire: Wire, peer: Peer) -> None:
    ids = _backlog(peer, requests=5, messages=4)
    assert iso_outbox_deliver(peer_id=peer.peer.pk) == 20
    assert _posted(wire.sent) == {f"r{r}": [0, 1, 2, 3] for r in range(5)}
    for body in wire.sent:
        assert_valid(body)
    every = [pk for pks in ids.values() for pk in pks]
    assert set(_states(every)) == {(DeliveryStatus.SENT, 1)}
    row = IsoMessage.objects.get(pk=every[0])
    assert row.result == "OK" and row.http_status == 200 and "OK" in row.response
    assert row.sent_at is not None and row.next_attempt_at is None
    # Sent once: nothing is left to send.
    assert iso_outbox_deliver(peer_id=peer.peer.pk) == 0
    assert len(wire.sent) == 20


def test_a_second_worker_takes_other_requests_never_a_claimed_ones_successor(
    wire: Wire, peer: Peer, settings, monkeypatch
) -> None:
    """While one worker's batch is on the wire, another worker finds every
    message of those requests out of reach (the claimed ones are leased, the
    later ones wait for them) and takes a request the batch did not reach."""
    settings.NDL_ISO18626_OUTBOX_BATCH = 6
    settings.NDL_ISO18626_OUTBOX_LANES = 1
    ids = _backlog(peer, requests=3, messages=4)  # the first 6 by id: two of each
    late = _backlog_one(peer, "late", 2)
    second: list[int] = []
    started = threading.Event()
    recorder = wire.__call__

    def post(url: str, body: bytes) -> tuple[int, bytes]:
        if not started.is_set():  # the other worker, while the first batch is being POSTed
            started.set()
            before = len(wire.sent)
            second.append(iso_outbox_deliver(peer_id=peer.peer.pk))
            second.append(len(wire.sent) - before)
        return recorder(url, body)

    monkeypatch.setattr("iso18626.services._post", post)
    iso_outbox_deliver(peer_id=peer.peer.pk)
    # The second worker sent the late request's two messages, nothing else.
    assert second == [2, 2]
    assert _posted(wire.sent[:2]) == {"late": [0, 1]}
    assert _posted(wire.sent) == {"late": [0, 1], **{f"r{r}": [0, 1, 2, 3] for r in range(3)}}
    every = [pk for pks in ids.values() for pk in pks] + late
    assert set(_states(every)) == {(DeliveryStatus.SENT, 1)}


def _backlog_one(peer: Peer, request_id: str, messages: int) -> list[int]:
    tx = IsoTransaction.objects.create(
        peer=peer.peer, requesting_request_id=request_id, state="identify", version="1.2"
    )
    rows = [
        _queue(
            tx=tx,
            reason="StatusChange",
            status="ExpectToSupply",
            key=None,
            note=f"{request_id}/{n}",
        )
        for n in range(messages)
    ]
    return [row.pk for row in rows if row is not None]


def test_a_claim_is_a_prefix_of_each_request_and_excludes_another_claims(peer: Peer) -> None:
    _backlog(peer, requests=2, messages=3)
    runs = _claim(peer_id=peer.peer.pk, limit=3)  # r0/0, r1/0, r0/1
    assert [[m.pk for m in run] for run in runs] == [
        [m.pk for m in runs[0]],
        [m.pk for m in runs[1]],
    ]
    assert [len(run) for run in runs] == [2, 1]
    assert all(m.attempts == 1 for run in runs for m in run)
    assert _claim(peer_id=peer.peer.pk, limit=100) == []  # the rest waits for them


def test_a_stale_claims_outcome_is_not_written(peer: Peer) -> None:
    [pk] = _backlog_one(peer, "r", 1)
    [[claimed]] = _claim(peer_id=peer.peer.pk, limit=10)
    # The lease ran out and another worker claimed the message again.
    IsoMessage.objects.filter(pk=pk).update(attempts=2)
    ok = _verdict(http_status=200, answer=Wire()("", b"")[1], error="", elapsed=0.1, attempts=1)
    assert _outcomes_write([(pk, claimed.attempts, ok)]) == 0
    assert IsoMessage.objects.get(pk=pk).status == DeliveryStatus.QUEUED


def test_a_failure_holds_its_request_and_not_the_others(
    wire: Wire, peer: Peer, monkeypatch, time_machine
) -> None:
    ids = _backlog(peer, requests=3, messages=3)
    recorder = wire.__call__

    def post(url: str, body: bytes) -> tuple[int, bytes]:
        wire.http_status = 503 if text(root_of(body), "note").startswith("r1/") else 200
        return recorder(url, body)

    monkeypatch.setattr("iso18626.services._post", post)
    assert iso_outbox_deliver(peer_id=peer.peer.pk) == 6
    assert _posted(wire.sent) == {"r0": [0, 1, 2], "r1": [0], "r2": [0, 1, 2]}
    failed = IsoMessage.objects.get(pk=ids["r1"][0])
    assert (failed.status, failed.attempts, failed.http_status) == (DeliveryStatus.FAILED, 1, 503)
    assert failed.last_error.startswith("HTTP 503")
    assert failed.next_attempt_at is not None
    wait = failed.next_attempt_at - timezone.now()
    assert timedelta(seconds=25) < wait <= timedelta(seconds=30)
    # The request's later messages were given back untried.
    assert _states(ids["r1"][1:]) == [(DeliveryStatus.QUEUED, 0)] * 2
    assert IsoMessage.objects.get(pk=ids["r1"][1]).next_attempt_at is None
    # Not due yet: nothing goes.
    assert iso_outbox_deliver(peer_id=peer.peer.pk) == 0
    time_machine.move_to(timezone.now() + timedelta(seconds=31))
    monkeypatch.setattr("iso18626.services._post", recorder)
    wire.http_status = 200
    assert iso_outbox_deliver(peer_id=peer.peer.pk) == 3
    assert _posted(wire.sent)["r1"] == [0, 0, 1, 2]
    assert _states(ids["r1"]) == [(DeliveryStatus.SENT, 2), (DeliveryStatus.SENT, 1),
                                  (DeliveryStatus.SENT, 1)]  # fmt: skip


def test_an_unreachable_peer_stops_the_batch(peer: Peer, settings, monkeypatch) -> None:
    settings.NDL_ISO18626_OUTBOX_LANES = 1
    ids = _backlog(peer, requests=3, messages=2)
    tries: list[bytes] = []

    def refused(url: str, body: bytes) -> tuple[int, bytes]:
        tries.append(body)
        raise ConnectionRefusedError("Connection refused")

    monkeypatch.setattr("iso18626.services._post", refused)
    assert iso_outbox_deliver(peer_id=peer.peer.pk) == 0
    assert len(tries) == 1  # not one timeout per request
    first = IsoMessage.objects.get(pk=ids["r0"][0])
    assert first.status == DeliveryStatus.FAILED and "ConnectionRefusedError" in first.last_error
    rest = [pk for pks in ids.values() for pk in pks if pk != first.pk]
    assert set(_states(rest)) == {(DeliveryStatus.QUEUED, 0)}


def test_a_client_error_gives_up_and_the_request_goes_on(wire: Wire, peer: Peer) -> None:
    ids = _backlog(peer, requests=1, messages=2)
    wire.http_status = 400
    iso_outbox_deliver(peer_id=peer.peer.pk)
    assert [s for s, _n in _states(ids["r0"])] == [DeliveryStatus.GAVE_UP] * 2


def test_the_sweeper_delivers_a_backlog_whose_tasks_were_lost(
    wire: Wire, peer: Peer, time_machine
) -> None:
    ids = _backlog(peer, requests=2, messages=2)
    time_machine.move_to(timezone.now() + timedelta(minutes=3))
    iso_outbox_sweep_task()  # eager in the tests: delivers at once
    assert _posted(wire.sent) == {"r0": [0, 1], "r1": [0, 1]}
    assert {s for s, _n in _states([pk for pks in ids.values() for pk in pks])} == {
        DeliveryStatus.SENT
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_each_message_once_and_in_order(settings, monkeypatch) -> None:
    """Two workers (threads, each its own database session) drain one peer at
    once, in small batches on two lanes each: every message reaches the peer
    once, each request's in order."""
    settings.NDL_ISO18626_OUTBOX_BATCH = 5
    settings.NDL_ISO18626_OUTBOX_LANES = 2
    peer = make_peer()
    # Committed at once here: keep the eager tasks from delivering the backlog.
    monkeypatch.setattr("iso18626.services._enqueue_peer", lambda peer_id: None)
    ids = _backlog(peer, requests=6, messages=5)
    wire = Wire()
    lock = threading.Lock()

    def post(url: str, body: bytes) -> tuple[int, bytes]:
        time.sleep(0.002)  # on the wire a little while, so the workers overlap
        with lock:
            return wire(url, body)

    monkeypatch.setattr("iso18626.services._post", post)
    done: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            done.append(iso_outbox_deliver(peer_id=peer.peer.pk))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    _race(worker, worker)
    assert errors == []
    assert sum(done) == 30 and len(wire.sent) == 30
    assert _posted(wire.sent) == {f"r{r}": [0, 1, 2, 3, 4] for r in range(6)}
    every = [pk for pks in ids.values() for pk in pks]
    assert set(_states(every)) == {(DeliveryStatus.SENT, 1)}


def _race(*targets: Callable[[], None]) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


def test_a_messages_task_is_a_no_op_while_a_drain_has_its_request(wire: Wire, peer: Peer) -> None:
    ids = _backlog(peer, requests=2, messages=2)
    r0, r1 = ids["r0"], ids["r1"]
    assert not iso_outbox_waits_for_another(message_id=r0[1])  # its request's head is due
    claimed = _claim(peer_id=peer.peer.pk, limit=1)  # r0/0 only
    assert [[m.pk for m in run] for run in claimed] == [[r0[0]]]
    assert iso_outbox_waits_for_another(message_id=r0[1])  # the claiming worker goes on
    assert not iso_outbox_waits_for_another(message_id=r1[1])
    iso_outbox_deliver_task(peer.peer.pk, r0[1])
    assert wire.sent == []  # nothing sent by the no-op
    iso_outbox_deliver_task(peer.peer.pk, r1[1])
    assert _posted(wire.sent) == {"r1": [0, 1]}
    assert iso_outbox_waits_for_another(message_id=r1[1])  # delivered
