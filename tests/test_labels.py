"""Column labels and formats in one place (``ui.labels``, issue #15 "Pages")."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from ui.labels import COLUMNS, column_format, labelled

ROOT = Path(__file__).resolve().parents[1]


def test_labelled_picks_renames_and_formats() -> None:
    frame = pd.DataFrame(
        {"deal_id": [7], "amount": [1200.0], "win_rate": [0.25], "due_at": [pd.Timestamp(0)],
         "account_id": [3], "owner": ["Ann"]}
    )  # fmt: skip
    shown, config = labelled(
        frame, ["owner", "deal_id", "amount", "win_rate", "due_at", "account_id"],
        currency="EUR", labels={"amount": "Lost amount"},
    )  # fmt: skip
    assert list(shown.columns) == ["Owner", "Deal", "Lost amount", "Win rate", "Due", "Account id"]
    assert shown["Lost amount"].tolist() == [1200.0]  # values untouched: formats are display only
    assert "Owner" not in config  # text as it is
    assert config["Account id"] is None  # hidden on screen, kept in the export
    assert config["Lost amount"]["type_config"]["format"] == "€%,.0f"
    assert config["Deal"]["type_config"]["format"] == "%d"
    assert config["Win rate"]["type_config"]["format"] == "percent"
    assert config["Due"]["type_config"]["format"] == "YYYY-MM-DD"


def test_a_column_without_a_label_is_refused_with_the_fix() -> None:
    with pytest.raises(KeyError, match=r"\['mystery'\].*ui.labels.COLUMNS"):
        labelled(pd.DataFrame({"mystery": [1]}))


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown column kind 'euro'"):
        column_format("euro")  # type: ignore[arg-type]


def test_every_label_is_unique_per_kind_of_value() -> None:
    """Two columns under one label would read as the same thing; only ``amount`` and
    ``reached_amount`` (an amount either way) share theirs."""
    by_label: dict[str, list[str]] = {}
    for name, column in COLUMNS.items():
        by_label.setdefault(column.label, []).append(name)
    shared = {label: names for label, names in by_label.items() if len(names) > 1}
    assert shared == {
        "Amount": ["amount", "reached_amount"],
        "Deal": ["deal", "deal_id"],
        "Owner": ["employee", "owner"],
    }


@pytest.mark.parametrize("page", ["activity", "funnel", "overview"])
def test_pages_rename_no_column_themselves(page: str) -> None:
    """Before: every table of these pages spelled its labels in a ``rename`` of its own."""
    tree = ast.parse((ROOT / "pages" / f"{page}.py").read_text())
    renames = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "rename"
    ]
    assert renames == []
