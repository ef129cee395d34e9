"""Open-pipeline totals, sales velocity and pipeline coverage (METRICS.md "Pipeline snapshot at
t", "Weighted pipeline", "Sales velocity", "Pipeline coverage").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analytics.deltas import ratio
from analytics.funnel import sales_cycle, win_rates

__all__ = [
    "VELOCITY_MONTHS",
    "Coverage",
    "PipelineTotals",
    "Velocity",
    "pipeline_coverage",
    "pipeline_totals",
    "sales_velocity",
    "velocity_table",
]


#: METRICS.md "Sales velocity": win rate, average won deal and cycle come from the deals closed
#: in this many months before ``as_of``.
VELOCITY_MONTHS = 12


@dataclass(frozen=True)
class PipelineTotals:
    """Open deals, their amount and their weighted amount (money in the account currency)."""

    deals: int
    amount: float
    weighted_amount: float


def pipeline_totals(by_stage: pd.DataFrame) -> PipelineTotals:
    """Totals of an open-pipeline-by-stage frame.

    Parameters
    ----------
    by_stage : DataFrame
        One row per open stage with ``deals`` (int), ``amount`` and ``weighted_amount``
        (float; weighted = Σ amount × stage probability).

    Returns
    -------
    PipelineTotals
        Sums over the stages; zeros for an empty frame.

    Examples
    --------
    >>> frame = pd.DataFrame({"deals": [2, 1], "amount": [300.0, 50.0],
    ...                       "weighted_amount": [30.0, 25.0]})
    >>> pipeline_totals(frame)
    PipelineTotals(deals=3, amount=350.0, weighted_amount=55.0)
    """
    return PipelineTotals(
        deals=int(by_stage["deals"].sum()),
        amount=float(by_stage["amount"].sum()),
        weighted_amount=float(by_stage["weighted_amount"].sum()),
    )


@dataclass(frozen=True)
class Velocity:
    """Sales velocity and its factors (METRICS.md "Sales velocity").

    Attributes
    ----------
    open_deals : int
        Open (qualified) deals at ``as_of``.
    win_rate : float
        won / (won + lost) of the deals closed in the trailing 12 months.
    average_won_amount : float
        Mean amount of those won deals.
    average_cycle_days : float
        Mean days from creation to close of those won deals.
    per_day : float
        ``open_deals × win_rate × average_won_amount / average_cycle_days`` in money per day;
        NaN when a factor is NaN or the cycle is 0.
    """

    open_deals: int
    win_rate: float
    average_won_amount: float
    average_cycle_days: float
    per_day: float


def sales_velocity(open_deals: int, closed_trailing: pd.DataFrame) -> Velocity:
    """Money per day the pipeline is expected to turn into (METRICS.md "Sales velocity").

    ``open deals × win rate × average won amount / average cycle days``, the last three from
    the deals closed in the trailing 12 months (the caller passes ``closed_deal_stats`` over
    ``[as_of − 12 months, as_of)``).

    Parameters
    ----------
    open_deals : int
        Open qualified deals at ``as_of``.
    closed_trailing : DataFrame
        ``closed_deal_stats`` (or per deal): ``status``, ``amount``, ``cycle_days``, ``deals``
        and ``cycle_days_sum`` (both optional).

    Returns
    -------
    Velocity

    Examples
    --------
    >>> closed = pd.DataFrame({"status": ["won", "lost"], "amount": [1000.0, 0.0],
    ...                        "cycle_days": [20.0, 5.0]})
    >>> sales_velocity(10, closed).per_day  # 10 × 0.5 × 1000 / 20
    250.0
    """
    count = int(open_deals)
    if count < 0 or count != open_deals:
        raise ValueError(f"open_deals must be a non-negative whole number, got {open_deals!r}")
    row = velocity_table(pd.DataFrame({"open_deals": [count]}), closed_trailing).iloc[0]
    return Velocity(
        count,
        float(row["win_rate"]),
        float(row["average_won_amount"]),
        float(row["average_cycle_days"]),
        float(row["per_day"]),
    )


_VELOCITY_COLUMNS = ["open_deals", "win_rate", "average_won_amount", "average_cycle_days",
                     "per_day"]  # fmt: skip


def velocity_table(
    open_deals: pd.DataFrame,
    closed_trailing: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Sales velocity per group (METRICS.md "Sales velocity"): open deals × win rate × average
    won deal / average cycle of won deals, in money per day.

    Parameters
    ----------
    open_deals : DataFrame
        ``[by…]``, ``open_deals`` int: the deals open at ``as_of`` per group
        (``open_deal_counts``).
    closed_trailing : DataFrame
        ``closed_deal_stats`` over the 12 months before ``as_of``, with the same ``by``
        columns (binned or not: only ``cycle_days_sum`` is used for the mean cycle).
    by : str or sequence of str, optional
        Group columns of both frames; None for one row over everything.

    Returns
    -------
    DataFrame
        ``[by…]``, ``open_deals`` int, ``win_rate``, ``average_won_amount``,
        ``average_cycle_days``, ``per_day`` float (NaN without closed deals or with a zero
        cycle); one row per group of either frame (0 open deals where a group has none).

    Examples
    --------
    >>> open_ = pd.DataFrame({"team": ["A", "B"], "open_deals": [10, 4]})
    >>> closed = pd.DataFrame({"team": ["A", "A", "B"], "status": ["won", "lost", "won"],
    ...                        "amount": [1000.0, 500.0, 200.0], "cycle_days": [20.0, 5.0, 10.0]})
    >>> velocity_table(open_, closed, by="team")["per_day"].tolist()  # 10×0.5×1000/20, 4×1×200/10
    [250.0, 80.0]
    """
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    rates = win_rates(closed_trailing, by=keys or None)
    cycle = sales_cycle(closed_trailing, by=keys or None)
    factors = rates[[*keys, "win_rate", "average_won_amount"]].merge(
        cycle[[*keys, "mean_days"]], on=keys, how="outer"
    ) if keys else rates[["win_rate", "average_won_amount"]].assign(
        mean_days=cycle["mean_days"].to_numpy()
    )  # fmt: skip
    counts = open_deals[[*keys, "open_deals"]]
    if keys:
        table = counts.merge(factors, on=keys, how="outer")
    else:
        table = counts.reset_index(drop=True).join(factors.reset_index(drop=True), how="left")
    table["open_deals"] = table["open_deals"].fillna(0).astype("int64")
    table = table.rename(columns={"mean_days": "average_cycle_days"})
    won = table["open_deals"] * table["win_rate"] * table["average_won_amount"]
    cycle_days = table["average_cycle_days"].where(table["average_cycle_days"] != 0)
    table["per_day"] = (won / cycle_days).astype("float64")
    return table[[*keys, *_VELOCITY_COLUMNS]].sort_values(keys or "open_deals",
                                                          ignore_index=True)  # fmt: skip


@dataclass(frozen=True)
class Coverage:
    """Pipeline coverage of the quota still to win (METRICS.md "Pipeline coverage").

    Attributes
    ----------
    expected_amount : float
        Open pipeline expected to close in the period.
    quota : float
        Quota of the period.
    won_so_far : float
        Won in the period up to ``as_of``.
    remaining : float
        ``quota − won_so_far`` (negative when the quota is exceeded).
    ratio : float
        ``expected_amount / remaining``; NaN when nothing remains (``remaining ≤ 0``), the
        quota is 0, or an input is NaN.
    """

    expected_amount: float
    quota: float
    won_so_far: float
    remaining: float
    ratio: float


def pipeline_coverage(expected_amount: float, quota: float, won_so_far: float) -> Coverage:
    """Open pipeline / (quota − won so far) (METRICS.md "Pipeline coverage").

    Parameters
    ----------
    expected_amount : float
        Σ amount of the open deals expected to close in the period.
    quota : float
        The period's quota (``quota_total``).
    won_so_far : float
        Won amount of the period up to ``as_of``.

    Returns
    -------
    Coverage

    Examples
    --------
    >>> pipeline_coverage(300.0, 200.0, 100.0).ratio
    3.0
    >>> pipeline_coverage(300.0, 200.0, 250.0).ratio  # quota met
    nan
    """
    expected, target, won = float(expected_amount), float(quota), float(won_so_far)
    remaining = target - won
    value = math.nan if target == 0 or not remaining > 0 else ratio(expected, remaining)
    return Coverage(expected, target, won, remaining, value)
