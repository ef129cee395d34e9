"""Open-pipeline totals, sales velocity and pipeline coverage (METRICS.md "Pipeline snapshot at
t", "Weighted pipeline", "Sales velocity", "Pipeline coverage").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from analytics.deltas import ratio
from analytics.funnel import sales_cycle, win_rates

__all__ = [
    "Coverage",
    "PipelineTotals",
    "Velocity",
    "pipeline_coverage",
    "pipeline_totals",
    "sales_velocity",
]


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
    rates = win_rates(closed_trailing)
    cycle = sales_cycle(closed_trailing)
    if rates.empty:
        win_rate = average_won = average_cycle = math.nan
    else:
        win_rate = float(rates["win_rate"].iloc[0])
        average_won = float(rates["average_won_amount"].iloc[0])
        average_cycle = float(cycle["mean_days"].iloc[0])
    per_day = ratio(count * win_rate * average_won, average_cycle)
    return Velocity(count, win_rate, average_won, average_cycle, per_day)


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
