# ruff: noqa: RUF001  (queries typed as Japanese readers type them: full-width, half-width)
"""Catalogue search as librarians abroad use it (issue: Search), on SQLite and PostgreSQL.

Each rule is a test with the issue's example as its right value.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from catalogue.models import LanguageCategory, Material
from catalogue.selectors_search import material_search
from catalogue.services.search_index import material_search_vector_update
from catalogue.tests.factories import MaterialFactory
from loans.models import LoanStatus
from loans.selectors import materials_in_order

pytestmark = pytest.mark.django_db


def book(**fields: Any) -> Material:
    """A material as the importer leaves it: saved, then indexed."""
    material = MaterialFactory(**fields)
    material_search_vector_update(material_ids=[material.pk])
    return material


def found(query: str) -> list[str]:
    """The NDL IDs ``query`` finds, best first."""
    hits = material_search(query=query)
    ids = dict(Material.objects.filter(pk__in=hits.ids).values_list("pk", "ndl_id"))
    return [ids[pk] for pk in hits.ids]


@pytest.fixture
def shelf() -> dict[str, Material]:
    return {
        "library_history": book(
            ndl_id="000000101",
            title="図書館の歴史",
            title_transcription="トショカン ノ レキシ",
            author_names="東京, 太郎",
            author_transcriptions="トウキョウ, タロウ",
            publisher="日本図書館協会",
        ),
        "tokyo": book(
            ndl_id="000000102",
            title="東京の地図",
            title_transcription="トウキョウ ノ チズ",
            author_names="山田, 花子",
            publisher="平凡社",
        ),
        "cat": book(
            ndl_id="000000103",
            title="吾輩は猫である",
            title_transcription="ワガハイ ワ ネコ デ アル",
            author_names="夏目, 漱石, 1867-1916",
            author_transcriptions="ナツメ, ソウセキ",
            publisher="岩波書店",
            isbn="9784003101018",
        ),
        "cat_en": book(
            ndl_id="000000104",
            title="I Am a Cat",
            author_names="Natsume, Sōseki",
            publisher="Tuttle",
            language=LanguageCategory.FOREIGN,
        ),
        "computer": book(
            ndl_id="000000105",
            title="コンピューターと図書館",
            title_transcription="コンピューター ト トショカン",
            publisher="丸善出版",
        ),
        "kyoto_en": book(
            ndl_id="000000106",
            title="A History of Kyōto: Gardens and Temples",
            author_names="Müller, Jürgen",
            publisher="Éditions de l'École",
            language=LanguageCategory.FOREIGN,
        ),
        "ndl": book(
            ndl_id="000000107",
            title="NDL newsletter",
            publisher="National Diet Library",
            language=LanguageCategory.FOREIGN,
        ),
        "nature": book(
            ndl_id="000000108",
            title="Nature",
            issn="0028-0836",
            jp_number="",
            language=LanguageCategory.FOREIGN,
        ),
        "jp_numbered": book(ndl_id="000000109", title="日本の民話", jp_number="21234567"),
    }


# --- Japanese ----------------------------------------------------------------------


def test_a_two_character_word_finds_titles_containing_it() -> None:
    book(ndl_id="000000201", title="東京の地図")
    book(ndl_id="000000202", title="大阪の地図")
    book(ndl_id="000000203", title="図書の修理")
    assert found("東京") == ["000000201"]
    assert found("図書") == ["000000203"]


def test_titles_rank_before_authors_and_publishers(shelf: dict[str, Material]) -> None:
    # 東京 is the title of one and the author's name of the other.
    assert found("東京") == ["000000102", "000000101"]
    hits = material_search(query="東京")
    assert hits.title_ids == {shelf["tokyo"].pk}


def test_a_reading_in_hiragana_finds_the_kanji_title(shelf: dict[str, Material]) -> None:
    # としょかん finds 図書館 titles that carry the reading トショカン.
    assert set(found("としょかん")) == {"000000101", "000000105"}
    book(ndl_id="000000299", title="図書館の未来")  # no reading: not found by it
    assert "000000299" not in found("としょかん")


@pytest.mark.parametrize("query", ["トショカン", "ﾄｼｮｶﾝ", "としょかん", "トシヨカン"])
def test_hiragana_katakana_and_half_width_find_each_other(
    shelf: dict[str, Material], query: str
) -> None:
    assert set(found(query)) == {"000000101", "000000105"}


@pytest.mark.parametrize("query", ["こんぴゅーた", "コンピュータ", "ｺﾝﾋﾟｭｰﾀｰ"])
def test_kana_spellings_of_one_word_find_it(shelf: dict[str, Material], query: str) -> None:
    assert found(query) == ["000000105"]


def test_full_width_latin_is_folded(shelf: dict[str, Material]) -> None:
    assert found("ＮＤＬ") == ["000000107"]


def test_a_full_width_space_separates_words(shelf: dict[str, Material]) -> None:
    assert found("図書館\u3000歴史") == ["000000101"]
    assert found("図書館 歴史") == ["000000101"]


def test_a_longer_query_needs_its_characters_in_order(shelf: dict[str, Material]) -> None:
    assert found("図書館の歴史") == ["000000101"]
    # Every bigram of 歴史図書館 but 史図 is in 図書館の歴史; not a hit.
    assert found("歴史図書館") == []
    assert found("猫である") == ["000000103"]


def test_one_character_finds_it_anywhere_in_a_title(shelf: dict[str, Material]) -> None:
    assert found("猫") == ["000000103"]
    assert "000000102" in found("図")  # 東京の地図: 図 is the last character


@pytest.mark.parametrize(
    "query", ["夏目漱石", "夏目 漱石", "夏目\u3000漱石", "ナツメ ソウセキ", "なつめそうせき"]
)
def test_author_names_with_or_without_the_space(shelf: dict[str, Material], query: str) -> None:
    assert found(query) == ["000000103"]


@pytest.mark.parametrize("query", ["Natsume Soseki", "Soseki Natsume", "natsume SŌSEKI"])
def test_romanised_author_names_in_any_order(shelf: dict[str, Material], query: str) -> None:
    assert found(query) == ["000000104"]


def test_title_and_author_words_together(shelf: dict[str, Material]) -> None:
    assert found("夏目漱石 猫") == ["000000103"]


@pytest.mark.parametrize("candidates", [2_000, 1])
def test_a_one_character_given_name_with_the_family_name(monkeypatch: Any, candidates: int) -> None:
    """``坂本 正``: the one-character term is tested on the rows the family name
    finds, or looked up by prefix when it finds more than ``CANDIDATES``."""
    from catalogue import selectors_search

    monkeypatch.setattr(selectors_search, "CANDIDATES", candidates)
    book(ndl_id="000000151", title="海の本", author_names="坂本, 正, 1950-")
    book(ndl_id="000000152", title="山の本", author_names="坂本, 正樹")
    book(ndl_id="000000153", title="坂本家の正月", author_names="山田, 花子")
    book(ndl_id="000000154", title="川の本", author_names="坂本, 花子")
    book(ndl_id="000000155", title="空の本", author_names="正木, 一郎")
    assert found("坂本 正") == ["000000153", "000000152", "000000151"]
    assert found("正 坂本") == ["000000153", "000000152", "000000151"]
    assert found("坂本 猫") == []
    assert material_search(query="坂本 正").title_ids == {
        Material.objects.get(ndl_id="000000153").pk
    }


# --- English -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["history kyoto", "KYOTO History", "gardens temples history", "kyōto", "müller", "Muller"],
)
def test_english_words_in_any_order_case_and_diacritics_folded(
    shelf: dict[str, Material], query: str
) -> None:
    assert found(query) == ["000000106"]


def test_english_words_must_all_match_as_words(shelf: dict[str, Material]) -> None:
    assert found("history osaka") == []
    assert found("hist") == []
    assert found("ecole") == ["000000106"]


# --- identifiers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "9784003101018",
        "978-4-00-310101-8",
        "4-00-310101-4",  # ISBN-10 of the same book
        "4003101014",
        "４－００－３１０１０１－４",  # full-width, as a Japanese input method types it
        "ISBN 4-00-310101-4",
        "isbn:978 4 00 310101 8",
    ],
)
def test_isbn_in_any_form_ranks_first(shelf: dict[str, Material], query: str) -> None:
    book(ndl_id="000000301", title="4003101014 の謎")  # the same digits in a title
    hits = found(query)
    assert hits[0] == "000000103"
    assert material_search(query=query).identifier_ids == {shelf["cat"].pk}


@pytest.mark.parametrize("query", ["000000104", "００００００１０４", "NDL ID: 000000104"])
def test_ndl_id(shelf: dict[str, Material], query: str) -> None:
    assert found(query)[0] == "000000104"


@pytest.mark.parametrize("query", ["21234567", "JP21234567", "JPNO: 21234567"])
def test_jp_number(shelf: dict[str, Material], query: str) -> None:
    assert found(query) == ["000000109"]


@pytest.mark.parametrize("query", ["0028-0836", "00280836", "ISSN 0028－0836"])
def test_issn(shelf: dict[str, Material], query: str) -> None:
    assert found(query) == ["000000108"]


def test_identifier_then_title_then_author_hits() -> None:
    by_author = book(ndl_id="000000401", title="雑記", author_names="目録, 学")
    by_title = book(ndl_id="000000402", title="目録学入門")
    by_id = book(ndl_id="000000403", title="別の本", isbn="9784812215531")
    hits = material_search(query="目録")
    assert hits.ids == [by_title.pk, by_author.pk]
    assert material_search(query="4-8122-1553-6").ids == [by_id.pk]


# --- edges ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "、。・!?", "\u3000"])
def test_a_query_without_letters_finds_nothing(shelf: dict[str, Material], query: str) -> None:
    assert found(query) == []


def test_the_hits_are_cut_at_the_limit_and_say_so() -> None:
    for n in range(5):
        book(ndl_id=f"00000050{n}", title=f"同じ題名 {n}")
    hits = material_search(query="同じ", limit=3)
    assert len(hits.ids) == 3 and hits.truncated
    assert not material_search(query="同じ", limit=5).truncated


def test_the_index_follows_an_edit() -> None:
    material = book(ndl_id="000000601", title="古い題名")
    Material.objects.filter(pk=material.pk).update(title="新しい題名")
    assert found("新しい") == []  # not indexed yet: the writer must call the update
    material_search_vector_update(material_ids=[material.pk])
    assert found("新しい") == ["000000601"]
    assert found("古い") == []


def test_rebuilding_every_material() -> None:
    book(ndl_id="000000701", title="全件の再索引")
    Material.objects.update(search_title="", search_names="")
    assert material_search_vector_update() == 1
    assert found("再索引") == ["000000701"]


@pytest.mark.postgres
def test_postgresql_uses_the_gin_index() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'catalogue_material_search_gin'"
        )
        (definition,) = cursor.fetchone()
    assert "gin (search_vector)" in definition


# --- availability with each hit, in constant queries -----------------------------------


def test_each_hit_carries_its_availability(django_assert_max_num_queries: Any) -> None:
    from loans.tests.factories import LoanRequestFactory

    free = book(ndl_id="000000801", title="貸出の本 一")
    lent = book(ndl_id="000000802", title="貸出の本 二")
    LoanRequestFactory(material=lent, status=LoanStatus.REQUESTED)
    with django_assert_max_num_queries(1):
        rows = materials_in_order(ids=[lent.pk, free.pk])
        assert [(m.pk, m.is_unavailable, m.site.code) for m in rows] == [
            (lent.pk, True, lent.site.code),
            (free.pk, False, free.site.code),
        ]


# --- the portal's search box and the admin's ---------------------------------------


@pytest.fixture
def staff(client: Any) -> Any:
    from core.tests.factories import StaffFactory

    client.force_login(StaffFactory())
    return client


def test_the_portal_finds_by_reading_and_shows_loanability(
    portal: Any, shelf: dict[str, Material]
) -> None:
    from loans.tests.factories import LoanRequestFactory

    LoanRequestFactory(material=shelf["computer"], status=LoanStatus.REQUESTED)
    body = portal.get(reverse("loans:search"), {"q": "としょかん"}).content.decode()
    assert "図書館の歴史" in body and "コンピューターと図書館" in body
    assert "Loanable, but requested or on loan now" in body  # the computer book
    assert 'value="000000101"' in body  # the other one may be ticked


def test_the_portal_ranks_the_identifier_first(portal: Any, shelf: dict[str, Material]) -> None:
    book(ndl_id="000000302", title="4003101014 の謎")
    body = portal.get(reverse("loans:search"), {"q": "4003101014"}).content.decode()
    assert body.index("吾輩は猫である") < body.index("の謎")


def test_the_portal_says_when_hits_are_cut(portal: Any, monkeypatch: Any) -> None:
    from catalogue import selectors_search

    for n in range(4):
        book(ndl_id=f"00000090{n}", title=f"多い題名 {n}")
    monkeypatch.setattr(selectors_search, "MAX_HITS", 3)
    body = portal.get(reverse("loans:search"), {"q": "多い"}).content.decode()
    assert "More than 3 materials match" in body
    assert body.count('name="ndl_ids"') == 3


def _portal_queries(portal: Any, assert_max: Any, hits: int) -> int:
    from loans.tests.factories import LoanRequestFactory

    materials = [book(title=f"数える本 {n}") for n in range(hits)]
    for m in materials[::2]:
        LoanRequestFactory(material=m, status=LoanStatus.REQUESTED)
    with assert_max(12) as ctx:
        portal.get(reverse("loans:search"), {"q": "数える"})
    return len(ctx.captured_queries)


def test_portal_queries_do_not_grow_with_hits(
    portal: Any, django_assert_max_num_queries: Any
) -> None:
    few = _portal_queries(portal, django_assert_max_num_queries, 2)
    many = _portal_queries(portal, django_assert_max_num_queries, 20)
    assert few == many


@pytest.mark.parametrize("query", ["4-00-310101-4", "としょかん", "Soseki Natsume"])
def test_the_admin_search_box_is_the_portals(
    staff: Any, shelf: dict[str, Material], query: str
) -> None:
    url = reverse("admin:catalogue_material_changelist")
    body = staff.get(url, {"q": query}).content.decode()
    expected = {m.ndl_id for m in Material.objects.filter(pk__in=material_search(query=query).ids)}
    shown = {m.ndl_id for m in shelf.values() if f">{m.ndl_id}<" in body}
    assert shown == expected and expected


def test_the_admin_lists_hits_in_rank_order(staff: Any) -> None:
    book(ndl_id="000000411", title="雑記", author_names="目録, 学")
    book(ndl_id="000000412", title="目録学入門")
    body = staff.get(reverse("admin:catalogue_material_changelist"), {"q": "目録"}).content
    assert body.decode().index("000000412") < body.decode().index("000000411")
    # Sorting by a column still works.
    sorted_body = staff.get(
        reverse("admin:catalogue_material_changelist"), {"q": "目録", "o": "1"}
    ).content.decode()
    assert sorted_body.index("000000411") < sorted_body.index("000000412")


def test_the_admin_finds_nothing_politely(staff: Any) -> None:
    response = staff.get(reverse("admin:catalogue_material_changelist"), {"q": "、。"})
    assert response.status_code == 200
    response = staff.get(reverse("admin:catalogue_material_changelist"), {"q": "該当なし"})
    assert response.status_code == 200


def _admin_queries(staff: Any, assert_max: Any, hits: int) -> int:
    from loans.tests.factories import LoanRequestFactory

    materials = [book(title=f"管理の本 {n}") for n in range(hits)]
    for m in materials[::2]:
        LoanRequestFactory(material=m, status=LoanStatus.REQUESTED)
    with assert_max(14) as ctx:
        body = staff.get(reverse("admin:catalogue_material_changelist"), {"q": "管理"})
    assert "Requested or on loan now" in body.content.decode()
    return len(ctx.captured_queries)


def test_admin_queries_do_not_grow_with_hits(
    staff: Any, django_assert_max_num_queries: Any
) -> None:
    few = _admin_queries(staff, django_assert_max_num_queries, 2)
    many = _admin_queries(staff, django_assert_max_num_queries, 30)
    assert few == many


# --- the writers keep the index current ------------------------------------------------


def test_a_csv_import_is_searchable_at_once(tmp_path: Any) -> None:
    from django.core.management import call_command

    path = tmp_path / "catalogue.csv"
    path.write_text(
        "ndl_id,title,language,acquired_on,site\n"
        "000000951,東京の図書館,japanese,2001-04-01,tokyo\n"
        "000000952,Libraries of Kyōto,foreign,2001-04-01,kansai\n",
        encoding="utf-8",
    )
    call_command("import_catalogue", str(path), verbosity=0)
    assert found("図書館") == ["000000951"]
    assert found("kyoto libraries") == ["000000952"]


def test_records_from_the_ndl_are_searchable_by_reading(tmp_path: Any) -> None:
    from django.core.management import call_command

    path = tmp_path / "record.rdf"
    path.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns:dcndl="http://ndl.go.jp/dcndl/terms/" xmlns:dcterms="http://purl.org/dc/terms/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:foaf="http://xmlns.com/foaf/0.1/">
 <dcndl:BibResource rdf:about="https://ndlsearch.ndl.go.jp/books/R100000002-I000000961">
  <dcterms:identifier rdf:datatype="http://ndl.go.jp/dcndl/terms/NDLBibID">000000961</dcterms:identifier>
  <dcterms:title>図書館の近代</dcterms:title>
  <dc:title><rdf:Description><rdf:value>図書館の近代</rdf:value>
   <dcndl:transcription>トショカン ノ キンダイ</dcndl:transcription></rdf:Description></dc:title>
  <dcterms:creator><foaf:Agent><foaf:name>夏目, 漱石</foaf:name>
   <dcndl:transcription>ナツメ, ソウセキ</dcndl:transcription></foaf:Agent></dcterms:creator>
  <dcterms:language rdf:datatype="http://purl.org/dc/terms/ISO639-2">jpn</dcterms:language>
  <dcndl:materialType rdf:resource="http://ndl.go.jp/ndltype/Book" rdfs:label="図書"
    xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"/>
 </dcndl:BibResource>
</rdf:RDF>
""",
        encoding="utf-8",
    )
    call_command("import_catalogue", str(path), "--format", "dcndl", verbosity=0)
    assert Material.objects.filter(ndl_id="000000961").exists()
    assert found("としょかん") == ["000000961"]
    assert found("夏目漱石") == ["000000961"]


def test_a_staff_edit_is_searchable_at_once() -> None:
    from catalogue.services.materials import material_save

    material = book(ndl_id="000000971", title="旧題")
    material.title = "新題名の本"
    material_save(material=material, actor=None, changed=["title"])
    assert found("新題名") == ["000000971"]
    assert found("旧題") == []
