"""The dependency rule of DESIGN.md §2, checked on the import statements of every module:
``pages -> ui -> reports -> {analytics, crm_data}``; ``analytics`` is pure; ``crm_data`` never
draws; ``reports`` pair queries with computations and draw nothing; ``access`` (who may do
what) imports nothing of the project, so every layer may ask it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: package -> top-level modules it must never import
FORBIDDEN: dict[str, set[str]] = {
    "access": {
        "streamlit",
        "sqlalchemy",
        "duckdb",
        "pandas",
        "analytics",
        "appdb",
        "crm_data",
        "reports",
        "ui",
        "pages",
        "plotly",
    },
    "analytics": {
        "streamlit",
        "sqlalchemy",
        "duckdb",
        "crm_data",
        "reports",
        "ui",
        "pages",
        "plotly",
    },
    "appdb": {"streamlit", "ui", "pages", "plotly", "reports", "analytics"},
    "crm_data": {"streamlit", "ui", "pages", "plotly", "analytics", "reports", "appdb"},
    "reports": {"streamlit", "ui", "pages", "plotly"},  # query + compute, shared with notebooks
    "ui": {"pages"},
    "pages": {"sqlalchemy", "duckdb", "psycopg", "pymysql"},  # no SQL in a page
}


def imported_roots(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports (absolute imports only)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_imported_roots_sees_plain_and_from_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import streamlit as st\nfrom crm_data import filters\nfrom . import x\n")
    assert imported_roots(module) == {"streamlit", "crm_data"}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"package {package} has no modules"
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[package])
        for path in files
        if imported_roots(path) & FORBIDDEN[package]
    }
    assert not offenders, f"{package} breaks the dependency rule: {offenders}"


def imported_modules(path: Path) -> set[str]:
    """Dotted names of every module ``path`` imports, and of every name it imports from a
    module (``from tests import test_x`` gives ``tests`` and ``tests.test_x``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_imported_modules_sees_modules_imported_from_a_package(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import tests.conftest\nfrom tests import test_x\n")
    assert imported_modules(module) == {"tests.conftest", "tests", "tests.test_x"}


def test_tests_import_only_support_modules() -> None:
    """Shared helpers live in ``tests/support/`` and fixtures in ``conftest.py``: no module of
    ``tests/`` imports a test module or ``tests.conftest`` (which pytest loads as ``conftest``,
    so importing it again gives a second copy with its own state)."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            {
                ".".join(name.split(".")[:2])  # the module, not the names taken from it
                for name in imported_modules(path)
                if name == "tests.conftest" or name.startswith("tests.test_")
            }
        )
        for path in sorted((ROOT / "tests").rglob("*.py"))
    }
    assert not {path: names for path, names in offenders.items() if names}
