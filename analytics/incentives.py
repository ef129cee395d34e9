"""Incentive scorecards (METRICS.md "Incentive scorecards"): plan items, attainment, credited
attainment, score and bonus, pacing, what-if simulation, plan sanity warnings, gaming signals.

A plan is a tuple of :class:`PlanItem` (metric key from the catalogue, weight, target,
threshold, cap, accelerator, direction) plus an on-target bonus and per-rep target overrides
(:class:`Plan`).  **Weights, thresholds and caps are fractions**: 0.3 = 30 %, 1.5 = 150 %.

Inputs are long frames (one row per rep and metric):

* ``actuals``: ``rep_id``, ``metric_key``, ``actual`` float, optional ``target`` float (a
  per-rep target; NaN = use the plan's) — the shape of ``reports.rep_metrics.rep_actuals``.
* ``history``: ``period``, ``rep_id``, ``metric_key``, ``actual``, optional ``target``.
* ``activity_by_period``: ``rep_id``, ``period``, ``activities``, ``conversions``.
* ``calls``: ``rep_id``, ``duration_min`` (one row per call), or pre-aggregated ``rep_id``,
  ``calls``, ``short_calls``.

Decisions where METRICS.md is silent:

* **Target resolution**: the ``target`` column of ``actuals`` (where not NaN), else the plan's
  per-rep override ``Plan.targets[(metric_key, rep_id)]``, else ``PlanItem.target``.
* **Exclusion** depends on the target only: target 0, missing or NaN excludes the item for that
  rep; the included items' weights are scaled by ``Σ all weights / Σ included weights`` so the
  plan's total weight is kept (1 when the weights sum to 100 %).  Without exclusions the weights
  are used as they are (a plan whose weights do not sum to 1 scores on its own scale, and
  :func:`plan_warnings` says so).
* **A missing actual** (no row, or NaN) is not an exclusion: the item is credited 0 and the
  ``note`` says so, so missing data never raises a score.  Counts absent from a per-rep query
  are 0 and should be filled as 0 by the caller before scoring.
* **Lower-is-better**: ``a = target / actual``; an actual ≤ 0 is the best possible result,
  ``a = +inf``, credited at the cap.  A lower-is-better item therefore **must have a cap**
  (validated).
* **Order in** :func:`credited`: the threshold tests the raw attainment, then the accelerator
  stretches the part above 100 %, then the cap bounds the credited value.
* **Pacing**: on track if ``actual ≥ expected``; at risk if less than 10 % behind; off track at
  10 % behind or more (Zoho's rule, anchors.md §3).  Lower-is-better: the target is a ceiling
  (a budget used up linearly when cumulative), and being *over* it is being behind.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from analytics.grouped import require_columns, safe_rates
from analytics.periods import shift_months, working_days

__all__ = [
    "GAMING_SIGNALS",
    "MAX_PERIOD_MONTHS",
    "PACING_STATES",
    "PERIOD_FIRST_DAY",
    "PERIOD_LAST_DAY",
    "STEP_KINDS",
    "WEIGHT_TOLERANCE",
    "NextStep",
    "Plan",
    "PlanItem",
    "PlanWarning",
    "Scorecard",
    "WhatIf",
    "attainment",
    "check_period",
    "credited",
    "gaming_signals",
    "next_step",
    "pacing",
    "plan_warnings",
    "prorate",
    "scorecard",
    "what_if",
    "working_days",
]

#: The states of :func:`pacing`, best first.
PACING_STATES = ("on track", "at risk", "off track")
#: The signals of :func:`gaming_signals`.
GAMING_SIGNALS = ("volume_up_conversion_down", "short_calls")
#: How far the weights may be from summing to 1 before :func:`plan_warnings` warns.
WEIGHT_TOLERANCE = 1e-9
#: Absolute change below which :func:`what_if` calls a rep "unchanged".
_CHANGE_TOLERANCE = 1e-9


def _number(value: Any, what: str) -> float:
    """``value`` as a finite float, or ValueError naming ``what``."""
    if value is None:
        raise ValueError(f"{what} is missing: enter a number")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return number


def _pct(value: float) -> str:
    """A fraction as a percent for messages, to 0.1 % (1.5 -> '150 %', 2.62591 -> '262.6 %')."""
    return f"{round(value * 100, 1):g} %"


# --- the plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanItem:
    """One item of an incentive plan (METRICS.md "Incentive scorecards").

    Attributes
    ----------
    metric_key : str
        Key of the metric in the catalogue (``reports.catalogue``), e.g. ``"won_deals"``.
    weight : float
        Share of the score, a fraction ≥ 0 (0.3 = 30 %); a plan's weights should sum to 1.
    target : float, optional
        Target for every rep (≥ 0); None = no plan-wide target (per-rep targets only).  A
        target of 0 excludes the item for the reps it applies to.
    threshold : float
        Minimum attainment that counts (fraction ≥ 0, 0.5 = 50 %); below it the item credits 0.
    cap : float, optional
        Maximum credited attainment (≥ threshold, 1.5 = 150 %); None = uncapped.  Required for
        lower-is-better items, whose attainment is unbounded as the actual falls to 0.
    accelerator : float, optional
        Multiplier (≥ 1) of the attainment above 100 %: ``1 + (a − 1) × accelerator``.
    higher_is_better : bool
        Direction of the metric (the catalogue's ``higher_is_better``).
    label : str, optional
        How messages name the item (the catalogue's label); default the metric key.  Not part
        of the item's identity (items compare equal without it).

    Raises
    ------
    ValueError
        Naming the item and what to change.
    """

    metric_key: str
    weight: float
    target: float | None = None
    threshold: float = 0.0
    cap: float | None = None
    accelerator: float | None = None
    higher_is_better: bool = True
    label: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.metric_key, str) or not self.metric_key.strip():
            raise ValueError(
                "a plan item needs a metric key (a catalogue key such as 'won_deals'), "
                f"got {self.metric_key!r}"
            )
        name = f"plan item {(self.label or self.metric_key.strip())!r}"
        weight = _number(self.weight, f"{name}: weight")
        if weight < 0:
            raise ValueError(
                f"{name}: weight must be ≥ 0 (a fraction, 0.3 for 30 %), got {weight:g}"
            )
        target = None if self.target is None else _number(self.target, f"{name}: target")
        if target is not None and target < 0:
            raise ValueError(f"{name}: target must be ≥ 0 (0 excludes the item), got {target:g}")
        threshold = _number(self.threshold, f"{name}: threshold")
        if threshold < 0:
            raise ValueError(
                f"{name}: threshold must be ≥ 0 (a fraction of the target, 0.5 for 50 %), "
                f"got {threshold:g}"
            )
        cap = None if self.cap is None else _number(self.cap, f"{name}: cap (None = no cap)")
        if cap is not None and cap < threshold:
            raise ValueError(
                f"{name}: cap {_pct(cap)} is below the threshold {_pct(threshold)}; raise the "
                "cap to at least the threshold or lower the threshold"
            )
        accelerator = None
        if self.accelerator is not None:
            accelerator = _number(self.accelerator, f"{name}: accelerator")
            if accelerator < 1:
                raise ValueError(
                    f"{name}: accelerator must be ≥ 1 (a multiplier above 100 %), "
                    f"got {accelerator:g}; leave it empty for none"
                )
        if not isinstance(self.higher_is_better, bool | np.bool_):
            raise ValueError(f"{name}: higher_is_better must be True or False")
        if not self.higher_is_better and cap is None:
            raise ValueError(
                f"{name}: a lower-is-better item needs a cap (attainment = target / actual "
                "grows without bound as the actual falls to 0); set a cap, e.g. 150 %"
            )
        object.__setattr__(self, "metric_key", self.metric_key.strip())
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "threshold", threshold)
        object.__setattr__(self, "cap", cap)
        object.__setattr__(self, "accelerator", accelerator)
        object.__setattr__(self, "higher_is_better", bool(self.higher_is_better))


@dataclass(frozen=True)
class Plan:
    """An incentive plan: items, the on-target bonus and per-rep target overrides.

    Attributes
    ----------
    items : tuple of PlanItem
        At least one item; metric keys unique.
    on_target_bonus : float
        Bonus paid at a score of 1 (100 %); ``bonus = on_target_bonus × score``.
    targets : mapping
        ``(metric_key, rep_id) -> target`` overriding the item's target for one rep (≥ 0;
        0 excludes the item for that rep).

    Raises
    ------
    ValueError
        Naming the item or override and what to change.

    Examples
    --------
    >>> plan = Plan((PlanItem("won_deals", 0.6, target=10), PlanItem("new_deals", 0.4, 20)),
    ...             on_target_bonus=1000, targets={("won_deals", 7): 12})
    >>> plan.target_for("won_deals", 7), plan.target_for("won_deals", 8), plan.total_weight
    (12.0, 10.0, 1.0)
    """

    items: tuple[PlanItem, ...]
    on_target_bonus: float = 0.0
    targets: Mapping[tuple[str, Hashable], float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        items = tuple(self.items)
        if not items:
            raise ValueError("a plan needs at least one item")
        for position, item in enumerate(items):
            if not isinstance(item, PlanItem):
                raise ValueError(f"plan item #{position + 1} must be a PlanItem, got {item!r}")
        keys = [item.metric_key for item in items]
        named = {item.metric_key: item.label or item.metric_key for item in items}
        twice = sorted({named[key] for key in keys if keys.count(key) > 1})
        if twice:
            raise ValueError(
                f"the plan names {', '.join(map(repr, twice))} more than once; keep one item "
                "per metric"
            )
        bonus = _number(self.on_target_bonus, "the on-target bonus")
        if bonus < 0:
            raise ValueError(f"the on-target bonus must be ≥ 0, got {bonus:g}")
        targets: dict[tuple[str, Hashable], float] = {}
        for key, value in dict(self.targets).items():
            if not isinstance(key, tuple) or len(key) != 2:
                raise ValueError(f"target override keys are (metric_key, rep_id), got {key!r}")
            if key[0] not in keys:
                raise ValueError(
                    f"target override {key!r} names {key[0]!r}, which is not an item of the "
                    f"plan ({', '.join(keys)}); add the item or drop the override"
                )
            target = _number(value, f"target override {key!r}")
            if target < 0:
                raise ValueError(f"target override {key!r} must be ≥ 0, got {target:g}")
            targets[key] = target
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "on_target_bonus", bonus)
        object.__setattr__(self, "targets", targets)

    @property
    def keys(self) -> tuple[str, ...]:
        """The metric keys of the items, in plan order."""
        return tuple(item.metric_key for item in self.items)

    @property
    def total_weight(self) -> float:
        """Σ of the item weights (exact float sum); 1 for a well-formed plan."""
        return math.fsum(item.weight for item in self.items)

    def item(self, metric_key: str) -> PlanItem:
        """The item of ``metric_key`` (KeyError naming the plan's keys)."""
        for item in self.items:
            if item.metric_key == metric_key:
                return item
        raise KeyError(f"no plan item {metric_key!r}; the plan has {', '.join(self.keys)}")

    def target_for(self, metric_key: str, rep_id: Hashable) -> float | None:
        """The rep's target of ``metric_key``: the override, else the item's target."""
        if (metric_key, rep_id) in self.targets:
            return self.targets[(metric_key, rep_id)]
        return self.item(metric_key).target


#: The first and the last day a plan's period may cover, so that every date computed from it
#: (the earlier periods of the sanity warnings, the next period of a copy) is a valid date.
PERIOD_FIRST_DAY = date(2000, 1, 1)
PERIOD_LAST_DAY = date(2100, 12, 31)
#: The longest plan period, in calendar months.
MAX_PERIOD_MONTHS = 36


def check_period(start: date, end: date) -> None:
    """Refuse a plan period ``[start, end)`` that cannot be scored, saying what to change.

    The end must be after the start, the days from :data:`PERIOD_FIRST_DAY` to
    :data:`PERIOD_LAST_DAY`, and the period at most :data:`MAX_PERIOD_MONTHS` months long.

    Raises
    ------
    ValueError
        Naming the period (first and last day) and what to change.

    Examples
    --------
    >>> check_period(date(2026, 10, 1), date(2027, 1, 1))
    >>> check_period(date(2026, 10, 1), date(9999, 12, 31))
    Traceback (most recent call last):
    ...
    ValueError: the period 2026-10-01 – 9999-12-30 goes beyond the years 2000–2100: pick days from 2000-01-01 to 2100-12-31
    """  # noqa: E501
    for day, what in ((start, "start"), (end, "end")):
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"the period {what} must be a date, got {day!r}")
    if end <= start:
        raise ValueError(
            f"the period ends ({end}) on or before it starts ({start}): the end must be after "
            "the start (the end day itself is not part of the period)"
        )
    last = end - timedelta(days=1)
    if start < PERIOD_FIRST_DAY or last > PERIOD_LAST_DAY:
        raise ValueError(
            f"the period {start} – {last} goes beyond the years {PERIOD_FIRST_DAY.year}–"
            f"{PERIOD_LAST_DAY.year}: pick days from {PERIOD_FIRST_DAY} to {PERIOD_LAST_DAY}"
        )
    if end > shift_months(start, MAX_PERIOD_MONTHS):
        raise ValueError(
            f"the period {start} – {last} is longer than {MAX_PERIOD_MONTHS // 12} years: "
            "split it into plans of at most that length"
        )


# --- attainment and credit -------------------------------------------------------------------


def _as_result(values: np.ndarray, *inputs: Any) -> Any:
    """A float for all-scalar inputs, else the array."""
    if all(np.ndim(value) == 0 for value in inputs):
        return float(values)
    return values


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
    return _as_result(out, actual, target, higher_is_better)


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
    return _as_result(out, a, threshold, cap, accelerator)


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
    goal = item.target if target is None else _number(target, f"{item.metric_key!r}: target")
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


# --- scorecard -----------------------------------------------------------------------------


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


def _unique_rows(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    """ValueError naming the first rows of ``frame`` that repeat the ``columns`` key."""
    repeated = frame.duplicated(columns, keep=False)
    if repeated.any():
        shown = frame.loc[repeated, columns].drop_duplicates().head(3)
        keys = ", ".join(str(tuple(row)) for row in shown.itertuples(index=False))
        raise ValueError(f"the {what} frame has more than one row for {columns}: {keys}")


def _resolved_targets(
    plan: Plan, index: pd.MultiIndex, item_targets: np.ndarray, given: np.ndarray | None
) -> np.ndarray:
    """Per row of ``index`` (levels ``rep_id``, ``metric_key``): the resolved target.

    The ``given`` target (the frame's own column) where not NaN, else the plan's per-rep
    override, else the item's target.
    """
    target = item_targets.astype("float64")
    if plan.targets:
        overrides = pd.Series(
            list(plan.targets.values()),
            index=pd.MultiIndex.from_tuples(
                [(rep, key) for key, rep in plan.targets], names=["rep_id", "metric_key"]
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


def _employment_days(
    rows: pd.DataFrame, employment: pd.DataFrame | None, on: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``rows``: the working days its rep was employed in the period and the
    period's working days, from ``employment`` (NaN for reps it does not list).
    """
    if employment is None:
        return np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    require_columns(employment, [*on, "worked_days", "total_days"], "employment")
    _unique_rows(employment, on, "employment")
    found = rows[on].merge(employment[[*on, "worked_days", "total_days"]], on=on, how="left")
    return (
        found["worked_days"].to_numpy(dtype="float64", na_value=np.nan),
        found["total_days"].to_numpy(dtype="float64", na_value=np.nan),
    )


def _prorated(
    target: np.ndarray,
    keys: np.ndarray,
    worked: np.ndarray,
    total: np.ndarray,
    prorated: Collection[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The targets of the ``prorated`` items of reps employed for part of the period scaled
    by :func:`prorate`, which rows were scaled, and their notes ("" where not scaled).
    """
    listed = ~np.isnan(worked)
    _day_counts(worked[listed], total[listed])  # 0 ≤ worked ≤ total, total > 0
    scaled = np.isin(keys, list(prorated)) & listed & (worked < total)
    out = target.astype("float64")
    notes = np.full(len(target), "", dtype=object)
    if scaled.any():
        out[scaled] = prorate(target[scaled], worked[scaled], total[scaled])
        notes[scaled] = [
            f"target prorated: employed {w:g} of {t:g} working days"
            for w, t in zip(worked[scaled], total[scaled], strict=True)
        ]
    return out, scaled, notes


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
    by the working days employed / the period's working days (:func:`prorate`); the targets of
    rates and levels are not prorated.

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
    _unique_rows(rows, ["rep_id", "metric_key"], "actuals")
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
    target = _resolved_targets(plan, grid, np.tile(item_target, n_reps), given)
    grid_frame = grid.to_frame(index=False)
    worked, total_days = _employment_days(grid_frame, employment, ["rep_id"])
    target, scaled, prorate_note = _prorated(
        target, grid_frame["metric_key"].to_numpy(), worked, total_days, prorated
    )
    hib = np.tile(np.array([i.higher_is_better for i in items], dtype=bool), n_reps)
    threshold = np.tile(np.array([i.threshold for i in items]), n_reps)
    cap = np.tile(np.array([np.inf if i.cap is None else i.cap for i in items]), n_reps)
    acc = np.tile(
        np.array([1.0 if i.accelerator is None else i.accelerator for i in items]), n_reps
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
    renormalised = excluded_2d.any(axis=1)
    with np.errstate(over="ignore"):
        factor = np.where(renormalised, safe_rates(total, included_weight), 1.0)
    # weight / included × total: the share never exceeds 1, so tiny weights cannot overflow
    share = safe_rates(weight_2d, np.broadcast_to(included_weight[:, None], weight_2d.shape))
    effective = np.where(
        excluded_2d, 0.0, np.where(renormalised[:, None], share * total, weight_2d)
    )
    points = np.where(excluded_2d, 0.0, effective * credit.reshape(n_reps, n_items))
    score = np.where(included_weight > 0, points.sum(axis=1), np.nan)

    note = np.where(
        excluded,
        np.where(target == 0, "target 0: excluded", "no target: excluded")
        + ", the other weights renormalised",
        np.where(missing, "no actual: credited 0", ""),
    )
    note = [
        "; ".join(part for part in pair if part) for pair in zip(prorate_note, note, strict=True)
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
        else f"Excluded (target 0 or none): {', '.join(dropped)}; "
        + (
            f"the other weights are scaled by {f:.6g} to keep their total at {total:g}."
            if not math.isnan(f)
            else "no weighted item is left to score."
        )
        for dropped, f in zip(excluded_items, factor, strict=True)
    ]
    worked_2d, total_2d = worked.reshape(n_reps, n_items), total_days.reshape(n_reps, n_items)
    for rep in np.flatnonzero(scaled.reshape(n_reps, n_items).any(axis=1)):
        days = f"{worked_2d[rep, 0]:g} of {total_2d[rep, 0]:g}"
        told = f"Targets prorated: employed {days} working days."
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


# --- pacing and working days ---------------------------------------------------------------


def _day_counts(elapsed: Any, total: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validated elapsed and total working days (0 ≤ elapsed ≤ total, total > 0)."""
    elapsed_ = np.asarray(elapsed, dtype="float64")
    total_ = np.asarray(total, dtype="float64")
    if not (np.isfinite(elapsed_).all() and np.isfinite(total_).all()):
        raise ValueError("working-day counts must be finite")
    if (total_ <= 0).any():
        raise ValueError("the period must have at least one working day (total > 0)")
    if (elapsed_ < 0).any() or (elapsed_ > total_).any():
        raise ValueError("elapsed working days must be between 0 and the period's total")
    return elapsed_, total_


def prorate(target: Any, worked_days: Any, total_days: Any) -> Any:
    """A target prorated to a partial period: ``target × worked_days / total_days``.

    For a rep who joined or left during the period (methods.md §2: partial periods are
    prorated by working days, see :func:`working_days`).

    Examples
    --------
    >>> prorate(30, working_days("2024-01-15", "2024-02-01"), working_days("2024-01-01",
    ...         "2024-02-01"))  # 13 of 23 working days
    16.956521739130434
    """
    worked, total = _day_counts(worked_days, total_days)
    out = np.asarray(target, dtype="float64") * worked / total
    return _as_result(out, target, worked_days, total_days)


def pacing(
    actual: Any,
    target: Any,
    elapsed_working_days: Any,
    total_working_days: Any,
    higher_is_better: Any = True,
    *,
    cumulative: bool = True,
    tolerance: float = 0.10,
) -> pd.DataFrame:
    """On track / at risk / off track against a linear path (METRICS.md "Pacing").

    ``expected = target × elapsed / total`` working days (``cumulative=False``, for levels such
    as rates or days: ``expected = target`` throughout).  Higher-is-better: *on track* if
    ``actual ≥ expected``; otherwise ``shortfall = (expected − actual) / expected``, *at risk*
    if ``shortfall < tolerance``, *off track* if ``≥ tolerance``.  Lower-is-better: the target
    is a ceiling (cumulative: a budget used up linearly): *on track* if ``actual ≤ expected``,
    ``shortfall = (actual − expected) / expected``.  With ``expected`` 0 any shortfall is
    infinite (off track).  Vectorised: arguments broadcast.

    Parameters
    ----------
    actual, target : float or array-like
        Actual to date and the period's target; a target ≤ 0 or NaN, or a NaN actual, gives a
        missing status.
    elapsed_working_days, total_working_days : float or array-like
        ``0 ≤ elapsed ≤ total``, ``total > 0`` (see :func:`working_days`).
    higher_is_better : bool or array-like of bool
        Direction of the metric.
    cumulative : bool
        The metric accumulates over the period (counts, money) rather than being a level.
    tolerance : float
        Share behind the expected path that is still "at risk" (0.10 = 10 %).

    Returns
    -------
    DataFrame
        One row per element: ``actual``, ``target``, ``expected`` float, ``shortfall`` float
        (share behind the path, 0 when on track), ``status`` str (one of
        :data:`PACING_STATES`, NA without a target or an actual).

    Examples
    --------
    >>> pacing([50, 46, 45], 100, 10, 20)[["expected", "status"]].values.tolist()
    [[50.0, 'on track'], [50.0, 'at risk'], [50.0, 'off track']]
    >>> pacing(8, 10, 5, 20, higher_is_better=False, cumulative=False)["status"].tolist()
    ['on track']
    """
    tolerance = _number(tolerance, "tolerance")
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance must be between 0 and 1 (0.1 for 10 %), got {tolerance:g}")
    elapsed, total = _day_counts(elapsed_working_days, total_working_days)
    actual_, target_, elapsed, total, hib = np.broadcast_arrays(
        np.asarray(actual, dtype="float64"),
        np.asarray(target, dtype="float64"),
        elapsed,
        total,
        np.asarray(higher_is_better, dtype=bool),
    )
    expected = target_ * elapsed / total if cumulative else target_.copy()
    defined = (target_ > 0) & ~np.isnan(actual_)
    gap = np.where(hib, expected - actual_, actual_ - expected)  # > 0: behind
    on_track = gap <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        shortfall = np.where(on_track, 0.0, np.where(expected > 0, gap / expected, np.inf))
    status = np.where(
        on_track, PACING_STATES[0], np.where(shortfall < tolerance, *PACING_STATES[1:])
    )
    out = pd.DataFrame(
        {
            "actual": actual_.reshape(-1),
            "target": target_.reshape(-1),
            "expected": np.where(target_ > 0, expected, np.nan).reshape(-1),
            "shortfall": np.where(defined, shortfall, np.nan).reshape(-1),
            "status": pd.Series(np.where(defined, status, None).reshape(-1), dtype="str"),
        }
    )
    return out


# --- what-if -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIf:
    """Two plans on the same actuals (see :func:`what_if`).

    Attributes
    ----------
    reps : DataFrame
        One row per rep: ``rep_id``, ``score``, ``bonus`` (current plan), ``new_score``,
        ``new_bonus`` (new plan), ``score_delta``, ``bonus_delta``, ``change`` str ("gains",
        "loses", "unchanged").
    pool, new_pool, pool_delta : float
        Σ bonus under each plan (a rep without a score is paid 0) and the difference.
    gainers, losers : tuple
        Rep ids whose ``change`` is "gains" / "loses".
    before, after : Scorecard
        The full scorecards.
    """

    reps: pd.DataFrame
    pool: float
    new_pool: float
    pool_delta: float
    gainers: tuple[Hashable, ...]
    losers: tuple[Hashable, ...]
    before: Scorecard
    after: Scorecard


def what_if(
    actuals: pd.DataFrame,
    plan: Plan,
    new_plan: Plan,
    *,
    reps: Sequence[Hashable] | None = None,
    employment: pd.DataFrame | None = None,
    prorated: Collection[str] = (),
) -> WhatIf:
    """Scores, bonuses and the bonus pool under the current and a changed plan.

    A rep *gains* when the bonus paid rises (a missing bonus is paid 0), *loses* when it falls;
    when both bonuses are equal (e.g. no on-target bonus), the score decides.  Changes within
    1e-9 are "unchanged".  A ``target`` column in ``actuals`` overrides both plans' targets: to
    simulate target changes, put the targets in the plans.

    Parameters
    ----------
    actuals : DataFrame
        As for :func:`scorecard`.
    plan : Plan
        The current plan.
    new_plan : Plan
        The changed plan.
    reps, employment, prorated : optional
        As for :func:`scorecard` (both plans' targets are prorated alike).

    Returns
    -------
    WhatIf

    Examples
    --------
    >>> old = Plan((PlanItem("won_deals", 1.0, target=10),), on_target_bonus=1000)
    >>> new = Plan((PlanItem("won_deals", 1.0, target=8),), on_target_bonus=1000)
    >>> actuals = pd.DataFrame({"rep_id": [1, 2], "metric_key": "won_deals",
    ...                         "actual": [10.0, 4.0]})
    >>> result = what_if(actuals, old, new)
    >>> result.pool, result.new_pool, result.gainers
    (1400.0, 1750.0, (1, 2))
    """
    before = scorecard(actuals, plan, reps=reps, employment=employment, prorated=prorated)
    after = scorecard(actuals, new_plan, reps=reps, employment=employment, prorated=prorated)
    old, new = before.summary, after.summary
    bonus = old["bonus"].to_numpy(dtype="float64")
    new_bonus = new["bonus"].to_numpy(dtype="float64")
    score = old["score"].to_numpy(dtype="float64")
    new_score = new["score"].to_numpy(dtype="float64")
    bonus_delta = np.nan_to_num(new_bonus) - np.nan_to_num(bonus)
    score_delta = new_score - score
    by_score = np.nan_to_num(np.nan_to_num(new_score) - np.nan_to_num(score))
    decider = np.where(np.abs(bonus_delta) > _CHANGE_TOLERANCE, bonus_delta, by_score)
    change = np.where(
        decider > _CHANGE_TOLERANCE,
        "gains",
        np.where(decider < -_CHANGE_TOLERANCE, "loses", "unchanged"),
    )
    table = pd.DataFrame(
        {
            "rep_id": old["rep_id"],
            "score": score,
            "bonus": bonus,
            "new_score": new_score,
            "new_bonus": new_bonus,
            "score_delta": score_delta,
            "bonus_delta": bonus_delta,
            "change": pd.Series(change, dtype="str"),
        }
    )
    pool = float(np.nansum(bonus))
    new_pool = float(np.nansum(new_bonus))
    rep_ids = table["rep_id"].tolist()
    return WhatIf(
        reps=table,
        pool=pool,
        new_pool=new_pool,
        pool_delta=new_pool - pool,
        gainers=tuple(r for r, c in zip(rep_ids, change, strict=True) if c == "gains"),
        losers=tuple(r for r, c in zip(rep_ids, change, strict=True) if c == "loses"),
        before=before,
        after=after,
    )


# --- plan sanity warnings ------------------------------------------------------------------


@dataclass(frozen=True)
class PlanWarning:
    """One plan sanity warning.

    Attributes
    ----------
    item : str or None
        The metric key of the item concerned; None for the whole plan.
    kind : str
        ``weights_sum``, ``no_target``, ``target_zero``, ``zero_weight``,
        ``threshold_above_target``, ``cap_below_target``, ``cap_equals_threshold``,
        ``accelerator_unused``, ``uncapped_accelerator``, ``unreachable_target`` or
        ``easy_target``.
    message : str
        What is wrong and what to change.
    """

    item: str | None
    kind: str
    message: str


def _structure_warnings(plan: Plan, labels: Mapping[str, str]) -> list[PlanWarning]:
    """Warnings read off the plan alone."""
    warnings: list[PlanWarning] = []
    total = plan.total_weight
    if abs(total - 1) > WEIGHT_TOLERANCE:
        hint = (
            " They look like percents: enter fractions (0.3 for 30 %)."
            if abs(total - 100) <= 1e-6
            else f" Scores are on a scale of {total:g} instead of 1 (100 %)."
        )
        warnings.append(
            PlanWarning(
                None,
                "weights_sum",
                f"The weights sum to {total:g} ({_pct(total)}), not 100 %: change them so "
                f"they add up to 1.{hint}",
            )
        )
    overridden = {key for key, _ in plan.targets}
    for item in plan.items:
        key = item.metric_key

        def add(kind: str, message: str, key: str = key) -> None:
            warnings.append(PlanWarning(key, kind, f"{labels.get(key, key)}: {message}"))

        if item.target is None and key not in overridden:
            add(
                "no_target",
                "no target and no per-rep target, so the item is excluded for every rep "
                "unless the actuals carry targets; set a target.",
            )
        elif item.target == 0:
            add(
                "target_zero",
                "the target is 0, so the item is excluded (weights renormalised) for every "
                "rep without a per-rep target; set a target above 0 or drop the item.",
            )
        if item.weight == 0:
            add(
                "zero_weight",
                "the weight is 0, so the item never counts; give it a weight or drop it.",
            )
        if item.threshold > 1:
            add(
                "threshold_above_target",
                f"the threshold {_pct(item.threshold)} is above the target: reaching the target "
                "earns nothing. Lower it (a fraction: 0.5 for 50 %).",
            )
        if item.cap is not None and item.cap < 1:
            add(
                "cap_below_target",
                f"the cap {_pct(item.cap)} is below 100 %: even meeting the target is not "
                "fully credited. Raise the cap to at least 1 (a fraction: 1.5 for 150 %).",
            )
        if item.cap is not None and item.cap == item.threshold:
            add(
                "cap_equals_threshold",
                f"the cap equals the threshold ({_pct(item.cap)}): the item pays all or "
                "nothing. Raise the cap above the threshold unless a cliff is intended.",
            )
        if item.accelerator is not None and item.accelerator > 1:
            if item.cap is not None and item.cap <= 1:
                add(
                    "accelerator_unused",
                    f"the accelerator never applies: the cap {_pct(item.cap)} stops the credit "
                    "at or below 100 %. Raise the cap above 1 or drop the accelerator.",
                )
            elif item.cap is None:
                add(
                    "uncapped_accelerator",
                    "an accelerator without a cap makes the payout unbounded; set a cap.",
                )
    return warnings


def _history_warnings(
    plan: Plan,
    history: pd.DataFrame,
    periods: int,
    easy_factor: float,
    labels: Mapping[str, str],
    employment: pd.DataFrame | None,
    prorated: Collection[str],
) -> list[PlanWarning]:
    """Targets nobody met in the last ``periods`` periods, or the median rep beats easily."""
    require_columns(history, ["period", "rep_id", "metric_key", "actual"], "history")
    keys = list(plan.keys)
    rows = history[history["metric_key"].isin(keys)]
    _unique_rows(rows, ["period", "rep_id", "metric_key"], "history")
    all_periods = pd.Index(history["period"].dropna().unique()).sort_values()
    window = all_periods[-periods:]
    if not len(window):
        return []
    latest = window[-1]
    rows = rows[rows["period"].isin(window)].reset_index(drop=True)
    worked, total_days = _employment_days(rows, employment, ["period", "rep_id"])
    employed = worked != 0  # not a single working day in the period: left out (NaN: unlisted)
    rows = rows[employed].reset_index(drop=True)
    worked, total_days = worked[employed], total_days[employed]
    index = pd.MultiIndex.from_arrays(
        [rows["rep_id"], rows["metric_key"]], names=["rep_id", "metric_key"]
    )
    item_target = rows["metric_key"].map(
        {i.metric_key: np.nan if i.target is None else i.target for i in plan.items}
    )
    given = None
    if "target" in rows.columns:
        given = rows["target"].to_numpy(dtype="float64", na_value=np.nan)
    target = _resolved_targets(plan, index, item_target.to_numpy("float64"), given)
    target = _prorated(target, rows["metric_key"].to_numpy(), worked, total_days, prorated)[0]
    hib = rows["metric_key"].map({i.metric_key: i.higher_is_better for i in plan.items})
    a = pd.Series(
        np.asarray(
            attainment(
                rows["actual"].to_numpy("float64", na_value=np.nan),
                target,
                hib.to_numpy(dtype=bool),
            ),
            dtype="float64",
        ).reshape(-1)
    )
    span = (
        f"the one starting {window[0]}"
        if len(window) == 1
        else f"those starting {window[0]} to {window[-1]}"
    )
    warnings: list[PlanWarning] = []
    for key in keys:
        mine = (rows["metric_key"] == key).to_numpy() & a.notna().to_numpy()
        if not mine.any():
            continue
        best = float(a[mine].max())
        if best < 1:
            warnings.append(
                PlanWarning(
                    key,
                    "unreachable_target",
                    f"{labels.get(key, key)}: no rep met the target in any of the last "
                    f"{len(window)} period(s) ({span}); the best attainment was {_pct(best)}. "
                    "Lower the target (or the per-rep targets) to something reps have reached.",
                )
            )
        last = mine & (rows["period"] == latest).to_numpy()
        if last.any():
            median = float(np.median(a[last]))
            if median >= easy_factor:
                warnings.append(
                    PlanWarning(
                        key,
                        "easy_target",
                        f"{labels.get(key, key)}: the median rep reached {_pct(median)} of the "
                        f"target in the period starting {latest} (≥ {_pct(easy_factor)}). "
                        "Raise the target so that it takes effort to reach.",
                    )
                )
    return warnings


def plan_warnings(
    plan: Plan,
    history: pd.DataFrame | None = None,
    *,
    periods: int = 4,
    easy_factor: float = 1.5,
    labels: Mapping[str, str] | None = None,
    employment: pd.DataFrame | None = None,
    prorated: Collection[str] = (),
) -> list[PlanWarning]:
    """Sanity warnings on a plan (issue #5; METRICS.md "Incentive scorecards").

    From the plan alone: weights not summing to 100 % (± :data:`WEIGHT_TOLERANCE`), items
    without any target or with target 0, zero weights, a threshold above 100 %, a cap below
    100 %, a cap equal to the threshold (all or nothing), an accelerator the cap never lets
    act, an accelerator without a cap.  (A cap below the threshold cannot occur: the
    :class:`PlanItem` refuses it.)  With ``history``: a target no rep met (attainment ≥ 1) in
    any of the last ``periods`` periods of the history, and a target that the median rep
    exceeded by ``easy_factor`` (median attainment ≥ 1.5 = 150 %) in the latest period.
    Targets are resolved per rep as in :func:`scorecard` (the history's own ``target`` column,
    else the plan's) and prorated like it for reps employed for part of a period; reps whose
    target is 0 or missing, and reps employed on no working day of a period, are left out of
    that period (a rep hired later is not a 0 in the median).

    Parameters
    ----------
    plan : Plan
        The plan to check.
    history : DataFrame, optional
        ``period`` (sortable), ``rep_id``, ``metric_key``, ``actual``, optional ``target``;
        closed periods only (a running period would look unreachable).
    periods : int
        How many of the latest periods the "unreachable" check looks at.
    easy_factor : float
        Median attainment at or above which a target is "easy".
    labels : mapping of metric key to label, optional
        How messages name an item (the metric key where missing).
    employment : DataFrame, optional
        ``period``, ``rep_id``, ``worked_days``, ``total_days`` (as for :func:`scorecard`, per
        period of the history); reps it does not list count as employed all the period.
    prorated : collection of str
        Metric keys whose targets are prorated for partial-period reps.

    Returns
    -------
    list of PlanWarning
        Plan-level first, then by item in plan order.

    Examples
    --------
    >>> plan = Plan((PlanItem("won_deals", 0.5, target=10), PlanItem("new_deals", 0.4, 5)))
    >>> [w.kind for w in plan_warnings(plan)]
    ['weights_sum']
    >>> history = pd.DataFrame({"period": ["2024-01", "2024-01"], "rep_id": [1, 2],
    ...                         "metric_key": "new_deals", "actual": [8.0, 9.0]})
    >>> [(w.item, w.kind) for w in plan_warnings(plan, history)]
    [(None, 'weights_sum'), ('new_deals', 'easy_target')]
    """
    if isinstance(periods, bool) or not isinstance(periods, numbers.Integral) or periods < 1:
        raise ValueError(f"periods must be a whole number ≥ 1, got {periods!r}")
    easy_factor = _number(easy_factor, "easy_factor")
    if easy_factor <= 1:
        raise ValueError(f"easy_factor must be above 1 (1.5 for 150 %), got {easy_factor:g}")
    names = dict(labels or {})
    warnings = _structure_warnings(plan, names)
    if history is not None:
        warnings += _history_warnings(
            plan, history, int(periods), easy_factor, names, employment, prorated
        )
    order = {key: n for n, key in enumerate(plan.keys)}
    return sorted(warnings, key=lambda w: -1 if w.item is None else order[w.item])


# --- gaming signals ------------------------------------------------------------------------


_SIGNAL_COLUMNS = [
    "rep_id",
    "signal",
    "message",
    "activities_last",
    "activities_before",
    "conversion_last",
    "conversion_before",
    "calls",
    "short_calls",
    "short_share",
]


def _non_negative(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    """ValueError when a ``columns`` value of ``frame`` is negative, missing or infinite."""
    for column in columns:
        values = frame[column].to_numpy(dtype="float64", na_value=np.nan)
        if not np.isfinite(values).all() or (values < 0).any():
            raise ValueError(f"{column!r} of the {what} frame must be finite and ≥ 0")


def _volume_signals(
    frame: pd.DataFrame, volume_increase: float, conversion_drop: float, min_previous: int
) -> pd.DataFrame:
    """Rows of the ``volume_up_conversion_down`` signal."""
    require_columns(frame, ["rep_id", "period", "activities", "conversions"], "activity_by_period")
    per_day = "working_days" in frame.columns
    counted = ["activities", "conversions", *(["working_days"] if per_day else [])]
    _non_negative(frame, counted, "activity_by_period")
    sums = frame.groupby(["rep_id", "period"], sort=True)[counted].sum().astype("float64")
    sums = sums.reset_index()
    if not per_day:  # each period weighs 1: the rate before is the mean of the periods
        sums["working_days"] = 1.0
    if sums.empty:
        return pd.DataFrame(columns=_SIGNAL_COLUMNS)
    is_last = (sums["period"] == sums["period"].max()).to_numpy()
    sums = sums[sums["working_days"] > 0]  # a period without a working day has no rate
    is_last = is_last[sums.index]
    last = sums[is_last].set_index("rep_id")[["activities", "conversions", "working_days"]]
    before = (
        sums[~is_last]
        .groupby("rep_id")
        .agg(
            n=("period", "size"),
            act=("activities", "sum"),
            conv=("conversions", "sum"),
            days=("working_days", "sum"),
        )
    )
    table = last.join(before, how="inner")
    table = table[
        (table["n"] >= min_previous)
        & (table["act"] > 0)
        & (table["conv"] > 0)
        & (table["activities"] > 0)
    ]
    a_last, c_last, d_last, act, conv, days = (
        table[c] for c in ["activities", "conversions", "working_days", "act", "conv", "days"]
    )
    # increase = (a_last / d_last) / (act / days) − 1; drop = 1 − (c_last / a_last) / (conv /
    # act), each as one division of the raw sums so that boundary cases compare exactly
    increase = (a_last * days - act * d_last) / (act * d_last)
    drop = (conv * a_last - c_last * act) / (conv * a_last)
    hit = (increase >= volume_increase) & (drop >= conversion_drop)
    table, increase, drop = table[hit], increase[hit], drop[hit]
    out = pd.DataFrame(
        {
            "rep_id": table.index,
            "signal": GAMING_SIGNALS[0],
            "activities_last": (table["activities"] / table["working_days"]).to_numpy(),
            "activities_before": (table["act"] / table["days"]).to_numpy(),
            "conversion_last": (table["conversions"] / table["activities"]).to_numpy(),
            "conversion_before": (table["conv"] / table["act"]).to_numpy(),
        }
    )
    volume = (
        "Activities per working day up {inc:.0%} on the previous {k} period(s)"
        if per_day
        else "Activities up {inc:.0%} on the mean of the previous {k} period(s)"
    )
    out["message"] = [
        f"{volume.format(inc=inc, k=int(k))} "
        f"({mean:.4g} → {last:.4g}) while conversions per activity fell {d:.0%} "
        f"({was:.2%} → {now:.2%}): check the quality of the logged activities."
        for inc, k, mean, last, d, was, now in zip(
            increase,
            table["n"],
            out["activities_before"],
            out["activities_last"],
            drop,
            out["conversion_before"],
            out["conversion_last"],
            strict=True,
        )
    ]
    return out


def _call_signals(
    calls: pd.DataFrame, minutes: float, share: float, min_calls: int
) -> pd.DataFrame:
    """Rows of the ``short_calls`` signal."""
    if "duration_min" in calls.columns:
        require_columns(calls, ["rep_id"], "calls")
        timed = calls[calls["duration_min"].notna()]
        _non_negative(timed, ["duration_min"], "calls")
        short = timed["duration_min"].astype("float64") < minutes
        counts = pd.DataFrame({"rep_id": timed["rep_id"], "calls": 1.0, "short_calls": short})
    else:
        require_columns(calls, ["rep_id", "calls", "short_calls"], "calls")
        _non_negative(calls, ["calls", "short_calls"], "calls")
        counts = calls[["rep_id", "calls", "short_calls"]]
    totals = counts.groupby("rep_id", sort=True)[["calls", "short_calls"]].sum().astype("float64")
    if (totals["short_calls"] > totals["calls"]).any():
        raise ValueError("short_calls must not exceed calls")
    ratio = safe_rates(totals["short_calls"].to_numpy(), totals["calls"].to_numpy())
    hit = (totals["calls"].to_numpy() >= min_calls) & (ratio > share)
    totals = totals[hit]
    out = pd.DataFrame(
        {
            "rep_id": totals.index,
            "signal": GAMING_SIGNALS[1],
            "calls": totals["calls"].to_numpy(),
            "short_calls": totals["short_calls"].to_numpy(),
            "short_share": ratio[hit],
        }
    )
    out["message"] = [
        f"{short:.0f} of {total:.0f} calls ({s:.0%}) were shorter than {minutes:g} min "
        f"(more than {share:.0%}): check whether the calls are real conversations."
        for short, total, s in zip(
            out["short_calls"], out["calls"], out["short_share"], strict=True
        )
    ]
    return out


def gaming_signals(
    activity_by_period: pd.DataFrame,
    calls: pd.DataFrame | None = None,
    *,
    volume_increase: float = 0.2,
    conversion_drop: float = 0.2,
    min_previous_periods: int = 2,
    short_call_minutes: float = 2.0,
    short_call_share: float = 0.5,
    min_calls: int = 20,
) -> pd.DataFrame:
    """Signs that an activity KPI is being gamed (issue #5): signals to look at, not verdicts.

    * ``volume_up_conversion_down``: in the latest period of the frame, a rep's activities are
      at least ``volume_increase`` above the mean of their previous periods (≥ 20 % more)
      **and** conversions per activity are at least ``conversion_drop`` below the previous
      periods' rate (≥ 20 % lower, relative; the previous rate is Σ conversions / Σ activities).
      With a ``working_days`` column the volumes compared are activities per working day (the
      previous rate Σ activities / Σ working days), so a latest period still running, or a
      rep's first month after joining, compares fairly with whole months; periods without a
      working day are left out.  Needs ≥ ``min_previous_periods`` previous periods with
      activities and conversions.  Periods a rep has no row in are not counted (reindex with
      zeros to count them).
    * ``short_calls``: more than ``short_call_share`` of a rep's calls (strictly) shorter than
      ``short_call_minutes``, among reps with ≥ ``min_calls`` calls.

    Parameters
    ----------
    activity_by_period : DataFrame
        ``rep_id``, ``period`` (sortable), ``activities``, ``conversions`` (deals advanced or
        won), optional ``working_days`` (the rep's working days employed in the period, up to
        now for the running one); repeated (rep, period) rows are summed.
    calls : DataFrame, optional
        ``rep_id``, ``duration_min`` (one row per call; missing durations ignored), or
        ``rep_id``, ``calls``, ``short_calls`` counted by the caller with the same threshold.
    volume_increase, conversion_drop : float
        Relative thresholds (0.2 = 20 %), inclusive.
    min_previous_periods : int
        Previous periods a rep needs before the first signal can be raised.
    short_call_minutes, short_call_share : float
        A call shorter than this is "very short"; flag above this share (0.5 = 50 %).
    min_calls : int
        Fewer calls than this never flag.

    Returns
    -------
    DataFrame
        ``rep_id``, ``signal`` (one of :data:`GAMING_SIGNALS`), ``message`` str, and the
        evidence (NaN where it does not belong to the signal): ``activities_last``,
        ``activities_before`` (mean of the previous periods; per working day with
        ``working_days``), ``conversion_last``,
        ``conversion_before`` (conversions per activity), ``calls``, ``short_calls``,
        ``short_share``; sorted by rep and signal.

    Examples
    --------
    >>> activity = pd.DataFrame({"rep_id": 1, "period": [1, 2, 3],
    ...                          "activities": [100, 100, 150], "conversions": [10, 10, 9]})
    >>> gaming_signals(activity)[["rep_id", "signal", "conversion_last"]].values.tolist()
    [[1, 'volume_up_conversion_down', 0.06]]
    """
    volume_increase = _number(volume_increase, "volume_increase")
    conversion_drop = _number(conversion_drop, "conversion_drop")
    short_call_minutes = _number(short_call_minutes, "short_call_minutes")
    short_call_share = _number(short_call_share, "short_call_share")
    if volume_increase < 0:
        raise ValueError(f"volume_increase must be ≥ 0 (0.2 for 20 %), got {volume_increase:g}")
    if not 0 < conversion_drop <= 1:
        raise ValueError(
            f"conversion_drop must be in (0, 1] (0.2 for 20 %), got {conversion_drop:g}"
        )
    if short_call_minutes <= 0:
        raise ValueError(f"short_call_minutes must be > 0, got {short_call_minutes:g}")
    if not 0 <= short_call_share < 1:
        raise ValueError(
            f"short_call_share must be in [0, 1) (0.5 for 50 %), got {short_call_share:g}"
        )
    for name, value in (("min_previous_periods", min_previous_periods), ("min_calls", min_calls)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a whole number ≥ 1, got {value!r}")
    parts = [
        _volume_signals(
            activity_by_period, volume_increase, conversion_drop, int(min_previous_periods)
        )
    ]
    if calls is not None:
        parts.append(_call_signals(calls, short_call_minutes, short_call_share, int(min_calls)))
    parts = [part for part in parts if len(part)]
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in _SIGNAL_COLUMNS})
        empty["rep_id"] = activity_by_period["rep_id"].iloc[0:0].to_numpy()
        return empty.astype({"signal": "str", "message": "str"})
    out = pd.concat(parts, ignore_index=True).reindex(columns=_SIGNAL_COLUMNS)
    numeric = _SIGNAL_COLUMNS[3:]
    out[numeric] = out[numeric].astype("float64")
    out = out.astype({"signal": "str", "message": "str"})
    return out.sort_values(["rep_id", "signal"], ignore_index=True)
