"""Time the nightly run on a large PostgreSQL database (targets: flagging under
10 s, the whole run under 5 minutes).

    DJANGO_SETTINGS_MODULE=ndl_ill.settings.test \\
    DATABASE_URL=postgres://USER@HOST:5432/ndl_bench python bench/nightly.py --loans 1000000

The database named in DATABASE_URL is created if missing and migrated; its
libraries, catalogue, loans, shipments, audit log and outbox are emptied and
seeded with INSERT … SELECT over generate_series. The run is then timed step
by step, and run a second time to show that it queues nothing twice. Email is
only queued: the Celery messages go to an in-memory broker.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ndl_ill.settings.test")

TODAY = dt.date(2026, 6, 1)


def ensure_database() -> None:
    import environ
    import psycopg

    db = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    conninfo: dict[str, Any] = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "dbname": "postgres",
    }
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def _filler(data_type: str) -> str:
    if data_type in {"character varying", "text"}:
        return "''"
    if data_type == "boolean":
        return "false"
    if data_type in {"smallint", "integer", "bigint"}:
        return "0"
    if data_type == "jsonb":
        return "'[]'::jsonb"
    if data_type.startswith("timestamp"):
        return "now()"
    raise ValueError(f"no filler for {data_type}")


def insert_select(cursor, table: str, values: dict[str, str], source: str) -> None:  # type: ignore[no-untyped-def]
    """INSERT … SELECT, filling any other NOT NULL column with an empty value,
    so that columns added by later migrations do not break the benchmark."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL",
        [table],
    )
    for column, data_type in cursor.fetchall():
        if column != "id" and column not in values:
            values[column] = _filler(data_type)
    columns = ", ".join(values)
    exprs = ", ".join(values.values())
    cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {exprs} FROM {source}")  # noqa: S608


def seed(loans: int) -> dict[str, int]:
    from django.db import connection

    from core.models import Site, SiteCode

    # One block of a hundred loans per library, so that no library has more
    # than ten outstanding items (the database refuses an eleventh).
    libraries = min(max(loans // 100, 10), 99_999)  # User IDs have five digits
    shipments = (loans + 9) // 10
    tokyo = Site.objects.get(code=SiteCode.TOKYO).pk
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE loans_loanrequest, loans_shipment, catalogue_material, registration_library, "
            "core_outgoingmail, core_auditentry RESTART IDENTITY CASCADE"
        )
        insert_select(
            cur,
            "registration_library",
            {
                "user_id": "'ILL-US-' || lpad(g::text, 5, '0')",
                "name": "'Bench Library ' || g",
                "country": "'US'",
                "postal_address": "'1 College Road'",
                "email": "'ill' || g || '@bench.example.org'",
                "representative_director": "'Director'",
                "language": "CASE WHEN g % 5 = 0 THEN 'ja' ELSE 'en' END",
                "status": "'active'",
                "registered_on": "DATE '2020-01-01'",
                "created_at": "now()",
            },
            f"generate_series(1, {libraries}) AS g",
        )
        insert_select(
            cur,
            "catalogue_material",
            {
                "ndl_id": "'BN' || g",
                "title": "'Bench title ' || g",
                "language": "'japanese'",
                "material_type": "'book'",
                "acquired_on": "DATE '2010-01-01'",
                "site_id": str(tokyo),
                "updated_at": "now()",
            },
            f"generate_series(1, {loans}) AS g",
        )
        # One parcel in a hundred still waits for its receipt letter: half
        # with a tracked delivery five days ago, half without (estimated).
        late = "g % 100 = 0"
        insert_select(
            cur,
            "loans_shipment",
            {
                "tracking_number": "'RR' || lpad(g::text, 9, '0') || 'JP'",
                "site_id": str(tokyo),
                "library_id": f"1 + g % {libraries}",
                "shipped_on": f"CASE WHEN {late} THEN DATE '{TODAY}' - 20 "
                "ELSE DATE '2026-03-01' END",
                "delivered_on": f"CASE WHEN {late} AND g % 200 = 0 THEN NULL "
                f"WHEN {late} THEN DATE '{TODAY}' - 5 ELSE DATE '2026-03-10' END",
                "received_on": f"CASE WHEN {late} THEN NULL ELSE DATE '2026-03-11' END",
                "receipt_letter_on": f"CASE WHEN {late} THEN NULL ELSE DATE '2026-03-12' END",
                "delivery_estimated": "false",
                "receipt_channel": "''",
                "created_at": "now()",
            },
            f"generate_series(1, {shipments}) AS g",
        )
        # Per hundred loans: 91 returned, 5 held and not yet due, 2 due
        # yesterday (flagged tonight), 1 overdue with no notice due, 1 due
        # its second notice. Loans in a late parcel are still in transit;
        # a block holds at most nine outstanding items plus one in transit.
        bucket = "g % 100"
        in_late_parcel = "((g - 1) / 10 + 1) % 100 = 0"
        insert_select(
            cur,
            "loans_loanrequest",
            {
                # Blocks of a hundred loans per library, so that every
                # library has some of each kind.
                "library_id": f"1 + (g / 100) % {libraries}",
                "material_id": "g",
                "shipment_id": "(g - 1) / 10 + 1",
                "channel": "'portal'",
                "requested_at": "now()",
                "status": f"CASE WHEN {in_late_parcel} THEN 'shipped' "
                f"WHEN {bucket} < 91 THEN 'checked_in' WHEN {bucket} < 98 THEN 'received' "
                "ELSE 'overdue' END",
                "received_on": f"CASE WHEN {in_late_parcel} THEN NULL ELSE DATE '2026-03-11' END",
                "due_on": f"CASE WHEN {in_late_parcel} THEN NULL "
                f"WHEN {bucket} < 91 THEN DATE '2026-04-11' "
                f"WHEN {bucket} < 96 THEN DATE '{TODAY}' + 14 "
                f"WHEN {bucket} < 98 THEN DATE '{TODAY}' - 1 "
                f"WHEN {bucket} = 98 THEN DATE '{TODAY}' - 12 "
                f"ELSE DATE '{TODAY}' - 8 END",
                "overdue_since": f"CASE WHEN {bucket} >= 98 AND NOT {in_late_parcel} "
                f"THEN DATE '{TODAY}' - 11 END",
                "overdue_notices_sent": f"CASE WHEN {bucket} >= 98 THEN 1 ELSE 0 END",
            },
            f"generate_series(1, {loans}) AS g",
        )
        cur.execute("ANALYZE")
    return {"libraries": libraries, "shipments": shipments, "loans": loans}


def timed_run() -> dict[str, float | int]:
    from loans.services import nightly

    out: dict[str, float | int] = {}
    start = time.perf_counter()
    out["overdue_flagged"] = nightly.loans_overdue_flag(today=TODAY)
    out["t_flag_overdue"] = time.perf_counter() - start
    t = time.perf_counter()
    out["overdue_notices"], out["overdue_loans_noticed"] = nightly.overdue_notices_send(today=TODAY)
    out["t_overdue_notices"] = time.perf_counter() - t
    t = time.perf_counter()
    out["escalated"] = nightly.loans_overdue_escalate(today=TODAY)
    out["t_escalate"] = time.perf_counter() - t
    t = time.perf_counter()
    out["late_flagged"], out["late_notices"] = nightly.shipments_late_receipt_flag(today=TODAY)
    out["t_late_receipts"] = time.perf_counter() - t
    out["t_total"] = time.perf_counter() - start
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loans", type=int, default=1_000_000)
    args = parser.parse_args()

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    from ndl_ill.celery import app

    call_command("migrate", verbosity=0)
    app.conf.update(task_always_eager=False, broker_url="memory://")

    t = time.perf_counter()
    sizes = seed(args.loans)
    print(f"seeded {sizes} in {time.perf_counter() - t:.1f} s")
    first = timed_run()
    print("first run: ", {k: round(v, 2) if isinstance(v, float) else v for k, v in first.items()})
    second = timed_run()
    print("second run:", {k: round(v, 2) if isinstance(v, float) else v for k, v in second.items()})
    assert second["overdue_notices"] == 0
    assert second["late_notices"] == 0
    flagging = first["t_flag_overdue"]
    print(
        f"flagging {flagging:.2f} s (target < 10 s); whole run {first['t_total']:.1f} s (< 300 s)"
    )


if __name__ == "__main__":
    main()
