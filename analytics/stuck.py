"""Stuck (rotting) deals, METRICS.md "Stuck (rotting) deal".

A deal is **stuck** when it has been in its current stage longer than the stage's limit
(``stages.rot_days``, or the stage's Kaplan–Meier p90 supplied by the caller when ``rot_days``
is empty).  Three warning flags are reported beside it: expected close date passed, no done
activity for ``silence_days`` days, no planned next activity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

import pandas as pd

from analytics.activity import SILENCE_DAYS, recently_active
from i18n import _, ngettext
from i18n.formatting import format_number

__all__ = ["stuck_deals"]


def _limit_days(candidates: pd.DataFrame, stage_limits: Mapping[int, float] | None) -> pd.Series:
    """Each deal's stage limit in days: ``rot_days``, else ``stage_limits[stage_id]``, else NaN."""
    limits = candidates["rot_days"].astype("float64")
    if stage_limits:
        fallback = candidates["stage_id"].map(stage_limits).astype("float64")
        limits = limits.fillna(fallback)
    return limits


def _reasons(flags: pd.DataFrame, silence_days: int) -> pd.Series:
    """The flags of every deal as text joined with ``"; "`` (vectorised: 150k deals at size L).

    ``"32 days in Proposal (limit 21); close date passed; no activity for 14+ days; no next
    step"``; days in stage are rounded down, the limit to one decimal.
    """
    over = flags["over_limit"].to_numpy(bool)
    over_text = pd.Series("", index=flags.index, dtype="str")
    if over.any():
        rows = flags.loc[over]
        days = rows["days_in_stage"].map(math.floor).astype(int)
        templates = {  # one translation per distinct day count, not per deal
            n: ngettext(
                "{days} day in {stage} (limit {limit})",
                "{days} days in {stage} (limit {limit})",
                int(n),
            )
            for n in days.unique()
        }
        limits = {
            v: format_number(v, 0 if float(v).is_integer() else 1)
            for v in rows["limit_days"].round(1).unique()
        }
        over_text.loc[over] = pd.Series(
            [
                "; " + templates[n].format(days=n, stage=stage, limit=limits[limit])
                for n, stage, limit in zip(
                    days, rows["stage"], rows["limit_days"].round(1), strict=True
                )
            ],
            index=rows.index,
        )
    text = over_text
    for column, words in (
        ("close_date_passed", _("close date passed")),
        (
            "silent",
            ngettext(
                "no activity for {days}+ day", "no activity for {days}+ days", silence_days
            ).format(days=silence_days),
        ),
        ("no_next_step", _("no next step")),
    ):
        text = text + flags[column].map({True: f"; {words}", False: ""}).astype("str")
    return text.str.removeprefix("; ")


def stuck_deals(
    candidates: pd.DataFrame,
    as_of: datetime,
    *,
    stage_limits: Mapping[int, float] | None = None,
    silence_days: int = SILENCE_DAYS,
) -> pd.DataFrame:
    """Flag the open deals at ``as_of`` (METRICS.md "Stuck (rotting) deal").

    Parameters
    ----------
    candidates : DataFrame
        Open deals at ``as_of`` as returned by
        ``crm_data.queries.pipeline.stuck_deal_candidates`` (``stage_id``, ``stage``,
        ``rot_days`` Int64, ``days_in_stage`` float, ``expected_close_at``,
        ``last_activity_at``, ``next_activity_due_at`` datetime64, ``amount`` float, ...).
    as_of : datetime
        The evaluation moment.
    stage_limits : mapping of stage id to days, optional
        Limits for stages without ``rot_days`` (e.g. the stage's Kaplan–Meier p90 of time in
        stage).
    silence_days : int
        A deal is silent without a done activity in ``[as_of - silence_days, as_of)``.

    Returns
    -------
    DataFrame
        The candidates plus ``limit_days`` float (NaN when the stage has no limit),
        ``over_limit`` bool (``days_in_stage > limit_days``), ``close_date_passed`` bool
        (``expected_close_at < as_of``), ``silent`` bool, ``no_next_step`` bool (no planned
        activity due at or after ``as_of``), ``stuck`` bool (= ``over_limit``), ``flagged``
        bool (any of the four flags) and ``reasons`` str (the flags as text, e.g.
        ``"32 days in Proposal (limit 21); close date passed; no activity for 14+ days; no next
        step"``, ``""`` when none).  Stuck deals first, then by amount descending (ties by
        ``deal_id``).
    """
    limits = _limit_days(candidates, stage_limits)
    over_limit = candidates["days_in_stage"] > limits
    flags = candidates.assign(
        limit_days=limits,
        over_limit=over_limit,
        close_date_passed=candidates["expected_close_at"] < pd.Timestamp(as_of),
        silent=~recently_active(candidates["last_activity_at"], as_of, silence_days),
        no_next_step=candidates["next_activity_due_at"].isna(),
        stuck=over_limit,
    )
    flag_columns = ["over_limit", "close_date_passed", "silent", "no_next_step"]
    flags["flagged"] = flags[flag_columns].any(axis=1)
    flags["reasons"] = _reasons(flags, silence_days)
    return flags.sort_values(
        ["stuck", "amount", "deal_id"], ascending=[False, False, True], ignore_index=True
    )
