"""Every real NDL record in ``../shared/ndl-records`` imports, mapped right.

The files are NDL Search responses (DC-NDL RDF, SRU with escaped records,
OpenSearch RSS). The tests skip when ``../shared`` is absent and fail then
when ``NDL_SHARED_REQUIRED=1`` (as ``.ci/run`` sets it).
"""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from catalogue.formats import detect
from catalogue.models import Material

RECORDS = Path(settings.BASE_DIR).parent / "shared" / "ndl-records"

# file, NDL ID, type, language category, date issued, ISBN-13, ISSN, JP number, pages
EXPECTED: list[tuple[str, str, str, str, str, str, str, str, int | None]] = [
    # OpenSearch: no language and no type beyond the "本" facet: staff review.
    (
        "opensearch/any-kamyu-pesuto.xml",
        "028766219",
        "",
        "",
        "2018",
        "9784636952100",
        "",
        "23024891",
        258,
    ),
    (
        "opensearch/any-kamyu-pesuto.xml",
        "030628361",
        "",
        "",
        "2020",
        "9784140818299",
        "",
        "23445692",
        154,
    ),
    (
        "opensearch/any-kamyu-pesuto.xml",
        "000007724099",
        "",
        "",
        "2005",
        "9784622081128",
        "",
        "20780027",
        279,
    ),
    ("opensearch/any-kamyu-pesuto.xml", "000001269545", "", "", "1972", "", "", "75024277", 260),
    ("opensearch/any-kamyu-pesuto.xml", "000000969549", "", "", "1958", "", "", "57011175", 230),
    ("opensearch/any-kamyu-pesuto.xml", "000001611307", "", "", "1982", "", "", "83028419", 145),
    (
        "opensearch/any-kamyu-pesuto.xml",
        "031264319",
        "",
        "",
        "2021",
        "9784286224404",
        "",
        "23510699",
        259,
    ),
    (
        "opensearch/any-kamyu-pesuto.xml",
        "024234731",
        "",
        "",
        "2013",
        "9784284202466",
        "",
        "22213379",
        565,
    ),
    ("opensearch/any-kamyu-pesuto.xml", "000000932772", "", "", "1952", "", "", "55005595", 364),
    (
        "opensearch/any-kamyu-pesuto.xml",
        "028437351",
        "",
        "",
        "2017",
        "9784779511912",
        "",
        "22950964",
        383,
    ),
    (
        "opensearch/any-library-system.xml",
        "000002986382",
        "",
        "",
        "2001",
        "9784820400332",
        "",
        "20178107",
        228,
    ),
    (
        "opensearch/any-library-system.xml",
        "000008260174",
        "",
        "",
        "2006",
        "",
        "1344-0640",
        "21083326",
        143,
    ),
    (
        "opensearch/any-library-system.xml",
        "000009606629",
        "",
        "",
        "2008",
        "9784478082812",
        "",
        "21494097",
        335,
    ),
    ("opensearch/any-library-system.xml", "031396890", "", "", "1990", "", "", "01054025", None),
    (
        "opensearch/any-library-system.xml",
        "000011273881",
        "",
        "",
        "2006",
        "9784907847135",
        "",
        "21990538",
        788,
    ),
    ("opensearch/any-library-system.xml", "000001623804", "", "", "1973", "", "", "83040935", None),
    ("opensearch/any-library-system.xml", "000008250499", "", "", "2006", "", "", "21086720", 383),
    (
        "opensearch/any-library-system.xml",
        "000002623798",
        "",
        "",
        "1996",
        "9784795296879",
        "",
        "98018543",
        None,
    ),
    ("opensearch/any-library-system.xml", "000001317442", "", "", "1971", "", "", "77051979", None),
    ("opensearch/any-library-system.xml", "000001681759", "", "", "1982", "", "", "84045393", None),
    ("opensearch/any-library.xml", "023966595", "", "", "2012", "", "", "22147291", 31),
    (
        "opensearch/any-library.xml",
        "028075982",
        "",
        "",
        "2004",
        "9784523015246",
        "",
        "22980706",
        74,
    ),
    ("opensearch/any-library.xml", "000009254378", "", "", "2007", "", "", "01018025", None),
    (
        "opensearch/any-library.xml",
        "000008402394",
        "",
        "",
        "2006",
        "9784839921156",
        "",
        "21160517",
        153,
    ),
    (
        "opensearch/any-library.xml",
        "000008540469",
        "",
        "",
        "2006",
        "9784839921958",
        "",
        "21231327",
        155,
    ),
    (
        "opensearch/any-library.xml",
        "000008402396",
        "",
        "",
        "2006",
        "9784839921163",
        "",
        "21160516",
        155,
    ),
    (
        "opensearch/any-library.xml",
        "000008604533",
        "",
        "",
        "2007",
        "9784839922863",
        "",
        "21257916",
        155,
    ),
    # The extent names the carrier: a CD, a DVD.
    ("opensearch/any-library.xml", "000011219103", "sound", "", "2011", "", "", "21949560", None),
    ("opensearch/any-library.xml", "000004156699", "sound", "", "2003", "", "", "", None),
    (
        "opensearch/any-library.xml",
        "000010439967",
        "moving_image",
        "",
        "2009",
        "9784775962855",
        "",
        "21634825",
        None,
    ),
    # DC-NDL RDF records with the NDL's holdings.
    (
        "rdf/R100000002-I000000471440-00.rdf",
        "000000471440",
        "book",
        "japanese",
        "1906",
        "",
        "",
        "40054009",
        None,
    ),
    (
        "rdf/R100000002-I000002539673-00.rdf",
        "000002539673",
        "book",
        "japanese",
        "1996",
        "9784062580878",
        "",
        "97024234",
        262,
    ),
    (
        "rdf/R100000002-I000007602726-00.rdf",
        "000007602726",
        "book",
        "japanese",
        "2004",
        "9784797327038",
        "",
        "20718440",
        484,
    ),
    (
        "rdf/R100000002-I000008056345-00.rdf",
        "000008056345",
        "book",
        "japanese",
        "2006",
        "9784106101496",
        "",
        "20970687",
        190,
    ),
    (
        "rdf/R100000002-I000008282661-00.rdf",
        "000008282661",
        "book",
        "foreign",
        "2005",
        "9780262220736",
        "",
        "",
        462,
    ),
    (
        "rdf/R100000002-I028087126-00.rdf",
        "028087126",
        "book",
        "japanese",
        "2017",
        "9784774188836",
        "",
        "22891066",
        593,
    ),
    # SRU searchRetrieveResponse, the record escaped in recordData.
    (
        "sru-dcndl/bibliographic_record.xml",
        "000010980901",
        "book",
        "japanese",
        "2010",
        "9784839931995",
        "",
        "21816393",
        315,
    ),
    (
        "sru-dcndl/edition.xml",
        "025107686",
        "book",
        "japanese",
        "2014",
        "9784774162133",
        "",
        "22349643",
        167,
    ),
    (
        "sru-dcndl/map.xml",
        "025478296",
        "single_sheet_map",
        "japanese",
        "2014",
        "",
        "",
        "22411623",
        None,
    ),
    (
        "sru-dcndl/publication_place.xml",
        "000007725666",
        "book",
        "japanese",
        "2005",
        "9784925156103",
        "",
        "20783252",
        372,
    ),
    (
        "sru-dcndl/pud_date_is_nil.xml",
        "000000017951",
        "periodical",
        "japanese",
        "",
        "",
        "0287-7783",
        "00018082",
        None,
    ),
    (
        "sru-dcndl/series_statement.xml",
        "000004152429",
        "book",
        "japanese",
        "2003",
        "9784591077467",
        "",
        "20408556",
        206,
    ),
    # A digitized issue's record (NDL Digital Collections) names the serial's NDL record.
    (
        "sru-dcndl/series_statement_if_the_resource_is_serial.xml",
        "000000010774",
        "periodical",
        "japanese",
        "1969-11",
        "",
        "0488-7484",
        "00010852",
        None,
    ),
]


@pytest.fixture(scope="module")
def records_dir() -> Path:
    if not RECORDS.is_dir():
        if os.environ.get("NDL_SHARED_REQUIRED") == "1":
            pytest.fail(f"{RECORDS} is missing and NDL_SHARED_REQUIRED=1")
        pytest.skip("../shared/ndl-records is not present")
    return RECORDS


def _import(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_catalogue", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_every_file_is_in_the_table(records_dir: Path) -> None:
    files = {
        str(p.relative_to(records_dir))
        for p in records_dir.rglob("*")
        if p.is_file() and p.suffix in (".xml", ".rdf")
    }
    assert files == {row[0] for row in EXPECTED}


@pytest.mark.parametrize("name", sorted({row[0] for row in EXPECTED}))
def test_the_format_is_detected_from_the_content(records_dir: Path, name: str) -> None:
    assert detect((records_dir / name).read_bytes()[:4096]) == "dcndl"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted({row[0] for row in EXPECTED}))
def test_every_record_of_every_file_imports_mapped_right(records_dir: Path, name: str) -> None:
    rows = [row for row in EXPECTED if row[0] == name]
    summary = _import(records_dir / name)
    assert f"{len(rows)} created, 0 updated, 0 skipped" in summary
    for _file, ndl_id, kind, language, issued, isbn, issn, jp_number, pages in rows:
        m = Material.objects.get(ndl_id=ndl_id)
        got = (
            m.material_type,
            m.language,
            m.date_issued,
            m.isbn,
            m.issn,
            m.jp_number,
            m.page_count,
        )
        assert got == (kind, language, issued, isbn, issn, jp_number, pages), ndl_id
        assert m.year == (int(issued[:4]) if issued else None)
        assert m.source_format == "dcndl"
        unknown = {"unknown_type": not kind, "unknown_language": not language}
        expected_reasons = [reason for reason, missing in unknown.items() if missing]
        assert m.review_reasons == expected_reasons, ndl_id
        # What records never carry stays unknown until staff set it.
        assert (m.site_id, m.acquired_on) == (None, None)
        assert m.title


@pytest.mark.django_db
def test_a_record_with_its_authors_readings_and_the_ndl_call_number(records_dir: Path) -> None:
    _import(records_dir / "rdf" / "R100000002-I000000471440-00.rdf")
    m = Material.objects.get(ndl_id="000000471440")
    assert m.title == "化学"
    assert m.title_transcription == "カガク"
    assert m.author_names == "加納, 清三\n小林, 盈一, -1936"
    assert m.author_transcriptions == "カノウ, セイゾウ\nコバヤシ, マスカズ"
    assert m.responsibility == "加納清三, 小林盈一 著"
    assert m.publisher == "文武堂"
    assert m.extent == "2冊 (前182, 後編178p) ; 13cm"
    assert m.language_code == "jpn"
    assert m.call_number == "特54-929"


@pytest.mark.django_db
def test_a_foreign_book_and_the_digitized_issue_of_a_serial(records_dir: Path) -> None:
    _import(records_dir / "rdf" / "R100000002-I000008282661-00.rdf")
    _import(records_dir / "sru-dcndl" / "series_statement_if_the_resource_is_serial.xml")
    trec = Material.objects.get(ndl_id="000008282661")
    assert (trec.language_code, trec.language, trec.extent) == (
        "eng",
        "foreign",
        "x, 462 p. : ill. ; 24 cm",
    )
    serial = Material.objects.get(ndl_id="000000010774")
    assert serial.periodicity == "週刊"
    assert serial.digitized_url == "https://dl.ndl.go.jp/info:ndljp/pid/3377584"


@pytest.mark.django_db
def test_importing_every_file_twice_updates_and_creates_nothing_new(records_dir: Path) -> None:
    for name in sorted({row[0] for row in EXPECTED}):
        _import(records_dir / name)
    count = Material.objects.count()
    assert count == len({row[1] for row in EXPECTED})
    for name in sorted({row[0] for row in EXPECTED}):
        assert _import(records_dir / name).startswith("0 created")
    assert Material.objects.count() == count
