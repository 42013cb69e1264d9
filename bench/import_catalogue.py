"""Time `import_catalogue` on 100,000 generated rows (target: under 30 s on PostgreSQL).

    createdb ndl_import_bench
    DATABASE_URL=postgres://USER@HOST:5432/ndl_import_bench \\
        python bench/import_catalogue.py [--rows N]

The database is migrated first; the run imports the file into an empty
catalogue, then imports it again (every row an update), and prints both times.
The generated materials are deleted at the end.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from stdnum import ean

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ndl_ill.settings.local")

COLUMNS = [
    "ndl_id", "title", "language", "acquired_on", "site", "responsibility", "publisher",
    "year", "isbn", "call_number", "material_type", "unsuitable", "digitized", "deteriorated",
    "rare", "collection", "market_available", "amusement", "staff_excluded", "staff_note",
]  # fmt: skip
PREFIX = "B"


def generate(path: Path, rows: int) -> None:
    rng = random.Random(18626)
    sites = ["tokyo", "kansai", "ilcl"]
    types = ["book"] * 20 + ["periodical", "microfilm", "music_score"]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for n in range(rows):
            acquired = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(30_000))
            excluded = rng.random() < 0.01
            writer.writerow(
                [
                    f"{PREFIX}{n:09d}",
                    f"図書館の本 {n} / Library book {n}",
                    rng.choice(["japanese", "foreign"]),
                    acquired.isoformat(),
                    rng.choice(sites),
                    f"Author {n % 5000}",
                    "Example Shuppan",
                    acquired.year,
                    f"978{n:09d}{ean.calc_check_digit(f'978{n:09d}')}",
                    f"UA{n % 100}-{n}",
                    rng.choice(types),
                    rng.choice(["", "", "", "", "pamphlet"]),
                    int(rng.random() < 0.05),
                    int(rng.random() < 0.05),
                    int(rng.random() < 0.02),
                    0,
                    0,
                    0,
                    int(excluded),
                    "On exhibition" if excluded else "",
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from catalogue.models import Material

    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the 30 s target is for PostgreSQL", file=sys.stderr)
    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalogue.csv"
        generate(path, args.rows)
        Material.objects.filter(ndl_id__startswith=PREFIX, loans__isnull=True).delete()
        timings = []
        for label in ("insert", "update"):
            start = time.perf_counter()
            call_command("import_catalogue", str(path), verbosity=0)
            elapsed = time.perf_counter() - start
            timings.append(elapsed)
            print(
                f"{label}: {args.rows} rows in {elapsed:.1f} s ({args.rows / elapsed:,.0f} rows/s)"
            )
        assert Material.objects.filter(ndl_id__startswith=PREFIX).count() == args.rows
        Material.objects.filter(ndl_id__startswith=PREFIX, loans__isnull=True).delete()
    if max(timings) > 30:
        sys.exit("slower than the 30 s target")


if __name__ == "__main__":
    main()
