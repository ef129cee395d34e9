"""Each rep's target of a plan item: which target applies, and prorated for a rep employed for
part of the period (METRICS.md "Incentive scorecards"; methods.md §2).

* **Resolution**: the ``target`` column of the rep's own row (where not NaN), else the plan's
  per-rep override ``Plan.targets[(metric_key, rep_id)]``, else ``PlanItem.target``.
* **Proration**: a rep employed on only some of the period's working days has the targets of
  the items that build up over the period (won revenue, new deals, activities done…) scaled by
  the working days employed / the period's working days; the targets of rates and levels are
  not prorated.

:func:`~analytics.incentives.scoring.scorecard` and
:func:`~analytics.incentives.plan_warnings.plan_warnings` resolve and prorate alike with these.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from analytics.grouped import require_columns
from analytics.incentives._checks import day_counts, scalar_or_array, unique_rows
from analytics.incentives.plan import Plan
from i18n import ngettext

__all__ = ["employment_days", "prorate", "prorated_targets", "resolved_targets"]


def prorate(target: Any, worked_days: Any, total_days: Any) -> Any:
    """A target prorated to a partial period: ``target × worked_days / total_days``.

    For a rep who joined or left during the period (methods.md §2: partial periods are
    prorated by working days, see :func:`analytics.periods.working_days`).

    Parameters
    ----------
    target : float or array-like
        The target of the whole period.
    worked_days, total_days : float or array-like
        The working days the rep was employed and the period's working days
        (``0 ≤ worked ≤ total``, ``total > 0``).

    Returns
    -------
    float or ndarray
        A float when every argument is a scalar.

    Examples
    --------
    >>> from analytics.periods import working_days
    >>> prorate(30, working_days("2024-01-15", "2024-02-01"), working_days("2024-01-01",
    ...         "2024-02-01"))  # 13 of 23 working days
    16.956521739130434
    """
    worked, total = day_counts(worked_days, total_days)
    out = np.asarray(target, dtype="float64") * worked / total
    return scalar_or_array(out, target, worked_days, total_days)


def resolved_targets(
    plan: Plan, index: pd.MultiIndex, item_targets: np.ndarray, given: np.ndarray | None
) -> np.ndarray:
    """Per row of ``index``: the target that applies (see the module docstring).

    Parameters
    ----------
    plan : Plan
        The plan, whose per-rep overrides apply where ``given`` is NaN.
    index : MultiIndex
        Levels ``rep_id``, ``metric_key``: one row per rep and item.
    item_targets : ndarray
        Per row, the item's own target (NaN for none).
    given : ndarray, optional
        Per row, the target of the rep's own row (NaN = none); None without such a column.

    Returns
    -------
    ndarray
        The targets, float (NaN where no target applies).

    Raises
    ------
    ValueError
        When a ``given`` target is negative, naming the first rows.
    """
    target = item_targets.astype("float64")
    if plan.targets:
        overrides = pd.Series(
            list(plan.targets.values()),
            index=pd.MultiIndex.from_tuples(
                [(rep, key) for key, rep in plan.targets],
                names=["rep_id", "metric_key"],
            ),
            dtype="float64",
        )
        found = overrides.reindex(index).to_numpy(dtype="float64", na_value=np.nan)
        target = np.where(np.isnan(found), target, found)
    if given is not None:
        if (given < 0).any():
            bad = index[given < 0][:3].tolist()
            raise ValueError(f"targets must be ≥ 0 (0 excludes the item); negative for {bad}")
        target = np.where(np.isnan(given), target, given)
    return target


def employment_days(
    rows: pd.DataFrame, employment: pd.DataFrame | None, on: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``rows``: the working days its rep was employed in the period and the
    period's working days, from ``employment``.

    Parameters
    ----------
    rows : DataFrame
        Holds the ``on`` columns.
    employment : DataFrame, optional
        The ``on`` columns, ``worked_days``, ``total_days``; one row per ``on`` key.
    on : list of str
        The key: ``["rep_id"]``, or ``["period", "rep_id"]`` for a history.

    Returns
    -------
    tuple of ndarray
        Worked and total working days, float; NaN for the rows ``employment`` does not list
        (all of them without ``employment``).
    """
    if employment is None:
        return np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    require_columns(employment, [*on, "worked_days", "total_days"], "employment")
    unique_rows(employment, on, "employment")
    found = rows[on].merge(employment[[*on, "worked_days", "total_days"]], on=on, how="left")
    return (
        found["worked_days"].to_numpy(dtype="float64", na_value=np.nan),
        found["total_days"].to_numpy(dtype="float64", na_value=np.nan),
    )


def prorated_targets(
    target: np.ndarray,
    keys: np.ndarray,
    worked: np.ndarray,
    total: np.ndarray,
    prorated: Collection[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The targets of the ``prorated`` items of reps employed for part of the period, scaled
    by :func:`prorate`.

    Parameters
    ----------
    target, keys : ndarray
        Per row, the resolved target and the item's metric key.
    worked, total : ndarray
        Per row, as :func:`employment_days` gives them (NaN: not prorated).
    prorated : collection of str
        The metric keys whose targets build up over the period.

    Returns
    -------
    tuple of ndarray
        The targets, which rows were scaled (bool), and their notes ("" where not scaled).
    """
    listed = ~np.isnan(worked)
    day_counts(worked[listed], total[listed])  # 0 ≤ worked ≤ total, total > 0
    scaled = np.isin(keys, list(prorated)) & listed & (worked < total)
    out = target.astype("float64")
    notes = np.full(len(target), "", dtype=object)
    if scaled.any():
        out[scaled] = prorate(target[scaled], worked[scaled], total[scaled])
        notes[scaled] = [
            ngettext(
                "target prorated: employed {worked} of {total} working day",
                "target prorated: employed {worked} of {total} working days",
                int(t),
            ).format(worked=f"{w:g}", total=f"{t:g}")
            for w, t in zip(worked[scaled], total[scaled], strict=True)
        ]
    return out, scaled, notes
