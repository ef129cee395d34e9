"""What-if (METRICS.md "Incentive scorecards"): the same actuals scored under the current and a
changed plan, who gains, who loses, and the bonus pool under each.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.incentives.plan import Plan
from analytics.incentives.scoring import Scorecard, scorecard

__all__ = ["WhatIf", "what_if"]

#: Absolute change below which :func:`what_if` calls a rep "unchanged".
_CHANGE_TOLERANCE = 1e-9


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
    >>> from analytics.incentives.plan import PlanItem
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
