"""Stuck deals as every page shows them: flags with the stage limits of METRICS.md, and the
named list of the largest stuck deals.
"""

from __future__ import annotations

import pandas as pd

from analytics.funnel import stage_limits, time_in_stage
from analytics.stuck import stuck_deals
from crm_data.filters import Filters, Scope
from crm_data.queries.deal_lists import deal_labels
from crm_data.queries.frames import Bind
from crm_data.queries.funnel_stats import funnel_stages, stage_durations
from reports.trailing import trailing

__all__ = ["LIMIT_MONTHS", "STUCK_COLUMNS", "flag_stuck", "stuck_list"]

#: Months of new deals whose stage visits give the Kaplan–Meier p90 fallback limits.
LIMIT_MONTHS = 12
#: Columns of :func:`stuck_list`.
STUCK_COLUMNS = ["deal_id", "title", "account", "owner", "stage", "days_in_stage", "limit_days",
                 "amount", "last_activity_at", "next_activity_due_at", "reasons"]  # fmt: skip


def flag_stuck(
    bind: Bind, filters: Filters, scope: Scope, candidates: pd.DataFrame
) -> pd.DataFrame:
    """:func:`analytics.stuck.stuck_deals` of the open deals ``candidates`` at ``filters``'
    as_of, with the METRICS.md limits: ``stages.rot_days``, else the stage's Kaplan–Meier p90
    of time in stage over the deals created in the :data:`LIMIT_MONTHS` months before as_of
    (queried only when some open deal's stage has no ``rot_days``).
    """
    limits = None
    if candidates["rot_days"].isna().any():
        stages = funnel_stages(bind, filters.pipeline, scope)
        visits = stage_durations(bind, trailing(filters, LIMIT_MONTHS), scope)
        limits = stage_limits(time_in_stage(visits, stages))
    return stuck_deals(candidates, filters.as_of_ts, stage_limits=limits)


def stuck_list(bind: Bind, scope: Scope, flagged: pd.DataFrame, rows: int) -> pd.DataFrame:
    """The ``rows`` largest stuck deals of ``flagged`` with title, account and owner
    (:data:`STUCK_COLUMNS`).
    """
    top = flagged[flagged["stuck"]].head(rows)
    labels = deal_labels(bind, scope, top["deal_id"].astype(int).tolist())
    named = top.merge(labels[["deal_id", "title", "account", "owner"]], on="deal_id", how="left")
    return named[STUCK_COLUMNS]
