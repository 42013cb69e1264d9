# ruff: noqa: E501, RUF001  (generated XML records read best one element a line; katakana readings)
"""Time `import_catalogue` on 100,000 generated records, in each format.

    createdb ndl_import_bench
    DATABASE_URL=postgres://USER@HOST:5432/ndl_import_bench \\
        python bench/import_catalogue.py [--rows N] [--format csv|dcndl|marc|marcxml]

Targets on PostgreSQL: CSV under 30 s for 100,000 rows; DC-NDL and MARC at
least 5,000 records/s (parsing, mapping and writing, from the command).

The database is migrated first; the run imports the file into an empty
catalogue, then imports it again (every record an update), and prints both
times. The generated materials are deleted at the end. DC-NDL is generated
as an OAI-PMH ListRecords page of full DC-NDL records (titles with their
readings, two authors with readings, publisher, date, extent, language,
type, ISBN, JP number, the NDL holding with its call number); MARC as ISO
2709 (or MARCXML) records with the same facts, built with pymarc.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
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


_SURNAMES = ["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤"]
_READINGS = ["ヤマダ", "サトウ", "スズキ", "タカハシ", "タナカ", "イトウ", "ワタナベ", "ナカムラ"]
_WORDS = ["図書館", "日本", "歴史", "文化", "情報", "社会", "経済", "文学", "東京", "研究"]


def _isbn(n: int) -> str:
    return f"978{n:09d}{ean.calc_check_digit(f'978{n:09d}')}"


def _dcndl_record(n: int, rng: random.Random) -> str:
    ndl_id = f"{PREFIX}{n:09d}"
    words = rng.sample(_WORDS, 3)
    a, b = rng.randrange(len(_SURNAMES)), rng.randrange(len(_READINGS))
    kind, language = rng.choice([("Book", "jpn")] * 8 + [("Book", "eng"), ("Journal", "jpn")])
    return f"""<record><header><identifier>oai:ndl:{ndl_id}</identifier></header><metadata>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcndl="http://ndl.go.jp/dcndl/terms/" xmlns:foaf="http://xmlns.com/foaf/0.1/">
  <dcndl:BibAdminResource rdf:about="https://ndlsearch.ndl.go.jp/books/R100000002-I{ndl_id}">
    <dcndl:record rdf:resource="https://ndlsearch.ndl.go.jp/books/R100000002-I{ndl_id}#material"/>
  </dcndl:BibAdminResource>
  <dcndl:BibResource rdf:about="https://ndlsearch.ndl.go.jp/books/R100000002-I{ndl_id}#material">
    <dcterms:identifier rdf:datatype="http://ndl.go.jp/dcndl/terms/JPNO">{20000000 + n}</dcterms:identifier>
    <dcterms:identifier rdf:datatype="http://ndl.go.jp/dcndl/terms/ISBN">{_isbn(n)}</dcterms:identifier>
    <dcterms:title>{words[0]}と{words[1]}の{words[2]} 第{n}巻</dcterms:title>
    <dc:title><rdf:Description><rdf:value>{words[0]}と{words[1]}の{words[2]}</rdf:value>
      <dcndl:transcription>トショカン ト ニホン ノ レキシ</dcndl:transcription></rdf:Description></dc:title>
    <dcterms:creator><foaf:Agent rdf:about="http://id.ndl.go.jp/auth/entity/{n:08d}">
      <foaf:name>{_SURNAMES[a]}, 太郎</foaf:name><dcndl:transcription>{_READINGS[b]}, タロウ</dcndl:transcription>
    </foaf:Agent></dcterms:creator>
    <dcterms:creator><foaf:Agent><foaf:name>{_SURNAMES[b]}, 花子</foaf:name>
      <dcndl:transcription>{_READINGS[a % len(_READINGS)]}, ハナコ</dcndl:transcription></foaf:Agent></dcterms:creator>
    <dc:creator>{_SURNAMES[a]}太郎, {_SURNAMES[b]}花子 著</dc:creator>
    <dcterms:publisher><foaf:Agent><foaf:name>図書館出版会</foaf:name>
      <dcndl:location>東京</dcndl:location></foaf:Agent></dcterms:publisher>
    <dcterms:issued rdf:datatype="http://purl.org/dc/terms/W3CDTF">{1950 + n % 75}</dcterms:issued>
    <dcterms:language rdf:datatype="http://purl.org/dc/terms/ISO639-2">{language}</dcterms:language>
    <dcterms:extent>{100 + n % 500}p ; 21cm</dcterms:extent>
    <dcndl:materialType rdf:resource="http://ndl.go.jp/ndltype/{kind}" rdfs:label="図書"/>
  </dcndl:BibResource>
  <dcndl:Item rdf:about="https://ndlsearch.ndl.go.jp/books/R100000002-I{ndl_id}#item">
    <dcndl:holdingAgent><foaf:Agent><foaf:name>国立国会図書館</foaf:name>
      <dcterms:identifier rdf:datatype="http://ndl.go.jp/dcndl/terms/NDLLibCode">0000</dcterms:identifier>
    </foaf:Agent></dcndl:holdingAgent>
    <dcndl:callNumber>UA{n % 100}-{n}</dcndl:callNumber>
  </dcndl:Item>
</rdf:RDF></metadata></record>
"""


def generate_dcndl(path: Path, rows: int) -> None:
    rng = random.Random(18626)
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        f.write('<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>\n')
        for n in range(rows):
            f.write(_dcndl_record(n, rng))
        f.write("</ListRecords></OAI-PMH>\n")


def _marc_record(n: int, rng: random.Random) -> object:
    import pymarc

    a = rng.randrange(len(_SURNAMES))
    words = rng.sample(_WORDS, 3)
    language = rng.choice(["jpn"] * 8 + ["eng"])
    sub = pymarc.Subfield
    record = pymarc.Record(force_utf8=True, leader="00000nam a2200000 i 4500")
    record.add_field(pymarc.Field(tag="001", data=f"{PREFIX}{n:09d}"))
    record.add_field(
        pymarc.Field(tag="008", data=f"260401s{1950 + n % 75}    ja            000 0 {language}  ")
    )
    blank = pymarc.Indicators(" ", " ")
    fields = [
        ("015", blank, [sub("a", f"JP{20000000 + n}"), sub("2", "jnb")]),
        ("020", blank, [sub("a", _isbn(n))]),
        (
            "100",
            pymarc.Indicators("1", " "),
            [sub("6", "880-02"), sub("a", f"{_SURNAMES[a]}, 太郎")],
        ),
        (
            "245",
            pymarc.Indicators("1", "0"),
            [sub("6", "880-01"), sub("a", f"{words[0]}と{words[1]} /"), sub("c", "著")],
        ),
        (
            "264",
            pymarc.Indicators(" ", "1"),
            [sub("a", "東京 :"), sub("b", "図書館出版会,"), sub("c", "2020")],
        ),
        ("300", blank, [sub("a", f"{100 + n % 500} p ;"), sub("c", "21 cm")]),
        (
            "880",
            pymarc.Indicators("1", "0"),
            [sub("6", "245-01/$1"), sub("a", "トショカン ト ニホン")],
        ),
        ("880", pymarc.Indicators("1", " "), [sub("6", "100-02/$1"), sub("a", "ヤマダ, タロウ")]),
    ]
    for tag, indicators, subfields in fields:
        record.add_field(pymarc.Field(tag=tag, indicators=indicators, subfields=subfields))
    return record


def generate_marc(path: Path, rows: int, *, xml: bool = False) -> None:
    import pymarc

    rng = random.Random(18626)
    with path.open("wb") as f:
        if xml:
            f.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
            f.write(b'<collection xmlns="http://www.loc.gov/MARC21/slim">\n')
        for n in range(rows):
            record = _marc_record(n, rng)
            if xml:
                f.write(pymarc.record_to_xml(record, namespace=False) + b"\n")  # type: ignore[arg-type]
            else:
                f.write(record.as_marc())  # type: ignore[attr-defined]
        if xml:
            f.write(b"</collection>\n")


GENERATORS: dict[str, Callable[[Path, int], None]] = {
    "csv": generate,
    "dcndl": generate_dcndl,
    "marc": generate_marc,
    "marcxml": lambda path, rows: generate_marc(path, rows, xml=True),
}


def _backend_cpu(connection) -> float | None:  # type: ignore[no-untyped-def]
    """CPU seconds of the connection's PostgreSQL backend so far, when the
    server runs on this machine (Linux ``/proc``); None otherwise."""
    local = connection.settings_dict.get("HOST") in ("", "localhost", "127.0.0.1", "::1")
    if connection.vendor != "postgresql" or not local:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=sorted(GENERATORS), default="csv")
    parser.add_argument(
        "--without-search-index",
        action="store_true",
        help="Time the import alone: fold and write no search index.",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from catalogue.models import Material

    if args.without_search_index:
        from catalogue.services import search_index

        search_index.material_search_values = lambda values: {}  # type: ignore[assignment]

    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the 30 s target is for PostgreSQL", file=sys.stderr)
    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"catalogue.{args.format}"
        GENERATORS[args.format](path, args.rows)
        Material.objects.filter(ndl_id__startswith=PREFIX, loans__isnull=True).delete()
        timings = []
        for label in ("insert", "update"):
            database = [0.0]

            def timed(execute, sql, params, many, context, database=database):  # type: ignore[no-untyped-def]
                began = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    database[0] += time.perf_counter() - began

            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            backend = _backend_cpu(connection)
            start, cpu = time.perf_counter(), time.process_time()
            with connection.execute_wrapper(timed):
                call_command("import_catalogue", str(path), "--format", args.format, verbosity=0)
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            reader = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
            now = _backend_cpu(connection)
            server = now - backend if now is not None and backend is not None else None
            timings.append(elapsed)
            # Reading runs in a second process beside writing: on an idle
            # machine with two cores the import takes the longer of the two.
            idle = max(reader, cpu + database[0])
            per = 1e6 / args.rows
            server_text = (
                f", PostgreSQL {server:.1f} s ({server * per:.0f} µs)" if server is not None else ""
            )
            print(
                f"{args.format} {label}: {args.rows} records in {elapsed:.1f} s "
                f"({args.rows / elapsed:,.0f} records/s); CPU of the reading process "
                f"{reader:.1f} s, of this process {cpu:.1f} s, waiting for the database "
                f"{database[0]:.1f} s (idle two-core estimate {args.rows / idle:,.0f} records/s)\n"
                f"  CPU per record: reading {reader * per:.0f} µs, importing {cpu * per:.0f} µs"
                f"{server_text}"
            )
        assert Material.objects.filter(ndl_id__startswith=PREFIX).count() == args.rows
        Material.objects.filter(ndl_id__startswith=PREFIX, loans__isnull=True).delete()
    if args.format == "csv" and max(timings) > 30:
        sys.exit("slower than the 30 s target")
    if args.format != "csv" and args.rows / max(timings) < 5000:
        sys.exit("slower than the 5,000 records/s target")


if __name__ == "__main__":
    main()
