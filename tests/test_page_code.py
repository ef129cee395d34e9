"""Rules every page file follows, checked on the source (AST) and with ``AppTest``: a typed
start that needs no ``assert`` or ``None`` check (issue #15, "Pages")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.registry import PAGES, PageSpec

ROOT = Path(__file__).resolve().parents[1]


def first_statement(path: Path) -> ast.stmt:
    """The module's first top-level statement after its docstring and imports."""
    return next(
        statement
        for statement in ast.parse(path.read_text(), filename=str(path)).body
        if not isinstance(statement, ast.Import | ast.ImportFrom)
        and not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
    )


@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.url_path)
def test_every_page_starts_with_its_typed_start(spec: PageSpec) -> None:
    """A page with the filter bar takes a context whose filters are never None; the others a
    context without filters (the start also routes the run through ``app.py``)."""
    statement = first_statement(ROOT / spec.path)
    assert isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)
    call = statement.value
    assert isinstance(call.func, ast.Name)
    expected = "filtered_page_start" if spec.filters else "page_start"
    assert call.func.id == expected
    assert [ast.literal_eval(arg) for arg in call.args] == [spec.url_path]


def test_no_page_asserts() -> None:
    """Before: three pages started with ``assert context.filters is not None``."""
    files = [*sorted((ROOT / "pages").glob("*.py")), ROOT / "ui" / "page.py"]
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in files
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assert)
    ]
    assert offenders == []


def _filtered_start_without_filters() -> None:
    import streamlit as st

    from appdb.users import Identity
    from crm_data.filters import Scope
    from ui.page import PageContext, filtered_page_start, set_page_context

    admin = Identity("a@example.com", "Ada", "admin", None, None)
    set_page_context(PageContext(admin, Scope.everyone(), 0))
    filtered_page_start("overview")
    st.write("the page ran")


def test_a_filter_page_without_the_filter_bar_stops_with_a_notice() -> None:
    at = AppTest.from_function(_filtered_start_without_filters).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["This page needs the filter bar: open it from the menu."]
    assert [m.value for m in at.markdown] == []  # the page's body did not run


def _docstrings(tree: ast.Module) -> set[int]:
    """The ``id`` of every docstring node of ``tree`` (module, class and function docstrings)."""
    owners = [tree] + [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    return {
        id(owner.body[0].value)
        for owner in owners
        if owner.body
        and isinstance(owner.body[0], ast.Expr)
        and isinstance(owner.body[0].value, ast.Constant)
    }


def test_day_counts_of_the_metrics_are_never_typed_in_text() -> None:
    """Captions, empty states and the catalogue's definitions say "90 days" through
    ``FORGOTTEN_DAYS`` (and ``SILENCE_DAYS``, ``DISCIPLINE_DAYS``), so changing a constant
    changes every sentence about it (issue #15: "90 days" was typed nine times)."""
    from analytics.activity import DISCIPLINE_DAYS, SILENCE_DAYS
    from analytics.clients import FORGOTTEN_DAYS

    typed = re.compile(rf"\b({FORGOTTEN_DAYS}|{SILENCE_DAYS}|{DISCIPLINE_DAYS})[ -]days?\b")
    folders = ("pages", "ui", "reports")
    files = [ROOT / "app.py", *(p for f in folders for p in sorted((ROOT / f).glob("*.py")))]
    offenders = []
    for path in files:
        tree = ast.parse(path.read_text())
        docstrings = _docstrings(tree)
        offenders += [
            f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and typed.search(node.value)
        ]
    assert offenders == []
