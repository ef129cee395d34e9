"""Plan sanity warnings (issue #5; METRICS.md "Incentive scorecards"): what in a plan, alone or
against the reps' history, makes it pay for the wrong thing or for nothing.

The history is a long frame: ``period``, ``rep_id``, ``metric_key``, ``actual``, optional
``target``; its targets are resolved and prorated as for a scorecard
(:mod:`analytics.incentives.targets`).
"""

from __future__ import annotations

import numbers
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from analytics.grouped import require_columns
from analytics.incentives._checks import finite_number, percent, unique_rows
from analytics.incentives.plan import Plan
from analytics.incentives.scoring import attainment
from analytics.incentives.targets import (
    employment_days,
    prorated_targets,
    resolved_targets,
)
from i18n import _, current_language, ngettext
from i18n.formatting import format_day

__all__ = ["WEIGHT_TOLERANCE", "PlanWarning", "plan_warnings"]

#: How far the weights may be from summing to 1 before :func:`plan_warnings` warns.
WEIGHT_TOLERANCE = 1e-9


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


def _number(value: float) -> str:
    """A number in a message as ``:g`` writes it (a decimal comma in Russian)."""
    text = f"{value:g}"
    return text if current_language() == "en" else text.replace(".", ",")


def _day(period: object) -> str:
    """A period of the history in a message: a day in the language's form, else as it is."""
    if isinstance(period, pd.Timestamp):
        if current_language() == "en":
            return str(period)
        period = period.date()
    if isinstance(period, date):
        return format_day(period)
    return str(period)


def _structure_warnings(plan: Plan, labels: Mapping[str, str]) -> list[PlanWarning]:
    """Warnings read off the plan alone."""
    warnings: list[PlanWarning] = []
    total = plan.total_weight
    if abs(total - 1) > WEIGHT_TOLERANCE:
        hint = (
            _("They look like percents: enter fractions (0.3 for 30 %).")
            if abs(total - 100) <= 1e-6
            else _("Scores are on a scale of {total} instead of 1 (100 %).").format(
                total=_number(total)
            )
        )
        message = _(
            "The weights sum to {total} ({percent}), not 100 %: change them so they add up to 1."
        ).format(total=_number(total), percent=percent(total))
        warnings.append(PlanWarning(None, "weights_sum", f"{message} {hint}"))
    overridden = {key for key, _ in plan.targets}
    for item in plan.items:
        key = item.metric_key

        def add(kind: str, message: str, key: str = key) -> None:
            warnings.append(PlanWarning(key, kind, f"{_(labels.get(key, key))}: {message}"))

        if item.target is None and key not in overridden:
            add(
                "no_target",
                _(
                    "no target and no per-rep target, so the item is excluded for every rep "
                    "unless the actuals carry targets; set a target."
                ),
            )
        elif item.target == 0:
            add(
                "target_zero",
                _(
                    "the target is 0, so the item is excluded (weights renormalised) for every "
                    "rep without a per-rep target; set a target above 0 or drop the item."
                ),
            )
        if item.weight == 0:
            add(
                "zero_weight",
                _("the weight is 0, so the item never counts; give it a weight or drop it."),
            )
        if item.threshold > 1:
            add(
                "threshold_above_target",
                _(
                    "the threshold {threshold} is above the target: reaching the target "
                    "earns nothing. Lower it (a fraction: 0.5 for 50 %)."
                ).format(threshold=percent(item.threshold)),
            )
        if item.cap is not None and item.cap < 1:
            add(
                "cap_below_target",
                _(
                    "the cap {cap} is below 100 %: even meeting the target is not "
                    "fully credited. Raise the cap to at least 1 (a fraction: 1.5 for 150 %)."
                ).format(cap=percent(item.cap)),
            )
        if item.cap is not None and item.cap == item.threshold:
            add(
                "cap_equals_threshold",
                _(
                    "the cap equals the threshold ({cap}): the item pays all or "
                    "nothing. Raise the cap above the threshold unless a cliff is intended."
                ).format(cap=percent(item.cap)),
            )
        if item.accelerator is not None and item.accelerator > 1:
            if item.cap is not None and item.cap <= 1:
                add(
                    "accelerator_unused",
                    _(
                        "the accelerator never applies: the cap {cap} stops the credit "
                        "at or below 100 %. Raise the cap above 1 or drop the accelerator."
                    ).format(cap=percent(item.cap)),
                )
            elif item.cap is None:
                add(
                    "uncapped_accelerator",
                    _("an accelerator without a cap makes the payout unbounded; set a cap."),
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
    unique_rows(rows, ["period", "rep_id", "metric_key"], "history")
    all_periods = pd.Index(history["period"].dropna().unique()).sort_values()
    window = all_periods[-periods:]
    if not len(window):
        return []
    latest = window[-1]
    rows = rows[rows["period"].isin(window)].reset_index(drop=True)
    worked, total_days = employment_days(rows, employment, ["period", "rep_id"])
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
    target = resolved_targets(plan, index, item_target.to_numpy("float64"), given)
    target = prorated_targets(target, rows["metric_key"].to_numpy(), worked, total_days, prorated)[
        0
    ]
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
        _("the one starting {start}").format(start=_day(window[0]))
        if len(window) == 1
        else _("those starting {first} to {last}").format(
            first=_day(window[0]), last=_day(window[-1])
        )
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
                    ngettext(
                        "{item}: no rep met the target in any of the last {n} period(s) "
                        "({span}); the best attainment was {best}. Lower the target (or the "
                        "per-rep targets) to something reps have reached.",
                        "{item}: no rep met the target in any of the last {n} period(s) "
                        "({span}); the best attainment was {best}. Lower the target (or the "
                        "per-rep targets) to something reps have reached.",
                        len(window),
                    ).format(
                        item=_(labels.get(key, key)), n=len(window), span=span, best=percent(best)
                    ),
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
                        _(
                            "{item}: the median rep reached {median} of the target in the "
                            "period starting {start} (≥ {easy}). Raise the target so that it "
                            "takes effort to reach."
                        ).format(
                            item=_(labels.get(key, key)),
                            median=percent(median),
                            start=_day(latest),
                            easy=percent(easy_factor),
                        ),
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
    :class:`~analytics.incentives.plan.PlanItem` refuses it.)  With ``history``: a target no
    rep met (attainment ≥ 1) in any of the last ``periods`` periods of the history, and a
    target that the median rep exceeded by ``easy_factor`` (median attainment ≥ 1.5 = 150 %)
    in the latest period.  Targets are resolved per rep as in
    :func:`~analytics.incentives.scoring.scorecard` (the history's own ``target`` column, else
    the plan's) and prorated like it for reps employed for part of a period; reps whose target
    is 0 or missing, and reps employed on no working day of a period, are left out of that
    period (a rep hired later is not a 0 in the median).

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
        ``period``, ``rep_id``, ``worked_days``, ``total_days`` (as for a scorecard, per
        period of the history); reps it does not list count as employed all the period.
    prorated : collection of str
        Metric keys whose targets are prorated for partial-period reps.

    Returns
    -------
    list of PlanWarning
        Plan-level first, then by item in plan order.

    Examples
    --------
    >>> from analytics.incentives.plan import PlanItem
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
    easy_factor = finite_number(easy_factor, "easy_factor")
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
