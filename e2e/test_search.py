# ruff: noqa: RUF001, S101  (Japanese as typed; a browser test asserts)
"""The catalogue's search box in a browser, in English and in Japanese.

Screenshots: screenshots/search-<lang>.png (1280 px wide).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from .conftest import portal_login, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def shelf(transactional_db: None) -> None:
    from catalogue.models import LanguageCategory
    from catalogue.tests.factories import MaterialFactory
    from loans.models import LoanStatus
    from loans.tests.factories import LoanRequestFactory

    MaterialFactory(
        ndl_id="000000101",
        title="図書館の歴史",
        title_transcription="トショカン ノ レキシ",
        author_names="佐藤, 花子, 1950-",
        author_transcriptions="サトウ, ハナコ",
        responsibility="佐藤花子 著",
        publisher="日本図書館協会",
        isbn="9784820412345",
    )
    lent = MaterialFactory(
        ndl_id="000000102",
        title="近代日本の図書館",
        title_transcription="キンダイ ニホン ノ トショカン",
        author_names="鈴木, 一郎",
        responsibility="鈴木一郎 著",
        publisher="勁草書房",
    )
    LoanRequestFactory(material=lent, status=LoanStatus.REQUESTED)
    MaterialFactory(
        ndl_id="000000103",
        title="図書館雑誌総目録",
        title_transcription="トショカン ザッシ ソウモクロク",
        responsibility="日本図書館協会 編",
        is_digitized=True,
    )
    MaterialFactory(
        ndl_id="000000104",
        title="Libraries of Meiji Japan",
        responsibility="Jürgen Müller",
        publisher="Brill",
        language=LanguageCategory.FOREIGN,
    )


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_reading_in_hiragana_finds_the_titles(
    page: Any, live_server: Any, portal_library: Any, shelf: None, lang: str
) -> None:
    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base + reverse("portal:login"))
    if lang == "ja":
        page.select_option("#lang-select", "ja")
        page.click("#lang-submit")
        page.wait_for_load_state()
    portal_login(page, base, portal_library.user_id)
    page.goto(base + reverse("loans:search"))
    page.fill("#id_q", "としょかん")
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_load_state()
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    body = page.locator("main").inner_text()
    assert "図書館の歴史" in body and "近代日本の図書館" in body and "図書館雑誌総目録" in body
    assert "Libraries of Meiji Japan" not in body
    # Loanable, requested by someone, not loanable: each says so.
    assert page.locator("input[name=ndl_ids]").count() == 1
    shot(page, f"search-{lang}")
