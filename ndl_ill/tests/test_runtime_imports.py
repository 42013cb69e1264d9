"""The application runs with requirements.txt alone (`make run`): no module
outside the tests imports a development-only package."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "registration", "loans", "returns", "ndl_ill"]
DEV_ONLY = {
    "bandit",
    "django_stubs_ext",
    "factory",
    "hypothesis",
    "mypy",
    "playwright",
    "pypdf",
    "pytest",
    "pytest_django",
    "time_machine",
}


def _runtime_modules():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" not in path.parts:
                yield path


def _imports_outside_type_checking(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


def test_no_runtime_module_imports_a_development_package():
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in _runtime_modules()
        for name in _imports_outside_type_checking(ast.parse(path.read_text()))
        if name in DEV_ONLY
    }
    assert not offenders
