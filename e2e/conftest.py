"""Browser tests: Debian's Chromium driven by Playwright against ``live_server``.

They are marked ``browser`` and skipped when Chromium is not installed at
/usr/bin/chromium; the accessibility checks also need ``npm ci`` (axe-core).
Playwright never downloads a browser of its own here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django would
# otherwise refuse the ORM calls the tests make between two page loads.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "screenshots"
PASSWORD = "reading-room-only-2026"  # noqa: S105 (test data)


# CI sets this so that a missing browser or axe-core fails instead of skipping.
REQUIRED = os.environ.get("NDL_BROWSER_TESTS") == "required"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    reason = f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)"
    if REQUIRED:
        raise pytest.UsageError(reason)
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def axe_page(browser: Any) -> Iterator[Any]:
    """A page whose context ignores the CSP, so that axe-core can be injected."""
    if not AXE_JS.exists():
        reason = "axe-core is not installed: run `npm ci` at the repository root"
        if REQUIRED:
            pytest.fail(reason)
        pytest.skip(reason)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as loaded."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [", ".join(node["target"]) for node in v["nodes"][:5]]
        lines.append(f"{v['impact']}: {v['id']} ({v['help']}) at {targets}")
    return "\n".join(lines)


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot as screenshots/<name>.png (git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    safe = re.sub(r"[^a-z0-9-]+", "-", name.lower())
    page.screenshot(path=str(SCREENSHOTS / f"{safe}.png"), full_page=True)


def portal_login(page: Any, base_url: str, user_id: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/portal/login/")
    page.fill("#id_username", user_id)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/portal/")


# --- data -----------------------------------------------------------------------
@pytest.fixture(scope="session", autouse=True)
def _serialized_rollback_survives_playwright(django_db_setup: None) -> None:
    """Let ``serialized_rollback`` restore the migrations' rows (the NDL sites).

    Once Playwright's sync API has started, Django may hand this thread a new
    connection object, which lacks the copy of the database taken when the test
    database was created; every connection of the class gets that copy.
    """
    from django.db import connections

    connection = connections["default"]
    contents = getattr(connection, "_test_serialized_contents", None)
    if contents is not None:
        type(connection)._test_serialized_contents = contents  # type: ignore[attr-defined]


@pytest.fixture
def portal_library(transactional_db: None) -> Any:
    """A registered library with a portal login (User ID + ``PASSWORD``)."""
    from core.models import User
    from registration.tests.factories import LibraryFactory

    library: Any = LibraryFactory(name="Bibliothèque universitaire de Lyon")
    User.objects.create_user(username=library.user_id, password=PASSWORD, library=library)
    return library


@pytest.fixture
def staff(transactional_db: None) -> Any:
    from core.tests.factories import StaffFactory

    return StaffFactory()


@pytest.fixture
def catalogue(transactional_db: None) -> list[Any]:
    """Three loanable books and one that is not (digitized), all about libraries."""
    from catalogue.tests.factories import MaterialFactory

    return [
        MaterialFactory(title="Toshokan no rekishi", responsibility="Sato Hanako"),
        MaterialFactory(title="Toshokan to chiiki shakai", responsibility="Suzuki Ichiro"),
        MaterialFactory(title="Kindai Nihon no toshokan", responsibility="Tanaka Jiro"),
        MaterialFactory(title="Toshokan zasshi sōmokuroku", is_digitized=True),
    ]
