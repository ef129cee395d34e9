"""Scoring a plan (METRICS.md "Incentive scorecards"): attainment, credited attainment, the next
step of an item, and each rep's points, score and bonus.

The actuals are a long frame, one row per rep and metric: ``rep_id``, ``metric_key``, ``actual``
float, optional ``target`` float (a per-rep target; NaN = the plan's) — the shape of
``reports.rep_metrics.rep_actuals``.  Targets are resolved and prorated as
:mod:`analytics.incentives.targets` says.

Decisions where METRICS.md is silent:

* **Exclusion** depends on the target only: target 0, missing or NaN excludes the item for that
  rep; the included items' weights are scaled by ``Σ all weights / Σ included weights`` so the
  plan's total weight is kept (1 when the weights sum to 100 %).  Without exclusions the weights
  are used as they are (a plan whose weights do not sum to 1 scores on its own scale, and
  :func:`~analytics.incentives.plan_warnings.plan_warnings` says so).
* **A missing actual** (no row, or NaN) is not an exclusion: the item is credited 0 and the
  ``note`` says so, so missing data never raises a score.  Counts absent from a per-rep query
  are 0 and should be filled as 0 by the caller before scoring.
* **Lower-is-better**: ``a = target / actual``; an actual ≤ 0 is the best possible result,
  ``a = +inf``, credited at the cap.  A lower-is-better item therefore **must have a cap**
  (:class:`~analytics.incentives.plan.PlanItem` checks it).
* **Order in** :func:`credited`: the threshold tests the raw attainment, then the accelerator
  stretches the part above 100 %, then the cap bounds the credited value.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analytics.grouped import require_columns, safe_rates
from analytics.incentives._checks import finite_number, scalar_or_array, unique_rows
from analytics.incentives.plan import Plan, PlanItem
from analytics.incentives.targets import (
    employment_days,
    prorated_targets,
    resolved_targets,
)
from i18n import _, ngettext

__all__ = [
    "STEP_KINDS",
    "NextStep",
    "Scorecard",
    "attainment",
    "credited",
    "next_step",
    "scorecard",
]


def attainment(actual: Any, target: Any, higher_is_better: Any = True) -> Any:
    """Attainment ``a = actual / target`` (lower-is-better: ``target / actual``).

    METRICS.md "Incentive scorecards", "Attainment".  Vectorised: arguments broadcast.

    Parameters
    ----------
    actual, target : float or array-like
        A target ≤ 0 or NaN gives NaN (the item is excluded); a NaN actual gives NaN.
    higher_is_better : bool or array-like of bool
        Direction.  Lower-is-better with an actual ≤ 0 (and a target > 0) gives ``+inf``: the
        best possible result, which :func:`credited` clips to the cap.

    Returns
    -------
    float or ndarray
        A float when every argument is a scalar.

    Examples
    --------
    >>> attainment(80, 100), attainment(80, 100, higher_is_better=False)
    (0.8, 1.25)
    >>> attainment([5, 0], [0, 10], higher_is_better=False).tolist()
    [nan, inf]
    """
    actual_ = np.asarray(actual, dtype="float64")
    target_ = np.asarray(target, dtype="float64")
    hib = np.asarray(higher_is_better, dtype=bool)
    actual_, target_, hib = np.broadcast_arrays(actual_, target_, hib)
    defined = (target_ > 0) & ~np.isnan(actual_)
    higher = safe_rates(actual_, target_)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        lower = np.where(actual_ > 0, target_ / np.where(actual_ > 0, actual_, 1.0), np.inf)
    out = np.where(defined, np.where(hib, higher, lower), np.nan)
    return scalar_or_array(out, actual, target, higher_is_better)


def credited(a: Any, threshold: Any = 0.0, cap: Any = None, accelerator: Any = None) -> Any:
    """Credited attainment ``g(a)`` (METRICS.md "Incentive scorecards", "Credited").

    In this order: ``0`` if ``a < threshold`` (the threshold tests the raw attainment); else
    the accelerator stretches the part above 100 %, ``a' = 1 + (a − 1) × accelerator`` for
    ``a > 1``; then the cap bounds the credited value, ``min(a', cap)``.  So with a cap of
    150 % and an accelerator of 2, the cap is reached at 125 % attainment.

    Parameters
    ----------
    a : float or array-like
        Attainment (NaN stays NaN; ``+inf`` is credited at the cap).
    threshold : float or array-like
        Minimum attainment that counts (≥ 0).
    cap : float or array-like, optional
        Maximum credited value (≥ threshold); None or ``inf`` = uncapped.
    accelerator : float or array-like, optional
        Multiplier ≥ 1 above 100 %; None = 1.

    Returns
    -------
    float or ndarray
        A float when every argument is a scalar.

    Examples
    --------
    >>> credited(0.49, threshold=0.5), credited(0.5, threshold=0.5), credited(1.7, cap=1.5)
    (0.0, 0.5, 1.5)
    >>> credited(1.25, accelerator=2.0), credited(1.3, cap=1.5, accelerator=2.0)
    (1.5, 1.5)
    """
    a_ = np.asarray(a, dtype="float64")
    threshold_ = np.asarray(threshold, dtype="float64")
    cap_ = np.asarray(np.inf if cap is None else cap, dtype="float64")
    accelerator_ = np.asarray(1.0 if accelerator is None else accelerator, dtype="float64")
    if np.isnan(threshold_).any() or (threshold_ < 0).any() or np.isinf(threshold_).any():
        raise ValueError("threshold must be finite and ≥ 0 (a fraction, 0.5 for 50 %)")
    cap_b, threshold_b = np.broadcast_arrays(cap_, threshold_)
    if np.isnan(cap_).any() or (cap_b < threshold_b).any():
        raise ValueError("cap must be ≥ the threshold (None for no cap)")
    if np.isnan(accelerator_).any() or (accelerator_ < 1).any() or np.isinf(accelerator_).any():
        raise ValueError("accelerator must be finite and ≥ 1 (None for none)")
    with np.errstate(invalid="ignore"):
        stretched = np.where(a_ > 1, 1 + (a_ - 1) * accelerator_, a_)
    value = np.minimum(stretched, cap_)
    out = np.where(a_ < threshold_, 0.0, value)
    return scalar_or_array(out, a, threshold, cap, accelerator)


#: The kinds of :class:`NextStep`, in the order an item reaches them.
STEP_KINDS = ("threshold", "target", "cap")


@dataclass(frozen=True)
class NextStep:
    """What it takes to reach the next step of one plan item (see :func:`next_step`).

    Attributes
    ----------
    kind : {"threshold", "target", "cap"}
        The step: the threshold (the item starts to credit), the target (100 %) or the cap
        (the most the item credits).
    attainment : float
        The attainment of the step (0.5 = 50 %).
    credited : float
        What the item credits there (:func:`credited`).
    needed : float
        The actual that reaches the step: at least this (higher is better) or at most this
        (lower is better).
    gap : float
        How far the actual is from ``needed`` (> 0): how much more (higher is better) or less
        (lower is better); NaN without an actual.
    """

    kind: str
    attainment: float
    credited: float
    needed: float
    gap: float


def next_step(
    item: PlanItem, actual: float, target: float | None = None, *, whole: bool = False
) -> NextStep | None:
    """The next step of ``item`` that a rep with ``actual`` has not reached, and what it takes.

    The steps are the attainments where the credit of :func:`credited` changes: the threshold
    (below it the item credits 0; a step when above 0), 100 % (the target), and the attainment
    at which the credit reaches the cap (``1 + (cap − 1) / accelerator`` for a cap above
    100 %, the cap itself below it; never below the threshold).  Without a cap nothing above
    100 % is a step.  Where two steps coincide the later kind names it (a cap of 100 %: "cap").

    Parameters
    ----------
    item : PlanItem
        The plan item (threshold, cap, accelerator, direction).
    actual : float
        The rep's actual so far; NaN when unknown (a rate without any basis), which reaches
        no step.
    target : float, optional
        The rep's own target; default the item's.
    whole : bool
        The metric counts whole things (deals, activities): ``needed`` is rounded to a whole
        number, up when higher is better, down when lower is better.

    Returns
    -------
    NextStep or None
        None when the item does not count for the rep (target 0 or none) or is at its last
        step already (at the cap, or at 100 % or more without a cap).

    Examples
    --------
    >>> won = PlanItem("won_deals", 0.5, target=10, threshold=0.5, cap=1.5)
    >>> next_step(won, 3, whole=True)  # 2 more deals reach the threshold, 5
    NextStep(kind='threshold', attainment=0.5, credited=0.5, needed=5.0, gap=2.0)
    >>> next_step(won, 12, whole=True)
    NextStep(kind='cap', attainment=1.5, credited=1.5, needed=15.0, gap=3.0)
    >>> next_step(won, 15) is None
    True
    """
    goal = item.target if target is None else finite_number(target, f"{item.metric_key!r}: target")
    if goal is None or not goal > 0:
        return None
    actual = float(actual)
    reached = float(attainment(actual, goal, item.higher_is_better))
    reached = 0.0 if math.isnan(reached) else reached
    if item.cap is None:
        full = math.inf
    elif item.cap <= 1:
        full = item.cap
    else:
        full = 1 + (item.cap - 1) / (item.accelerator or 1.0)
    full = max(full, item.threshold)
    levels = {"threshold": item.threshold, "target": 1.0, "cap": full}
    steps: dict[float, str] = {}
    for kind in STEP_KINDS:  # a later kind replaces an earlier one at the same attainment
        level = levels[kind]
        if 0 < level < math.inf and item.threshold <= level <= full:
            steps[level] = kind
    ahead = [level for level in steps if reached < level]
    if not ahead:
        return None
    level = min(ahead)
    if item.higher_is_better:
        needed = level * goal
        needed = float(math.ceil(round(needed, 9))) if whole else needed
        gap = needed - actual
    else:
        needed = goal / level
        needed = float(math.floor(round(needed, 9))) if whole else needed
        gap = actual - needed
    value = float(credited(level, item.threshold, item.cap, item.accelerator))
    return NextStep(steps[level], level, value, needed, gap)


@dataclass(frozen=True)
class Scorecard:
    """A plan applied to the reps' actuals (see :func:`scorecard`).

    Attributes
    ----------
    items : DataFrame
        One row per (rep, plan item).
    summary : DataFrame
        One row per rep.
    """

    items: pd.DataFrame
    summary: pd.DataFrame


_ITEM_DTYPES = {
    "metric_key": "str",
    "actual": "float64",
    "target": "float64",
    "higher_is_better": "bool",
    "attainment": "float64",
    "credited": "float64",
    "weight": "float64",
    "effective_weight": "float64",
    "points": "float64",
    "excluded": "bool",
    "note": "str",
}
_SUMMARY_COLUMNS = [
    "rep_id",
    "score",
    "bonus",
    "included_weight",
    "weight_factor",
    "excluded_items",
    "note",
]


def _rep_index(rep_ids: pd.Series, reps: Sequence[Hashable] | None) -> pd.Index:
    """The reps to score: ``reps`` as given (unique, sorted), else every rep of the frame."""
    chosen = pd.Index(rep_ids.dropna().unique() if reps is None else list(reps))
    if chosen.has_duplicates:
        raise ValueError(f"reps lists a rep twice: {sorted(chosen[chosen.duplicated()])}")
    return chosen.sort_values()


def scorecard(
    actuals: pd.DataFrame,
    plan: Plan,
    *,
    reps: Sequence[Hashable] | None = None,
    employment: pd.DataFrame | None = None,
    prorated: Collection[str] = (),
) -> Scorecard:
    """Each rep's attainment, credited attainment, points, score and bonus under ``plan``.

    METRICS.md "Incentive scorecards": ``score = Σ weight × g(a)``, ``bonus = on-target bonus ×
    score``; an item whose target is 0 (or missing) is excluded for that rep and the other
    weights are renormalised (scaled by ``Σ all weights / Σ included weights``).  A rep employed
    for only part of the period (``employment``) has the targets of the ``prorated`` items
    (metrics that build up over the period: won revenue, new deals, activities done…) scaled
    by the working days employed / the period's working days
    (:func:`~analytics.incentives.targets.prorate`); the targets of rates and levels are not
    prorated.

    Parameters
    ----------
    actuals : DataFrame
        ``rep_id``, ``metric_key``, ``actual`` (one row per rep and metric; metrics outside the
        plan are ignored), optional ``target`` (a per-rep target; NaN = the plan's).
    plan : Plan
        The plan (items, on-target bonus, per-rep targets).
    reps : sequence, optional
        The reps to score (also those without any row: every item then credits 0); default
        every rep of ``actuals``.
    employment : DataFrame, optional
        ``rep_id``, ``worked_days`` (working days the rep was employed in the period),
        ``total_days`` (the period's working days), one row per rep; reps it does not list,
        or employed every working day, are not prorated.
    prorated : collection of str
        Metric keys whose targets are prorated for partial-period reps.

    Returns
    -------
    Scorecard
        ``items``: one row per (rep, item), reps sorted, items in plan order: ``rep_id``,
        ``metric_key`` str, ``actual``, ``target`` (resolved, then prorated),
        ``higher_is_better`` bool,
        ``attainment`` (NaN when excluded or no actual), ``credited`` (NaN when excluded; 0
        without an actual), ``weight`` (the plan's), ``effective_weight`` (renormalised; 0 when
        excluded), ``points`` (= effective weight × credited; 0 when excluded), ``excluded``
        bool, ``note`` str ("" or why the item is excluded / credited 0).
        ``summary``: one row per rep: ``rep_id``, ``score`` (Σ points; NaN when the included
        items carry no weight, e.g. every item excluded), ``bonus`` (on-target bonus × score),
        ``included_weight`` (Σ plan weights of the included items), ``weight_factor`` (the
        renormalisation factor, 1 without exclusions), ``excluded_items`` (tuple of metric
        keys), ``note`` str (the renormalisation and the proration, in words; "" without
        either).

    Examples
    --------
    >>> plan = Plan((PlanItem("won_deals", 0.5, target=10, threshold=0.5, cap=1.5),
    ...              PlanItem("new_deals", 0.5, target=20)), on_target_bonus=1000)
    >>> actuals = pd.DataFrame({"rep_id": [1, 1, 2], "metric_key": ["won_deals", "new_deals",
    ...                         "won_deals"], "actual": [12.0, 10.0, 4.0]})
    >>> card = scorecard(actuals, plan)
    >>> card.items[["rep_id", "credited", "points"]].values.tolist()
    [[1.0, 1.2, 0.6], [1.0, 0.5, 0.25], [2.0, 0.0, 0.0], [2.0, 0.0, 0.0]]
    >>> card.summary[["rep_id", "score", "bonus"]].values.tolist()
    [[1.0, 0.85, 850.0], [2.0, 0.0, 0.0]]
    >>> employment = pd.DataFrame({"rep_id": [2], "worked_days": [16], "total_days": [64]})
    >>> part = scorecard(actuals, plan, employment=employment, prorated=["won_deals"])
    >>> part.items[["target", "credited"]].values[2].tolist(), part.items["note"][2]
    ([2.5, 1.5], 'target prorated: employed 16 of 64 working days')
    """
    require_columns(actuals, ["rep_id", "metric_key", "actual"], "actuals")
    keys = list(plan.keys)
    rows = actuals[actuals["metric_key"].isin(keys)]
    unique_rows(rows, ["rep_id", "metric_key"], "actuals")
    rep_index = _rep_index(actuals["rep_id"], reps)
    n_reps, n_items = len(rep_index), len(keys)
    grid = pd.MultiIndex.from_product([rep_index, keys], names=["rep_id", "metric_key"])
    keyed = rows.set_index(["rep_id", "metric_key"])
    actual = keyed["actual"].reindex(grid).to_numpy(dtype="float64", na_value=np.nan)

    items = plan.items
    item_target = np.array([np.nan if i.target is None else i.target for i in items])
    given = None
    if "target" in keyed.columns:
        given = keyed["target"].reindex(grid).to_numpy(dtype="float64", na_value=np.nan)
    target = resolved_targets(plan, grid, np.tile(item_target, n_reps), given)
    grid_frame = grid.to_frame(index=False)
    worked, total_days = employment_days(grid_frame, employment, ["rep_id"])
    target, scaled, prorate_note = prorated_targets(
        target, grid_frame["metric_key"].to_numpy(), worked, total_days, prorated
    )
    hib = np.tile(np.array([i.higher_is_better for i in items], dtype=bool), n_reps)
    threshold = np.tile(np.array([i.threshold for i in items]), n_reps)
    cap = np.tile(np.array([np.inf if i.cap is None else i.cap for i in items]), n_reps)
    acc = np.tile(
        np.array([1.0 if i.accelerator is None else i.accelerator for i in items]),
        n_reps,
    )
    weights = np.array([i.weight for i in items])

    excluded = ~(target > 0)
    missing = np.isnan(actual) & ~excluded
    a = np.asarray(attainment(actual, target, hib), dtype="float64").reshape(-1)
    credit = np.asarray(credited(a, threshold, cap, acc), dtype="float64").reshape(-1)
    credit = np.where(excluded, np.nan, np.where(missing, 0.0, credit))

    excluded_2d = excluded.reshape(n_reps, n_items)
    weight_2d = np.broadcast_to(weights, (n_reps, n_items))
    included_weight = np.where(excluded_2d, 0.0, weight_2d).sum(axis=1)
    total = plan.total_weight
    renormalised: np.ndarray = np.any(excluded_2d, axis=1)
    with np.errstate(over="ignore"):
        factor = np.where(renormalised, safe_rates(total, included_weight), 1.0)
    # weight / included × total: the share never exceeds 1, so tiny weights cannot overflow
    share = safe_rates(weight_2d, np.broadcast_to(included_weight[:, None], weight_2d.shape))
    effective = np.where(
        excluded_2d, 0.0, np.where(renormalised[:, None], share * total, weight_2d)
    )
    points = np.where(excluded_2d, 0.0, effective * credit.reshape(n_reps, n_items))
    score = np.where(included_weight > 0, points.sum(axis=1), np.nan)

    item_note = np.where(
        excluded,
        np.where(
            target == 0,
            _("target 0: excluded, the other weights renormalised"),
            _("no target: excluded, the other weights renormalised"),
        ),
        np.where(missing, _("no actual: credited 0"), ""),
    )
    note = [
        "; ".join(part for part in pair if part)
        for pair in zip(prorate_note, item_note, strict=True)
    ]
    item_frame = pd.DataFrame(
        {
            "rep_id": grid.get_level_values("rep_id"),
            "metric_key": grid.get_level_values("metric_key"),
            "actual": actual,
            "target": target,
            "higher_is_better": hib,
            "attainment": a,
            "credited": credit,
            "weight": np.tile(weights, n_reps),
            "effective_weight": effective.reshape(-1),
            "points": points.reshape(-1),
            "excluded": excluded,
            "note": note,
        }
    ).astype(_ITEM_DTYPES)

    key_array = np.array(keys, dtype=object)
    excluded_items = [tuple(key_array[row]) for row in excluded_2d]
    summary_note = [
        ""
        if not dropped
        else (
            _(
                "Excluded (target 0 or none): {items}; the other weights are scaled by "
                "{factor} to keep their total at {total}."
            ).format(items=", ".join(dropped), factor=f"{f:.6g}", total=f"{total:g}")
            if not math.isnan(f)
            else _(
                "Excluded (target 0 or none): {items}; no weighted item is left to score."
            ).format(items=", ".join(dropped))
        )
        for dropped, f in zip(excluded_items, factor, strict=True)
    ]
    worked_2d, total_2d = (
        worked.reshape(n_reps, n_items),
        total_days.reshape(n_reps, n_items),
    )
    for rep in np.flatnonzero(scaled.reshape(n_reps, n_items).any(axis=1)):
        told = ngettext(
            "Targets prorated: employed {worked} of {total} working day.",
            "Targets prorated: employed {worked} of {total} working days.",
            int(total_2d[rep, 0]),
        ).format(worked=f"{worked_2d[rep, 0]:g}", total=f"{total_2d[rep, 0]:g}")
        summary_note[rep] = f"{told} {summary_note[rep]}".strip()
    summary = pd.DataFrame(
        {
            "rep_id": rep_index,
            "score": score,
            "bonus": plan.on_target_bonus * score,
            "included_weight": included_weight,
            "weight_factor": factor,
            "excluded_items": pd.Series(excluded_items, dtype=object),
            "note": pd.Series(summary_note, dtype="str"),
        }
    )
    return Scorecard(item_frame.reset_index(drop=True), summary[_SUMMARY_COLUMNS])
