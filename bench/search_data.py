# ruff: noqa: RUF001, RUF002  (Japanese vocabulary with its katakana readings)
"""Realistic catalogue records for the search benchmark (``search.py``).

Japanese titles are built from subject words with their readings, in the
forms NDL titles take (``東京の歴史``, ``近代日本経済史``, ``図書館情報学入門``),
with the reading in katakana, words apart, as NDL writes it (``トウキョウ ノ
レキシ``); authors as NDL heads them (``佐藤, 健一, 1950-`` with ``サトウ,
ケンイチ``); English titles from a vocabulary of academic subjects, some with
diacritics; real publishers; valid ISBN-13s (978-4 for Japanese books); NDL
IDs of nine digits; JP numbers of eight. Record ``i`` is the same on every
run (seeded by ``i``).
"""

from __future__ import annotations

import datetime as dt
import random

# (written, reading) pairs.
SUBJECTS = [
    ("図書館", "トショカン"),
    ("歴史", "レキシ"),
    ("東京", "トウキョウ"),
    ("日本", "ニホン"),
    ("経済", "ケイザイ"),
    ("文学", "ブンガク"),
    ("社会", "シャカイ"),
    ("教育", "キョウイク"),
    ("政治", "セイジ"),
    ("法律", "ホウリツ"),
    ("医学", "イガク"),
    ("科学", "カガク"),
    ("技術", "ギジュツ"),
    ("情報", "ジョウホウ"),
    ("文化", "ブンカ"),
    ("地域", "チイキ"),
    ("環境", "カンキョウ"),
    ("産業", "サンギョウ"),
    ("思想", "シソウ"),
    ("宗教", "シュウキョウ"),
    ("美術", "ビジュツ"),
    ("音楽", "オンガク"),
    ("建築", "ケンチク"),
    ("都市", "トシ"),
    ("農業", "ノウギョウ"),
    ("言語", "ゲンゴ"),
    ("哲学", "テツガク"),
    ("心理", "シンリ"),
    ("戦争", "センソウ"),
    ("京都", "キョウト"),
    ("大阪", "オオサカ"),
    ("北海道", "ホッカイドウ"),
    ("沖縄", "オキナワ"),
    ("世界", "セカイ"),
    ("国際", "コクサイ"),
    ("資料", "シリョウ"),
    ("図書", "トショ"),
    ("出版", "シュッパン"),
    ("書物", "ショモツ"),
    ("古典", "コテン"),
    ("物語", "モノガタリ"),
    ("仏教", "ブッキョウ"),
    ("憲法", "ケンポウ"),
    ("民法", "ミンポウ"),
    ("金融", "キンユウ"),
    ("企業", "キギョウ"),
    ("経営", "ケイエイ"),
    ("労働", "ロウドウ"),
    ("家族", "カゾク"),
    ("女性", "ジョセイ"),
    ("子ども", "コドモ"),
    ("人口", "ジンコウ"),
    ("交通", "コウツウ"),
    ("鉄道", "テツドウ"),
    ("海洋", "カイヨウ"),
    ("気候", "キコウ"),
    ("災害", "サイガイ"),
    ("地震", "ジシン"),
    ("情報学", "ジョウホウガク"),
    ("植物", "ショクブツ"),
    ("コンピュータ", "コンピュータ"),
    ("デジタル", "デジタル"),
    ("アーカイブ", "アーカイブ"),
    ("ネットワーク", "ネットワーク"),
    ("メディア", "メディア"),
    ("データ", "データ"),
    ("外交", "ガイコウ"),
    ("貿易", "ボウエキ"),
    ("考古学", "コウコガク"),
    ("民俗", "ミンゾク"),
    ("天皇", "テンノウ"),
    ("武士", "ブシ"),
    ("茶道", "サドウ"),
    ("俳句", "ハイク"),
    ("和歌", "ワカ"),
    ("漢字", "カンジ"),
    ("方言", "ホウゲン"),
    ("翻訳", "ホンヤク"),
    ("少年", "ショウネン"),
    ("映画", "エイガ"),
    ("写真", "シャシン"),
    ("庭園", "テイエン"),
]
ERAS = [
    ("近代", "キンダイ"),
    ("現代", "ゲンダイ"),
    ("江戸", "エド"),
    ("明治", "メイジ"),
    ("大正", "タイショウ"),
    ("昭和", "ショウワ"),
    ("平成", "ヘイセイ"),
    ("中世", "チュウセイ"),
    ("戦後", "センゴ"),
    ("古代", "コダイ"),
]
# Templates: written form and reading with {a}, {b}, {c}, {e} (an era), {n}.
JA_TEMPLATES = [
    ("{a}の{b}", "{a} ノ {b}"),
    ("{e}{a}{b}史", "{e} {a} {b}シ"),
    ("{a}と{b}", "{a} ト {b}"),
    ("{a}{b}論", "{a} {b}ロン"),
    ("{a}入門", "{a} ニュウモン"),
    ("{e}{a}の{b}と{c}", "{e} {a} ノ {b} ト {c}"),
    ("{a}における{b}の研究", "{a} ニ オケル {b} ノ ケンキュウ"),
    ("{a}{b}事典", "{a} {b} ジテン"),
    ("新版 {a}{b}概論", "シンパン {a} {b} ガイロン"),
    ("{a}から見た{b}", "{a} カラ ミタ {b}"),
    ("{a}の{b} 第{n}巻", "{a} ノ {b} ダイ{n}カン"),
    ("{e}の{a}", "{e} ノ {a}"),
    ("{a}{b}のすべて", "{a} {b} ノ スベテ"),
    ("やさしい{a}", "ヤサシイ {a}"),
    ("{a}をめぐる{b}", "{a} オ メグル {b}"),
]
FAMILY = [
    ("佐藤", "サトウ", "Sato"),
    ("鈴木", "スズキ", "Suzuki"),
    ("高橋", "タカハシ", "Takahashi"),
    ("田中", "タナカ", "Tanaka"),
    ("伊藤", "イトウ", "Ito"),
    ("渡辺", "ワタナベ", "Watanabe"),
    ("山本", "ヤマモト", "Yamamoto"),
    ("中村", "ナカムラ", "Nakamura"),
    ("小林", "コバヤシ", "Kobayashi"),
    ("加藤", "カトウ", "Kato"),
    ("吉田", "ヨシダ", "Yoshida"),
    ("山田", "ヤマダ", "Yamada"),
    ("佐々木", "ササキ", "Sasaki"),
    ("山口", "ヤマグチ", "Yamaguchi"),
    ("松本", "マツモト", "Matsumoto"),
    ("井上", "イノウエ", "Inoue"),
    ("木村", "キムラ", "Kimura"),
    ("林", "ハヤシ", "Hayashi"),
    ("斎藤", "サイトウ", "Saito"),
    ("清水", "シミズ", "Shimizu"),
    ("夏目", "ナツメ", "Natsume"),
    ("芥川", "アクタガワ", "Akutagawa"),
    ("森", "モリ", "Mori"),
    ("石川", "イシカワ", "Ishikawa"),
    ("長谷川", "ハセガワ", "Hasegawa"),
    ("村上", "ムラカミ", "Murakami"),
    ("近藤", "コンドウ", "Kondo"),
    ("石井", "イシイ", "Ishii"),
    ("坂本", "サカモト", "Sakamoto"),
    ("遠藤", "エンドウ", "Endo"),
    ("青木", "アオキ", "Aoki"),
    ("藤田", "フジタ", "Fujita"),
    ("西村", "ニシムラ", "Nishimura"),
    ("福田", "フクダ", "Fukuda"),
    ("太田", "オオタ", "Ota"),
    ("三浦", "ミウラ", "Miura"),
]
GIVEN = [
    ("太郎", "タロウ", "Taro"),
    ("花子", "ハナコ", "Hanako"),
    ("漱石", "ソウセキ", "Soseki"),
    ("健一", "ケンイチ", "Ken'ichi"),
    ("誠", "マコト", "Makoto"),
    ("裕子", "ユウコ", "Yuko"),
    ("隆", "タカシ", "Takashi"),
    ("博", "ヒロシ", "Hiroshi"),
    ("明美", "アケミ", "Akemi"),
    ("直樹", "ナオキ", "Naoki"),
    ("恵子", "ケイコ", "Keiko"),
    ("浩", "ヒロシ", "Hiroshi"),
    ("修", "オサム", "Osamu"),
    ("由美", "ユミ", "Yumi"),
    ("龍之介", "リュウノスケ", "Ryunosuke"),
    ("春樹", "ハルキ", "Haruki"),
    ("鴎外", "オウガイ", "Ogai"),
    ("和子", "カズコ", "Kazuko"),
    ("正", "タダシ", "Tadashi"),
    ("陽子", "ヨウコ", "Yoko"),
    ("大輔", "ダイスケ", "Daisuke"),
    ("智子", "トモコ", "Tomoko"),
    ("勝", "マサル", "Masaru"),
    ("翔太", "ショウタ", "Shota"),
]
JA_PUBLISHERS = [
    "岩波書店",
    "東京大学出版会",
    "講談社",
    "新潮社",
    "有斐閣",
    "吉川弘文館",
    "中央公論新社",
    "筑摩書房",
    "勁草書房",
    "名古屋大学出版会",
    "京都大学学術出版会",
    "ミネルヴァ書房",
    "日本図書館協会",
    "丸善出版",
    "みすず書房",
    "平凡社",
    "文藝春秋",
    "KADOKAWA",
    "集英社",
    "小学館",
    "朝日新聞出版",
    "東洋経済新報社",
    "日本経済新聞出版",
    "法律文化社",
    "樹村房",
    "勉誠出版",
    "八木書店",
    "思文閣出版",
    "東京堂出版",
    "大阪大学出版会",
]
EN_NOUNS = [
    "history",
    "libraries",
    "economy",
    "literature",
    "society",
    "education",
    "politics",
    "law",
    "medicine",
    "science",
    "technology",
    "information",
    "culture",
    "religion",
    "art",
    "music",
    "architecture",
    "cities",
    "agriculture",
    "language",
    "philosophy",
    "psychology",
    "war",
    "peace",
    "trade",
    "diplomacy",
    "archaeology",
    "folklore",
    "empire",
    "modernity",
    "translation",
    "cinema",
    "photography",
    "gardens",
    "women",
    "family",
    "labor",
    "finance",
    "railways",
    "earthquakes",
    "climate",
    "oceans",
    "Buddhism",
    "Shinto",
    "samurai",
    "poetry",
    "manuscripts",
    "printing",
    "archives",
    "memory",
    "identity",
    "migration",
    "nationalism",
    "democracy",
    "constitution",
]
EN_ADJ = [
    "Modern",
    "Early Modern",
    "Medieval",
    "Contemporary",
    "Comparative",
    "Global",
    "Imperial",
    "Postwar",
    "Rural",
    "Urban",
    "Visual",
    "Digital",
    "Critical",
    "Social",
]
EN_PLACES = [
    "Japan",
    "Tokyo",
    "Kyoto",
    "Osaka",
    "Edo",
    "Meiji Japan",
    "East Asia",
    "Okinawa",
    "Hokkaido",
    "Asia",
    "the Pacific",
    "Kyōto",
    "Tōkyō",
    "Europe",
    "Korea",
    "China",
]
EN_TEMPLATES = [
    "{adj} {noun} in {place}",
    "A History of {noun} in {place}",
    "{noun} and {noun2}: {adj} Perspectives",
    "The {noun} of {place}",
    "{place} and the Making of {adj} {noun}",
    "Understanding {noun}",
    "{noun}, {noun2} and {noun3} in {place}",
    "The Cambridge History of {place}: {noun}",
    "Études sur {place}: {noun}",
    "Café Society and {noun} in {place}",
]
EN_AUTHORS = [
    ("Smith", "John"),
    ("Brown", "Mary"),
    ("Müller", "Jürgen"),
    ("Dupont", "Frédéric"),
    ("García", "José"),
    ("Keene", "Donald"),
    ("Dower", "John W."),
    ("Gluck", "Carol"),
    ("Jansen", "Marius B."),
    ("Kornicki", "Peter"),
    ("Berry", "Mary Elizabeth"),
    ("Totman", "Conrad"),
    ("Gordon", "Andrew"),
    ("Reischauer", "Edwin O."),
    ("Vogel", "Ezra F."),
    ("Sansom", "George"),
    ("Lévi-Strauss", "Claude"),
    ("Nakamura", "Ken"),
]
EN_PUBLISHERS = [
    "Oxford University Press",
    "Cambridge University Press",
    "Routledge",
    "Springer",
    "University of Tokyo Press",
    "Harvard University Asia Center",
    "Brill",
    "Palgrave Macmillan",
    "Columbia University Press",
    "University of California Press",
    "Éditions Gallimard",
]
ISBN_10_GROUPS = ("4",)


def isbn13(prefix: str, serial: int) -> str:
    """A valid ISBN-13: ``prefix`` (978 plus group and publisher digits) and ``serial``."""
    width = 12 - len(prefix)
    body = prefix + str(serial % 10**width).zfill(width)
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def isbn10_of(isbn: str) -> str:
    """The ISBN-10 of a 978 ISBN-13, hyphenated loosely as people type it."""
    body = isbn[3:12]
    check = (11 - sum((10 - i) * int(d) for i, d in enumerate(body)) % 11) % 11
    digit = "X" if check == 10 else str(check)
    return f"{body[0]}-{body[1:5]}-{body[5:9]}-{digit}"


def _name(rng: random.Random) -> tuple[str, str, str, str]:
    """(heading, reading, romanised heading, statement) of a Japanese author."""
    fam, fam_r, fam_l = rng.choice(FAMILY)
    giv, giv_r, giv_l = rng.choice(GIVEN)
    born = rng.randrange(1900, 1995)
    dates = f", {born}-" if rng.random() < 0.7 else ""
    return f"{fam}, {giv}{dates}", f"{fam_r}, {giv_r}", f"{fam_l}, {giv_l}", f"{fam}{giv}"


WORKS = 500_000
_SCATTER = 7919  # a prime: the copies of a work lie far apart in the table


def work_of(i: int, works: int = WORKS) -> int:
    """The work (title, authors, publisher) of record ``i``."""
    return (i * _SCATTER) % works


def work(j: int) -> dict[str, str]:
    """The descriptive fields of work number ``j``: title, reading, authors, publisher."""
    rng = random.Random(j)
    out: dict[str, str] = {}
    if rng.random() < 0.7:
        subjects = rng.sample(SUBJECTS, 3)
        era = rng.choice(ERAS)
        written, reading = rng.choice(JA_TEMPLATES)
        number = str(rng.randrange(1, 12))
        values = {"a": subjects[0], "b": subjects[1], "c": subjects[2], "e": era}
        out["title"] = written.format(n=number, **{k: v[0] for k, v in values.items()})
        out["title_transcription"] = reading.format(
            n=number, **{k: v[1] for k, v in values.items()}
        )
        names = [_name(rng) for _ in range(1 if rng.random() < 0.8 else 2)]
        out["author_names"] = "\n".join(n[0] for n in names)
        out["author_transcriptions"] = "\n".join(n[1] for n in names)
        out["responsibility"] = " ; ".join(n[3] + " 著" for n in names)
        out["publisher"] = rng.choice(JA_PUBLISHERS)
        out["language_code"] = "jpn"
        out["language"] = "japanese"
    else:
        nouns = rng.sample(EN_NOUNS, 3)
        out["title"] = rng.choice(EN_TEMPLATES).format(
            adj=rng.choice(EN_ADJ),
            noun=nouns[0].capitalize(),
            noun2=nouns[1],
            noun3=nouns[2],
            place=rng.choice(EN_PLACES),
        )
        out["title_transcription"] = ""
        family, given = rng.choice(EN_AUTHORS)
        if rng.random() < 0.15:
            family, given = rng.choice(FAMILY)[2], rng.choice(GIVEN)[2]
        out["author_names"] = f"{family}, {given}"
        out["author_transcriptions"] = ""
        out["responsibility"] = f"{given} {family}"
        out["publisher"] = rng.choice(EN_PUBLISHERS)
        out["language_code"] = "eng" if rng.random() < 0.85 else rng.choice(["fre", "ger"])
        out["language"] = "foreign"
    return out


def copy_fields(i: int, language: str) -> dict[str, object]:
    """What record ``i`` has of its own: identifiers, year, dates, loan-rule flags."""
    rng = random.Random(i)
    year = rng.randrange(1950, 2026)
    out: dict[str, object] = {"ndl_id": f"{100_000_000 + i:09d}", "year": year}
    if language == "japanese":
        out["isbn"] = isbn13("9784" + str(10 + i % 89), i // 89) if year >= 1970 else ""
        out["jp_number"] = f"{20_000_000 + i % 80_000_000:08d}"
    else:
        out["isbn"] = isbn13("978" + "01"[i % 2], i // 2) if year >= 1970 else ""
        out["jp_number"] = ""
    out["acquired_on"] = dt.date(min(year + rng.randrange(0, 3), 2025), rng.randrange(1, 13), 1)
    out["page_count"] = rng.randrange(48, 800)
    out["is_digitized"] = year < 1968 and rng.random() < 0.6
    out["is_rare"] = rng.random() < 0.01
    out["market_available"] = year > 2020 and rng.random() < 0.3
    return out


def record(i: int, works: int = WORKS) -> dict[str, object]:
    """Catalogue record number ``i`` (0-based), always the same: a copy of work
    ``work_of(i)`` (an edition or reprint) with identifiers of its own."""
    out: dict[str, object] = dict(work(work_of(i, works)))
    out.update(copy_fields(i, str(out["language"])))
    return out
