"""Why won revenue changed: its change split exactly into drivers (METRICS.md "Why revenue
changed (revenue bridge)").

Won revenue is ``R = N × w × A``: ``N`` deals closed in the period, ``w`` the win rate
(won / closed) and ``A`` the average won amount.  Between the comparison period (0) and the
period (1) the change is split with log-mean (LMDI) weights
``L = (R1 − R0) / (ln R1 − ln R0)`` (``L = R0`` when ``R1 = R0``)::

    ΔN = L·ln(N1/N0)    Δw = L·ln(w1/w0)    ΔA = L·ln(A1/A0)    ΔN + Δw + ΔA = R1 − R0

No logarithm exists when ``R0`` or ``R1`` is 0 (no deal won): the bridge then says why
(:data:`Reason`) and keeps only the raw change.

Split by a dimension (team, product line), revenue is ``R = N × Σ_s S_s·w_s·A_s`` with ``S_s``
the segment's share of the closed deals.  Each segment ``s`` has its own bridge; with its own
weight ``L_s`` the driver effects are the company's deal count at the segment's weight
(``L_s·ln(N1/N0)``), the segment's win rate (``L_s·ln(w1s/w0s)``) and deal size
(``L_s·ln(A1s/A0s)``), and the **mix** is what is left: ``R1 − R0`` minus the sum of those
effects, i.e. ``Σ_s L_s·ln(S1s/S0s)``, the shift of closed deals towards segments that earn
more (or less) per deal.  A segment with no won revenue in one of the periods (a new team, a
product line that stopped selling) has no split of its own: all of its change is mix.

The inputs are counts of the deals closed in a period as :func:`analytics.funnel.win_rates`
returns them (``closed``, ``won``, ``won_amount``), the very numbers of the Overview's cards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analytics.deltas import ratio
from analytics.grouped import by_columns, count_column, money_column, require_columns

__all__ = [
    "DRIVERS",
    "Bridge",
    "BridgePart",
    "ClosedCounts",
    "Driver",
    "Reason",
    "SegmentBridge",
    "closed_counts",
    "log_means",
    "revenue_bridge",
    "segment_bridge",
]

#: A driver of the change: the deals closed (N), the win rate (w), the average won deal (A)
#: and, split by a dimension, the mix of the segments.
Driver = Literal["deals", "win_rate", "deal_size", "mix"]
#: The drivers every bridge has, in the order of its bars.
DRIVERS: tuple[Driver, ...] = ("deals", "win_rate", "deal_size")
#: Why a bridge has no exact split: no won revenue in the comparison period, in the period, or
#: in neither.
Reason = Literal["no_revenue_before", "no_revenue_now", "no_revenue"]
#: How a driver's own change reads: ``relative`` (0.14 = +14 %), ``points`` (a rate's change,
#: −0.01 = −1 pp) or ``money`` (the mix, which has no quantity of its own).
ChangeUnit = Literal["relative", "points", "money"]

_COUNTS = ("closed", "won", "won_amount")


@dataclass(frozen=True)
class ClosedCounts:
    """The deals closed in one period.

    Attributes
    ----------
    closed, won : int
        Deals closed (won or lost) and won in the period.
    won_amount : float
        Σ amount of the won deals: the won revenue ``R``.

    Raises
    ------
    ValueError
        For a negative count, more won than closed deals, or a non-finite amount.
    """

    closed: int
    won: int
    won_amount: float

    def __post_init__(self) -> None:
        if not 0 <= self.won <= self.closed:
            raise ValueError(f"need 0 <= won <= closed, got won={self.won}, closed={self.closed}")
        if not math.isfinite(self.won_amount):
            raise ValueError(f"won_amount must be finite, got {self.won_amount}")

    @property
    def revenue(self) -> float:
        """Won revenue ``R`` (= ``won_amount``)."""
        return float(self.won_amount)

    @property
    def win_rate(self) -> float:
        """``w`` = won / closed; NaN when no deal closed."""
        return ratio(self.won, self.closed)

    @property
    def average_won(self) -> float:
        """``A`` = won amount / won; NaN when no deal was won."""
        return ratio(self.won_amount, self.won)


#: What :func:`closed_counts` takes: counts, a ``(closed, won, won_amount)`` triple, or a
#: one-row frame with those columns (``analytics.funnel.win_rates`` without ``by``).
CountsLike = ClosedCounts | tuple[float, float, float] | pd.DataFrame


def closed_counts(counts: CountsLike) -> ClosedCounts:
    """``counts`` as :class:`ClosedCounts`.

    Parameters
    ----------
    counts : ClosedCounts, tuple or DataFrame
        ``(closed, won, won_amount)`` numbers, or a one-row frame with the columns ``closed``,
        ``won`` and ``won_amount`` (:func:`analytics.funnel.win_rates`).

    Returns
    -------
    ClosedCounts

    Raises
    ------
    ValueError
        For a frame that lacks a column or has not exactly one row, or invalid counts.

    Examples
    --------
    >>> closed_counts((10, 5, 1000.0))
    ClosedCounts(closed=10, won=5, won_amount=1000.0)
    >>> closed_counts(pd.DataFrame({"closed": [4], "won": [1], "won_amount": [50.0]})).win_rate
    0.25
    """
    if isinstance(counts, ClosedCounts):
        return counts
    if isinstance(counts, pd.DataFrame):
        require_columns(counts, _COUNTS, "closed deals")
        if len(counts) != 1:
            raise ValueError(f"expected one row of closed-deal counts, got {len(counts)}")
        row = counts.iloc[0]
        closed, won, won_amount = (row[column] for column in _COUNTS)
    else:
        closed, won, won_amount = counts
    return ClosedCounts(int(closed), int(won), float(won_amount))


@dataclass(frozen=True)
class BridgePart:
    """One driver of a bridge as the sentence above its chart names it.

    Attributes
    ----------
    driver : Driver
        Which driver.
    effect : float
        Its share of ``R1 − R0`` in money (the bar).
    change : float
        The driver's own change from period 0 to 1 in ``unit``: deals closed and the average
        won deal relative (``N1/N0 − 1``, ``A1/A0 − 1``), the win rate in points
        (``w1 − w0``), the mix in money (its effect).
    unit : {"relative", "points", "money"}
        How ``change`` reads.
    """

    driver: Driver
    effect: float
    change: float
    unit: ChangeUnit


@dataclass(frozen=True)
class Bridge:
    """How won revenue went from the comparison period (0) to the period (1).

    Attributes
    ----------
    before, after : ClosedCounts
        The closed deals of the comparison period and of the period.
    deals, win_rate, deal_size : float
        The effects ΔN, Δw, ΔA in money; NaN without an exact split (``reason``).  In a
        bridge split by a dimension (``mix`` set) the win rate and deal size effects are those
        within the segments.
    mix : float or None
        The mix effect of a bridge split by a dimension; None for the company's own bridge.
        The effects (with the mix) add up to :attr:`change`.
    reason : Reason or None
        Why there is no exact split (no won revenue on one side or both); None when there is.
    """

    before: ClosedCounts
    after: ClosedCounts
    deals: float
    win_rate: float
    deal_size: float
    mix: float | None = None
    reason: Reason | None = None

    @property
    def exact(self) -> bool:
        """Whether the change is split into its drivers."""
        return self.reason is None

    @property
    def change(self) -> float:
        """``R1 − R0``."""
        return self.after.revenue - self.before.revenue

    @property
    def relative_change(self) -> float:
        """``R1 / R0 − 1``; NaN when ``R0`` is 0."""
        return ratio(self.change, self.before.revenue)

    def effects(self) -> dict[Driver, float]:
        """The effects in money by driver, in the order of the bars (the mix last, when set)."""
        effects: dict[Driver, float] = {
            "deals": self.deals,
            "win_rate": self.win_rate,
            "deal_size": self.deal_size,
        }
        if self.mix is not None:
            effects["mix"] = self.mix
        return effects

    def parts(self) -> tuple[BridgePart, ...]:
        """The drivers as the sentence names them ("+14 % more deals closed, −1 pp win rate,
        +0.4 % deal size"); empty without an exact split.

        Examples
        --------
        >>> bridge = revenue_bridge((10, 5, 500.0), (12, 6, 660.0))
        >>> [(p.driver, round(p.change, 3), p.unit) for p in bridge.parts()]
        [('deals', 0.2, 'relative'), ('win_rate', 0.0, 'points'), ('deal_size', 0.1, 'relative')]
        """
        if not self.exact:
            return ()
        b, a = self.before, self.after
        changes: dict[Driver, tuple[float, ChangeUnit]] = {
            "deals": (a.closed / b.closed - 1, "relative"),
            "win_rate": (a.win_rate - b.win_rate, "points"),
            "deal_size": (a.average_won / b.average_won - 1, "relative"),
            "mix": (self.mix or 0.0, "money"),
        }
        return tuple(
            BridgePart(driver, effect, *changes[driver])
            for driver, effect in self.effects().items()
        )

    def steps(self) -> pd.DataFrame:
        """The bridge as waterfall steps: ``R0``, the effects (or, without an exact split, the
        raw change), ``R1``.

        Returns
        -------
        DataFrame
            ``step`` str (``before``, the drivers or ``change``, ``after``), ``measure`` str
            (``absolute`` | ``relative`` | ``total``, as plotly's waterfall wants),
            ``amount`` float; the ``relative`` steps take ``R0`` to ``R1``.

        Examples
        --------
        >>> revenue_bridge((10, 5, 500.0), (10, 5, 0.0)).steps()["step"].tolist()
        ['before', 'change', 'after']
        """
        middle = self.effects() if self.exact else {"change": self.change}
        steps = ["before", *middle, "after"]
        return pd.DataFrame(
            {
                "step": steps,
                "measure": ["absolute"] + ["relative"] * len(middle) + ["total"],
                "amount": [self.before.revenue, *middle.values(), self.after.revenue],
            }
        )


def log_means(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The log-mean weights ``L = (after − before) / (ln after − ln before)``, elementwise
    (``before`` where the two are equal); for positive values.

    The logarithm is ``log1p`` of the relative change when the two are close (nearly equal
    values keep their precision) and the log of their ratio otherwise (a ratio near 0 keeps
    its own).

    Examples
    --------
    >>> log_means(np.array([100.0, 1.0]), np.array([100.0, math.e])).round(6).tolist()
    [100.0, 1.718282]
    """
    before, after = np.asarray(before, dtype="float64"), np.asarray(after, dtype="float64")
    change = after - before
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = change / before
        logs = np.where(np.abs(relative) < 0.5, np.log1p(relative), np.log(after / before))
        weights = change / logs
    result: np.ndarray = np.where(change == 0, before, weights)
    return result


#: A driver's value in the comparison period and in the period (numbers or arrays).
Pair = tuple[float | np.ndarray, float | np.ndarray]


def _effects(
    weights: np.ndarray, closed: Pair, win_rates: Pair, sizes: Pair
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ΔN, Δw, ΔA: ``weights × ln(after / before)`` of each driver's (before, after) pair."""

    def effect(pair: Pair) -> np.ndarray:
        before, after = (np.asarray(value, dtype="float64") for value in pair)
        result: np.ndarray = weights * np.log(after / before)
        return result

    return effect(closed), effect(win_rates), effect(sizes)


def _reason(before: float, after: float) -> Reason | None:
    if before > 0 and after > 0:
        return None
    if before <= 0 and after <= 0:
        return "no_revenue"
    return "no_revenue_before" if before <= 0 else "no_revenue_now"


def revenue_bridge(closed_0: CountsLike, closed_1: CountsLike) -> Bridge:
    """Split the change of won revenue from the comparison period to the period into the
    deals closed, the win rate and the average won deal (METRICS.md "Why revenue changed").

    Parameters
    ----------
    closed_0, closed_1 : ClosedCounts, tuple or DataFrame
        The deals closed in the comparison period (0) and in the period (1): ``(closed,
        won, won_amount)`` or a one-row :func:`analytics.funnel.win_rates` frame
        (see :func:`closed_counts`).

    Returns
    -------
    Bridge
        The effects ΔN, Δw, ΔA, which add up to ``R1 − R0`` (to rounding: about 1e-15 of
        the revenue); NaN with a ``reason`` when ``R0`` or ``R1`` is not positive.

    Examples
    --------
    N 100 → 120, w 0.5 → 0.45, A 100 → 110: R 5,000 → 5,940.

    >>> bridge = revenue_bridge((100, 50, 5000.0), (120, 54, 5940.0))
    >>> {k: round(v, 2) for k, v in bridge.effects().items()}
    {'deals': 994.84, 'win_rate': -574.9, 'deal_size': 520.06}
    >>> round(sum(bridge.effects().values()), 9), bridge.change
    (940.0, 940.0)
    >>> revenue_bridge((20, 0, 0.0), (24, 11, 1210.0)).reason
    'no_revenue_before'
    """
    before, after = closed_counts(closed_0), closed_counts(closed_1)
    reason = _reason(before.revenue, after.revenue)
    if reason is not None:
        return Bridge(before, after, math.nan, math.nan, math.nan, reason=reason)
    deals, win_rate, deal_size = _effects(
        log_means(np.array([before.revenue]), np.array([after.revenue])),
        (before.closed, after.closed),
        (before.win_rate, after.win_rate),
        (before.average_won, after.average_won),
    )
    return Bridge(before, after, float(deals[0]), float(win_rate[0]), float(deal_size[0]))


@dataclass(frozen=True)
class SegmentBridge:
    """A revenue bridge split by a dimension (team, product line).

    Attributes
    ----------
    by : str
        The column the segments were keyed by.
    total : Bridge
        The company's counts with the split's effects: the deals closed (the company's
        change at the segments' weights), the win rate and deal size within the segments,
        and the mix; NaN effects with a ``reason`` when the company has no exact split.
    segments : DataFrame
        One row per segment (sorted by ``by``): ``by``, ``closed_0``, ``won_0``,
        ``won_amount_0``, ``closed_1``, ``won_1``, ``won_amount_1``, ``revenue_change``
        (``R1 − R0`` of the segment), ``deals_effect``, ``win_rate_effect``,
        ``deal_size_effect``, ``mix_effect`` (each row adds up to its ``revenue_change``,
        each column to the ``total``'s effect; NaN without a company split) and ``exact``
        (bool: the segment won revenue in both periods; otherwise its change is all mix).
    """

    by: str
    total: Bridge
    segments: pd.DataFrame


_EFFECTS = ("deals_effect", "win_rate_effect", "deal_size_effect", "mix_effect")


def _side(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """``frame``'s counts per ``by`` value, checked."""
    require_columns(frame, _COUNTS, "closed deals")
    counts = pd.DataFrame(
        {
            by: frame[by].to_numpy(),
            "closed": count_column(frame, "closed"),
            "won": count_column(frame, "won"),
            "won_amount": money_column(frame, "won_amount"),
        }
    )
    if (counts["won"] > counts["closed"]).any():
        raise ValueError("a segment has more won than closed deals")
    return counts.groupby(by, sort=False, dropna=False).sum()


def segment_bridge(frame_0: pd.DataFrame, frame_1: pd.DataFrame, by: str) -> SegmentBridge:
    """The revenue bridge split by ``by``: each segment's own bridge and the mix.

    Parameters
    ----------
    frame_0, frame_1 : DataFrame
        The deals closed in the comparison period (0) and in the period (1) per segment:
        ``by``, ``closed``, ``won``, ``won_amount`` (:func:`analytics.funnel.win_rates`
        with ``by``).  A segment missing on one side closed no deal there.
    by : str
        The segment column.

    Returns
    -------
    SegmentBridge
        See its attributes: the effects, with the mix, add up to ``R1 − R0``.

    Raises
    ------
    ValueError
        For a missing column or more won than closed deals in a segment.

    Examples
    --------
    The same win rate and deal size in each team, but deals move to the team that sells
    bigger deals: the company grows by mix alone.

    >>> frame_0 = pd.DataFrame({"team": ["A", "B"], "closed": [10, 10], "won": [5, 5],
    ...                         "won_amount": [500.0, 1000.0]})
    >>> frame_1 = pd.DataFrame({"team": ["A", "B"], "closed": [6, 14], "won": [3, 7],
    ...                         "won_amount": [300.0, 1400.0]})
    >>> split = segment_bridge(frame_0, frame_1, "team")
    >>> {k: round(v, 6) for k, v in split.total.effects().items()}
    {'deals': 0.0, 'win_rate': 0.0, 'deal_size': 0.0, 'mix': 200.0}
    >>> split.segments["mix_effect"].round(6).tolist()
    [-200.0, 400.0]
    """
    for frame in (frame_0, frame_1):
        by_columns(frame, by, reserved=_COUNTS)
    joined = (
        _side(frame_0, by)
        .add_suffix("_0")
        .join(_side(frame_1, by).add_suffix("_1"), how="outer")
        .fillna(0)
        .sort_index()
    )
    seg_0 = joined[[f"{c}_0" for c in _COUNTS]].to_numpy(dtype="float64").T
    seg_1 = joined[[f"{c}_1" for c in _COUNTS]].to_numpy(dtype="float64").T
    before, after = (
        ClosedCounts(int(side[0].sum()), int(side[1].sum()), float(side[2].sum()))
        for side in (seg_0, seg_1)
    )
    segments = joined.reset_index()
    for column in ("closed_0", "won_0", "closed_1", "won_1"):
        segments[column] = segments[column].astype("int64")
    segments["revenue_change"] = seg_1[2] - seg_0[2]
    exact = (seg_0[2] > 0) & (seg_1[2] > 0)
    segments["exact"] = exact
    reason = _reason(before.revenue, after.revenue)
    if reason is not None:
        segments[list(_EFFECTS)] = math.nan
        total = Bridge(before, after, math.nan, math.nan, math.nan, math.nan, reason)
        return SegmentBridge(by, total, segments)
    # the log ratios of exact segments only (the others get no effect but mix)
    safe_0 = np.where(exact, seg_0, 1.0)
    safe_1 = np.where(exact, seg_1, 1.0)
    weights = np.where(exact, log_means(safe_0[2], safe_1[2]), 0.0)
    deals, win_rate, deal_size = _effects(
        weights,
        (before.closed, after.closed),  # the company's deals: their shares' change is mix
        (safe_0[1] / safe_0[0], safe_1[1] / safe_1[0]),
        (safe_0[2] / safe_0[1], safe_1[2] / safe_1[1]),
    )
    mix = segments["revenue_change"].to_numpy() - deals - win_rate - deal_size
    for column, values in zip(_EFFECTS, (deals, win_rate, deal_size, mix), strict=True):
        segments[column] = values
    sums = [float(segments[column].sum()) for column in _EFFECTS]
    total = Bridge(before, after, sums[0], sums[1], sums[2], sums[3])
    return SegmentBridge(by, total, segments)
