"""The Examples sections of the pure modules' docstrings run and give what they say."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(
    [  # every module of analytics, its packages' modules too (analytics.incentives.scoring)
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "analytics").rglob("*.py")
        if p.stem != "__init__"
    ]
    + [
        "access.passwords",
        "ui.format",
        "ui.scorecards",
        "reports.plan_changes",
        "ui.plan_editor",
        "ui.activity_charts",
        "ui.export",
        "ui.exposure",
        "reports.names",
        "crm_data.config",
        "crm_data.filters",
        "access.tokens",
        "access.throttle",
        "crm_data.users",
        "crm_data.reader",
        "reports.period_filters",
    ]
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
