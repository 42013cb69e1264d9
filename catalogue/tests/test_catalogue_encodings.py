# ruff: noqa: RUF001  (Japanese text and full-width digits on purpose)
"""Catalogue files as Excel and older systems save them, and identifiers as
Japanese input methods type them.

* ``import_catalogue`` reads UTF-8 with or without a BOM, UTF-16 with a BOM
  (Excel's "Unicode text", tab-separated) and CP932/Shift_JIS (detected and
  named in the summary); anything else is refused with the encoding to save
  as; a row is named by the file's own line; never a traceback.
* An ISBN is stored as its compact ISBN-13 (full-width and ISBN-10 alike) and
  found by either form; a wrong check digit is refused with line and reason.
"""

from __future__ import annotations

import csv
import importlib
import io
import subprocess  # nosec B404 - runs manage.py of this project
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from catalogue.forms import MaterialAdminForm
from catalogue.models import Material
from catalogue.services.materials import catalogue_file_read
from catalogue.tests.factories import MaterialFactory
from core.models import AuditEntry
from loans.selectors import material_search

pytestmark = pytest.mark.django_db

COLUMNS = ["ndl_id", "title", "language", "acquired_on", "site", "isbn", "responsibility"]
FULL_WIDTH_ISBN = "９７８-４-８１２２-１５５３-１"


def rows_good() -> list[list[str]]:
    """Rows every accepted encoding can carry, one with a title over two lines."""
    return [
        [
            "000000001",
            "日本の図書館史",
            "japanese",
            "1996-01-01",
            "tokyo",
            FULL_WIDTH_ISBN,
            "山田太郎",
        ],
        ["000000002", "近代日本文学入門\n上巻", "japanese", "2004-06-01", "kansai", "", "佐藤花子"],
        ["000000003", "A History of Japan", "foreign", "1948-01-01", "ilcl", "4-8122-1553-6", ""],
        ["000000004", "①②③ 髙橋の本", "japanese", "２００１－０５－０５", "ｔｏｋｙｏ", "", "髙橋"],
        ["000000005", "ﾆﾎﾝﾉﾄｼｮｶﾝ", "japanese", "2001-05-05", "tokyo", "", "ﾔﾏﾀﾞ ﾀﾛｳ"],
    ]


def rows_bad_late() -> tuple[list[list[str]], int]:
    """300 rows with titles over two and three lines before a bad row; the
    bad row's own line in the file."""
    rows = []
    line = 2  # after the header
    for n in range(300):
        title = f"図書 {n}\n第{n}巻" if n % 7 == 0 else f"図書 {n}"
        if n % 50 == 0:
            title = f"図書 {n}\n上\n下"
        rows.append([f"1{n:08d}", title, "japanese", "2001-01-01", "tokyo", "", "著者"])
        line += title.count("\n") + 1
    # A wrong check digit (…1553-2 instead of …1553-1), then one more good row.
    rows.append(["200000000", "誤り", "japanese", "2001-01-01", "tokyo", "978-4-8122-1553-2", ""])
    rows.append(["200000001", "後", "japanese", "2001-01-01", "tokyo", "", ""])
    return rows, line


def csv_text(rows: list[list[str]], *, delimiter: str = ",") -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


# (name in the summary, how Excel or an older system writes the file)
ENCODINGS = {
    "UTF-8": lambda rows: csv_text(rows).encode("utf-8"),
    "UTF-8 with BOM": lambda rows: csv_text(rows).encode("utf-8-sig"),
    # Excel's "Unicode text": UTF-16 little-endian with a BOM, tab-separated.
    "UTF-16": lambda rows: b"\xff\xfe" + csv_text(rows, delimiter="\t").encode("utf-16-le"),
    "UTF-16 big-endian": lambda rows: b"\xfe\xff" + csv_text(rows).encode("utf-16-be"),
    "CP932 (Shift_JIS)": lambda rows: csv_text(rows).encode("cp932"),
}
SUMMARY_NAME = {"UTF-16 big-endian": "UTF-16"}


def run(tmp_path: Path, data: bytes, *args: str) -> tuple[str, str]:
    path = tmp_path / "catalogue.csv"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_catalogue", str(path), *args, stdout=out, stderr=err, verbosity=0)
    return out.getvalue(), err.getvalue()


# --- every accepted encoding, a good file and and a bad row late in the file --------


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_good_file_in_every_accepted_encoding_imports_and_names_it(tmp_path, encoding):
    out, _ = run(tmp_path, ENCODINGS[encoding](rows_good()))
    assert "5 created, 0 updated, 0 skipped" in out
    assert f"read as {SUMMARY_NAME.get(encoding, encoding)}," in out
    assert ("tab-separated" if encoding == "UTF-16" else "comma-separated") in out
    assert Material.objects.get(ndl_id="000000001").title == "日本の図書館史"
    assert Material.objects.get(ndl_id="000000001").isbn == "9784812215531"
    assert Material.objects.get(ndl_id="000000002").title == "近代日本文学入門\n上巻"
    assert Material.objects.get(ndl_id="000000003").isbn == "9784812215531"
    fourth = Material.objects.get(ndl_id="000000004")
    assert (fourth.title, fourth.responsibility) == ("①②③ 髙橋の本", "髙橋")
    assert str(fourth.acquired_on) == "2001-05-05"
    assert fourth.site.code == "tokyo"
    assert Material.objects.get(ndl_id="000000005").title == "ﾆﾎﾝﾉﾄｼｮｶﾝ"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_bad_row_late_in_the_file_is_named_by_its_own_line(tmp_path, encoding):
    rows, line = rows_bad_late()
    assert line == 356  # 300 rows, 42 titles over two lines and 6 over three
    with pytest.raises(CommandError, match="nothing was imported"):
        run(tmp_path, ENCODINGS[encoding](rows))
    assert not Material.objects.exists()
    assert not AuditEntry.objects.exists()
    path = tmp_path / "catalogue.csv"
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_catalogue", str(path), stderr=err, verbosity=0)
    assert err.getvalue().strip() == (
        f"line {line}: The ISBN 978-4-8122-1553-2 has a wrong check digit."
    )


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_skip_invalid_imports_the_rest_in_every_encoding(tmp_path, encoding):
    rows, line = rows_bad_late()
    out, err = run(tmp_path, ENCODINGS[encoding](rows), "--skip-invalid")
    assert "301 created, 0 updated, 1 skipped" in out
    assert f"line {line}:" in err


def test_a_multi_line_bad_row_is_named_by_the_line_where_it_starts(tmp_path):
    text = csv_text(
        [
            ["000000001", "One\ntwo\nthree", "japanese", "2001-01-01", "tokyo", "", ""],
            ["000000002", "Bad\ndate", "japanese", "2001-13-01", "tokyo", "", ""],
        ]
    )
    err = io.StringIO()
    (tmp_path / "c.csv").write_text(text, encoding="utf-8", newline="")
    with pytest.raises(CommandError):
        call_command("import_catalogue", str(tmp_path / "c.csv"), stderr=err, verbosity=0)
    assert "line 5: acquired_on “2001-13-01” is not a date" in err.getvalue()


def test_blank_lines_keep_the_line_numbers(tmp_path):
    text = "\r\n".join(
        [
            ",".join(COLUMNS),
            "",
            "000000001,T,japanese,2001-01-01,tokyo,,",
            "",
            "000000002,T,japanese,2001-01-01,osaka,,",
        ]
    )
    with pytest.raises(CommandError):
        run(tmp_path, text.encode())
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_catalogue", str(tmp_path / "catalogue.csv"), stderr=err, verbosity=0)
    assert err.getvalue().startswith("line 5: site “osaka”")


# --- what the import refuses, and how ------------------------------------------

ADVICE = "Save it from Excel as “CSV UTF-8 (Comma delimited) (*.csv)”"
HEADER = ",".join(COLUMNS) + "\r\n"
ASCII_ROW = "000000001,Plain,foreign,2001-01-01,tokyo,,\r\n"


def _late(title: str) -> str:
    return HEADER + ASCII_ROW * 3 + f"000000009,{title},foreign,2001-01-01,tokyo,,\r\n"


@pytest.mark.parametrize(
    ("data", "line"),
    [
        # Western European Windows (Excel outside Japan): ä reads as a kanji in CP932.
        (_late("Universitätsbibliothek Wien").encode("cp1252"), 5),
        (_late("Kungliga biblioteket, Göteborg").encode("cp1252"), 5),
        (_late("Ärzte und Bücher").encode("latin-1"), 5),
        (_late("Müller").encode("cp1252"), 5),
        (_late("Národní knihovna České republiky").encode("cp1250"), 5),
        (_late("История библиотеки").encode("cp1251"), 5),
        (_late("История").encode("koi8_r"), 5),
        (_late("Εθνική Βιβλιοθήκη").encode("cp1253"), 5),
        (_late("مكتبة الإسكندرية").encode("cp1256"), 5),
        (_late("หอสมุดแห่งชาติ").encode("cp874"), 5),
        (_late("서울대학교 중앙도서관").encode("euc_kr"), 5),
        (_late("北京大学图书馆").encode("gb18030"), 5),
        (_late("圖書館").encode("big5"), 5),
        (_late("日本の図書館").encode("euc_jp"), 5),
        # UTF-16 without its BOM, UTF-32, a picture.
        (_late("Plain").encode("utf-16-le"), 1),
        (_late("Plain").encode("utf-32"), 1),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 3),
        # UTF-8 with one row pasted from a CP932 file.
        ((_late("日本") + "000000010,").encode("utf-8") + "図書館".encode("cp932"), 6),
        # CP932 with a byte that is not Shift_JIS late in the file.
        (
            HEADER.encode()
            + "000000001,日本,japanese,2001-01-01,tokyo,,\r\n".encode("cp932") * 3
            + b"000000009,\x81\x7f,japanese,2001-01-01,tokyo,,\r\n",
            5,
        ),
        # UTF-16 with a BOM, cut in the middle of a character.
        (b"\xff\xfe" + _late("Plain").encode("utf-16-le") + b"\x00", 6),
    ],
)
def test_any_other_encoding_is_refused_with_the_line_and_what_to_save_as(tmp_path, data, line):
    with pytest.raises(CommandError) as caught:
        run(tmp_path, data)
    message = str(caught.value)
    assert message.startswith(f"Line {line} of the file is not text in UTF-8, UTF-16")
    assert ADVICE in message
    assert not Material.objects.exists()


def test_the_command_line_prints_the_reason_and_no_traceback(tmp_path):
    # The case: Japanese Excel's CSV (CP932) with a broken byte late in the file.
    path = tmp_path / "excel.csv"
    path.write_bytes(
        HEADER.encode()
        + "000000001,日本の図書館史,japanese,2001-01-01,tokyo,,\r\n".encode("cp932") * 40
        + b"000000099,\x82\xff,japanese,2001-01-01,tokyo,,\r\n"
    )
    result = subprocess.run(  # nosec B603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", "import_catalogue", str(path), "--no-progress"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "UnicodeDecodeError" not in result.stderr
    assert "Line 42 of the file is not text" in result.stderr


def test_a_japanese_file_the_detection_doubts_imports_with_encoding_cp932(tmp_path):
    # Older systems wrote half-width katakana next to kanji; detection takes it
    # for another language, and --encoding says what the file is.
    data = (HEADER + "000000001,ｺﾝﾋﾟｭｰﾀ入門,japanese,2001-01-01,tokyo,,\r\n").encode("cp932")
    with pytest.raises(CommandError, match="Line 2 of the file is not text"):
        run(tmp_path, data)
    out, _ = run(tmp_path, data, "--encoding", "cp932")
    assert "1 created" in out
    assert "read as CP932 (Shift_JIS)" in out
    assert Material.objects.get().title == "ｺﾝﾋﾟｭｰﾀ入門"


def test_a_forced_encoding_that_does_not_fit_is_refused_with_the_line(tmp_path):
    data = (HEADER + "000000001,日本,japanese,2001-01-01,tokyo,,\r\n").encode("cp932")
    with pytest.raises(CommandError, match="Line 2 of the file"):
        run(tmp_path, data, "--encoding", "utf-8")


def test_a_line_that_is_not_csv_is_named(tmp_path):
    data = (
        HEADER + ASCII_ROW + "000000002," + "x" * 200_000 + ",foreign,2001-01-01,tokyo,,\r\n"
    ).encode()
    with pytest.raises(CommandError, match="Line 3 of the file is not valid CSV"):
        run(tmp_path, data)
    assert not Material.objects.exists()


def test_an_empty_file_is_refused_for_its_missing_columns(tmp_path):
    with pytest.raises(CommandError, match="missing columns"):
        run(tmp_path, b"")


@pytest.mark.parametrize(
    "text",
    [
        "ndl_id,title\r\n日本,本\r\n",
        "ndl_id\tTitle\r\n",
    ],
)
def test_the_delimiter_follows_the_header(text):
    expected = "\t" if "\t" in text.split("\n")[0] else ","
    assert catalogue_file_read(data=text.encode("cp932")).delimiter == expected


# --- ISBNs: one key for both forms, checked on the way in ------------------------


def test_a_full_width_isbn_is_stored_normalised_and_found(tmp_path):
    run(tmp_path, csv_text([rows_good()[0]]).encode("cp932"))
    material = Material.objects.get()
    assert material.isbn == "9784812215531"
    assert list(material_search(query="9784812215531")) == [material]
    assert list(material_search(query=FULL_WIDTH_ISBN)) == [material]


@pytest.mark.parametrize(
    "query",
    [
        "9784812215531",
        "978-4-8122-1553-1",
        "4-8122-1553-6",
        "4812215536",
        "９７８４８１２２１５５３１",
    ],
)
def test_an_isbn10_material_is_found_by_every_form_of_its_isbn(tmp_path, query):
    run(tmp_path, csv_text([rows_good()[2]]).encode())
    assert Material.objects.get().isbn == "9784812215531"
    assert [m.ndl_id for m in material_search(query=query)] == ["000000003"]


def test_an_invalid_isbn_is_refused_on_import_with_its_line_and_reason(tmp_path):
    text = csv_text(
        [rows_good()[0], ["000000002", "T", "japanese", "2001-01-01", "tokyo", "4-8122-1553-7", ""]]
    )
    (tmp_path / "c.csv").write_text(text, encoding="utf-8", newline="")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_catalogue", str(tmp_path / "c.csv"), stderr=err, verbosity=0)
    assert err.getvalue().strip() == "line 3: The ISBN 4-8122-1553-7 has a wrong check digit."
    assert not Material.objects.exists()


def test_an_ndl_id_typed_full_width_is_one_material(tmp_path):
    MaterialFactory(ndl_id="024681357", title="Old")
    row = ["０２４６８１３５７", "New", "japanese", "2001-01-01", "tokyo", "", ""]
    out, _ = run(tmp_path, csv_text([row]).encode("utf-8"))
    assert "0 created, 1 updated" in out
    assert Material.objects.get().title == "New"
    assert [m.title for m in material_search(query="０２４６８１３５７")] == ["New"]


def test_staff_keep_an_isbn_in_the_admin_form_as_its_isbn13():
    material = MaterialFactory()
    form = MaterialAdminForm(
        data={"ndl_id": "０２４６８１３５８", "isbn": "4-8122-1553-6"},
        instance=material,
    )
    form.fields = {k: form.fields[k] for k in ("ndl_id", "isbn")}
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"ndl_id": "024681358", "isbn": "9784812215531"}
    bad = MaterialAdminForm(data={"ndl_id": "1", "isbn": "978-4-8122-1553-2"}, instance=material)
    assert "wrong check digit" in str(bad.errors["isbn"])


def test_the_migration_moves_stored_isbns_to_their_isbn13():
    ten = MaterialFactory(isbn="4-8122-1553-6")
    wide = MaterialFactory(isbn=FULL_WIDTH_ISBN)
    wrong = MaterialFactory(isbn="978-4-00-000000-2")
    none = MaterialFactory(isbn="")
    migration = importlib.import_module("loans.migrations.0008_isbn_thirteen")

    class TodaysApps:  # the table has since moved to the catalogue app
        def get_model(self, app_label: str, model_name: str) -> type[Material]:
            assert (app_label, model_name) == ("loans", "Material")
            return Material

    migration.forwards(TodaysApps(), None)
    assert [
        m.isbn
        for m in Material.objects.filter(pk__in=[ten.pk, wide.pk, wrong.pk, none.pk]).order_by("pk")
    ] == [
        "9784812215531",
        "9784812215531",
        "9784000000002",
        "",
    ]


@pytest.mark.parametrize(
    "query",
    [
        "9784812215531",
        "978-4-8122-1553-1",
        "4-8122-1553-6",
        "4812215536",
        "９７８‐４‐８１２２‐１５５３‐１",
        " 4 8122 1553 6 ",
        "０２４６８１３５９",
    ],
)
def test_the_admin_search_finds_a_material_by_its_identifiers_in_any_form(rf, query):
    from django.contrib import admin

    from catalogue.admin import MaterialAdmin

    material = MaterialFactory(ndl_id="024681359", isbn="9784812215531", title="Kept")
    MaterialFactory(ndl_id="024681360", isbn="9784000000000", title="Other")
    model_admin = MaterialAdmin(Material, admin.site)
    results, _ = model_admin.get_search_results(rf.get("/"), Material.objects.all(), query)
    assert list(results) == [material]
