"""Set-based seeding of the performance database (see ``run.py``).

50 active libraries with portal logins, 200,000 materials across the three
sites, 1,000,000 loans of history (mostly checked in, each in a registered
air mail shipment with a valid UPU S10 tracking number) and, on top, the
outstanding loans: libraries 1-20 are at the ten-item cap, libraries 21-50
hold 0-4 items. Everything is INSERT … SELECT over generate_series; the
ten-item cap trigger and the one-active-request-per-material constraint stay
on while the rows go in.
"""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nightly import insert_select

LIBRARIES = 50
MATERIALS = 200_000
HISTORY_LOANS = 1_000_000
LOANS_PER_SHIPMENT = 5
BUSY_LIBRARIES = 20  # libraries 1-20 hold ten items each
MARKER = "bench_perf_seed"

COUNTING = "('requested','accepted','shipped','received','overdue','return_shipped','lost')"

# The loanability rules of catalogue/rules.py, as SQL over catalogue_material.
LOANABLE_SQL = (
    "((language = 'japanese' AND acquired_on >= DATE '1996-01-01') OR "
    "(language = 'foreign' AND acquired_on >= DATE '1948-01-01')) "
    "AND material_type = 'book' AND unsuitable = '' AND NOT is_digitized "
    "AND NOT is_deteriorated AND NOT is_rare AND NOT is_collection "
    "AND NOT market_available AND NOT is_amusement AND NOT staff_excluded"
)


def s10(serial_sql: str, prefix: str) -> str:
    """A UPU S10 tracking number (with its check digit) for an 8-digit serial."""
    digits = f"lpad(({serial_sql})::text, 8, '0')"
    weighted = " + ".join(
        f"{w} * substr({digits}, {i}, 1)::int" for i, w in enumerate((8, 6, 4, 2, 3, 5, 9, 7), 1)
    )
    check = f"(11 - ({weighted}) % 11)"
    digit = f"(CASE {check} WHEN 10 THEN 0 WHEN 11 THEN 5 ELSE {check} END)"
    return f"'{prefix}' || {digits} || {digit}::text || 'JP'"


def marker(cursor: Any) -> dict[str, Any] | None:
    cursor.execute("SELECT to_regclass(%s)", [MARKER])
    if cursor.fetchone()[0] is None:
        return None
    cursor.execute(f"SELECT libraries, materials, loans, password FROM {MARKER}")  # noqa: S608
    row = cursor.fetchone()
    if row is None:
        return None
    return {"libraries": row[0], "materials": row[1], "loans": row[2], "password": row[3]}


def site_ids(cursor: Any) -> list[int]:
    cursor.execute("SELECT id FROM core_site ORDER BY code = 'tokyo' DESC, code")
    return [r[0] for r in cursor.fetchall()]  # tokyo, ilcl, kansai


def seed_all(cursor: Any, *, password_hash: str, password: str) -> dict[str, float]:
    timings: dict[str, float] = {}
    sites = site_ids(cursor)
    site_of = f"(ARRAY{sites})[1 + %s %% 3]"

    t = time.perf_counter()
    cursor.execute(f"DROP TABLE IF EXISTS {MARKER}")
    cursor.execute(
        "TRUNCATE loans_loanrequest, loans_shipment, catalogue_material, registration_library, "
        "core_user, core_outgoingmail, core_auditentry, django_session "
        "RESTART IDENTITY CASCADE"
    )
    countries = "(ARRAY['US','GB','DE','FR','KR','CN','AU','CA','BR','TW'])[1 + (g - 1) % 10]"
    insert_select(
        cursor,
        "registration_library",
        {
            "user_id": f"'ILL-' || {countries} || '-' || lpad(g::text, 5, '0')",
            "name": "'Performance Library ' || g",
            "name_key": "'performance library ' || g",  # core.identifiers.name_key
            "country": countries,
            "postal_address": "g || ' University Avenue\nSpringfield'",
            "email": "'ill' || g || '@perf.example.org'",
            "representative_director": "'Director ' || g",
            "language": "CASE WHEN g % 5 = 0 THEN 'ja' ELSE 'en' END",
            "status": "'active'",
            "registered_on": "DATE '2015-04-01'",
            "created_at": "TIMESTAMPTZ '2015-03-01'",
        },
        f"generate_series(1, {LIBRARIES}) AS g",
    )
    cursor.execute(
        "INSERT INTO core_user (password, is_superuser, username, first_name, last_name, "
        "email, is_staff, is_active, date_joined, library_id) "
        "SELECT %s, false, user_id, '', '', email, false, true, now(), id "
        "FROM registration_library ORDER BY id",
        [password_hash],
    )
    cursor.execute(
        "INSERT INTO core_user (password, is_superuser, username, first_name, last_name, "
        "email, is_staff, is_active, date_joined) "
        "VALUES (%s, true, 'perf-staff', 'Perf', 'Staff', 'staff@perf.example.org', true, "
        "true, now())",
        [password_hash],
    )
    timings["libraries_users"] = time.perf_counter() - t

    t = time.perf_counter()
    words = "(ARRAY['Japanese','Meiji','Edo','Modern','Economic','Legal','Literary','Urban'])"
    topics = "(ARRAY['History','Literature','Law','Economy','Society','Art','Religion','Politics'])"
    japanese = "(g / 3) % 5 < 3"
    insert_select(
        cursor,
        "catalogue_material",
        {
            "ndl_id": "'PF' || lpad(g::text, 9, '0')",
            "title": f"'Studies in ' || {words}[1 + g % 8] || ' ' || {topics}[1 + (g / 8) % 8] "
            "|| ', vol. ' || (1 + g % 97)",
            "responsibility": "'Author ' || (g % 5000)",
            "publisher": "'Publisher ' || (g % 300)",
            "year": "1950 + g % 75",
            "isbn": "'978' || lpad(g::text, 10, '0')",
            "language": f"CASE WHEN {japanese} THEN 'japanese' ELSE 'foreign' END",
            "material_type": "CASE WHEN g % 47 = 0 THEN 'periodical' "
            "WHEN g % 53 = 0 THEN 'microfilm' ELSE 'book' END",
            "acquired_on": f"CASE WHEN g % 31 = 0 THEN DATE '1980-01-01' WHEN {japanese} "
            "THEN DATE '1996-01-01' + g % 10000 ELSE DATE '1950-01-01' + g % 25000 END",
            "site_id": site_of % "(g - 1)",
            "call_number": "'UA' || (g % 100) || '-' || g",
            "is_digitized": "g % 41 = 0",
            "is_deteriorated": "g % 59 = 0",
            "is_rare": "g % 97 = 0",
            "unsuitable": "CASE WHEN g % 61 = 0 THEN 'pamphlet' ELSE '' END",
            "updated_at": "now()",
        },
        f"generate_series(1, {MATERIALS}) AS g",
    )
    timings["materials"] = time.perf_counter() - t

    # History: shipment s (0-based) holds loans 5s .. 5s+4, all for library
    # 1 + s % 50 from site s % 3; its materials are those of that site.
    t = time.perf_counter()
    shipments = HISTORY_LOANS // LOANS_PER_SHIPMENT
    ts0 = "TIMESTAMPTZ '2016-01-01 10:00+09'"
    step = LOANS_PER_SHIPMENT * 5  # one loan every five minutes
    shipped = f"(({ts0} + s * interval '{step} minutes')::date + 7)"
    insert_select(
        cursor,
        "loans_shipment",
        {
            "tracking_number": s10("s + 1", "RR"),
            "site_id": site_of % "s",
            "library_id": f"1 + s % {LIBRARIES}",
            "shipped_on": shipped,
            "delivered_on": f"{shipped} + 10",
            "received_on": f"{shipped} + 11",
            "receipt_letter_on": f"{shipped} + 12",
            "receipt_channel": "'portal'",
            "delivery_estimated": "false",
            "created_at": f"{ts0} + s * interval '{step} minutes' + interval '7 days'",
        },
        f"generate_series(0, {shipments - 1}) AS s",
    )
    timings["shipments"] = time.perf_counter() - t

    t = time.perf_counter()
    requested = f"({ts0} + j * interval '5 minutes')"
    status = (
        "CASE WHEN j % 100 < 2 THEN 'rejected' WHEN j % 100 < 4 THEN 'cancelled' "
        "WHEN j % 1000 = 4 THEN 'loss_settled' ELSE 'checked_in' END"
    )
    went = "j % 100 >= 4"
    history_source = (
        f"(SELECT j, j / {LOANS_PER_SHIPMENT} AS s "  # noqa: S608 - constants only
        f"FROM generate_series(0, {HISTORY_LOANS - 1}) AS j) AS h"
    )
    received = f"({shipped} + 11)"
    insert_select(
        cursor,
        "loans_loanrequest",
        {
            "library_id": f"1 + s % {LIBRARIES}",
            "material_id": f"1 + (3 * j + s % 3) % {MATERIALS - MATERIALS % 3}",
            "status": status,
            "channel": "CASE WHEN j % 20 = 0 THEN 'fax' WHEN j % 20 = 1 THEN 'post' "
            "ELSE 'portal' END",
            "requested_at": requested,
            "decided_at": f"CASE WHEN j % 100 BETWEEN 2 AND 3 THEN NULL "
            f"ELSE {requested} + interval '2 days' END",
            "reject_codes": "CASE WHEN j % 100 < 2 THEN '[\"digitized\"]'::jsonb "
            "ELSE '[]'::jsonb END",
            "cancelled_at": f"CASE WHEN j % 100 BETWEEN 2 AND 3 THEN {requested} "
            "+ interval '1 day' END",
            "packed_at": f"CASE WHEN {went} THEN {requested} + interval '5 days' END",
            "shipment_id": f"CASE WHEN {went} THEN s + 1 END",
            "received_on": f"CASE WHEN {went} THEN {received} END",
            "due_on": f"CASE WHEN {went} THEN ({received} + interval '1 month')::date END",
            "condition_on_receipt": "''",
            "overdue_notices_sent": "0",
            "closed_at": f"CASE WHEN j % 100 < 4 THEN {requested} + interval '2 days' "
            f"ELSE {requested} + interval '45 days' END",
        },
        history_source,
    )
    timings["history_loans"] = time.perf_counter() - t

    t = time.perf_counter()
    outstanding_reset(cursor)
    timings["outstanding"] = time.perf_counter() - t

    # As autovacuum would leave them: statistics and the visibility map
    # (index-only scans) up to date.
    t = time.perf_counter()
    cursor.execute("VACUUM (ANALYZE) loans_loanrequest, loans_shipment, catalogue_material")
    cursor.execute("ANALYZE")
    cursor.execute(
        f"CREATE TABLE {MARKER} (libraries int, materials int, loans int, password text, "
        "seeded_at timestamptz DEFAULT now())"
    )
    cursor.execute(
        f"INSERT INTO {MARKER} (libraries, materials, loans, password) "  # noqa: S608
        "VALUES (%s, %s, %s, %s)",
        [LIBRARIES, MATERIALS, HISTORY_LOANS, password],
    )
    timings["vacuum_analyze"] = time.perf_counter() - t
    return timings


def new_password() -> str:
    return "perf-" + secrets.token_urlsafe(18)


def outstanding_reset(cursor: Any) -> int:
    """Put the outstanding loans back as seeded; return how many there are.

    Run before every benchmark so that the pages, the submissions and the
    nightly run always start from the same state: the requests made by the
    submission benchmark, what the last nightly run flagged and queued, and
    the audit entries are removed.
    """
    cursor.execute(f"DELETE FROM loans_loanrequest WHERE id > {HISTORY_LOANS}")  # noqa: S608
    cursor.execute("DELETE FROM loans_shipment WHERE tracking_number LIKE 'RE%%'")
    cursor.execute("TRUNCATE core_outgoingmail, core_auditentry")
    sites = site_ids(cursor)
    today = "(now() AT TIME ZONE 'Asia/Tokyo')::date"
    # Per busy library four current parcels: k=0 in transit (every fourth
    # library's is late with its receipt letter), k=1 received ten days ago,
    # k=2 received so that its items fell due yesterday, k=3 long overdue.
    received = (
        f"CASE k WHEN 0 THEN NULL WHEN 1 THEN {today} - 10 "
        f"WHEN 2 THEN ({today} - 1 - interval '1 month')::date ELSE {today} - 60 END"
    )
    shipped = (
        f"CASE WHEN k = 0 AND l % 4 = 0 THEN {today} - 20 WHEN k = 0 THEN {today} - 3 "
        f"ELSE ({received}) - 11 END"
    )
    insert_select(
        cursor,
        "loans_shipment",
        {
            "tracking_number": s10("l * 10 + k", "RE"),
            "site_id": f"(ARRAY{sites})[1 + (l - 1) % 3]",
            "library_id": "l",
            "shipped_on": shipped,
            "delivered_on": f"CASE WHEN k = 0 THEN NULL ELSE ({received}) - 1 END",
            "received_on": received,
            "receipt_letter_on": f"CASE WHEN k = 0 THEN NULL ELSE ({received}) + 1 END",
            "receipt_channel": "CASE WHEN k = 0 THEN '' ELSE 'email' END",
            "delivery_estimated": "false",
            "created_at": "now()",
        },
        f"generate_series(1, {BUSY_LIBRARIES}) AS l, generate_series(0, 3) AS k",
    )
    # Position p of library l's outstanding items; libraries 21-50 hold
    # l % 5 items, all requested or accepted, so they have room to request.
    status = (
        "(ARRAY['requested','requested','accepted','accepted','shipped','received',"
        "'received','received','overdue','return_shipped'])[p + 1]"
    )
    parcel = "CASE WHEN p = 4 THEN 0 WHEN p IN (5, 6) THEN 1 WHEN p = 7 THEN 2 ELSE 3 END"
    cursor.execute(
        f"""
        WITH cand AS (
            SELECT id, site_id,
                   row_number() OVER (PARTITION BY site_id ORDER BY id) AS rn
              FROM catalogue_material WHERE {LOANABLE_SQL}
        ), slots AS (
            SELECT l, p FROM generate_series(1, 50) AS l, generate_series(0, 9) AS p
             WHERE p < CASE WHEN l <= {BUSY_LIBRARIES} THEN 10 ELSE l % 5 END
        ), rows AS (
            SELECT l, p, c.id AS material_id, {status} AS status,
                   sh.id AS shipment_id, sh.received_on
              FROM slots
              JOIN cand c ON c.site_id = (ARRAY{sites})[1 + (l - 1) % 3] AND c.rn = 500 * l + p
              LEFT JOIN loans_shipment sh ON p >= 4
                   AND sh.tracking_number = {s10(f"l * 10 + {parcel}", "RE")}
        )
        INSERT INTO loans_loanrequest (library_id, material_id, status, channel, requested_at,
            decided_at, reject_codes, reject_note, packed_at, shipment_id, received_on,
            condition_on_receipt, due_on, overdue_since, overdue_notices_sent)
        SELECT l, material_id, status, 'portal', now() - (10 - p) * interval '2 days',
               CASE WHEN p >= 2 THEN now() - interval '1 day' END, '[]'::jsonb, '',
               CASE WHEN p >= 3 THEN now() - interval '1 day' END, shipment_id, received_on,
               '', (received_on + interval '1 month')::date,
               CASE WHEN status = 'overdue' THEN (received_on + interval '1 month')::date + 1 END,
               CASE WHEN status = 'overdue' THEN 2 + l % 2 ELSE 0 END
          FROM rows ORDER BY l, p
        """  # noqa: S608
    )
    count = cursor.rowcount
    cursor.execute("ANALYZE loans_loanrequest")
    return count


def free_materials(cursor: Any, *, site_id: int, skip: int, count: int) -> list[str]:
    """Loanable materials of a site that no seeded loan is outstanding for."""
    cursor.execute(
        f"SELECT ndl_id FROM catalogue_material m WHERE site_id = %s AND {LOANABLE_SQL} "  # noqa: S608
        f"AND NOT EXISTS (SELECT 1 FROM loans_loanrequest r WHERE r.material_id = m.id "
        f"AND r.status IN {COUNTING}) ORDER BY id DESC OFFSET %s LIMIT %s",
        [site_id, skip, count],
    )
    return [r[0] for r in cursor.fetchall()]
