# ruff: noqa: RUF001  (Japanese text uses full-width punctuation on purpose)
"""A sample catalogue for `make run`: every loanability rule at least once,
the date boundaries, and plenty of loanable items at each of the three sites.
Free-text notes are written in English and Japanese, as staff who serve
libraries in both languages would write them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from core.models import Site

D = dt.date
J, F = "japanese", "foreign"

# (ndl_id, title, responsibility, language, acquired_on, site, extra fields)
DEMO: list[tuple[str, str, str, str, dt.date, str, dict[str, Any]]] = [
    # Loanable, including both acquisition boundaries.
    (
        "D00000001",
        "日本の図書館史",
        "山田太郎",
        J,
        D(1996, 1, 1),
        "tokyo",
        {"isbn": "9784000000017"},
    ),
    ("D00000002", "近代日本文学入門", "佐藤花子", J, D(2004, 6, 1), "tokyo", {}),
    ("D00000003", "Japanese Architecture", "Smith, John", F, D(1948, 1, 1), "tokyo", {}),
    ("D00000004", "東京の地名", "鈴木一郎", J, D(2010, 3, 15), "tokyo", {}),
    ("D00000005", "Meiji Japan and the West", "Brown, Anne", F, D(1972, 9, 1), "tokyo", {}),
    ("D00000006", "関西の歴史と文化", "中村次郎", J, D(2012, 4, 1), "kansai", {}),
    ("D00000007", "Economic History of Osaka", "Lee, Min", F, D(1990, 2, 2), "kansai", {}),
    ("D00000008", "京都の庭園", "小林三郎", J, D(1999, 11, 30), "kansai", {}),
    ("D00000009", "図書館情報学概論", "高橋美咲", J, D(2020, 1, 20), "kansai", {}),
    ("D00000010", "Modern Japanese Poetry", "Keene, D.", F, D(1955, 5, 5), "kansai", {}),
    ("D00000011", "こどもの本の歩み", "伊藤さくら", J, D(2002, 8, 8), "ilcl", {}),
    ("D00000012", "Children's Books in Japan", "Green, Eva", F, D(2005, 7, 7), "ilcl", {}),
    ("D00000013", "昔話の世界", "渡辺健", J, D(2015, 10, 10), "ilcl", {}),
    ("D00000014", "Picture Books of Asia", "Chen, Li", F, D(2018, 12, 1), "ilcl", {}),
    # The day before each boundary.
    ("D00000015", "戦後日本の出版", "加藤誠", J, D(1995, 12, 31), "tokyo", {}),
    ("D00000016", "A Traveller in Japan", "White, Tom", F, D(1947, 12, 31), "tokyo", {}),
    # One material per reason.
    ("D00000017", "明治期の新聞集成", "", J, D(2001, 1, 1), "tokyo", {"is_digitized": True}),
    ("D00000018", "月刊図書館", "", J, D(2001, 1, 1), "kansai", {"material_type": "periodical"}),
    (
        "D00000019",
        "毎日新聞 縮刷版",
        "",
        J,
        D(2003, 1, 1),
        "kansai",
        {"material_type": "newspaper"},
    ),
    ("D00000020", "酸性紙の記録", "", J, D(1998, 1, 1), "tokyo", {"is_deteriorated": True}),
    ("D00000021", "源氏物語絵巻（写本）", "", J, D(2000, 1, 1), "tokyo", {"is_rare": True}),
    ("D00000022", "日本大地図帳", "", J, D(2006, 1, 1), "tokyo", {"unsuitable": "large_sized"}),
    ("D00000023", "国語大辞典", "", J, D(2007, 1, 1), "kansai", {"unsuitable": "reference"}),
    ("D00000024", "図書館案内", "", J, D(2008, 1, 1), "ilcl", {"unsuitable": "pamphlet"}),
    (
        "D00000025",
        "A Study of Edo Printing (PhD thesis)",
        "Kim, Y.",
        F,
        D(2009, 1, 1),
        "kansai",
        {"material_type": "doctoral_dissertation"},
    ),
    (
        "D00000026",
        "京都市街図",
        "",
        J,
        D(2010, 1, 1),
        "kansai",
        {"material_type": "single_sheet_map"},
    ),
    ("D00000027", "Koto Music", "", F, D(1980, 1, 1), "tokyo", {"material_type": "music_score"}),
    (
        "D00000028",
        "官報（マイクロ）",
        "",
        J,
        D(1999, 1, 1),
        "tokyo",
        {"material_type": "microfilm"},
    ),
    ("D00000029", "文庫コレクション", "", J, D(2011, 1, 1), "tokyo", {"is_collection": True}),
    ("D00000030", "ベストセラー小説", "", J, D(2019, 1, 1), "kansai", {"market_available": True}),
    ("D00000031", "まんが ゆかいな話", "", J, D(2016, 1, 1), "ilcl", {"is_amusement": True}),
    (
        "D00000032",
        "展示中の資料",
        "",
        J,
        D(2013, 1, 1),
        "tokyo",
        {
            "staff_excluded": True,
            "staff_note": "On exhibition until the end of the year. / 年末まで展示中です。",
        },
    ),
    # A record whose language the import could not map: staff review it.
    (
        "D00000034",
        "Sravnitel'naja grammatika",
        "",
        "",
        D(2012, 1, 1),
        "tokyo",
        {"language_code": "und", "review_reasons": ["unknown_language"]},
    ),
    # Several reasons at once.
    (
        "D00000033",
        "江戸の古地図",
        "",
        J,
        D(1960, 1, 1),
        "tokyo",
        {"is_rare": True, "material_type": "single_sheet_map", "is_digitized": True},
    ),
]


def seed_demo_catalogue() -> int:
    """Create or update the sample materials; return how many there are."""
    from catalogue.models import Material

    sites = {s.code: s for s in Site.objects.all()}
    with transaction.atomic():
        for ndl_id, title, author, language, acquired_on, site, extra in DEMO:
            Material.objects.update_or_create(
                ndl_id=ndl_id,
                defaults={
                    "title": title,
                    "responsibility": author,
                    "publisher": "Demo Publisher",
                    "year": acquired_on.year,
                    "language": language,
                    "acquired_on": acquired_on,
                    "site": sites[site],
                    "call_number": f"DEMO-{ndl_id[-3:]}",
                    **extra,
                },
            )
    return len(DEMO)
