"""The documented backup procedure restores the same data (PostgreSQL)."""

import shutil
import subprocess

import psycopg
import pytest
from django.db import connection

from loans.tests.factories import LoanRequestFactory

TABLES = [
    "core_site",
    "core_user",
    "core_auditentry",
    "registration_library",
    "catalogue_material",
    "loans_loanrequest",
]


def _pg_args(settings_dict, dbname):
    return [
        "--host",
        settings_dict.get("HOST") or "127.0.0.1",
        "--port",
        str(settings_dict.get("PORT") or 5432),
        "--username",
        settings_dict.get("USER") or "postgres",
        "--dbname",
        dbname,
    ]


def _counts(settings_dict, dbname):
    with psycopg.connect(
        host=settings_dict.get("HOST") or "127.0.0.1",
        port=settings_dict.get("PORT") or 5432,
        user=settings_dict.get("USER") or "postgres",
        password=settings_dict.get("PASSWORD") or None,
        dbname=dbname,
    ) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pg_dump_and_pg_restore_round_trip(tmp_path):
    if not shutil.which("pg_dump"):
        pytest.fail("pg_dump is needed for the backup procedure")
    LoanRequestFactory.create_batch(5)
    source = connection.settings_dict
    name = source["NAME"]
    restored = f"{name}_restore"
    dump = tmp_path / "ndl_ill.dump"
    # The procedure of the README: a custom-format dump, restored into a fresh database.
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", *_pg_args(source, name)],
        check=True,
    )
    admin_args = _pg_args(source, "postgres")
    subprocess.run(["dropdb", "--if-exists", *admin_args[:-2], restored], check=True)
    subprocess.run(["createdb", *admin_args[:-2], restored], check=True)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", *_pg_args(source, restored), str(dump)],
            check=True,
        )
        assert _counts(source, restored) == _counts(source, name)
        assert _counts(source, restored)["loans_loanrequest"] == 5
    finally:
        subprocess.run(["dropdb", "--if-exists", *admin_args[:-2], restored], check=True)
