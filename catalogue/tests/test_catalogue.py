import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from catalogue.demo import seed_demo_catalogue
from catalogue.models import LanguageCategory, Material, MaterialType, Unsuitability
from catalogue.rules import LOANABILITY_CODES, loanability
from catalogue.tests.factories import MaterialFactory
from core.models import AuditEntry, SiteCode
from core.tests.factories import StaffFactory
from loans.models import LoanStatus
from loans.selectors import unavailable_material_ids
from loans.tests.factories import LoanRequestFactory

pytestmark = pytest.mark.django_db

HEADER = "ndl_id,title,language,acquired_on,site,isbn,material_type,unsuitable,rare\n"
GOOD = (
    "000000001,Nihon no rekishi,japanese,1996-01-01,tokyo,978-4-00-000000-0,book,,no\n"
    "000000002,A History of Japan,foreign,1948-01-01,kansai,,,,\n"
    "000000003,Ehon,japanese,2001-05-05,ilcl,,book,pamphlet,yes\n"
)


def run(tmp_path, text, *args):
    path = tmp_path / "catalogue.csv"
    path.write_text(text, encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_catalogue", str(path), *args, stdout=out, stderr=err, verbosity=0)
    return out.getvalue(), err.getvalue()


def test_it_imports_the_documented_columns(tmp_path):
    out, _ = run(tmp_path, HEADER + GOOD)
    assert "3 created, 0 updated" in out
    first = Material.objects.get(ndl_id="000000001")
    assert first.site.code == SiteCode.TOKYO
    assert first.acquired_on == dt.date(1996, 1, 1)
    assert first.isbn == "9784000000000"
    assert loanability(first) == []
    third = Material.objects.get(ndl_id="000000003")
    assert third.unsuitable == Unsuitability.PAMPHLET
    assert third.is_rare
    second = Material.objects.get(ndl_id="000000002")
    assert second.language == LanguageCategory.FOREIGN
    assert second.material_type == MaterialType.BOOK
    assert AuditEntry.objects.get(action="catalogue.material.import").data["created"] == 3


def test_a_reimport_updates_by_ndl_id_and_never_duplicates(tmp_path):
    run(tmp_path, HEADER + GOOD)
    out, _ = run(tmp_path, HEADER + GOOD.replace("Ehon", "Ehon (new edition)"))
    assert "0 created, 3 updated" in out
    assert Material.objects.count() == 3
    assert Material.objects.get(ndl_id="000000003").title == "Ehon (new edition)"


def test_a_reimport_keeps_columns_the_file_does_not_have(tmp_path):
    m = MaterialFactory(ndl_id="000000001", staff_excluded=True, staff_note="Exhibition")
    run(tmp_path, HEADER + GOOD)
    m.refresh_from_db()
    assert m.staff_excluded
    assert m.staff_note == "Exhibition"
    assert m.title == "Nihon no rekishi"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("000000009,,japanese,2000-01-01,tokyo,,,,\n", "title is empty"),
        ("000000009,T,martian,2000-01-01,tokyo,,,,\n", "language “martian”"),
        ("000000009,T,japanese,2000-02-30,tokyo,,,,\n", "is not a date"),
        ("000000009,T,japanese,2000-01-01,osaka,,,,\n", "site “osaka”"),
        ("000000009,T,japanese,2000-01-01,tokyo,12345,,,\n", "not an ISBN"),
        ("000000009,T,japanese,2000-01-01,tokyo,,cassette,,\n", "material_type “cassette”"),
        ("000000009,T,japanese,2000-01-01,tokyo,,,huge,\n", "unsuitable “huge”"),
        ("000000009,T,japanese,2000-01-01,tokyo,,,,maybe\n", "rare: “maybe”"),
        ("000000009,T,japanese,2000-01-01,tokyo,,,,,extra\n", "more fields than the header"),
        ("000000001,Dup,japanese,2000-01-01,tokyo,,,,\n", "repeats line 2"),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_imported(tmp_path, row, reason):
    with pytest.raises(CommandError, match="nothing was imported"):
        run(tmp_path, HEADER + GOOD + row)
    assert not Material.objects.exists()
    assert not AuditEntry.objects.exists()


def test_the_error_names_the_line_and_reason(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(HEADER + GOOD + "000000009,T,japanese,2000-13-01,tokyo,,,,\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_catalogue", str(path), stderr=err, verbosity=0)
    assert "line 5: acquired_on “2000-13-01” is not a date (YYYY-MM-DD)" in err.getvalue()


def test_skip_invalid_imports_only_the_good_rows(tmp_path):
    out, err = run(
        tmp_path, HEADER + GOOD + "000000009,T,japanese,1/1/2000,tokyo,,,,\n", "--skip-invalid"
    )
    assert "3 created, 0 updated, 1 skipped" in out
    assert "line 5" in err
    assert Material.objects.count() == 3


def test_staff_excluded_needs_a_note(tmp_path):
    text = "ndl_id,title,language,acquired_on,site,staff_excluded,staff_note\n"
    with pytest.raises(CommandError):
        run(tmp_path, text + "1,T,japanese,2000-01-01,tokyo,yes,\n")
    run(tmp_path, text + "1,T,japanese,2000-01-01,tokyo,yes,Fragile binding\n")
    assert loanability(Material.objects.get())[0].detail == "Fragile binding"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("ndl_id,title,language,site\n", "missing columns: acquired_on"),
        ("ndl_id,title,language,acquired_on,site,colour\n", "unknown columns: colour"),
    ],
)
def test_a_bad_header_is_refused(tmp_path, header, message):
    with pytest.raises(CommandError, match=message):
        run(tmp_path, header)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_catalogue", str(tmp_path / "nope.csv"), verbosity=0)


def test_an_unknown_user_is_refused(tmp_path):
    with pytest.raises(CommandError, match="No staff user"):
        run(tmp_path, HEADER + GOOD, "--user", "nobody")


def test_the_import_is_audited_to_the_staff_member(tmp_path):
    staff = StaffFactory()
    run(tmp_path, HEADER + GOOD, "--user", staff.username)
    assert AuditEntry.objects.get(action="catalogue.material.import").actor == staff


def test_it_imports_in_batches(tmp_path, django_assert_max_num_queries):
    rows = "".join(f"{n:09d},Book {n},japanese,2000-01-01,tokyo,,,,\n" for n in range(1, 251))
    path = tmp_path / "c.csv"
    path.write_text(HEADER + rows)
    # SQLite binds at most 999 values a statement: a batch of 100 rows of
    # 30-odd columns takes four INSERTs there, one on PostgreSQL.
    per_batch = 1 if connection.vendor == "postgresql" else 4
    # Each batch is then indexed for search: one read, one write.
    with django_assert_max_num_queries(3 * (1 + per_batch + 2) + 6):
        call_command("import_catalogue", str(path), "--batch-size", "100", verbosity=0)
    assert Material.objects.count() == 250


def test_the_database_refuses_an_exclusion_without_a_note():
    with pytest.raises(IntegrityError), transaction.atomic():
        MaterialFactory(staff_excluded=True, staff_note="")


# --- the demo catalogue --------------------------------------------------------
def test_the_demo_catalogue_exercises_every_rule_and_is_idempotent():
    first = seed_demo_catalogue()
    assert 250 <= first <= 400
    assert seed_demo_catalogue() == first
    assert Material.objects.count() == first
    # Loaded through the importer, from DC-NDL records.
    assert set(Material.objects.values_list("source_format", flat=True)) == {"dcndl"}
    assert Material.objects.exclude(review_reasons=[]).exists()
    kinds = set(Material.objects.values_list("material_type", flat=True))
    assert {"book", "periodical", "newspaper", "single_sheet_map", "music_score", "sound"} <= kinds
    assert set(Material.objects.values_list("language", flat=True)) >= {"japanese", "foreign"}
    materials = list(Material.objects.all())
    codes = {r.code for m in materials for r in loanability(m)}
    assert codes == set(LOANABILITY_CODES)
    loanable = [m for m in materials if not loanability(m)]
    assert len(loanable) >= 10
    assert {m.site.code for m in loanable} == {"tokyo", "kansai", "ilcl"}
    dates = {m.acquired_on for m in materials}
    assert {dt.date(1995, 12, 31), dt.date(1996, 1, 1)} <= dates
    assert {dt.date(1947, 12, 31), dt.date(1948, 1, 1)} <= dates


def test_unavailable_is_not_a_loanability_reason():
    m = MaterialFactory()
    LoanRequestFactory(material=m, status=LoanStatus.ACCEPTED)
    assert loanability(m) == []
    assert unavailable_material_ids(material_ids=[m.pk]) == {m.pk}
