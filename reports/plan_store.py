"""Incentive plans for the app and the notebooks: read, and saved under the one rule a plan
must meet, that it can be scored.

The plans live in the app database (:mod:`appdb.plans`, which also checks who may read and
save which plan); the Incentives page and the notebooks read, save and copy them here rather
than there: before anything is stored, the version is turned into the scoring's plan
(:func:`reports.incentives.to_plan`: each item's direction from the metric catalogue, the
checks of ``analytics.incentives.plan.PlanItem``, ``Plan`` and ``check_period``), and a version that
could not be scored is refused with the reason.  So every stored version can be scored, and
what the editor accepts is what the scorecards accept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pandas as pd

from appdb import plans
from appdb.databases import Databases
from appdb.plans import PlanError, StoredItem, StoredPlan, list_plans, load_plan, plan_history
from crm_data.filters import Scope
from i18n import N_, _
from reports.incentives import to_plan

__all__ = [
    "PlanError",
    "StoredItem",
    "StoredPlan",
    "copy_plan",
    "list_plans",
    "load_plan",
    "plan_history",
    "save_plan",
]

#: What a period with only one of its days picked is told.
ONE_DAY_PICKED = N_(
    "The plan's period needs its first and its last day: pick the first and the last day in "
    "the calendar (one date alone does not change the period)."
)


def save_plan(
    databases: Databases,
    scope: Scope,
    plan_key: str | None = None,
    *,
    name: str,
    period_start: date | None,
    period_end: date | None,
    team_id: int | None,
    on_target_bonus: float = 0.0,
    items: Iterable[StoredItem | Mapping[str, Any]] | pd.DataFrame,
    based_on_version: int | None = None,
) -> StoredPlan:
    """Store a plan version (``appdb.plans.save_plan``) if it can be scored.

    Parameters
    ----------
    databases, scope, plan_key, name, team_id, on_target_bonus, items, based_on_version
        As in ``appdb.plans.save_plan``.
    period_start, period_end : date or None
        The period ``[period_start, period_end)``; None when the editor's calendar holds only
        one day, which is refused instead of becoming a period of its own.

    Returns
    -------
    StoredPlan
        The stored version.

    Raises
    ------
    PlanError
        What ``appdb.plans.save_plan`` refuses, and a version that cannot be scored
        (:func:`reports.incentives.to_plan`), with the reason; nothing is stored then.
    """
    if period_start is None or period_end is None:
        raise PlanError(_(ONE_DAY_PICKED))
    return plans.save_plan(
        databases,
        scope,
        plan_key,
        name=name,
        period_start=period_start,
        period_end=period_end,
        team_id=team_id,
        on_target_bonus=on_target_bonus,
        items=items,
        based_on_version=based_on_version,
        check=to_plan,
    )


def copy_plan(
    databases: Databases,
    scope: Scope,
    plan_key: str,
    period_start: date,
    period_end: date,
    *,
    name: str | None = None,
) -> StoredPlan:
    """Copy a plan to ``[period_start, period_end)`` (``appdb.plans.copy_plan``) if the copy
    can be scored (the copy's period: :func:`analytics.incentives.plan.check_period`).

    Raises
    ------
    PlanError
        What ``appdb.plans.copy_plan`` refuses, and a copy that cannot be scored.
    """
    return plans.copy_plan(
        databases, scope, plan_key, period_start, period_end, name=name, check=to_plan
    )
