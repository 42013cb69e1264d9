"""The performance benchmark: portal and admin pages under load, request
submission under the ten-item cap's lock, the nightly run and PDF rendering,
on 50 libraries, 200,000 materials and 1,000,000 loans in PostgreSQL.

    python bench/perf/run.py [--reseed] [--duration 30] [--connections 8]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/ndl_perf; the
database is created if missing, migrated and seeded once (``--reseed`` seeds
it again). Needs ``wrk`` on the PATH and Redis on 127.0.0.1:6379 (gunicorn's
settings require a broker URL; no page measured here sends a task). The
pages are served by gunicorn (2 workers) with the production settings and a
throw-away secret key. The figures are printed and written to
bench/out/perf-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import multiprocessing
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "bench" / "perf"))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ndl_perf"
PORTAL_LIBRARY = 1  # at the cap, 20,000 loans of history
SUBMIT_LIBRARIES = list(range(21, 29))  # room under the cap
PORTAL_PAGES = [
    ("portal dashboard", "/portal/"),
    ("portal request list", "/portal/loans/requests/"),
]
# The five work lists of the lending desk (target: p99 <= 100 ms under wrk).
ADMIN_PAGES = [
    ("admin requests to decide", "/admin/loans/loanrequest/?status__exact=requested"),
    ("admin pull queue", "/admin/loans/pullqueueitem/"),
    ("admin ship queue", "/admin/loans/shipqueueitem/"),
    ("admin overdue loans", "/admin/loans/overdueloan/"),
    ("admin shipments", "/admin/loans/shipment/"),
]
DESK = "/admin/loans/pullslipbatch/desk/"
EXTRA_PAGES = [("portal catalogue search", "/portal/loans/search/?q=Meiji+Law")]
UNCACHED = ", nothing cached"
TARGET_RPS = 150
TARGET_P99_MS = 50
TARGET_PDF_MS = 10
TARGET_LIST_P99_MS = 100
TARGET_SCAN_MS = 50


def configure_environment(database_url: str) -> None:
    """Production settings with throw-away secrets, shared with gunicorn."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "ndl_ill.settings.production",
            "DATABASE_URL": database_url,
            "DJANGO_SECRET_KEY": "bench-only-" + secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
            "NDL_LOGIN_THROTTLING": "true",
            "DJANGO_DEBUG": "false",
            "DJANGO_LOG_LEVEL": "WARNING",
        }
    )
    # The page cache and the sessions, in a Redis database of their own.
    os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/3")
    os.environ.setdefault("CACHE_KEY_PREFIX", "ndl-perf")


# --- setup -------------------------------------------------------------------


def prepare_database(*, reseed: bool) -> tuple[str, dict[str, float] | None]:
    """Migrate, seed if needed, reset the outstanding loans; return the password."""
    import seed
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        found = seed.marker(cur)
        if found is None or reseed or found["loans"] != seed.HISTORY_LOANS:
            password = seed.new_password()
            start = time.perf_counter()
            timings = seed.seed_all(cur, password_hash=make_password(password), password=password)
            timings["total"] = time.perf_counter() - start
            return password, timings
        seed.outstanding_reset(cur)
        return str(found["password"]), None


def staff_backup_codes(count: int) -> list[str]:
    """Fresh one-time backup codes for the staff login."""
    from core.backup_codes import backup_codes_issue
    from core.models import User

    return backup_codes_issue(user=User.objects.get(username="perf-staff"), actor=None, count=count)


def collect_static() -> str:
    """collectstatic with the production settings; if that fails, with
    ``perf_settings`` (no manifest), and say so in the report."""
    manage = [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"]
    done = subprocess.run(manage, cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    if done.returncode == 0:
        return ""
    lines = done.stderr.strip().splitlines() or ["?"]
    error = next((x for x in lines if "could not be found" in x), lines[-1])
    os.environ["DJANGO_SETTINGS_MODULE"] = "perf_settings"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "bench" / "perf"), os.environ.get("PYTHONPATH", "")) if p
    )
    subprocess.run(manage, cwd=ROOT, check=True)  # noqa: S603
    return (
        "collectstatic fails with the production settings "
        f"({error[:160]}); static files were served without the manifest storage."
    )


# --- in-process query counts ------------------------------------------------------


def scan_pages() -> list[tuple[str, str]]:
    """The desk's scan box, given each kind of thing a barcode reader reads:
    a pull slip, an NDL ID, a parcel's tracking number."""
    from django.utils.http import urlencode as query

    from loans.models import LoanRequest, LoanStatus, Shipment
    from loans.selectors_desk import slip_code

    accepted = LoanRequest.objects.filter(status=LoanStatus.ACCEPTED).select_related("material")
    loan = accepted.order_by("pk").first()
    shipment = Shipment.objects.order_by("-pk").first()
    assert loan is not None and shipment is not None
    return [
        ("desk scan: pull slip", f"{DESK}?{query({'q': slip_code(loan.pk)})}"),
        ("desk scan: NDL ID", f"{DESK}?{query({'q': loan.material.ndl_id})}"),
        ("desk scan: tracking number", f"{DESK}?{query({'q': shipment.tracking_number})}"),
    ]


def query_counts(*, password: str, backup_code: str) -> dict[str, dict[str, float]]:
    """Queries and in-process time of each page, through Django's test client:
    the first view with an empty cache, then the median of ten more (wall
    time, and this process's CPU time, which the other processes sharing the
    machine disturb less)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from registration.models import Library

    out: dict[str, dict[str, float]] = {}
    portal = Client()
    user_id = Library.objects.get(pk=PORTAL_LIBRARY).user_id
    response = portal.post("/portal/login/", {"username": user_id, "password": password})
    assert response.status_code == 302, "portal login failed"
    admin = Client()
    response = admin.post(
        "/admin/login/?next=/admin/",
        {"username": "perf-staff", "password": password, "otp_token": backup_code},
    )
    assert response.status_code == 302, "admin login failed"
    pages = [(n, u, portal) for n, u in PORTAL_PAGES + EXTRA_PAGES]
    pages += [(n, u, admin) for n, u in ADMIN_PAGES + scan_pages()]
    for name, url, client in pages:
        assert client.get(url).status_code == 200, url
        # Sessions are written through to the database: they survive this.
        cache.clear()
        with CaptureQueriesContext(connection) as first:
            start = time.perf_counter()
            assert client.get(url).status_code == 200, url
            first_ms = (time.perf_counter() - start) * 1000
        times, cpu = [], []
        for _ in range(10):
            with CaptureQueriesContext(connection) as ctx:
                start, start_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
        sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
        out[name] = {
            "first_queries": len(first.captured_queries),
            "first_ms": first_ms,
            "queries": len(ctx.captured_queries),
            "median_ms": statistics.median(times) * 1000,
            "cpu_ms": statistics.median(cpu) * 1000,
            "sql_ms": sql_ms,
        }
    return out


# --- HTTP under load -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(port: int, *, env: dict[str, str]) -> subprocess.Popen[bytes]:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen(  # noqa: S603
        [
            str(gunicorn),
            "ndl_ill.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _, _ = http_get(port, "/portal/login/", cookie="")
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("gunicorn did not start")


def http_get(port: int, path: str, *, cookie: str) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        resp = conn.getresponse()
        body = resp.read().decode("utf-8", "replace")
        return resp.status, _cookies(resp), body
    finally:
        conn.close()


def _cookies(resp: http.client.HTTPResponse) -> dict[str, str]:
    jar: dict[str, str] = {}
    for header in resp.headers.get_all("Set-Cookie") or []:
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        jar.update({k: m.value for k, m in parsed.items()})
    return jar


def http_login(port: int, path: str, fields: dict[str, str]) -> str:
    """Sign in through a login form over HTTP; return the Cookie header to reuse.

    The production cookies are Secure; over plain HTTP we carry them by hand.
    """
    status, jar, body = http_get(port, path, cookie="")
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or match is None or "csrftoken" not in jar:
        raise RuntimeError(f"no login form at {path}")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            path,
            body=urlencode({"csrfmiddlewaretoken": match.group(1), **fields}),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={jar['csrftoken']}",
            },
        )
        resp = conn.getresponse()
        resp.read()
        jar.update(_cookies(resp))
    finally:
        conn.close()
    if resp.status != 302 or "sessionid" not in jar:
        raise RuntimeError(f"login at {path} failed ({resp.status})")
    return f"sessionid={jar['sessionid']}; csrftoken={jar['csrftoken']}"


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def workers_cpu_seconds(master: int) -> float:
    """CPU time used so far by gunicorn's worker processes (not PostgreSQL's)."""
    total = 0
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def run_wrk(
    port: int, path: str, *, cookie: str, duration: int, connections: int, master: int
) -> dict[str, Any]:
    status, _, _ = http_get(port, path, cookie=cookie)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}, not 200: is the session valid?")
    base = ["wrk", "-t2", f"-c{connections}", "--latency", "-H", f"Cookie: {cookie}"]
    url = f"http://127.0.0.1:{port}{path}"
    subprocess.run([*base, "-d3s", url], check=True, capture_output=True)  # noqa: S603 warm-up
    cpu = workers_cpu_seconds(master)
    out = subprocess.run(  # noqa: S603
        [*base, f"-d{duration}s", url], check=True, capture_output=True, text=True
    ).stdout
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    if "50" not in latency or "99" not in latency:
        raise RuntimeError(f"cannot read wrk's output for {path}:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: (.*)$", out, re.MULTILINE)
    cpu = workers_cpu_seconds(master) - cpu
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {
        "cpu_ms": cpu * 1000 / max(requests, 1),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "requests": requests,
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sockets.group(1) if sockets else "",
    }


def http_benchmarks(
    *,
    password: str,
    backup_code: str,
    duration: int,
    connections: int,
    admin_pages: bool = True,
    portal_pages: bool = True,
    env: dict[str, str] | None = None,
    suffix: str = "",
) -> dict[str, dict[str, Any]]:
    from registration.models import Library

    port = free_port()
    proc = start_gunicorn(port, env=env or {})
    try:
        user_id = Library.objects.get(pk=PORTAL_LIBRARY).user_id or ""
        portal = http_login(port, "/portal/login/", {"username": user_id, "password": password})
        admin = http_login(
            port,
            "/admin/login/",
            {"username": "perf-staff", "password": password, "otp_token": backup_code},
        )
        out = {}
        pages = [(n + suffix, p, portal) for n, p in PORTAL_PAGES] if portal_pages else []
        if admin_pages:
            pages += [(n, p, admin) for n, p in ADMIN_PAGES]
        for name, path, cookie in pages:
            out[name] = run_wrk(
                port,
                path,
                cookie=cookie,
                duration=duration,
                connections=connections,
                master=proc.pid,
            )
            print(f"  {name}: {out[name]}", flush=True)
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# --- request submission under the cap's lock ---------------------------------------


def _submit_worker(job: tuple[int, list[str], float, float]) -> list[float]:
    """Request one item, then cancel it, until the time is up; return create latencies."""
    from django.db import connections

    from core.models import User
    from loans.models import RequestChannel
    from loans.services.requests import loan_request_cancel, loan_request_create
    from registration.models import Library

    library_id, ndl_ids, start_at, duration = job
    connections.close_all()  # never share the parent's connection
    library = Library.objects.get(pk=library_id)
    user = User.objects.get(library=library)
    latencies: list[float] = []
    time.sleep(max(start_at - time.time(), 0))
    end = start_at + duration
    i = 0
    while time.time() < end:
        ndl_id = ndl_ids[i % len(ndl_ids)]
        i += 1
        t = time.perf_counter()
        created = loan_request_create(
            library=library, ndl_ids=[ndl_id], channel=RequestChannel.PORTAL, actor=user
        )
        latencies.append(time.perf_counter() - t)
        loan_request_cancel(loan=created[0], actor=user)
    connections.close_all()
    return latencies


def submission_benchmark(*, libraries: list[int], duration: float) -> dict[str, float]:
    import seed
    from django.db import connection, connections

    with connection.cursor() as cur:
        sites = seed.site_ids(cur)
        jobs = []
        start_at = time.time() + 2
        for w, library_id in enumerate(libraries):
            ndl_ids = seed.free_materials(cur, site_id=sites[w % 3], skip=w * 50, count=50)
            jobs.append((library_id, ndl_ids, start_at, duration))
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        results = pool.map(_submit_worker, jobs)
    latencies = sorted(x for r in results for x in r)
    return {
        "clients": len(jobs),
        "created": len(latencies),
        "creates_per_s": len(latencies) / duration,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


# --- nightly and PDFs --------------------------------------------------------------


def nightly_benchmark() -> dict[str, Any]:
    """bench/nightly.py's step-by-step timing, on today's data, then the whole
    service ``nightly_run`` again (idempotent: it must queue nothing)."""
    import nightly as bench_nightly
    import seed
    from django.db import connection
    from django.utils import timezone

    from loans.models import LoanRequest
    from loans.services.nightly import nightly_run

    with connection.cursor() as cur:
        seed.outstanding_reset(cur)
    bench_nightly.TODAY = timezone.localdate()
    first = bench_nightly.timed_run()
    start = time.perf_counter()
    report = nightly_run()
    again = time.perf_counter() - start
    return {
        **first,
        "t_second_run": again,
        "second_run_notices": report.overdue_notices + report.late_receipt_notices,
        "loans": LoanRequest.objects.count(),
    }


def _median_ms(fn: Any, n: int) -> tuple[float, float]:
    fn()  # fonts and templates loaded once
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return statistics.median(times) * 1000, times[int(n * 0.95)] * 1000


def pdf_benchmark(n: int = 200) -> dict[str, tuple[float, float]]:
    from loans.models import LoanRequest, LoanStatus, Shipment
    from loans.pdf.letters import RefusalLetter
    from loans.pdf.shipping import LoanSlip, ToBorrowers
    from registration.models import Library
    from registration.pdf import RegistrationCertificate

    library = Library.objects.get(pk=PORTAL_LIBRARY)
    certificate = RegistrationCertificate(library=library)
    refused = (
        LoanRequest.objects.select_related("library", "material")
        .filter(status=LoanStatus.REJECTED)
        .first()
    )
    assert refused is not None
    letter = RefusalLetter(loan=refused)
    shipment = Shipment.objects.select_related("site", "library").get(pk=1)
    loans = list(
        LoanRequest.objects.filter(library=shipment.library, shipment__isnull=False)
        .select_related("material", "material__site")
        .order_by("pk")[:10]
    )
    slip = LoanSlip(shipment=shipment, loans=loans)
    sheet = ToBorrowers(shipment=shipment, loans=loans)
    return {
        "Certificate of User Registration": _median_ms(certificate.render, n),
        "refusal letter": _median_ms(letter.render, n),
        "loan slip, 10 items": _median_ms(slip.render, n),
        "To Borrowers sheet, 10 items": _median_ms(sheet.render, n),
    }


# --- report --------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "ok" if ok else "**MISSED**"


def work_list_report(results: dict[str, Any]) -> list[str]:
    """The work lists under wrk and in-process, and the desk's scan box in-process."""
    lines = [
        f"## Work lists (wrk, {results['connections']} connections, {results['duration']} s) "
        "and the desk's scan box (in-process)",
        "",
        "| page | requests/s | p50 ms | p99 ms | app CPU ms/req | queries | in-process ms "
        "| in-process CPU ms | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, _ in ADMIN_PAGES:
        w = results["http"][name]
        q = results["queries"][name]
        ok = w["p99_ms"] <= TARGET_LIST_P99_MS and w["non_2xx"] == 0
        lines.append(
            f"| {name} | {w['rps']:.0f} | {w['p50_ms']:.1f} | {w['p99_ms']:.1f} | "
            f"{w['cpu_ms']:.1f} | {q['queries']:.0f} | {q['median_ms']:.1f} | "
            f"{q['cpu_ms']:.1f} | p99 ≤ {TARGET_LIST_P99_MS} ms: {_mark(ok)} |"
        )
    for name, q in results["queries"].items():
        if name.startswith("desk scan"):
            ok = q["median_ms"] <= TARGET_SCAN_MS
            lines.append(
                f"| {name} | | | | | {q['queries']:.0f} | {q['median_ms']:.1f} | "
                f"{q['cpu_ms']:.1f} | ≤ {TARGET_SCAN_MS} ms in-process: {_mark(ok)} |"
            )
    lines += [
        "",
        "“app CPU” is the gunicorn workers' CPU time per request under wrk; the in-process "
        "figures are the median of ten views through Django's test client (wall time, and "
        "this process's CPU time, which other work on the machine disturbs less). The "
        "superuser sees every site; lending staff's lists are one site's share.",
    ]
    return lines


def report(results: dict[str, Any], *, command: str) -> str:
    lines = [
        f"# Performance benchmark, {dt.date.today().isoformat()}",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {os.cpu_count()} CPUs (wrk, gunicorn and PostgreSQL share them), "
        f"Python {platform.python_version()}, {results['postgres']}.",
        f"Data: {results['data']}.",
        "",
    ]
    if results.get("static_note"):
        lines += [f"Note: {results['static_note']}", ""]
    if results.get("seed"):
        seeded = ", ".join(f"{k} {v:.1f} s" for k, v in results["seed"].items())
        lines += [f"Seeded in this run: {seeded}.", ""]
    lines += [
        f"## Pages (wrk, {results['connections']} connections, {results['duration']} s, "
        "gunicorn 2 workers, production settings)",
        "",
        "| page | requests/s | p50 ms | p99 ms | app CPU ms/req | queries | in-process ms "
        "| target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    # (row, page of the query counts, how the page was served)
    rows = [(n, n, "cached") for n, _ in PORTAL_PAGES]
    rows += [(n + UNCACHED, n, "uncached") for n, _ in PORTAL_PAGES]
    for name, page, served in rows:
        w = results["http"][name]
        q = results["queries"][page]
        target = "—"
        if served == "cached":
            ok = w["p99_ms"] <= TARGET_P99_MS and w["rps"] >= TARGET_RPS and w["non_2xx"] == 0
            target = f"≥ {TARGET_RPS}/s, p99 ≤ {TARGET_P99_MS} ms: {_mark(ok)}"
            queries = f"{q['queries']:.0f} ({q['first_queries']:.0f} first)"
            in_process = f"{q['median_ms']:.1f} ({q['first_ms']:.1f} first)"
        elif served == "uncached":  # every view costs what the first one did
            queries, in_process = f"{q['first_queries']:.0f}", f"{q['first_ms']:.1f}"
        else:
            queries, in_process = f"{q['queries']:.0f}", f"{q['median_ms']:.1f}"
        lines.append(
            f"| {name} | {w['rps']:.0f} | {w['p50_ms']:.1f} | {w['p99_ms']:.1f} | "
            f"{w['cpu_ms']:.1f} | {queries} | {in_process} | {target} |"
        )
    for name, _ in EXTRA_PAGES:
        q = results["queries"][name]
        lines.append(
            f"| {name} (not loaded) | | | | | {q['queries']:.0f} | {q['median_ms']:.1f} | — |"
        )
    lines += [
        "",
        "Queries and in-process time (Django's test client): the median of ten views, and "
        "in brackets the first view after the cache was emptied (the session is then read "
        "from the database too). The portal's dashboard and request list are cached per "
        "library (core/pagecache.py); the rows marked “nothing cached” run the same pages "
        "with CACHE_URL=dummycache://, so every view renders afresh.",
        "",
        *work_list_report(results),
    ]
    s = results["submit"]
    c = results["submit_contended"]
    n = results["nightly"]
    lines += [
        "",
        "## Request submission (`loan_request_create`, library row locked)",
        "",
        "| clients | libraries | created/s | p50 ms | p99 ms |",
        "|---:|---|---:|---:|---:|",
        f"| {s['clients']} | one each | {s['creates_per_s']:.0f} | {s['p50_ms']:.1f} "
        f"| {s['p99_ms']:.1f} |",
        f"| {c['clients']} | all the same one | {c['creates_per_s']:.0f} | {c['p50_ms']:.1f} "
        f"| {c['p99_ms']:.1f} |",
        "",
        "Each client requests one item, then cancels it (the cancel is not timed but "
        "is in the loop, so created/s is a lower bound).",
        "",
        f"## Nightly run on {n['loans']:,} loans",
        "",
        "| step | seconds | rows |",
        "|---|---:|---:|",
        f"| flag overdue | {n['t_flag_overdue']:.2f} | {n['overdue_flagged']} |",
        f"| overdue notices | {n['t_overdue_notices']:.2f} | {n['overdue_notices']} notices, "
        f"{n['overdue_loans_noticed']} loans |",
        f"| escalate | {n['t_escalate']:.2f} | {n['escalated']} |",
        f"| late receipt letters | {n['t_late_receipts']:.2f} | {n['late_flagged']} flagged, "
        f"{n['late_notices']} notices |",
        f"| whole run (target < 300 s; flagging < 10 s) | {n['t_total']:.2f} | "
        f"{_mark(n['t_total'] < 300 and n['t_flag_overdue'] < 10)} |",
        f"| second run (idempotent) | {n['t_second_run']:.2f} | "
        f"{n['second_run_notices']} notices |",
        "",
        "## PDF rendering (200 renders each)",
        "",
        "| document | median ms | p95 ms | target |",
        "|---|---:|---:|---|",
    ]
    for name, (median, p95) in results["pdf"].items():
        one_page = name in {"Certificate of User Registration", "refusal letter"}
        target = f"median ≤ {TARGET_PDF_MS} ms: {_mark(median <= TARGET_PDF_MS)}"
        lines.append(f"| {name} | {median:.1f} | {p95:.1f} | {target if one_page else '—'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reseed", action="store_true", help="empty and seed the database again")
    parser.add_argument("--duration", type=int, default=30, help="seconds of wrk per page")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--submit-seconds", type=float, default=10.0)
    parser.add_argument(
        "--pages-only", action="store_true", help="only the pages under load; no report file"
    )
    parser.add_argument(
        "--lists-only",
        action="store_true",
        help="only the work lists (wrk and in-process) and the desk's scan box, printed",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")

    configure_environment(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    import nightly as bench_nightly

    bench_nightly.ensure_database()
    results: dict[str, Any] = {"duration": args.duration, "connections": args.connections}
    results["static_note"] = collect_static()
    import django

    django.setup()
    from django.db import connection

    from ndl_ill.celery import app

    # Notices queued by the nightly run stay in this process.
    app.conf.update(task_always_eager=False, broker_url="memory://")

    print("preparing the database …", flush=True)
    password, results["seed"] = prepare_database(reseed=args.reseed)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        results["postgres"] = f"PostgreSQL {cur.fetchone()[0].split()[0]}"
        cur.execute(
            "SELECT (SELECT count(*) FROM registration_library), "
            "(SELECT count(*) FROM catalogue_material), (SELECT count(*) FROM loans_loanrequest), "
            "(SELECT count(*) FROM loans_shipment)"
        )
        libs, mats, loans, ships = cur.fetchone()
    results["data"] = f"{libs} libraries, {mats:,} materials, {loans:,} loans, {ships:,} shipments"
    codes = staff_backup_codes(3)
    print("query counts …", flush=True)
    results["queries"] = query_counts(password=password, backup_code=codes[0])
    print("pages under load …", flush=True)
    results["http"] = http_benchmarks(
        password=password,
        backup_code=codes[1],
        duration=args.duration,
        connections=args.connections,
        portal_pages=not args.lists_only,
    )
    if args.lists_only:
        command = "python bench/perf/run.py --lists-only"
        print(f"\nCommand: `{command}`; data: {results['data']}.\n")
        print("\n".join(work_list_report(results)))
        return
    # The same portal pages with nothing cached: every view renders afresh,
    # as the first view after each change does.
    results["http"] |= http_benchmarks(
        password=password,
        backup_code=codes[2],
        duration=args.duration,
        connections=args.connections,
        admin_pages=False,
        env={"CACHE_URL": "dummycache://"},
        suffix=UNCACHED,
    )
    if args.pages_only:
        return
    print("request submission …", flush=True)
    results["submit"] = submission_benchmark(
        libraries=SUBMIT_LIBRARIES, duration=args.submit_seconds
    )
    results["submit_contended"] = submission_benchmark(
        libraries=[SUBMIT_LIBRARIES[0]] * len(SUBMIT_LIBRARIES), duration=args.submit_seconds
    )
    print("nightly run …", flush=True)
    results["nightly"] = nightly_benchmark()
    print("PDFs …", flush=True)
    results["pdf"] = pdf_benchmark()
    with connection.cursor() as cur:
        import seed

        seed.outstanding_reset(cur)

    command = "python bench/perf/run.py" + (" --reseed" if args.reseed else "")
    text = report(results, command=command)
    out = ROOT / "bench" / "out" / f"perf-{dt.date.today().isoformat()}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written to bench/out/{out.name}")


if __name__ == "__main__":
    main()
