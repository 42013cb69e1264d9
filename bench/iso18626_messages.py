"""Benchmark the ISO 18626 endpoint and outbox on PostgreSQL (targets: incoming
at 8 concurrent clients >= 150 messages/s with p99 <= 100 ms; the outbox
delivering >= 200 messages/s to a local receiver).

    DATABASE_URL=postgres://USER@HOST:5432/ndl_bench_iso python bench/iso18626_messages.py \\
        [--seconds 15] [--clients 8] [--workers 3] [--outbox 2000] \\
        [--outbox-workers 2] [--redis redis://127.0.0.1:6379/0]

The database is created if missing and migrated; the ISO 18626 tables are
emptied. Incoming: gunicorn serves the app on 127.0.0.1 (``--workers`` sync
processes, persistent database connections); eight client threads, each a
library's ILL system with its own security code, keep one HTTP connection
each and send a mix of ``request`` (held for staff to identify: a
transaction, a log row and an ExpectToSupply in the outbox), ``StatusRequest``
and ``Renew``, and every answer is checked for ``messageStatus`` OK. Celery
messages go to an in-memory broker, so the outbox is only written.

Outbox, as production runs it: the queued rows are topped up to
``--outbox``, a Celery worker
(``celery worker --concurrency`` ``--outbox-workers``, prefork) is started on
Redis with a private queue, and one ``iso_outbox_deliver_task`` is published
per queued message, as ``_queue`` does after each commit; the worker POSTs
them, one request's messages in order, to the peers' receiver: another
process on 127.0.0.1 (a peer is another machine) that answers each with an
OK confirmation. Printed: the wall-clock rate until every message is
confirmed, and the CPU per message of the worker's processes and of the
receiver, from /proc.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iso18626_settings")

OK_CONFIRMATION = (
    b'<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626" '
    b'xmlns:ill="http://illtransactions.org/2013/iso18626" ill:version="1.2">'
    b"<supplyingAgencyMessageConfirmation><confirmationHeader>"
    b"<timestamp>2026-11-20T10:00:00Z</timestamp>"
    b"<timestampReceived>2026-11-20T10:00:00Z</timestampReceived>"
    b"<messageStatus>OK</messageStatus></confirmationHeader>"
    b"</supplyingAgencyMessageConfirmation></ISO18626Message>"
)


def receive() -> None:
    """The peers' receiver (``--receive``): prints its port, answers every POST OK.

    The answer goes out in one write (a buffered ``wfile``), as a web server
    sends it: headers and body in two small writes would wait on the
    client's delayed ACK (Nagle), some 40 ms per message on Linux.
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 64 * 1024

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(OK_CONFIRMATION)))
            self.end_headers()
            self.wfile.write(OK_CONFIRMATION)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_port, flush=True)
    server.serve_forever()


def receiver() -> tuple[subprocess.Popen[str], int]:
    """Start the receiver in its own process; (process, port)."""
    process = subprocess.Popen(  # noqa: S603 - this script, fixed arguments
        [sys.executable, __file__, "--receive"], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def setup(clients: int, endpoint: str) -> list[dict[str, str]]:
    import django
    from django.core.management import call_command

    sys.path.insert(0, str(ROOT / "bench"))
    from nightly import ensure_database

    ensure_database()
    django.setup()
    call_command("migrate", verbosity=0)
    from iso18626.models import IsoMessage, IsoTransaction, PeerAgency
    from iso18626.services import peer_setup
    from registration.models import Library
    from registration.tests.factories import LibraryFactory

    IsoMessage.objects.all().delete()
    IsoTransaction.objects.all().delete()
    PeerAgency.objects.all().delete()
    peers = []
    for n in range(clients):
        user_id = f"ILL-ZZ-{90000 + n:05d}"
        found = Library.objects.filter(user_id=user_id).first()
        library: Library = found or LibraryFactory.create(
            user_id=user_id, name=f"Bench Library {n}"
        )
        peer, code = peer_setup(
            library=library, isil=f"US-BENCH{n}", endpoint_url=endpoint, actor=None
        )
        peers.append({"isil": peer.isil, "user_id": str(library.user_id), "code": code})
    return peers


def cpu_seconds(pid: int) -> float:
    """User and system CPU of ``pid`` and all its descendants (gunicorn's or
    Celery's pool processes), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pending, seen = [pid], set()
    while pending:
        p = pending.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            for task in Path(f"/proc/{p}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def incoming(peers: list[dict[str, str]], port: int, seconds: float) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from iso18626.tests.helpers import reqmsg_xml, request_xml

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(index: int, peer: dict[str, str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n = 0
        mine: list[float] = []
        while time.monotonic() < stop:
            request_id = f"bench-{index}-{n // 3}"
            if n % 3 == 0:
                body = request_xml(**peer, request_id=request_id, title=f"Unknown book {n}")
            elif n % 3 == 1:
                body = reqmsg_xml(**peer, request_id=request_id, action="StatusRequest")
            else:
                body = reqmsg_xml(**peer, request_id=request_id, action="Renew")
            started = time.perf_counter()
            conn.request("POST", "/iso18626/", body, {"Content-Type": "application/xml"})
            answer = conn.getresponse().read()
            mine.append(time.perf_counter() - started)
            if b"<messageStatus>OK</messageStatus>" not in answer:
                with lock:
                    errors.append(answer[:300].decode(errors="replace"))
            n += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i, p)) for i, p in enumerate(peers)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "messages": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
    }


def worker(concurrency: int, redis_url: str, queue: str, log: Path) -> subprocess.Popen[bytes]:
    """The outbox's Celery worker, as production starts it; returns once it is ready."""
    process = subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ndl_ill",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}",
            "BENCH_CELERY_BROKER_URL": redis_url,
            "BENCH_CELERY_QUEUE": queue,
        },
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while b" ready." not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    return process


def outbox(extra: int, concurrency: int, redis_url: str) -> dict[str, Any]:
    from unittest import mock

    import redis
    from django.db import connection

    from iso18626.models import UNDELIVERED, IsoMessage, IsoTransaction
    from iso18626.services import _queue
    from iso18626.tasks import iso_outbox_deliver_task
    from ndl_ill.celery import app

    # Top the outbox up to at least ``extra`` queued rows, spread over the requests.
    txs = list(IsoTransaction.objects.select_related("peer").order_by("pk"))
    queued = IsoMessage.objects.filter(direction="out", status__in=UNDELIVERED).count()
    i = 0
    with mock.patch("iso18626.services._enqueue_peer"):  # published below, one per row
        while queued < extra and txs:
            _queue(tx=txs[i % len(txs)], reason="StatusChange", status="ExpectToSupply", key=None)
            queued += 1
            i += 1
    rows = list(
        IsoMessage.objects.filter(direction="out", status__in=UNDELIVERED)
        .order_by("pk")
        .values_list("pk", "transaction__peer_id")
    )
    first, last = rows[0][0], rows[-1][0]
    connection.close()

    queue = f"bench-iso18626-{uuid.uuid4().hex[:8]}"
    log = Path(tempfile.gettempdir()) / f"{queue}.log"
    process = worker(concurrency, redis_url, queue, log)
    app.conf.update(broker_url=redis_url)
    left = len(rows)
    try:
        cpu_started = cpu_seconds(process.pid)
        started = time.monotonic()
        with app.producer_or_acquire() as producer:
            for pk, peer_id in rows:
                iso_outbox_deliver_task.apply_async((peer_id, pk), producer=producer, queue=queue)
        while left and time.monotonic() - started < 600:
            time.sleep(0.05)
            left = IsoMessage.objects.filter(
                pk__gte=first, pk__lte=last, direction="out", status__in=UNDELIVERED
            ).count()
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(process.pid) - cpu_started
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        client = redis.Redis.from_url(redis_url)
        client.delete(queue)
        # Tasks the stopped worker had taken but not acknowledged: ours only.
        for tag, raw in client.hgetall("unacked").items():
            try:
                routing_key = json.loads(raw)[2]
            except (ValueError, IndexError):
                continue
            if routing_key == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
        client.close()
        log.unlink(missing_ok=True)
    sent = IsoMessage.objects.filter(pk__gte=first, pk__lte=last, direction="out", status="sent")
    return {
        "messages": len(rows),
        "sent": sent.count(),
        "per_second": (len(rows) - left) / elapsed,
        "cpu_ms": cpu * 1000 / max(len(rows), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--outbox", type=int, default=2000)
    parser.add_argument("--outbox-workers", type=int, default=2)
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--receive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receive:
        receive()
        return

    sink, sink_port = receiver()
    endpoint = f"http://127.0.0.1:{sink_port}/iso18626"
    peers = setup(args.clients, endpoint)

    port = 8799
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ndl_ill.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
            "--keep-alive",
            "30",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}"},
    )
    try:
        for _ in range(100):
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                probe.request("GET", "/iso18626/")
                probe.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
            finally:
                probe.close()
        load = os.getloadavg()[0]
        cpu_before = cpu_seconds(server.pid)
        result = incoming(peers, port, args.seconds)
        cpu = cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(10)
    print(
        f"incoming: {result['messages']} messages from {args.clients} clients in "
        f"{args.seconds:.0f} s = {result['per_second']:.0f} msg/s, p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, errors {result['errors']} {result['first_error']}"
    )
    print(
        f"  app CPU {cpu * 1000 / max(result['messages'], 1):.1f} ms per message "
        f"(gunicorn workers); load average at the start {load:.1f} on {os.cpu_count()} CPUs"
    )
    try:
        load = os.getloadavg()[0]
        sink_before = cpu_seconds(sink.pid)
        sent = outbox(args.outbox, args.outbox_workers, args.redis)
        sink_cpu = cpu_seconds(sink.pid) - sink_before
    finally:
        sink.terminate()
        sink.wait(10)
    print(
        f"outbox: {sent['sent']} of {sent['messages']} delivered and confirmed = "
        f"{sent['per_second']:.0f} msg/s by a Celery worker (--concurrency "
        f"{args.outbox_workers}); its CPU {sent['cpu_ms']:.2f} ms per message, the receiver's "
        f"{sink_cpu * 1000 / max(sent['messages'], 1):.2f} ms; load average at the start "
        f"{load:.1f}"
    )


if __name__ == "__main__":
    main()
