"""The Incentives page's tables of mixed units as text: a rep's scorecard (each item's values in
its own unit) and the changes of a plan version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ui.format import MISSING, format_value

__all__ = ["VALUE_COLUMNS", "change_rows", "scorecard_rows"]

#: Columns of ``IncentiveReport.rep_detail`` in the item's unit (actual, target, expected).
VALUE_COLUMNS = ("actual", "target", "expected")


def scorecard_rows(detail: pd.DataFrame, currency: str | None) -> pd.DataFrame:
    """``detail`` (``IncentiveReport.rep_detail``) with :data:`VALUE_COLUMNS` as text in each
    item's unit (money in full with ``currency``, ratios in %, hours with "h"; "—" when
    missing) and the ``unit`` column dropped.

    Examples
    --------
    >>> detail = pd.DataFrame({"metric": ["Won revenue", "Follow-up compliance"],
    ...                        "unit": ["money", "ratio"], "actual": [41250.4, 0.8125],
    ...                        "target": [40000.0, 0.9], "expected": [float("nan"), 0.45]})
    >>> scorecard_rows(detail, "EUR").to_dict("records")[0]
    {'metric': 'Won revenue', 'actual': '€41,250', 'target': '€40,000', 'expected': '—'}
    >>> scorecard_rows(detail, "EUR")["actual"].tolist()
    ['€41,250', '81.2%']
    """
    return _as_text(detail, VALUE_COLUMNS, currency, {})


def _value_text(value: Any, unit: Any, currency: str | None, teams: Mapping[int, str]) -> str:
    """One value as text (``unit``: a catalogue unit, "text" or "team"; NaN and None: "—")."""
    if unit == "team":
        return "Company-wide" if value is None else teams.get(int(value), f"team #{value}")
    if value is None:
        return MISSING
    if unit == "text":
        return str(value)
    return format_value(float(value), unit, currency, compact=False)


def change_rows(
    changes: pd.DataFrame, currency: str | None, teams: Mapping[int, str]
) -> pd.DataFrame:
    """``reports.plan_changes.plan_changes`` with ``before`` and ``after`` as text in their
    unit (money in full with ``currency``, rates in %, teams by name) and no ``unit`` column.

    Examples
    --------
    >>> changes = pd.DataFrame({"part": ["Plan", "Won deals"], "field": ["Team", "Cap"],
    ...                         "unit": ["team", "ratio"], "before": [None, None],
    ...                         "after": [3, 1.5]}, dtype=object)
    >>> change_rows(changes, "USD", {3: "North"})[["before", "after"]].values.tolist()
    [['Company-wide', 'North'], ['—', '150.0%']]
    """
    return _as_text(changes, ("before", "after"), currency, teams)


def _as_text(
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    currency: str | None,
    teams: Mapping[int, str],
) -> pd.DataFrame:
    """``frame`` with ``columns`` as text in each row's ``unit``, the ``unit`` column dropped."""
    text = {
        column: [
            _value_text(value, unit, currency, teams)
            for value, unit in zip(frame[column], frame["unit"], strict=True)
        ]
        for column in columns
    }
    return frame.assign(**text).drop(columns="unit")
