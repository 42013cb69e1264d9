# ruff: noqa: RUF001  (Japanese text uses full-width punctuation on purpose)
"""The import of NDL records: MARC 21 (built with pymarc), DC-NDL wrappers,
bad and hostile files, and what a re-import must not touch."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pymarc
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue.formats import FormatError, detect
from catalogue.formats.marc import material_type_of_marc
from catalogue.models import Material, MaterialType
from catalogue.records import language_category, material_type_of, page_count_of
from catalogue.rules import Reason, loanability
from core.models import AuditEntry, Site, SiteCode

T = MaterialType


def marc_record(
    ndl_id: str = "030000001",
    *,
    leader: str = "00000nam a2200000 i 4500",
    f008: str = "260401s2026    ja            000 0 jpn  ",
    f007: str | None = None,
    fields: list[pymarc.Field] | None = None,
    title: str = "図書館の未来",
) -> pymarc.Record:
    record = pymarc.Record(force_utf8=True, leader=leader)
    record.add_field(pymarc.Field(tag="001", data=ndl_id))
    if f007 is not None:
        record.add_field(pymarc.Field(tag="007", data=f007))
    record.add_field(pymarc.Field(tag="008", data=f008))
    record.add_field(
        pymarc.Field(
            tag="245",
            indicators=pymarc.Indicators("0", "0"),
            subfields=[
                pymarc.Subfield("6", "880-01"),
                pymarc.Subfield("a", f"{title} /"),
                pymarc.Subfield("c", "山田太郎 著."),
            ],
        )
    )
    for f in fields or []:
        record.add_field(f)
    return record


def field(tag: str, *subfields: str, ind: str = "  ") -> pymarc.Field:
    pairs = [pymarc.Subfield(subfields[i], subfields[i + 1]) for i in range(0, len(subfields), 2)]
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(ind[0], ind[1]), subfields=pairs)


def a_full_record() -> pymarc.Record:
    return marc_record(
        fields=[
            field("015", "a", "JP23456789", "2", "jnb"),
            field("020", "a", "978-4-8122-1553-1"),
            field("100", "6", "880-02", "a", "山田, 太郎", ind="1 "),
            field("264", "a", "東京 :", "b", "図書館出版,", "c", "2026.4", ind=" 1"),
            field("300", "a", "xii, 300 p. :", "b", "ill. ;", "c", "21 cm"),
            field("856", "u", "https://dl.ndl.go.jp/pid/12345678", ind="40"),
            field("880", "6", "245-01/$1", "a", "トショカン ノ ミライ", ind="00"),
            field("880", "6", "100-02/$1", "a", "ヤマダ, タロウ", ind="1 "),
        ]
    )


def iso2709(*records: pymarc.Record) -> bytes:
    return b"".join(r.as_marc() for r in records)


def marcxml(*records: pymarc.Record) -> bytes:
    body = b"".join(pymarc.record_to_xml(r, namespace=False) for r in records)
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<collection xmlns="http://www.loc.gov/MARC21/slim">' + body + b"</collection>"
    )


def run(tmp_path: Path, data: bytes, *args: str, name: str = "records") -> tuple[str, str]:
    path = tmp_path / name
    path.write_bytes(data)
    out, err = StringIO(), StringIO()
    call_command("import_catalogue", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- MARC 21 ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("encode", [iso2709, marcxml], ids=["iso2709", "marcxml"])
def test_a_marc_record_maps_every_field(tmp_path, encode):
    summary, _ = run(tmp_path, encode(a_full_record()))
    assert summary.startswith("1 created")
    m = Material.objects.get(ndl_id="030000001")
    assert (m.title, m.title_transcription, m.responsibility) == (
        "図書館の未来",
        "トショカン ノ ミライ",
        "山田太郎 著",
    )
    assert (m.author_names, m.author_transcriptions) == ("山田, 太郎", "ヤマダ, タロウ")
    assert (m.publisher, m.date_issued, m.year) == ("図書館出版", "2026", 2026)
    assert (m.extent, m.page_count) == ("xii, 300 p. : ill ; 21 cm", 300)
    assert (m.language_code, m.language, m.material_type) == ("jpn", "japanese", "book")
    assert (m.isbn, m.jp_number) == ("9784812215531", "23456789")
    assert m.digitized_url == "https://dl.ndl.go.jp/pid/12345678"
    assert m.source_format == "marc"
    assert m.review_reasons == []


def test_the_format_of_marc_files_is_detected():
    assert detect(iso2709(a_full_record())) == "marc"
    assert detect(marcxml(a_full_record())) == "marcxml"
    assert detect(b"ndl_id,title\n") == "csv"


@pytest.mark.parametrize(
    ("leader", "f008", "f007", "fields", "expected"),
    [
        # Leader/06-07
        ("00000nam a22", "", None, [], T.BOOK),
        ("00000ncm a22", "", None, [], T.MUSIC_SCORE),
        ("00000ntm a22", "", None, [], T.MANUSCRIPT),
        ("00000nem a22", "", "aj canzn", [], T.MAP),
        ("00000nem a22", "", "ad canzn", [], T.BOOK),  # an atlas
        ("00000nim a22", "", None, [], T.SOUND),
        ("00000njm a22", "", "sd bsmennmplue", [], T.PHONOGRAPHIC_RECORD),  # 33 1/3 rpm disc
        ("00000njm a22", "", "sd fsngnnmmned", [], T.SOUND),  # a CD
        ("00000ngm a22", "", "vd cvaizq", [], T.MOVING_IMAGE),
        ("00000ngm a22", "", "gs cjc", [], T.STILL_IMAGE),  # slides
        ("00000nkm a22", "", None, [], T.STILL_IMAGE),
        ("00000nmm a22", "", None, [], T.ELECTRONIC_RESOURCE),
        ("00000nom a22", "", None, [], T.KIT),
        ("00000nrm a22", "", None, [], T.PHYSICAL_OBJECT),
        ("00000nab a22", "", None, [], T.ARTICLE),
        ("00000nas a22", "", None, [], T.SERIAL),
        ("00000nas a22", "260401c19569999ja wr p       0   a0jpn  ", None, [], T.PERIODICAL),
        ("00000nas a22", "260401c18729999ja dr n       0   a0jpn  ", None, [], T.NEWSPAPER),
        # 007: microforms, whatever they reproduce
        ("00000nam a22", "", "he bmb024baca", [], T.MICROFICHE),
        ("00000nas a22", "", "hd afb---baaa", [], T.MICROFILM),
        ("00000nam a22", "", "hz", [], T.MICROFORM),
        ("00000nam a22", "", "cr |||||||||||", [], T.ELECTRONIC_RESOURCE),
        # 008/23 form of item, 008/24 nature of contents (m: thesis)
        ("00000nam a22", "260401s2026    ja      b     000 0 jpn  ", None, [], T.MICROFICHE),
        ("00000nam a22", "260401s2026    ja      a     000 0 jpn  ", None, [], T.MICROFILM),
        (
            "00000nam a22",
            "260401s2026    ja      o     000 0 jpn  ",
            None,
            [],
            T.ELECTRONIC_RESOURCE,
        ),
        (
            "00000nam a22",
            "260401s2026    ja       m    000 0 jpn  ",
            None,
            [],
            T.DOCTORAL_DISSERTATION,
        ),
        # 502 dissertation note
        (
            "00000nam a22",
            "",
            None,
            [("502", "a", "博士論文 (東京大学, 2020)")],
            T.DOCTORAL_DISSERTATION,
        ),
        # 33X when the leader says nothing
        ("00000n m a22", "", None, [("336", "a", "cartographic image", "b", "cri")], T.MAP),
        ("00000n m a22", "", None, [("336", "a", "text", "b", "txt")], T.BOOK),
        ("00000n m a22", "", None, [("337", "b", "h"), ("338", "b", "he")], T.MICROFICHE),
        ("00000nem a22", "", None, [("338", "a", "sheet", "b", "nb")], T.SINGLE_SHEET_MAP),
        # Mixed materials, nothing else said: staff decide.
        ("00000npm a22", "", None, [], ""),
    ],
)
def test_the_marc_type_mapping(leader, f008, f007, fields, expected):
    record = marc_record(
        leader=leader.ljust(20) + "4500",
        f008=f008 or "260401s2026    ja            000 0 jpn  ",
        f007=f007,
        fields=[field(tag, *subfields) for tag, *subfields in fields],
    )
    assert material_type_of_marc(record) == expected


@pytest.mark.django_db
def test_a_marc_record_of_an_unknown_type_and_language_waits_for_staff(tmp_path):
    record = marc_record(
        leader="00000npm a2200000 i 4500", f008="260401s2026    ja            000 0 und  "
    )
    summary, _ = run(tmp_path, iso2709(record))
    assert "1 to review" in summary
    m = Material.objects.get()
    assert (m.material_type, m.language) == ("", "")
    assert m.review_reasons == ["unknown_type", "unknown_language"]
    assert [r.code for r in loanability(m)][:1] == [Reason.NEEDS_REVIEW]


@pytest.mark.django_db
def test_a_broken_iso2709_record_is_reported_by_number_and_nothing_is_imported(tmp_path):
    good = iso2709(a_full_record())
    broken = b"00099nam  2200037   4500" + b"garbage\x1e\x1d"
    with pytest.raises(CommandError, match="1 invalid record"):
        run(tmp_path, good + broken)
    assert not Material.objects.exists()


@pytest.mark.django_db
def test_a_marcxml_record_without_001_is_reported_with_its_line(tmp_path):
    nameless = marc_record()
    nameless.remove_fields("001")
    data = marcxml(a_full_record(), nameless)
    with pytest.raises(CommandError) as refused:
        run(tmp_path, data)
    assert "nothing was imported" in str(refused.value)
    _, err = run(tmp_path, data, "--skip-invalid")
    assert "record 2 (line 2): no NDL bibliographic ID (field 001 is empty)" in err
    assert list(Material.objects.values_list("ndl_id", flat=True)) == ["030000001"]


# --- DC-NDL wrappers ------------------------------------------------------------

NS = (
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:dcndl="http://ndl.go.jp/dcndl/terms/" '
    'xmlns:foaf="http://xmlns.com/foaf/0.1/"'
)


def rdf(
    ndl_id: str = "031000001",
    *,
    title: str = "日本の近代建築",
    kind: str = "Book",
    language: str = "jpn",
    extent: str = "250p ; 21cm",
) -> str:
    return f"""<rdf:RDF {NS}>
  <dcndl:BibAdminResource rdf:about="https://ndlsearch.ndl.go.jp/books/R100000002-I{ndl_id}">
    <dcndl:record rdf:resource="https://ndlsearch.ndl.go.jp/books/R100000002-I{ndl_id}#material"/>
  </dcndl:BibAdminResource>
  <dcndl:BibResource rdf:about="https://ndlsearch.ndl.go.jp/books/R100000002-I{ndl_id}#material">
    <dcterms:identifier rdf:datatype="http://ndl.go.jp/dcndl/terms/NDLBibID">{ndl_id}</dcterms:identifier>
    <dcterms:title>{title}</dcterms:title>
    <dcterms:issued rdf:datatype="http://purl.org/dc/terms/W3CDTF">2019-04</dcterms:issued>
    <dcterms:language rdf:datatype="http://purl.org/dc/terms/ISO639-2">{language}</dcterms:language>
    <dcterms:extent>{extent}</dcterms:extent>
    <dcndl:materialType rdf:resource="http://ndl.go.jp/ndltype/{kind}"/>
  </dcndl:BibResource>
</rdf:RDF>"""


def oai(*records: str, deleted: str = "") -> bytes:
    body = "".join(
        f"<record><header><identifier>oai:ndl:{i}</identifier></header>"
        f"<metadata>{r}</metadata></record>"
        for i, r in enumerate(records)
    )
    if deleted:
        body += (
            '<record><header status="deleted"><identifier>oai:ndl:gone</identifier>'
            "</header></record>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
        f"{body}</ListRecords></OAI-PMH>"
    ).encode()


def sru_embedded(*records: str) -> bytes:
    body = "".join(
        "<record><recordSchema>dcndl</recordSchema><recordPacking>xml</recordPacking>"
        f"<recordData>{r}</recordData></record>"
        for r in records
    )
    return (
        '<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/"><version>1.2</version>'
        f"<numberOfRecords>{len(records)}</numberOfRecords><records>{body}</records>"
        "</searchRetrieveResponse>"
    ).encode()


@pytest.mark.django_db
def test_oai_pmh_list_records_skips_deleted_records(tmp_path):
    summary, _ = run(tmp_path, oai(rdf("031000001"), rdf("031000002"), deleted="yes"))
    assert summary.startswith("2 created")


@pytest.mark.django_db
def test_sru_with_embedded_records(tmp_path):
    summary, _ = run(tmp_path, sru_embedded(rdf("031000001"), rdf("031000002", kind="Map")))
    assert summary.startswith("2 created")
    assert Material.objects.get(ndl_id="031000002").material_type == "map"


@pytest.mark.django_db
def test_an_ndltype_the_rules_do_not_know_waits_for_staff(tmp_path):
    run(tmp_path, oai(rdf(kind="Hologram", language="xx1")))
    m = Material.objects.get()
    assert m.review_reasons == ["unknown_type", "unknown_language"]


@pytest.mark.django_db
def test_every_bad_record_is_reported_with_its_position(tmp_path):
    data = oai(
        rdf("031000001"), rdf("", title="No ID"), rdf("031000001"), rdf("031000003", title="")
    )
    with pytest.raises(CommandError, match="3 invalid record"):
        run(tmp_path, data)
    assert not Material.objects.exists()
    _, err = run(tmp_path, data, "--skip-invalid")
    assert "record 2 (line 13): no NDL bibliographic ID" in err
    assert "record 3 (line 25): NDL ID 031000001 repeats an earlier record" in err
    assert "record 4 (line 37): no title" in err
    assert list(Material.objects.values_list("ndl_id", flat=True)) == ["031000001"]


@pytest.mark.django_db
def test_a_file_that_is_not_xml_is_refused(tmp_path):
    with pytest.raises(CommandError, match="not well-formed XML"):
        run(tmp_path, b"<rdf:RDF><unclosed>")
    with pytest.raises(CommandError, match="no DC-NDL record found"):
        run(tmp_path, b"<html><body>Service unavailable</body></html>")


# --- hostile XML ------------------------------------------------------------------

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcndl="http://ndl.go.jp/dcndl/terms/">
  <dcndl:BibResource rdf:about="https://ndlsearch.ndl.go.jp/books/R100000002-I031000009#material">
    <dcterms:title>&secret;</dcterms:title>
  </dcndl:BibResource>
</rdf:RDF>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><x>&lol9;</x></rdf:RDF>"""


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data", [EXTERNAL_ENTITY, BILLION_LAUGHS], ids=["external-entity", "billion-laughs"]
)
@pytest.mark.parametrize("kind", ["auto", "dcndl", "marcxml"])
def test_hostile_xml_is_refused_with_a_message(tmp_path, data, kind):
    with pytest.raises(CommandError, match="DOCTYPE or entity declarations is refused"):
        run(tmp_path, data, "--format", kind)
    assert not Material.objects.exists()


@pytest.mark.django_db
def test_a_hostile_record_escaped_in_sru_is_refused_alone(tmp_path):
    from xml.sax.saxutils import escape

    data = (
        '<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/"><records>'
        f"<record><recordData>{escape(rdf())}</recordData></record>"
        f"<record><recordData>{escape(EXTERNAL_ENTITY.decode())}</recordData></record>"
        "</records></searchRetrieveResponse>"
    ).encode()
    _, err = run(tmp_path, data, "--skip-invalid")
    assert "record 2 (line 13): XML with a DOCTYPE or entity declarations is refused" in err
    assert Material.objects.count() == 1


# --- re-import keeps what staff keep ------------------------------------------------


@pytest.mark.django_db
def test_a_reimport_replaces_the_record_and_keeps_the_staffs_facts(tmp_path):
    run(tmp_path, oai(rdf("031000001", title="旧題")))
    m = Material.objects.get()
    m.site = Site.objects.get(code=SiteCode.KANSAI)
    m.acquired_on = dt.date(2019, 5, 1)
    m.is_rare = True
    m.is_deteriorated = True
    m.unsuitable = "large_sized"
    m.staff_excluded = True
    m.staff_note = "On exhibition. / 展示中。"
    m.save()
    summary, _ = run(tmp_path, oai(rdf("031000001", title="新題", extent="300p ; 30cm")))
    assert summary.startswith("0 created, 1 updated")
    m.refresh_from_db()
    assert (m.title, m.page_count) == ("新題", 300)
    assert m.site.code == SiteCode.KANSAI
    assert m.acquired_on == dt.date(2019, 5, 1)
    assert (m.is_rare, m.is_deteriorated, m.unsuitable) == (True, True, "large_sized")
    assert (m.staff_excluded, m.staff_note) == (True, "On exhibition. / 展示中。")
    assert AuditEntry.objects.filter(action="catalogue.material.import").count() == 2


@pytest.mark.django_db
def test_the_progress_bar_is_quiet_when_not_a_terminal(tmp_path):
    _, err = run(tmp_path, oai(rdf()))
    assert err == ""


# --- the mapping helpers, at their boundaries ----------------------------------------


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("jpn", "japanese"),
        ("JPN", "japanese"),
        ("eng", "foreign"),
        ("chi", "foreign"),
        ("und", ""),
        ("mul", ""),
        ("zxx", ""),
        ("", ""),
        ("j1n", ""),
    ],
)
def test_language_categories(code, category):
    assert language_category(code) == category


@pytest.mark.parametrize(
    ("extent", "pages"),
    [
        ("300p", 300),
        ("xii, 300 p", 300),
        ("xii, 300 p. : ill. ; 22 cm", 300),
        ("300頁", 300),
        ("300ページ", 300),
        ("３００ｐ ; ２１ｃｍ", 300),
        ("372p 図版14p ; 27cm", 372),
        ("2冊 (前182, 後編178p) ; 13cm", None),
        ("3 v. ; 22 cm", None),
        ("冊 ; 26cm", None),
        ("地図 1枚 : 色刷 ; 46×58cm", None),
        ("", None),
    ],
)
def test_page_counts_read_from_the_extent(extent, pages):
    assert page_count_of(extent) == pages


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["http://ndl.go.jp/ndltype/Book"], T.BOOK),
        (["http://ndl.go.jp/ndltype/Map", "http://ndl.go.jp/ndltype/GovernmentPublication"], T.MAP),
        (["http://ndl.go.jp/ndltype/Journal"], T.PERIODICAL),
        (["http://ndl.go.jp/ndltype/JapaneseClassicalBook"], T.JAPANESE_CLASSICAL_BOOK),
        (
            ["http://ndl.go.jp/ndltype/Book", "http://ndl.go.jp/ndltype/DoctoralDissertation"],
            T.DOCTORAL_DISSERTATION,
        ),
        (["http://purl.org/dc/dcmitype/Sound"], T.SOUND),
        (["http://purl.org/dc/dcmitype/MovingImage"], T.MOVING_IMAGE),
        (["http://purl.org/dc/dcmitype/StillImage"], T.STILL_IMAGE),
        (["楽譜"], T.MUSIC_SCORE),
        (["本"], ""),
        (["http://purl.org/dc/dcmitype/Text"], ""),
        (["http://ndl.go.jp/ndltype/Book", "http://ndl.go.jp/ndltype/Hologram"], ""),
        ([], ""),
    ],
)
def test_dc_ndl_type_words(words, expected):
    assert material_type_of(words) == expected


def test_a_large_file_is_read_in_a_second_process_with_the_same_answer(tmp_path):
    from catalogue.formats import dcndl
    from catalogue.formats.background import read_in_background

    path = tmp_path / "oai.xml"
    path.write_bytes(oai(rdf("031000001"), rdf("", title="No ID"), rdf("031000003", kind="Map")))
    entries = list(read_in_background(str(path), dcndl.read))
    assert [(e.number, e.error[:20], e.values and e.values["material_type"]) for e in entries] == [
        (1, "", "book"),
        (2, "no NDL bibliographic", None),
        (3, "", "map"),
    ]
    path.write_bytes(b"<OAI-PMH><broken")
    with pytest.raises(FormatError, match="not well-formed XML"):
        list(read_in_background(str(path), dcndl.read))


@pytest.mark.django_db
def test_the_command_reads_a_large_file_in_a_second_process(tmp_path, monkeypatch):
    from catalogue.management.commands import import_catalogue

    monkeypatch.setattr(import_catalogue, "BACKGROUND_FROM_BYTES", 0)
    data = oai(rdf("031000001"), rdf("", title="No ID"))
    _, err = run(tmp_path, data, "--skip-invalid")
    assert "record 2 (line 13): no NDL bibliographic ID" in err
    assert list(Material.objects.values_list("ndl_id", flat=True)) == ["031000001"]


@pytest.mark.parametrize(
    "value",
    [
        "978-4-7741-8883-6",
        "4-8122-1553-6",
        "4812215536",
        "０２４６８１３５９",
        "9780262220736",
        "979-10-90636-07-1",
        "4-8122-1553-7",
        "9784774188837",
        "12345",
        "978477418883X",
        "",
    ],
)
def test_the_import_reads_isbns_as_core_identifiers_does(value):
    from catalogue.records import isbn13
    from core.identifiers import IdentifierError, isbn_normalize

    try:
        expected = isbn_normalize(value)
    except IdentifierError:
        expected = ""
    assert isbn13(value) == expected


@given(digits=st.text(alphabet="0123456789X-", min_size=9, max_size=17))
@settings(max_examples=300, deadline=None)
def test_any_isbn_like_text_is_read_as_core_identifiers_reads_it(digits):
    from catalogue.records import isbn13
    from core.identifiers import IdentifierError, isbn_normalize

    try:
        expected = isbn_normalize(digits)
    except IdentifierError:
        expected = ""
    assert isbn13(digits) == expected


# --- the search index is written with the rows ------------------------------------


def _search_columns() -> dict[str, tuple[str, ...]]:
    from django.db import connection

    vector = "search_vector::text" if connection.vendor == "postgresql" else "''"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ndl_id, search_title, search_names, {vector} FROM catalogue_material"
        )
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "where", ["here", "second-process", "folded-by-the-reader"], ids=lambda where: where
)
def test_an_import_writes_the_index_a_rebuild_would(tmp_path, monkeypatch, where):
    from catalogue.formats import background
    from catalogue.management.commands import import_catalogue
    from catalogue.services.search_index import material_search_vector_update

    if where != "here":
        monkeypatch.setattr(import_catalogue, "BACKGROUND_FROM_BYTES", 0)
    if where == "folded-by-the-reader":  # as when the importing process is behind
        monkeypatch.setattr(background, "CHUNK", 1)
        monkeypatch.setattr(background, "AHEAD", 0)
    record = a_full_record()
    run(tmp_path, iso2709(record, marc_record("030000002", title="ｺﾝﾋﾟｭｰﾀｰ図書館 Sōseki")))
    imported = _search_columns()
    assert imported["030000002"][0] == " こんぴゆた図書館 soseki "
    material_search_vector_update()
    assert _search_columns() == imported


@pytest.mark.django_db
def test_a_reimport_mends_a_stale_index_and_leaves_the_rest(tmp_path):
    from django.db import connection

    from catalogue.selectors_search import material_search

    data = oai(rdf("031000001", title="図書館の歴史"), rdf("031000002", title="東京の地図"))
    run(tmp_path, data)
    indexed = _search_columns()
    Material.objects.filter(ndl_id="031000001").update(search_title="", search_names="")
    untouched = Material.objects.get(ndl_id="031000002").updated_at
    summary, _ = run(tmp_path, data)
    assert summary.startswith("0 created, 2 updated")
    assert _search_columns() == indexed
    if connection.vendor == "postgresql":  # an unchanged row is not written again
        assert Material.objects.get(ndl_id="031000002").updated_at == untouched
    hits = material_search(query="図書館").ids
    assert list(Material.objects.filter(pk__in=hits).values_list("ndl_id", flat=True)) == [
        "031000001"
    ]
