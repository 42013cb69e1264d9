"""One Japanese word for each term the library reads.

The loan's due date is the date by which the library must *send the item
back* (the seed: "return the material within one month of receipt"), so the
Japanese texts say 返送期限 everywhere: the overdue notice's subject, its
body, the dispatch email, the portal and the PDFs. A second word for the same
date (返却期限) on one of them makes the library wonder whether there are two
dates.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

# The word that must not appear, and the one the project uses instead.
SYNONYMS = {"返却期限": "返送期限"}

SUFFIXES = {".html", ".txt", ".po", ".py"}
SKIP_PARTS = {".venv", "node_modules", ".git", "tests"}


def _texts() -> list[Path]:
    root = Path(settings.BASE_DIR)
    return [
        path
        for path in root.rglob("*")
        if path.suffix in SUFFIXES
        and path.is_file()
        and not SKIP_PARTS.intersection(path.relative_to(root).parts)
    ]


@pytest.mark.parametrize(("word", "instead"), sorted(SYNONYMS.items()))
def test_the_due_date_has_one_japanese_name(word: str, instead: str) -> None:
    found = [
        str(path.relative_to(settings.BASE_DIR))
        for path in _texts()
        if word in path.read_text(encoding="utf-8", errors="ignore")
    ]
    assert not found, f"{word} in {found}: write {instead}"
