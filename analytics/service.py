"""Service metrics per assignee: tickets resolved, customer satisfaction, resolution time.

Pure functions over ``crm_data.queries.service``: ``outcomes`` (``ticket_outcomes``:
``assignee_id``, ``resolved``, ``rated``, ``satisfaction_sum``) and ``times``
(``ticket_resolution_times``: ``assignee_id``, ``hours`` (0.1-hour bin), ``censored``,
``tickets``).  ``by`` groups as in :mod:`analytics.funnel`; rates with a zero denominator are NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analytics.grouped import as_counts, by_columns, count_column, group_codes, safe_rates, tally
from analytics.survival import km_summary

__all__ = ["resolution_time", "satisfaction"]


def satisfaction(
    outcomes: pd.DataFrame, *, by: str | Sequence[str] | None = "assignee_id"
) -> pd.DataFrame:
    """Tickets resolved and their mean satisfaction score (1–5) per group.

    Returns
    -------
    DataFrame
        ``[by…]``, ``resolved`` int, ``rated`` int, ``csat`` float (Σ scores / rated; NaN
        without a rating).

    Examples
    --------
    >>> outcomes = pd.DataFrame({"assignee_id": [1, 2], "resolved": [4, 1], "rated": [2, 0],
    ...                          "satisfaction_sum": [9.0, 0.0]})
    >>> satisfaction(outcomes, by=None).to_dict("records")
    [{'resolved': 5, 'rated': 2, 'csat': 4.5}]
    """
    by_cols = by_columns(outcomes, by, reserved=["resolved", "rated", "csat"])
    codes, keys = group_codes(outcomes, by_cols)
    n = len(keys)
    resolved = as_counts(tally(codes, count_column(outcomes, "resolved").astype(float), n))
    rated = as_counts(tally(codes, count_column(outcomes, "rated").astype(float), n))
    scores = tally(codes, outcomes["satisfaction_sum"].to_numpy(dtype="float64"), n)
    return keys.assign(resolved=resolved, rated=rated, csat=safe_rates(scores, rated))


def resolution_time(
    times: pd.DataFrame, *, by: str | Sequence[str] | None = "assignee_id"
) -> pd.DataFrame:
    """Kaplan–Meier median hours from a ticket's opening to its resolution, per group; tickets
    still open at ``as_of`` are censored there (not dropped).

    Returns
    -------
    DataFrame
        ``[by…]``, ``tickets``, ``resolved``, ``censored`` int, ``median_hours`` float.
    """
    summary = km_summary(times, time="hours", weight="tickets", by=by, suffix="_hours")
    return summary.rename(columns={"count": "tickets", "ended": "resolved"})
