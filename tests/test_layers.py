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
        "access",
        "appdb",
        "crm_data",
        "reports",
        "ui",
        "pages",
        "plotly",
    },
    "appdb": {"streamlit", "ui", "pages", "plotly", "reports", "analytics"},
    # translation and formatting: Babel and the standard library, usable by every layer
    "i18n": {
        "streamlit",
        "sqlalchemy",
        "duckdb",
        "pandas",
        "plotly",
        "access",
        "analytics",
        "appdb",
        "crm_data",
        "reports",
        "ui",
        "pages",
    },
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


#: The text of every role, user or employee (``access.roles.Role``, ``EmployeeRole``).
ROLE_TEXTS = frozenset({"exec", "head", "rep", "analyst", "admin", "service"})
#: Project code checked for role strings: everything but ``access/roles.py`` and the tests.
ROLE_CHECKED = ("access", "analytics", "appdb", "crm_data", "reports", "ui", "pages", "app.py")


def _mentions_role(node: ast.AST) -> bool:
    """Whether an expression reads a role: a name or attribute with "role" in it, or a
    subscript by a "role" key (``frame["role"]``)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and "role" in sub.id.lower():
            return True
        if isinstance(sub, ast.Attribute) and "role" in sub.attr.lower():
            return True
        if isinstance(sub, ast.Constant) and sub.value == "role":
            return True
    return False


def _role_texts(node: ast.AST) -> list[ast.Constant]:
    return [
        sub
        for sub in ast.walk(node)
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value in ROLE_TEXTS
    ]


def role_strings(source: str) -> list[int]:
    """Lines where ``source`` spells a role as text: compared with a role (``role == "rep"``,
    ``role in ("admin", "exec")``, ``frame["role"].isin(["rep"])``), passed as one
    (``role="admin"``, ``roles=frozenset({"admin"})``), assigned to a name about roles, or
    used as every key of a dict of several (a table per role)."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        found: list[ast.Constant] = []
        if isinstance(node, ast.Compare) and _mentions_role(node):
            found = _role_texts(node)
        elif isinstance(node, ast.Call) and _mentions_role(node.func):
            found = [c for arg in node.args for c in _role_texts(arg)]
        elif isinstance(node, ast.keyword) and node.arg and "role" in node.arg.lower():
            found = _role_texts(node.value)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and any(_mentions_role(t) for t in targets):
                found = _role_texts(node.value)
        elif isinstance(node, ast.Dict) and node.keys:
            keys = [k for k in node.keys if k is not None]
            if len(keys) > 1 and all(k in _role_texts(k) for k in keys):
                found = keys  # type: ignore[assignment]
        lines |= {c.lineno for c in found}
    return sorted(lines)


def test_role_strings_finds_every_spelling() -> None:
    source = (
        'if scope.role == "rep": pass\n'  # 1
        'ok = role in ("admin", "exec")\n'  # 2
        'staff = staff[staff["role"] == "rep"]\n'  # 3
        'x = Identity(role="admin")\n'  # 4
        'ROLE_SET = frozenset({"head"})\n'  # 5
        'LABELS = {"exec": "Executive", "head": "Sales head"}\n'  # 6
        'keep = frame["role"].isin(["service"])\n'  # 7
        'group = "rep"\n'  # 8: a group-by key, not a role
        'params = {"rep": [1, 2], "team": [3]}\n'  # 9: URL parameters, not a role table
        'grid = {"rep": names}\n'  # 10: a column named rep
        "if role == Role.REP: pass\n"  # 11: the enum
    )
    assert role_strings(source) == [1, 2, 3, 4, 5, 6, 7]


def test_no_role_string_outside_access_roles() -> None:
    """DESIGN.md §4, issue #15: ``access/roles.py`` is the one place a role is spelled out."""
    files = [
        path
        for name in ROLE_CHECKED
        for path in ([ROOT / name] if name.endswith(".py") else sorted((ROOT / name).rglob("*.py")))
        if path != ROOT / "access" / "roles.py"
    ]
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in files
        for line in role_strings(path.read_text())
    ]
    assert offenders == []
