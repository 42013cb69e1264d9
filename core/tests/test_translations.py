"""The Japanese catalogue is complete, consistent and in step with the code.

* Every message in ``locale/ja/LC_MESSAGES/django.po`` is translated, none is
  fuzzy, and each translation keeps the placeholders and HTML tags of its
  msgid (a lost ``%(id)s`` raises at run time; a lost tag breaks the page).
* Every translatable string in the code is in the catalogue: ``makemessages``
  is run on a throw-away copy of the sources and its ``.pot`` is compared with
  the committed catalogue. Nothing is written to the project. The check needs
  the GNU gettext tools (``xgettext``, ``msguniq``) and is skipped without them.
  It takes about a second.

To update the catalogue after changing a string:

    .venv/bin/python manage.py makemessages -l ja --ignore=.venv \
        --ignore=node_modules --ignore=bench --ignore=e2e --ignore='*/tests/*' \
        --no-location

then translate the new or fuzzy entries and run
``.venv/bin/pybabel compile -d locale -D django``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.core.management.commands import makemessages
from django.test import override_settings

PO_PATH = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES" / "django.po"

# The same exclusions as the documented makemessages command line.
IGNORE = [".venv", "node_modules", "bench", "e2e", "*/tests/*"]
SOURCE_SUFFIXES = {".py", ".html", ".txt"}
SKIP_DIRS = {
    ".venv",
    ".git",
    "node_modules",
    "bench",
    "e2e",
    "locale",
    "tests",
    "static",
    "staticfiles",
    "media",
    "var",
    "__pycache__",
}

PRINTF = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa%])")
BRACES = re.compile(r"(?<!\{)\{(\w*)\}(?!\})")
TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def _catalog(path: Path) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale="ja")


def _entries(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def _key(message: Message) -> tuple[str | None, str | tuple[str, ...]]:
    msgid = message.id if isinstance(message.id, str) else tuple(message.id)
    return (message.context, msgid)


def _label(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _placeholders(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for name, conversion in PRINTF.findall(text):
        if conversion != "%":
            found[f"%({name}){conversion}" if name else f"%{conversion}"] += 1
    for name in BRACES.findall(text):
        found["{" + name + "}"] += 1
    return found


def _tags(text: str) -> Counter[str]:
    return Counter(TAG.findall(text))


def _sources_and_translations(message: Message) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs to compare: for plurals, each form with the plural msgid."""
    if isinstance(message.id, str):
        return [(message.id, message.string)]
    plural_id = message.id[-1]
    return [(plural_id, form) for form in message.string]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return _catalog(PO_PATH)


def test_the_catalogue_declares_japanese_with_one_plural_form(catalog: Catalog) -> None:
    assert str(catalog.locale) == "ja"
    assert catalog.num_plurals == 1
    assert catalog.plural_expr.strip() == "0"
    assert len(_entries(catalog)) > 500


def test_every_message_is_translated(catalog: Catalog) -> None:
    untranslated = []
    for message in _entries(catalog):
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        if not forms or not all(form.strip() for form in forms):
            untranslated.append(_label(message))
    assert untranslated == [], f"{len(untranslated)} untranslated: {untranslated[:20]}"


def test_no_message_is_fuzzy(catalog: Catalog) -> None:
    fuzzy = [_label(m) for m in _entries(catalog) if m.fuzzy]
    assert fuzzy == [], f"{len(fuzzy)} fuzzy: {fuzzy[:20]}"


def test_plural_messages_have_exactly_one_form(catalog: Catalog) -> None:
    wrong = [
        _label(m)
        for m in _entries(catalog)
        if m.pluralizable and (isinstance(m.string, str) or len(m.string) != 1)
    ]
    assert wrong == []


def test_translations_keep_the_placeholders_of_their_msgid(catalog: Catalog) -> None:
    mismatched = []
    for message in _entries(catalog):
        for source, translation in _sources_and_translations(message):
            if translation and _placeholders(source) != _placeholders(translation):
                mismatched.append(
                    (
                        source,
                        sorted(_placeholders(source).elements()),
                        sorted(_placeholders(translation).elements()),
                    )
                )
    assert mismatched == []


def test_translations_keep_the_html_tags_of_their_msgid(catalog: Catalog) -> None:
    mismatched = [
        source
        for message in _entries(catalog)
        for source, translation in _sources_and_translations(message)
        if translation and _tags(source) != _tags(translation)
    ]
    assert mismatched == []


def test_babel_finds_no_errors_in_the_catalogue(catalog: Catalog) -> None:
    # The same checks ``pybabel compile`` runs (python-format placeholders etc.).
    problems = [(_label(m), errors) for m, errors in catalog.check()]
    assert problems == []


def test_the_placeholder_check_catches_a_lost_placeholder() -> None:
    assert _placeholders("Request #%(id)s is %(status)s.") != _placeholders("申込み #%(id)s")
    assert _placeholders("{detail}") != _placeholders("詳細")
    assert _placeholders("%(n)d item(s)") == _placeholders("%(n)d点")
    assert _placeholders("100%% sure") == Counter()


# --- the catalogue is in step with the code ---------------------------------


class _CapturePot(makemessages.Command):
    """makemessages that hands over the .pot instead of writing a .po."""

    captured: dict[str, str]

    def write_po_file(self, potfile: str, locale: str) -> None:
        # Called once per locale path; the same path may be listed twice.
        self.captured[os.path.abspath(potfile)] = Path(potfile).read_text(encoding="utf-8")


def _copy_sources(src: Path, dst: Path) -> None:
    for path in src.rglob("*"):
        relative = path.relative_to(src)
        if any(part in SKIP_DIRS or part.startswith(".") for part in relative.parts[:-1]):
            continue
        if not path.is_file() or path.suffix not in SOURCE_SUFFIXES:
            continue
        target = dst / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("xgettext", "msguniq", "msgmerge")),
    reason="GNU gettext tools (xgettext, msguniq, msgmerge) are not installed",
)
def test_every_translatable_string_in_the_code_is_in_the_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog: Catalog
) -> None:
    sources = tmp_path / "src"
    _copy_sources(Path(settings.BASE_DIR), sources)
    locale_dir = sources / "locale"
    command = _CapturePot()
    command.captured = {}
    monkeypatch.chdir(sources)
    with override_settings(LOCALE_PATHS=[str(locale_dir)]):
        call_command(command, locale=["ja"], ignore_patterns=IGNORE, no_location=True, verbosity=0)

    assert list(command.captured) == [str(locale_dir / "django.pot")]
    pot_path = tmp_path / "django.pot"
    # A fresh .pot says "nplurals=INTEGER", which babel cannot parse.
    pot = command.captured.popitem()[1].replace(
        "nplurals=INTEGER; plural=EXPRESSION;", "nplurals=1; plural=0;"
    )
    pot_path.write_text(pot, encoding="utf-8")
    extracted = {_key(m) for m in _entries(_catalog(pot_path))}
    committed = {_key(m) for m in _entries(catalog)}

    assert len(extracted) > 500  # the extraction really saw the code
    missing = sorted(map(str, extracted - committed))
    assert missing == [], (
        f"{len(missing)} string(s) in the code are not in {PO_PATH.name}; run makemessages "
        f"and translate them: {missing[:20]}"
    )
