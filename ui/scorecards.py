"""A rep's scorecard as the Incentives page shows it: each item's values in its own unit."""

from __future__ import annotations

import pandas as pd

from ui.format import format_value

__all__ = ["VALUE_COLUMNS", "scorecard_rows"]

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
    text = {
        column: [
            format_value(value, unit, currency, compact=False)
            for value, unit in zip(detail[column], detail["unit"], strict=True)
        ]
        for column in VALUE_COLUMNS
    }
    return detail.assign(**text).drop(columns="unit")
