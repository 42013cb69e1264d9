# ruff: noqa: RUF001, E501, S311  (Japanese records in full-width characters; one element a line; a seeded generator for demo data)
"""Write the demo catalogue: ~300 invented DC-NDL records, as NDL Search serves them.

    python catalogue/demo/generate.py   # writes catalogue/demo/demo-records.xml

The records are invented for the demo (no real bibliographic data) but
shaped like the NDL's: an OAI-PMH ListRecords page of ``rdf:RDF`` records
with titles and their readings, authors with readings, publishers, W3CDTF
dates, extents, ISO 639-2 languages, ``ndltype`` material types, ISBNs,
ISSNs, JP numbers, periodicity, Digital Collections links and the NDL's
holding with its call number. The output is deterministic (a fixed seed);
``catalogue.demo.seed_demo_catalogue`` loads it through the importer.

The first records are the demo's story, one for each loan rule (their
staff-kept facts are set by ``catalogue.demo``); the rest are a realistic
mix of Japanese and English books, serials, maps, scores and audiovisual
items, with a few records the importer cannot map (the review queue).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape  # nosec B406 - escapes what we write; nothing is parsed

OUT = Path(__file__).with_name("demo-records.xml")
SEED = 18626


@dataclass
class Demo:
    title: str
    reading: str = ""
    authors: list[tuple[str, str]] = field(default_factory=list)  # (name, reading)
    responsibility: str = ""
    publisher: str = "図書館出版会"
    place: str = "東京"
    issued: str = "2005"
    extent: str = "250p ; 21cm"
    language: str = "jpn"
    kinds: list[str] = field(default_factory=lambda: ["Book"])
    isbn: bool = True
    issn: str = ""
    periodicity: str = ""
    digitized: bool = False


def _ean(twelve: str) -> str:
    total = sum(map(int, twelve[0::2])) + 3 * sum(map(int, twelve[1::2]))
    return str((10 - total % 10) % 10)


def _issn(seven: str) -> str:
    total = sum(int(d) * w for d, w in zip(seven, range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return f"{seven[:4]}-{seven[4:]}{'X' if check == 10 else check}"


# The demo's story: one record for each rule (staff facts in catalogue.demo).
STORY: list[Demo] = [
    Demo(
        "日本の図書館史",
        "ニホン ノ トショカンシ",
        [("山田, 太郎", "ヤマダ, タロウ")],
        issued="1995",
        extent="312p ; 22cm",
    ),
    Demo(
        "近代日本文学入門",
        "キンダイ ニホン ブンガク ニュウモン",
        [("佐藤, 花子", "サトウ, ハナコ")],
        issued="2003",
        extent="268p ; 19cm",
    ),
    Demo(
        "Japanese architecture : a short history",
        authors=[("Smith, John", "")],
        publisher="Tuttle",
        place="Rutland, Vt.",
        issued="1947",
        extent="xii, 240 p. : ill. ; 26 cm",
        language="eng",
    ),
    Demo(
        "東京の地名",
        "トウキョウ ノ チメイ",
        [("鈴木, 一郎", "スズキ, イチロウ")],
        issued="2009",
        extent="221p ; 18cm",
    ),
    Demo(
        "Meiji Japan and the West",
        authors=[("Brown, Anne", "")],
        publisher="Cambridge University Press",
        place="Cambridge",
        issued="1970",
        extent="x, 356 p. ; 24 cm",
        language="eng",
    ),
    Demo(
        "関西の歴史と文化",
        "カンサイ ノ レキシ ト ブンカ",
        [("中村, 次郎", "ナカムラ, ジロウ")],
        issued="2011",
        extent="287p ; 21cm",
    ),
    Demo(
        "Economic history of Osaka",
        authors=[("Lee, Min", "")],
        publisher="Routledge",
        place="London",
        issued="1989",
        extent="xiv, 298 p. ; 23 cm",
        language="eng",
    ),
    Demo(
        "京都の庭園",
        "キョウト ノ テイエン",
        [("小林, 三郎", "コバヤシ, サブロウ")],
        issued="1999",
        extent="189p ; 21cm",
    ),
    Demo(
        "図書館情報学概論",
        "トショカン ジョウホウガク ガイロン",
        [("高橋, 美咲", "タカハシ, ミサキ")],
        issued="2019",
        extent="245p ; 21cm",
    ),
    Demo(
        "Modern Japanese poetry",
        authors=[("Keene, Donald", "")],
        publisher="Columbia University Press",
        place="New York",
        issued="1955",
        extent="128 p. ; 22 cm",
        language="eng",
    ),
    Demo(
        "こどもの本の歩み",
        "コドモ ノ ホン ノ アユミ",
        [("伊藤, さくら", "イトウ, サクラ")],
        issued="2001",
        extent="204p ; 21cm",
    ),
    Demo(
        "Children's books in Japan",
        authors=[("Green, Eva", "")],
        publisher="Kodansha International",
        issued="2004",
        extent="176 p. : ill. ; 26 cm",
        language="eng",
    ),
    Demo(
        "昔話の世界",
        "ムカシバナシ ノ セカイ",
        [("渡辺, 健", "ワタナベ, ケン")],
        issued="2014",
        extent="233p ; 19cm",
    ),
    Demo(
        "Picture books of Asia",
        authors=[("Chen, Li", "")],
        publisher="Scarecrow Press",
        place="Lanham, Md.",
        issued="2017",
        extent="xx, 310 p. ; 24 cm",
        language="eng",
    ),
    Demo(
        "戦後日本の出版",
        "センゴ ニホン ノ シュッパン",
        [("加藤, 誠", "カトウ, マコト")],
        issued="1995",
        extent="356p ; 22cm",
    ),
    Demo(
        "A traveller in Japan",
        authors=[("White, Tom", "")],
        publisher="John Murray",
        place="London",
        issued="1938",
        extent="viii, 280 p. ; 20 cm",
        language="eng",
    ),
    Demo(
        "明治期の新聞集成",
        "メイジキ ノ シンブン シュウセイ",
        issued="2000",
        extent="412p ; 27cm",
        digitized=True,
    ),
    Demo(
        "月刊図書館",
        "ゲッカン トショカン",
        publisher="日本図書館協会",
        issued="1954",
        extent="冊 ; 26cm",
        kinds=["Journal"],
        isbn=False,
        issn="0000001",
        periodicity="月刊",
    ),
    Demo(
        "毎日新聞 縮刷版",
        "マイニチ シンブン シュクサツバン",
        publisher="毎日新聞社",
        issued="1950",
        extent="冊 ; 30cm",
        kinds=["Newspaper"],
        isbn=False,
        issn="0000002",
        periodicity="月刊",
    ),
    Demo("酸性紙の記録", "サンセイシ ノ キロク", issued="1958", extent="188p ; 21cm"),
    Demo(
        "源氏物語絵巻",
        "ゲンジ モノガタリ エマキ",
        issued="1800",
        extent="3冊 ; 27cm",
        kinds=["JapaneseClassicalBook"],
        isbn=False,
    ),
    Demo(
        "日本大地図帳",
        "ニホン ダイチズチョウ",
        publisher="平凡社",
        issued="2005",
        extent="360p ; 42cm",
    ),
    Demo(
        "国語大辞典", "コクゴ ダイジテン", publisher="小学館", issued="2006", extent="2862p ; 27cm"
    ),
    Demo(
        "図書館案内",
        "トショカン アンナイ",
        publisher="国立国会図書館",
        issued="2007",
        extent="24p ; 21cm",
        isbn=False,
    ),
    Demo(
        "A study of Edo printing",
        authors=[("Kim, Young", "")],
        publisher="University of London",
        place="London",
        issued="2008",
        extent="iv, 312 leaves ; 30 cm",
        language="eng",
        kinds=["Book", "DoctoralDissertation"],
        isbn=False,
    ),
    Demo(
        "京都市街図",
        "キョウト シガイズ",
        publisher="昭文社",
        place="東京",
        issued="2009",
        extent="地図 1枚 : 色刷 ; 73×103cm",
        kinds=["Map"],
        isbn=False,
    ),
    Demo(
        "Koto music for beginners",
        authors=[("Adams, Ruth", "")],
        publisher="Zen-On Music",
        issued="1979",
        extent="1 score (48 p.) ; 31 cm",
        language="eng",
        kinds=["MusicScore"],
        isbn=False,
    ),
    Demo(
        "官報",
        "カンポウ",
        publisher="大蔵省印刷局",
        issued="1998",
        extent="マイクロフィルム リール 12巻 ; 35mm",
        kinds=["Microform"],
        isbn=False,
    ),
    Demo(
        "文庫コレクション", "ブンコ コレクション", issued="2010", extent="120冊 ; 15cm", isbn=False
    ),
    Demo("ベストセラー小説", "ベストセラー ショウセツ", issued="2018", extent="318p ; 20cm"),
    Demo("まんが ゆかいな話", "マンガ ユカイナ ハナシ", issued="2015", extent="190p ; 18cm"),
    Demo("展示中の資料", "テンジチュウ ノ シリョウ", issued="2012", extent="150p ; 30cm"),
    Demo(
        "江戸の古地図",
        "エド ノ コチズ",
        issued="1700",
        extent="地図 1枚 ; 80×120cm",
        kinds=["Map", "JapaneseClassicalBook"],
        isbn=False,
        digitized=True,
    ),
    # The import cannot map it: the language is undetermined (review queue).
    Demo(
        "Sravnitel'naja grammatika japonskogo jazyka",
        authors=[("Ivanov, Pavel", "")],
        publisher="Nauka",
        place="Moskva",
        issued="2011",
        extent="412 s. ; 22 cm",
        language="und",
    ),
]

_FAMILY = [
    ("山田", "ヤマダ"),
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("清水", "シミズ"),
    ("森", "モリ"),
    ("池田", "イケダ"),
    ("橋本", "ハシモト"),
]
_GIVEN = [
    ("太郎", "タロウ"),
    ("花子", "ハナコ"),
    ("健一", "ケンイチ"),
    ("美穂", "ミホ"),
    ("誠", "マコト"),
    ("裕子", "ユウコ"),
    ("博", "ヒロシ"),
    ("直樹", "ナオキ"),
    ("恵", "メグミ"),
    ("修", "オサム"),
    ("明美", "アケミ"),
    ("和夫", "カズオ"),
]
_TOPICS = [
    ("図書館", "トショカン"),
    ("出版", "シュッパン"),
    ("江戸", "エド"),
    ("明治", "メイジ"),
    ("近代文学", "キンダイ ブンガク"),
    ("浮世絵", "ウキヨエ"),
    ("茶道", "サドウ"),
    ("建築", "ケンチク"),
    ("地域社会", "チイキ シャカイ"),
    ("経済", "ケイザイ"),
    ("情報社会", "ジョウホウ シャカイ"),
    ("古典籍", "コテンセキ"),
    ("方言", "ホウゲン"),
    ("民俗", "ミンゾク"),
    ("都市", "トシ"),
    ("鉄道", "テツドウ"),
    ("翻訳", "ホンヤク"),
    ("教育", "キョウイク"),
    ("環境", "カンキョウ"),
    ("災害", "サイガイ"),
]
_PATTERNS = [
    ("{t}の歴史", "{r} ノ レキシ"),
    ("{t}入門", "{r} ニュウモン"),
    ("{t}と日本人", "{r} ト ニホンジン"),
    ("{t}研究の現在", "{r} ケンキュウ ノ ゲンザイ"),
    ("{t}の世界", "{r} ノ セカイ"),
    ("近世{t}史論", "キンセイ {r} シロン"),
    ("{t}を読む", "{r} オ ヨム"),
    ("{t}事典", "{r} ジテン"),
]
_PUBLISHERS_JA = [
    ("岩波書店", "東京"),
    ("吉川弘文館", "東京"),
    ("東京大学出版会", "東京"),
    ("勉誠出版", "東京"),
    ("思文閣出版", "京都"),
    ("法藏館", "京都"),
    ("八木書店", "東京"),
    ("名古屋大学出版会", "名古屋"),
    ("大阪大学出版会", "吹田"),
    ("ミネルヴァ書房", "京都"),
]
_EN_TOPICS = [
    "Japanese libraries",
    "Edo culture",
    "the Meiji state",
    "Japanese print culture",
    "modern Japanese literature",
    "Kyoto temples",
    "Tokugawa Japan",
    "Japanese cinema",
    "Ainu history",
    "urban Tokyo",
    "Japanese gardens",
    "the Japanese economy",
]
_EN_PATTERNS = [
    "A history of {t}",
    "{T}: an introduction",
    "Reading {t}",
    "New perspectives on {t}",
    "{T} in global context",
    "The making of {t}",
]
_EN_AUTHORS = [
    "Walker, Brett L.",
    "Gluck, Carol",
    "Berry, Mary Elizabeth",
    "Kornicki, Peter",
    "Dower, John W.",
    "Gordon, Andrew",
    "Howell, David L.",
    "Screech, Timon",
    "Tanaka, Stefan",
    "Pflugfelder, Gregory M.",
]
_EN_PUBLISHERS = [
    ("University of California Press", "Berkeley"),
    ("Harvard University Asia Center", "Cambridge, Mass."),
    ("Brill", "Leiden"),
    ("Routledge", "London"),
    ("University of Hawai'i Press", "Honolulu"),
    ("Columbia University Press", "New York"),
]


def _bulk(rng: random.Random, count: int) -> list[Demo]:
    records: list[Demo] = []
    for _n in range(count):
        roll = rng.random()
        if roll < 0.62:  # a Japanese book
            topic, topic_reading = rng.choice(_TOPICS)
            pattern, pattern_reading = rng.choice(_PATTERNS)
            family, family_reading = rng.choice(_FAMILY)
            given, given_reading = rng.choice(_GIVEN)
            publisher, place = rng.choice(_PUBLISHERS_JA)
            volume = f" 第{rng.randrange(1, 6)}巻" if rng.random() < 0.1 else ""
            records.append(
                Demo(
                    pattern.format(t=topic) + volume,
                    pattern_reading.format(r=topic_reading),
                    [(f"{family}, {given}", f"{family_reading}, {given_reading}")],
                    responsibility=f"{family}{given} 著",
                    publisher=publisher,
                    place=place,
                    issued=f"{rng.randrange(1996, 2026)}.{rng.randrange(1, 13)}".replace(
                        ".", "-", 1
                    )
                    if rng.random() < 0.3
                    else str(rng.randrange(1996, 2026)),
                    extent=f"{rng.choice(['', 'xii, ', '8, '])}{rng.randrange(120, 640)}p ; {rng.choice([18, 19, 21, 22, 27])}cm",
                    digitized=rng.random() < 0.03,
                )
            )
        elif roll < 0.86:  # an English book
            topic = rng.choice(_EN_TOPICS)
            pattern = rng.choice(_EN_PATTERNS)
            publisher, place = rng.choice(_EN_PUBLISHERS)
            author = rng.choice(_EN_AUTHORS)
            records.append(
                Demo(
                    pattern.format(t=topic, T=topic[0].upper() + topic[1:]),
                    authors=[(author, "")],
                    responsibility=author,
                    publisher=publisher,
                    place=place,
                    issued=str(rng.randrange(1950, 2026)),
                    extent=f"{rng.choice(['x', 'xii', 'xvi', 'xxiv'])}, {rng.randrange(180, 520)} p. : ill. ; {rng.choice([23, 24, 26])} cm",
                    language="eng",
                )
            )
        elif roll < 0.90:  # a journal
            topic, reading = rng.choice(_TOPICS)
            records.append(
                Demo(
                    f"{topic}研究",
                    f"{reading} ケンキュウ",
                    publisher=f"{topic}学会",
                    issued=str(rng.randrange(1955, 2000)),
                    extent="冊 ; 26cm",
                    kinds=["Journal"],
                    isbn=False,
                    issn=f"{rng.randrange(1000000, 9999999):07d}",
                    periodicity=rng.choice(["季刊", "年刊", "月刊", "半年刊"]),
                )
            )
        elif roll < 0.93:  # a map
            topic, reading = rng.choice(
                [
                    ("京都市", "キョウトシ"),
                    ("大阪府", "オオサカフ"),
                    ("札幌市", "サッポロシ"),
                    ("奈良県", "ナラケン"),
                ]
            )
            records.append(
                Demo(
                    f"{topic}全図",
                    f"{reading} ゼンズ",
                    publisher="国土地理院",
                    place="つくば",
                    issued=str(rng.randrange(1996, 2025)),
                    extent=f"地図 1枚 : 色刷 ; {rng.randrange(50, 110)}×{rng.randrange(60, 120)}cm",
                    kinds=["Map"],
                    isbn=False,
                )
            )
        elif roll < 0.95:  # a score
            records.append(
                Demo(
                    f"箏曲選集 第{rng.randrange(1, 9)}集",
                    "ソウキョク センシュウ",
                    publisher="邦楽社",
                    issued=str(rng.randrange(1996, 2025)),
                    extent="楽譜 1冊 (64p) ; 31cm",
                    kinds=["MusicScore"],
                    isbn=False,
                )
            )
        elif roll < 0.97:  # a CD or a DVD
            kind, extent = rng.choice(
                [
                    ("Sound", "録音ディスク 1枚 (58分) : CD"),
                    ("MovingImage", "ビデオディスク 1枚 (90分) : DVD"),
                ]
            )
            records.append(
                Demo(
                    f"日本の伝統芸能 {rng.randrange(1, 12)}",
                    "ニホン ノ デントウ ゲイノウ",
                    publisher="日本伝統文化振興財団",
                    issued=str(rng.randrange(2000, 2025)),
                    extent=extent,
                    kinds=[kind],
                    isbn=False,
                )
            )
        elif roll < 0.985:  # an electronic resource
            records.append(
                Demo(
                    f"日本歴史地名大系 CD-ROM版 {rng.randrange(1, 5)}",
                    "ニホン レキシ チメイ タイケイ",
                    publisher="平凡社",
                    issued=str(rng.randrange(2000, 2015)),
                    extent="CD-ROM 1枚 ; 12cm",
                    kinds=["ElectronicResource"],
                    isbn=False,
                )
            )
        else:  # a type the rules do not know: staff decide
            records.append(
                Demo(
                    f"紙芝居 むかしむかし {rng.randrange(1, 9)}",
                    "カミシバイ ムカシ ムカシ",
                    publisher="童心社",
                    issued=str(rng.randrange(1996, 2025)),
                    extent="12枚 ; 27×38cm",
                    kinds=["Kamishibai"],
                    isbn=False,
                )
            )
    return records


def _record(n: int, demo: Demo, rng: random.Random) -> str:
    ndl_id = f"D{n:08d}"
    base = f"https://ndlsearch.ndl.go.jp/books/R100000002-I{ndl_id}"
    lines = [
        f"<record><header><identifier>oai:ndlsearch.ndl.go.jp:R100000002-I{ndl_id}</identifier></header><metadata>",
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcndl="http://ndl.go.jp/dcndl/terms/" xmlns:foaf="http://xmlns.com/foaf/0.1/">',
        f'  <dcndl:BibAdminResource rdf:about="{base}"><dcndl:record rdf:resource="{base}#material"/></dcndl:BibAdminResource>',
        f'  <dcndl:BibResource rdf:about="{base}#material">',
    ]
    if demo.language == "jpn":
        lines.append(
            f'    <dcterms:identifier rdf:datatype="http://ndl.go.jp/dcndl/terms/JPNO">{rng.randrange(20000000, 23999999)}</dcterms:identifier>'
        )
    if demo.isbn:
        prefix = "9784" if demo.language == "jpn" else "9780"
        twelve = prefix + f"{rng.randrange(0, 10**8):08d}"
        lines.append(
            f'    <dcterms:identifier rdf:datatype="http://ndl.go.jp/dcndl/terms/ISBN">{twelve}{_ean(twelve)}</dcterms:identifier>'
        )
    if demo.issn:
        lines.append(
            f'    <dcterms:identifier rdf:datatype="http://ndl.go.jp/dcndl/terms/ISSN">{_issn(demo.issn)}</dcterms:identifier>'
        )
    lines.append(f"    <dcterms:title>{escape(demo.title)}</dcterms:title>")
    reading = (
        f"<dcndl:transcription>{escape(demo.reading)}</dcndl:transcription>" if demo.reading else ""
    )
    lines.append(
        f"    <dc:title><rdf:Description><rdf:value>{escape(demo.title)}</rdf:value>{reading}</rdf:Description></dc:title>"
    )
    for name, name_reading in demo.authors:
        transcription = (
            f"<dcndl:transcription>{escape(name_reading)}</dcndl:transcription>"
            if name_reading
            else ""
        )
        lines.append(
            f"    <dcterms:creator><foaf:Agent><foaf:name>{escape(name)}</foaf:name>{transcription}</foaf:Agent></dcterms:creator>"
        )
    if demo.responsibility or demo.authors:
        lines.append(
            f"    <dc:creator>{escape(demo.responsibility or demo.authors[0][0])}</dc:creator>"
        )
    lines.append(
        f"    <dcterms:publisher><foaf:Agent><foaf:name>{escape(demo.publisher)}</foaf:name><dcndl:location>{escape(demo.place)}</dcndl:location></foaf:Agent></dcterms:publisher>"
    )
    lines.append(
        f'    <dcterms:issued rdf:datatype="http://purl.org/dc/terms/W3CDTF">{demo.issued}</dcterms:issued>'
    )
    lines.append(
        f'    <dcterms:language rdf:datatype="http://purl.org/dc/terms/ISO639-2">{demo.language}</dcterms:language>'
    )
    lines.append(f"    <dcterms:extent>{escape(demo.extent)}</dcterms:extent>")
    for kind in demo.kinds:
        lines.append(f'    <dcndl:materialType rdf:resource="http://ndl.go.jp/ndltype/{kind}"/>')
    if demo.periodicity:
        lines.append(
            f"    <dcndl:publicationPeriodicity>{demo.periodicity}</dcndl:publicationPeriodicity>"
        )
    if demo.digitized:
        lines.append(
            f'    <rdfs:seeAlso rdf:resource="https://dl.ndl.go.jp/pid/{rng.randrange(1000000, 9999999)}"/>'
        )
    lines.append("  </dcndl:BibResource>")
    call_number = f"{rng.choice(['UL', 'GB', 'KG', 'FB', 'Y', 'EG'])}{rng.randrange(11, 999)}-{rng.choice('ABCDEFGHJ')}{rng.randrange(1, 999)}"
    lines += [
        f'  <dcndl:Item rdf:about="{base}#item">',
        '    <dcndl:holdingAgent><foaf:Agent><foaf:name>国立国会図書館</foaf:name><dcterms:identifier rdf:datatype="http://ndl.go.jp/dcndl/terms/NDLLibCode">0000</dcterms:identifier></foaf:Agent></dcndl:holdingAgent>',
        f"    <dcndl:callNumber>{call_number}</dcndl:callNumber>",
        "  </dcndl:Item>",
        "</rdf:RDF></metadata></record>",
    ]
    return "\n".join(lines)


def main() -> None:
    rng = random.Random(SEED)  # nosec B311 - demo data, not security
    records = STORY + _bulk(rng, 300 - len(STORY))
    body = "\n".join(_record(n, demo, rng) for n, demo in enumerate(records, start=1))
    OUT.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
        "<responseDate>2026-11-01T00:00:00Z</responseDate>\n"
        "<ListRecords>\n" + body + "\n</ListRecords>\n</OAI-PMH>\n",
        encoding="utf-8",
    )
    print(f"{OUT.name}: {len(records)} records")


if __name__ == "__main__":
    main()
