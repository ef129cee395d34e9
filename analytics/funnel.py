"""Funnel and pipeline metrics (METRICS.md "Funnel and pipeline").

The inputs are the small frames of ``crm_data.queries.funnel_stats``; every function accepts
them aggregated (a count column ``deals`` / ``visits`` / ``moves``) or per deal (a count of 1
per row; a missing ``deals`` / ``visits`` column means 1 per row), with identical results.

* ``facts`` (``funnel_facts``): ``[group]``, ``max_open_position`` Int64,
  ``strict_ok_position`` Int64, ``status`` str (open/won/lost at ``as_of``), ``regressed``
  bool, ``lost_stage_position`` Int64, ``deals`` int, ``amount`` float (Σ of the deals).
* ``stages`` (``funnel_stages``): the open stages of one pipeline, ``stage_id``, ``stage``,
  ``position`` (further columns are ignored).
* ``durations`` (``stage_durations``): ``[group]``, ``stage_id``, ``position``,
  ``duration_days`` (0.1-day bin lower edge), ``censored`` bool, ``visits`` int.
* ``closed`` (``closed_deal_stats``): ``[group]``, ``status`` (won/lost), ``cycle_days``
  (0.1-day bin), ``deals``, ``amount``, ``cycle_days_sum`` (exact Σ; a per-deal frame may omit
  it: ``cycle_days × deals``).
* ``lost`` (``lost_deal_reasons``): ``lost_stage_position`` Int64, ``owner_id``, ``lost_reason``
  str (NA = none given), ``deals``, ``amount``.
* ``pairs`` (``pipeline_pairs``): one row per deal open at ``start`` or ``end``:
  ``position_0``, ``amount_0``, ``position_1``, ``amount_1``, ``status_1``.
* ``transitions`` (``stage_transitions``): ``from_stage_id`` Int64 (NA = creation),
  ``to_stage_id``, ``moves``, ``deals``.

Grouping: ``by`` is a column name, a sequence of them or None (the whole frame).  Group
columns come first in the outputs (sorted, missing values last), then the stage order.
Rates with a zero denominator are NaN (METRICS.md "Conventions").  An empty input gives an
empty frame with the output columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analytics.grouped import (
    as_counts,
    by_columns,
    count_column,
    expand_groups,
    group_codes,
    money_column,
    position_values,
    require_columns,
    safe_rates,
    status_values,
    tally,
)
from analytics.survival import kaplan_meier, km_quantiles, quantile_name

__all__ = [
    "BEFORE_STAGES",
    "FLOW_KINDS",
    "NO_REASON",
    "WON_STEP",
    "cohort_won",
    "lost_reasons",
    "reached",
    "regression_rate",
    "sales_cycle",
    "stage_flow",
    "stage_limits",
    "time_in_stage",
    "win_rates",
]

#: Name of the final step of :func:`reached` (and of its ``stage`` column).
WON_STEP = "Won"
#: The ``lost_reason`` of lost deals without a reason (METRICS.md "Lost reasons").
NO_REASON = "No reason given"
#: The ``stage`` of lost deals that were lost before entering any open stage.
BEFORE_STAGES = "Before any open stage"
#: The link kinds of :func:`stage_flow`.
FLOW_KINDS = ("created", "forward", "skip", "back", "won", "lost", "reopened")

_REACHED_DTYPES = {
    "stage_id": "Int64",
    "stage": "str",
    "position": "int64",
    "reached": "int64",
    "reached_amount": "float64",
    "still_open": "int64",
    "pct_still_open": "float64",
    "lost_here": "int64",
    "next_conversion": "float64",
    "cumulative_conversion": "float64",
    "cohort": "int64",
}


def _open_stages(stages: pd.DataFrame) -> pd.DataFrame:
    """``stage_id`` int64, ``stage`` str, ``position`` int64 of the open stages, by position."""
    require_columns(stages, ["stage_id", "stage", "position"], "stages")
    table = stages[["stage_id", "stage", "position"]].astype(
        {"stage_id": "int64", "stage": "str", "position": "int64"}
    )
    table = table.sort_values("position", kind="stable", ignore_index=True)
    if table["position"].duplicated().any() or table["stage_id"].duplicated().any():
        raise ValueError("stages must be the open stages of one pipeline (unique ids, positions)")
    return table


# --- reached, conversions, regression ------------------------------------------------------


def _steps(stages: pd.DataFrame) -> pd.DataFrame:
    """The open stages plus the final "Won" step (position = last + 1, stage_id NA)."""
    table = _open_stages(stages)
    won_position = int(table["position"].iloc[-1]) + 1 if len(table) else 1
    won = pd.DataFrame({"stage_id": [pd.NA], "stage": [WON_STEP], "position": [won_position]})
    steps = pd.concat([table, won], ignore_index=True)
    return steps.astype({"stage_id": "Int64", "stage": "str", "position": "int64"})


def _levels(
    facts: pd.DataFrame, status: np.ndarray, open_positions: np.ndarray, strict: bool
) -> np.ndarray:
    """How many steps each row reached: 0 (none) .. n_open (all open stages) .. n_open + 1 (won)."""
    n_open = len(open_positions)
    column = "strict_ok_position" if strict else "max_open_position"
    mark = position_values(facts[column])
    level = np.where(
        np.isnan(mark), 0, np.searchsorted(open_positions, np.nan_to_num(mark), "right")
    )
    won = status == "won"
    if strict:
        complete = won & (mark == open_positions[-1]) if n_open else won
        return np.where(complete, n_open + 1, level)
    return np.where(won, n_open + 1, level)


def reached(
    facts: pd.DataFrame,
    stages: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    strict: bool = False,
) -> pd.DataFrame:
    """The cohort funnel: deals that reached every stage (METRICS.md "Reached").

    Default, the high-water mark: a deal reached stage *s* if the highest open position it
    ever entered is ≥ position(*s*); a won deal reached every open stage; backward moves never
    count twice.  ``strict=True`` (METRICS.md "Strict funnel"): a deal counts at *s* only if
    it entered every earlier stage in order (``strict_ok_position ≥ position(s)``).  The final
    step "Won" counts the won deals (strict: those that went through every open stage in
    order, ``strict_ok_position`` = last open position).

    Parameters
    ----------
    facts : DataFrame
        ``funnel_facts`` (aggregated) or the per-deal ``stage_high_water_marks`` with an
        ``amount`` column.  ``strict=True`` needs ``strict_ok_position`` computed (the query's
        ``strict=True``), otherwise every strict count is 0.
    stages : DataFrame
        The open stages (``funnel_stages``).
    by : str or sequence of str, optional
        Group columns of ``facts``.
    strict : bool
        The strict funnel instead of the high-water mark.

    Returns
    -------
    DataFrame
        One row per (group…, step), every open stage plus "Won": ``[by…]``, ``stage_id``
        Int64 (NA on Won), ``stage`` str, ``position`` int (Won: last + 1), ``reached`` int,
        ``reached_amount`` float, ``still_open`` int (reached and open at ``as_of``),
        ``pct_still_open`` (still_open / reached; METRICS.md "Cohort basis"), ``lost_here``
        int (lost deals whose last open stage is this one, METRICS.md "Lost at stage"; 0 on
        Won), ``next_conversion`` (reached(next) / reached(this), METRICS.md "Next-step
        conversion"; NaN on Won), ``cumulative_conversion`` (reached / reached(first step)),
        ``cohort`` int (all deals of the group, also those that never entered an open stage).

    Examples
    --------
    >>> stages = pd.DataFrame({"stage_id": [7, 8], "stage": ["Lead", "Offer"],
    ...                        "position": [1, 2]})
    >>> facts = pd.DataFrame({"max_open_position": pd.array([1, 2, 1], dtype="Int64"),
    ...                       "strict_ok_position": pd.array([1, 1, 1], dtype="Int64"),
    ...                       "status": ["lost", "open", "won"], "regressed": False,
    ...                       "lost_stage_position": pd.array([1, None, None], dtype="Int64"),
    ...                       "amount": [10.0, 20.0, 30.0]})
    >>> reached(facts, stages)[["stage", "reached", "next_conversion"]].values.tolist()
    [['Lead', 3, 0.6666666666666666], ['Offer', 2, 0.5], ['Won', 1, nan]]
    """
    steps = _steps(stages)
    by_cols = by_columns(facts, by, reserved=list(_REACHED_DTYPES))
    needed = ["strict_ok_position" if strict else "max_open_position"]
    require_columns(facts, [*needed, "status", "lost_stage_position", "amount"], "facts")
    status = status_values(facts, "status", ("open", "won", "lost"))
    deals = count_column(facts, "deals")
    amount = money_column(facts, "amount")
    open_positions = steps["position"].to_numpy()[:-1]
    n_steps = len(steps)
    level = _levels(facts, status, open_positions, strict)
    codes, keys = group_codes(facts, by_cols)
    n_groups = len(keys)

    def reached_of(weights: np.ndarray) -> np.ndarray:
        """(groups × steps): Σ weights of rows whose level ≥ the step."""
        cells = np.bincount(
            codes * (n_steps + 1) + level, weights=weights, minlength=n_groups * (n_steps + 1)
        ).reshape(n_groups, n_steps + 1)
        return np.cumsum(cells[:, ::-1], axis=1)[:, ::-1][:, 1:]

    count = as_counts(reached_of(deals.astype("float64")))
    still_open = as_counts(reached_of(np.where(status == "open", deals, 0).astype("float64")))
    # lost here: lost rows whose lost_stage_position is an open stage's position
    lost_position = position_values(facts["lost_stage_position"])
    step_index = np.searchsorted(open_positions, np.nan_to_num(lost_position, nan=-np.inf))
    padded = np.append(open_positions.astype("float64"), np.nan)  # NaN never matches
    lost_at_step = (status == "lost") & (padded[step_index] == lost_position)
    lost_here = as_counts(
        np.bincount(
            (codes * n_steps + step_index)[lost_at_step],
            weights=deals[lost_at_step].astype("float64"),
            minlength=n_groups * n_steps,
        )
    ).reshape(n_groups, n_steps)
    next_conversion = np.full(count.shape, np.nan)
    next_conversion[:, :-1] = safe_rates(count[:, 1:], count[:, :-1])
    cohort = as_counts(tally(codes, deals.astype("float64"), n_groups))
    out = expand_groups(keys, steps)
    out["reached"] = count.ravel()
    out["reached_amount"] = reached_of(amount).ravel()
    out["still_open"] = still_open.ravel()
    out["pct_still_open"] = safe_rates(still_open, count).ravel()
    out["lost_here"] = lost_here.ravel()
    out["next_conversion"] = next_conversion.ravel()
    out["cumulative_conversion"] = safe_rates(count, count[:, :1]).ravel()
    out["cohort"] = np.repeat(cohort, n_steps)
    return out.astype(_REACHED_DTYPES)


def regression_rate(facts: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Share of the cohort's deals with a backward move (METRICS.md "Regression rate").

    Parameters
    ----------
    facts : DataFrame
        ``funnel_facts`` or per-deal facts with ``regressed`` bool (``deals`` optional).
    by : str or sequence of str, optional
        Group columns.

    Returns
    -------
    DataFrame
        ``[by…]``, ``deals`` int, ``regressed`` int (deals with at least one move to a lower
        open position), ``regression_rate`` float (NaN without deals).

    Examples
    --------
    >>> facts = pd.DataFrame({"regressed": [True, False], "deals": [1, 3]})
    >>> regression_rate(facts).to_dict("records")
    [{'deals': 4, 'regressed': 1, 'regression_rate': 0.25}]
    """
    by_cols = by_columns(facts, by, reserved=["deals", "regressed", "regression_rate"])
    require_columns(facts, ["regressed"], "facts")
    deals = count_column(facts, "deals").astype("float64")
    codes, keys = group_codes(facts, by_cols)
    total = as_counts(tally(codes, deals, len(keys)))
    backward = as_counts(
        tally(codes, np.where(facts["regressed"].to_numpy(bool), deals, 0.0), len(keys))
    )
    out = keys.assign(deals=total, regressed=backward, regression_rate=safe_rates(backward, total))
    return out.astype({"deals": "int64", "regressed": "int64", "regression_rate": "float64"})


def cohort_won(facts: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Share of the cohort won by ``as_of`` (METRICS.md "Cohort basis"; the "Cohort won so far"
    card), the same whichever funnel is shown.

    Every deal won by ``as_of`` counts, also one that skipped a stage or was won at creation:
    the strict funnel's Won step (:func:`reached` with ``strict=True``) counts only the won
    deals that went through every stage in order, a narrower number.

    Parameters
    ----------
    facts : DataFrame
        ``funnel_facts`` or per-deal facts: ``status`` (open/won/lost at ``as_of``),
        ``deals`` (optional) and the ``by`` columns.
    by : str or sequence of str, optional
        Group columns.

    Returns
    -------
    DataFrame
        ``[by…]``, ``deals`` int (the cohort), ``won`` int, ``won_share`` float (won / deals,
        NaN without deals).

    Examples
    --------
    >>> facts = pd.DataFrame({"status": ["won", "open", "lost", "won"], "deals": [2, 3, 4, 1]})
    >>> cohort_won(facts).to_dict("records")
    [{'deals': 10, 'won': 3, 'won_share': 0.3}]
    """
    by_cols = by_columns(facts, by, reserved=["deals", "won", "won_share"])
    status = status_values(facts, "status", ("open", "won", "lost"))
    deals = count_column(facts, "deals").astype("float64")
    codes, keys = group_codes(facts, by_cols)
    total = as_counts(tally(codes, deals, len(keys)))
    won = as_counts(tally(codes, np.where(status == "won", deals, 0.0), len(keys)))
    out = keys.assign(deals=total, won=won, won_share=safe_rates(won, total))
    return out.astype({"deals": "int64", "won": "int64", "won_share": "float64"})


# --- closed deals: win rates, sales cycle ---------------------------------------------------

_WIN_COLUMNS = [
    "won",
    "lost",
    "closed",
    "won_amount",
    "closed_amount",
    "win_rate",
    "value_win_rate",
    "average_won_amount",
]


def win_rates(closed: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Win rates of the deals closed in the period (METRICS.md "Win rate", "Value win rate").

    Parameters
    ----------
    closed : DataFrame
        ``closed_deal_stats`` or per-deal ``deals_closed``: ``status`` (won/lost),
        ``amount``, ``deals`` (optional).
    by : str or sequence of str, optional
        Group columns.

    Returns
    -------
    DataFrame
        ``[by…]``, ``won``, ``lost``, ``closed`` int, ``won_amount``, ``closed_amount`` float,
        ``win_rate`` (won / closed), ``value_win_rate`` (won amount / closed amount),
        ``average_won_amount`` (won amount / won); NaN for zero denominators.

    Examples
    --------
    >>> closed = pd.DataFrame({"status": ["won", "lost"], "deals": [3, 1],
    ...                        "amount": [300.0, 100.0]})
    >>> win_rates(closed)[["win_rate", "value_win_rate", "average_won_amount"]].values.tolist()
    [[0.75, 0.75, 100.0]]
    """
    by_cols = by_columns(closed, by, reserved=_WIN_COLUMNS)
    require_columns(closed, ["status", "amount"], "closed")
    status = status_values(closed, "status", ("won", "lost"))
    deals = count_column(closed, "deals").astype("float64")
    amount = money_column(closed, "amount")
    is_won = status == "won"
    codes, keys = group_codes(closed, by_cols)
    n = len(keys)
    won = as_counts(tally(codes, np.where(is_won, deals, 0.0), n))
    closed_count = as_counts(tally(codes, deals, n))
    won_amount = tally(codes, np.where(is_won, amount, 0.0), n)
    closed_amount = tally(codes, amount, n)
    return keys.assign(
        won=won,
        lost=closed_count - won,
        closed=closed_count,
        won_amount=won_amount,
        closed_amount=closed_amount,
        win_rate=safe_rates(won, closed_count),
        value_win_rate=safe_rates(won_amount, closed_amount),
        average_won_amount=safe_rates(won_amount, won),
    ).astype({c: "int64" if c in ("won", "lost", "closed") else "float64" for c in _WIN_COLUMNS})


def _weighted_medians(
    codes: np.ndarray, values: np.ndarray, weights: np.ndarray, n_groups: int
) -> np.ndarray:
    """Per group, the median of ``values`` repeated ``weights`` times (NaN for no weight).

    The usual sample median of the expanded values: the middle one, or the mean of the two
    middle ones for an even count.
    """
    keep = weights > 0
    codes, values, weights = codes[keep], values[keep], weights[keep]
    order = np.lexsort((values, codes))
    codes, values, weights = codes[order], values[order], weights[order]
    total = np.bincount(codes, weights=weights, minlength=n_groups)[:n_groups]
    cumulative = pd.Series(weights).groupby(codes).cumsum().to_numpy()
    medians = np.zeros(n_groups)
    for rank in ((total + 1) // 2, total // 2 + 1):  # lower and upper middle (equal when odd)
        hit = cumulative >= rank[codes]
        first = pd.Series(values[hit]).groupby(codes[hit]).first()
        medians += first.reindex(np.arange(n_groups)).to_numpy() / 2
    return np.where(total > 0, medians, np.nan)


def sales_cycle(closed: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Days from creation to close of the won deals (METRICS.md "Sales cycle").

    The median is the weighted median of the ``cycle_days`` bins (the usual median of the
    expanded deals: the mean of the two middle values for an even count), so on the
    aggregated ``closed_deal_stats`` it is exact to the 0.1-day bin (the bins' lower edges);
    on per-deal input it is exact.  The mean uses the exact ``cycle_days_sum``.  Without bins
    (``closed_deal_stats(binned=False)``: ``cycle_days`` NaN) only the mean is known and the
    median is NaN.

    Parameters
    ----------
    closed : DataFrame
        ``closed_deal_stats`` or per-deal ``deals_closed``: ``status``, ``cycle_days``,
        ``deals`` and ``cycle_days_sum`` (both optional: 1 per row, ``cycle_days × deals``).
    by : str or sequence of str, optional
        Group columns.

    Returns
    -------
    DataFrame
        ``[by…]``, ``won`` int, ``median_days``, ``mean_days`` float (NaN without won deals).

    Examples
    --------
    >>> closed = pd.DataFrame({"status": ["won", "won", "lost"], "cycle_days": [10.0, 30.0, 2.0],
    ...                        "deals": [1, 2, 5]})
    >>> sales_cycle(closed).values.tolist()
    [[3.0, 30.0, 23.333333333333332]]
    """
    by_cols = by_columns(closed, by, reserved=["won", "median_days", "mean_days"])
    require_columns(closed, ["status", "cycle_days"], "closed")
    status = status_values(closed, "status", ("won", "lost"))
    deals = np.where(status == "won", count_column(closed, "deals"), 0)
    cycle = closed["cycle_days"].to_numpy(dtype="float64", na_value=np.nan)
    unbinned = np.isnan(cycle) & (deals > 0)
    if "cycle_days_sum" in closed.columns:
        cycle_sum = np.where(deals > 0, money_column(closed, "cycle_days_sum"), 0.0)
    elif unbinned.any():
        raise ValueError("'cycle_days' is missing for won deals (and there is no cycle_days_sum)")
    else:
        cycle_sum = np.where(deals > 0, cycle * deals, 0.0)
    codes, keys = group_codes(closed, by_cols)
    n = len(keys)
    won = as_counts(tally(codes, deals.astype("float64"), n))
    medians = _weighted_medians(codes, np.nan_to_num(cycle), np.where(unbinned, 0, deals), n)
    medians[tally(codes, unbinned.astype("float64"), n) > 0] = np.nan
    return keys.assign(
        won=won,
        median_days=medians,
        mean_days=safe_rates(tally(codes, cycle_sum, n), won),
    ).astype({"won": "int64", "median_days": "float64", "mean_days": "float64"})


# --- time in stage --------------------------------------------------------------------------


def time_in_stage(
    durations: pd.DataFrame,
    stages: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    probs: Sequence[float] = (0.5, 0.75, 0.9),
) -> pd.DataFrame:
    """Kaplan–Meier quantiles of the time spent per stage visit (METRICS.md "Time in stage").

    A visit still in its stage at ``as_of`` is censored; the quantiles come from the
    Kaplan–Meier curve of each (group…, stage), never from the finished visits only.  With the
    aggregated ``stage_durations`` the durations are 0.1-day bin lower edges; binning also
    changes who is at risk inside a bin, so the quantiles are within about two bins (0.2 day)
    of those of the exact durations (checked in ``tests/test_reports_funnel.py``).  Quantile
    rule: see :mod:`analytics.survival` (smallest time with ``S(t) ≤ 1 − p``).

    Parameters
    ----------
    durations : DataFrame
        ``stage_durations`` or per-visit ``stage_visits``: ``stage_id``, ``duration_days``,
        ``censored`` and ``visits`` (optional, 1 per row).  Visits to stages that are not in
        ``stages`` (other pipelines) are left out.
    stages : DataFrame
        The open stages (``funnel_stages``).
    by : str or sequence of str, optional
        Group columns.
    probs : sequence of float
        Quantiles to report; column ``median`` for 0.5, ``p75`` for 0.75, etc.

    Returns
    -------
    DataFrame
        One row per (group…, open stage) (every stage for every group): ``[by…]``,
        ``stage_id``, ``stage``, ``position``, ``visits``, ``finished``, ``censored`` int,
        then one float column per quantile (NaN when the curve does not get down to it,
        or without visits).

    Examples
    --------
    >>> stages = pd.DataFrame({"stage_id": [1], "stage": ["Lead"], "position": [1]})
    >>> visits = pd.DataFrame({"stage_id": 1, "duration_days": [1.0, 2.0, 3.0, 9.0],
    ...                        "censored": [False, False, False, True]})
    >>> time_in_stage(visits, stages, probs=[0.5, 0.9])[["median", "p90"]].values.tolist()
    [[2.0, nan]]
    """
    names = [quantile_name(float(p)) for p in probs]
    if len(set(names)) != len(names):
        raise ValueError(f"probs repeat a quantile: {list(probs)}")
    columns = ["stage_id", "stage", "position", "visits", "finished", "censored", *names]
    by_cols = by_columns(durations, by, reserved=columns)
    require_columns(durations, ["stage_id", "duration_days", "censored"], "durations")
    table = _open_stages(stages)
    stage_index = pd.Index(table["stage_id"])
    index = stage_index.get_indexer(durations["stage_id"].to_numpy(dtype="int64"))
    rows = durations.loc[index >= 0]
    index = index[index >= 0]
    visits = count_column(rows, "visits").astype("float64")
    censored = rows["censored"].to_numpy(bool)
    codes, keys = group_codes(rows, by_cols)
    n_cells = len(keys) * len(table)
    cells = codes * len(table) + index
    curves = kaplan_meier(
        rows["duration_days"].to_numpy(dtype="float64", na_value=np.nan),
        ~censored,
        visits,
        groups=cells,
    )
    quantiles = km_quantiles(curves, [float(p) for p in probs]).reindex(np.arange(n_cells))
    total = as_counts(tally(cells, visits, n_cells))
    finished = as_counts(tally(cells, np.where(censored, 0.0, visits), n_cells))
    out = expand_groups(keys, table)
    out["visits"] = total
    out["finished"] = finished
    out["censored"] = total - finished
    for name, p in zip(names, probs, strict=True):
        out[name] = quantiles[float(p)].to_numpy(dtype="float64")
    counts = {"visits": "int64", "finished": "int64", "censored": "int64"}
    return out.astype({"stage_id": "int64", "stage": "str", "position": "int64", **counts})


def stage_limits(time_in_stage_frame: pd.DataFrame) -> dict[int, float]:
    """Stage id → KM p90 of time in stage, the stuck-deal fallback limit.

    METRICS.md "Stuck (rotting) deal": the stage's KM p90 is the limit when ``rot_days`` is
    empty (``analytics.stuck.stuck_deals(stage_limits=...)``).

    Parameters
    ----------
    time_in_stage_frame : DataFrame
        :func:`time_in_stage` without ``by`` and with 0.9 among ``probs`` (column ``p90``).

    Returns
    -------
    dict of int to float
        Stages whose p90 is known (stages with a NaN p90 are left out).

    Examples
    --------
    >>> stage_limits(pd.DataFrame({"stage_id": [1, 2], "p90": [4.5, float("nan")]}))
    {1: 4.5}
    """
    require_columns(time_in_stage_frame, ["stage_id", "p90"], "time in stage")
    if time_in_stage_frame["stage_id"].duplicated().any():
        raise ValueError("one row per stage is needed: compute time_in_stage without by")
    known = time_in_stage_frame.loc[time_in_stage_frame["p90"].notna()]
    ids = known["stage_id"].astype("int64").tolist()
    return dict(zip(ids, known["p90"].astype("float64").tolist(), strict=True))


# --- lost reasons ----------------------------------------------------------------------------


def lost_reasons(
    lost: pd.DataFrame, stages: pd.DataFrame, *, by: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """Lost deals by reason (METRICS.md "Lost reasons"), optionally by stage lost and rep.

    "No reason given" (a missing or blank reason) is a row of its own, a data-quality KPI.

    Parameters
    ----------
    lost : DataFrame
        ``lost_deal_reasons``: ``lost_stage_position`` Int64, ``owner_id``, ``lost_reason`` str
        (NA = none given), ``deals`` (optional), ``amount``.
    stages : DataFrame
        The open stages (``funnel_stages``), to name the stage lost.
    by : str or sequence of str, optional
        ``"stage"`` (the stage lost, METRICS.md "Lost at stage": ``"Before any open stage"``
        when the deal never entered one, ``"Position n"`` for a position not in ``stages``),
        ``"owner_id"`` or any other column of ``lost``.

    Returns
    -------
    DataFrame
        ``[by…]``, ``lost_reason`` str, ``deals`` int, ``amount`` float, ``share`` (deals /
        the group's lost deals), ``amount_share`` (amount / the group's lost amount; NaN when
        it is 0).  Groups in order (stages by position), then the reasons by deals
        descending and name.

    Examples
    --------
    >>> stages = pd.DataFrame({"stage_id": [1], "stage": ["Lead"], "position": [1]})
    >>> lost = pd.DataFrame({"lost_stage_position": pd.array([1, 1, None], dtype="Int64"),
    ...                      "lost_reason": ["Price", None, "Price"], "amount": [1.0, 2.0, 3.0]})
    >>> lost_reasons(lost, stages)[["lost_reason", "deals", "share"]].values.tolist()
    [['Price', 2, 0.6666666666666666], ['No reason given', 1, 0.3333333333333333]]
    """
    output = ["lost_reason", "deals", "amount", "share", "amount_share"]
    by_cols = by_columns(lost, by, reserved=output, virtual=["stage"])
    require_columns(lost, ["lost_reason", "amount"], "lost")
    reason = lost["lost_reason"].astype("str")
    blank = reason.isna() | (reason.str.strip() == "")
    work = lost[[c for c in by_cols if c != "stage"]].assign(
        lost_reason=reason.where(~blank, NO_REASON).astype("str"),
        deals=count_column(lost, "deals"),
        amount=money_column(lost, "amount"),
    )
    labels: dict[int, str] = {}
    if "stage" in by_cols:
        require_columns(lost, ["lost_stage_position"], "lost")
        table = _open_stages(stages)
        position = position_values(lost["lost_stage_position"])
        rank = pd.Index(table["position"].astype("float64")).get_indexer(pd.Index(position)) + 1
        unknown = (rank == 0) & ~np.isnan(position)
        # unknown positions after the known stages, in position order
        rank = np.where(unknown, len(table) + 1 + np.nan_to_num(position), rank).astype(np.int64)
        work["stage"] = rank
        labels = {0: BEFORE_STAGES}
        labels |= dict(zip(range(1, len(table) + 1), table["stage"].tolist(), strict=True))
        labels |= {
            len(table) + 1 + int(p): f"Position {int(p)}" for p in np.unique(position[unknown])
        }
    keys = [*by_cols, "lost_reason"]
    summed = work.groupby(keys, dropna=False, sort=True)[["deals", "amount"]].sum().reset_index()
    codes, groups = group_codes(summed, by_cols)
    for column, share in (("deals", "share"), ("amount", "amount_share")):
        values = summed[column].to_numpy(dtype="float64")
        summed[share] = safe_rates(values, tally(codes, values, len(groups))[codes])
    summed = summed.sort_values(
        [*by_cols, "deals", "lost_reason"],
        ascending=[True] * len(by_cols) + [False, True],
        kind="stable",
        na_position="last",
        ignore_index=True,
    )
    if "stage" in by_cols:
        summed["stage"] = summed["stage"].map(labels).astype("str")
    floats = {"amount": "float64", "share": "float64", "amount_share": "float64"}
    return summed.astype({"lost_reason": "str", "deals": "int64", **floats})


# --- stage flow ---------------------------------------------------------------------------------


def stage_flow(
    transitions: pd.DataFrame,
    stages: pd.DataFrame,
    terminal: Mapping[int, str] | None = None,
    *,
    won_name: str = "Won",
    lost_name: str = "Lost",
    created_name: str = "Created",
) -> pd.DataFrame:
    """Links between stages for a Sankey diagram (METRICS.md "Funnel and pipeline").

    Kinds: ``created`` (a deal's first history row), ``forward`` (to the next open stage),
    ``skip`` (forward by more than one open stage), ``back`` (to a lower open stage), ``won``
    / ``lost`` (into a terminal stage), ``reopened`` (out of a terminal stage into an open
    one).  Moves within one stage (amount updates) and moves from or to stages that are
    neither in ``stages`` nor in ``terminal`` (other pipelines) are left out.  All won stages
    form one node, all lost stages another.

    Parameters
    ----------
    transitions : DataFrame
        ``stage_transitions``: ``from_stage_id`` Int64 (NA = creation), ``to_stage_id``,
        ``moves``, ``deals``.
    stages : DataFrame
        The open stages (``funnel_stages``: ``stage_id``, ``stage``, ``position``), or all
        stages of the pipeline with bool columns ``is_won`` and ``is_lost`` (the terminal
        stages are the rows with either flag; then ``terminal`` is not needed).
    terminal : mapping of int to str, optional
        The terminal stage ids, each to ``"won"`` or ``"lost"``; required unless ``stages``
        has ``is_won`` / ``is_lost``.
    won_name, lost_name, created_name : str
        Node labels.

    Returns
    -------
    DataFrame
        ``source``, ``target`` str (node labels), ``moves``, ``deals`` int (deals summed over
        merged terminal stages), ``kind`` str; ordered by source, then target, in node order
        (created, open stages by position, won, lost).

    Examples
    --------
    >>> stages = pd.DataFrame({"stage_id": [1, 2, 3], "stage": ["A", "B", "C"],
    ...                        "position": [1, 2, 3]})
    >>> moves = pd.DataFrame({"from_stage_id": pd.array([None, 1, 1, 3], dtype="Int64"),
    ...                       "to_stage_id": [1, 3, 9, 2], "moves": [5, 2, 1, 1],
    ...                       "deals": [5, 2, 1, 1]})
    >>> stage_flow(moves, stages, {9: "won"})[["source", "target", "kind"]].values.tolist()
    [['Created', 'A', 'created'], ['A', 'C', 'skip'], ['A', 'Won', 'won'], ['C', 'B', 'back']]
    """
    require_columns(transitions, ["from_stage_id", "to_stage_id", "moves", "deals"], "transitions")
    if terminal is None:
        if not {"is_won", "is_lost"} <= set(stages.columns):
            raise ValueError("pass terminal, or stages with the columns is_won and is_lost")
        won, lost = stages["is_won"].to_numpy(bool), stages["is_lost"].to_numpy(bool)
        ids = stages["stage_id"].astype("int64")
        terminal = {**dict.fromkeys(ids[won].tolist(), "won")}
        terminal |= dict.fromkeys(ids[lost & ~won].tolist(), "lost")
        stages = stages.loc[~won & ~lost]
    table = _open_stages(stages)
    bad = {k: v for k, v in terminal.items() if v not in ("won", "lost")}
    if bad:
        raise ValueError(f"terminal stages must map to 'won' or 'lost': {bad}")
    overlap = set(terminal) & set(table["stage_id"].tolist())
    if overlap:
        raise ValueError(f"stages {sorted(overlap)} are both open and terminal")
    n_open = len(table)
    won_node, lost_node = n_open + 1, n_open + 2
    # node number of every stage id: 1..n_open open stages, then won, lost
    node_of = dict(zip(table["stage_id"].tolist(), range(1, n_open + 1), strict=True))
    node_of |= {int(k): won_node if v == "won" else lost_node for k, v in terminal.items()}
    labels = [created_name, *table["stage"].tolist(), won_name, lost_name]
    from_id = position_values(transitions["from_stage_id"])  # float, NaN = creation
    to_id = position_values(transitions["to_stage_id"])
    source = np.where(np.isnan(from_id), 0.0, pd.Series(from_id).map(node_of).to_numpy(float))
    target = pd.Series(to_id).map(node_of).to_numpy(float)
    same = from_id == to_id
    keep = ~np.isnan(source) & ~np.isnan(target) & ~same
    source, target = source[keep].astype(np.int64), target[keep].astype(np.int64)
    from_terminal = source > n_open
    step = target - source
    kind = np.select(
        [source == 0, target == won_node, target == lost_node, from_terminal, step == 1, step > 1],
        ["created", "won", "lost", "reopened", "forward", "skip"],
        "back",
    )
    links = pd.DataFrame(
        {
            "source_node": source,
            "target_node": target,
            "moves": count_column(transitions, "moves")[keep],
            "deals": count_column(transitions, "deals")[keep],
            "kind": kind,
        }
    )
    links = (
        links.groupby(["source_node", "target_node", "kind"], sort=True)[["moves", "deals"]]
        .sum()
        .reset_index()
    )
    names = pd.Series(labels)
    return pd.DataFrame(
        {
            "source": names.iloc[links["source_node"]].to_numpy(),
            "target": names.iloc[links["target_node"]].to_numpy(),
            "moves": links["moves"].astype("int64"),
            "deals": links["deals"].astype("int64"),
            "kind": links["kind"],
        }
    ).astype({"source": "str", "target": "str", "kind": "str"})
