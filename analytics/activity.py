"""Activity KPIs of METRICS.md "Non-financial activity KPIs": active conversations, overdue."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from analytics.periods import elapsed_days

__all__ = ["SILENCE_DAYS", "overdue_followups", "recently_active"]

#: METRICS.md: a deal is in an active conversation with a done activity in the last 14 days.
SILENCE_DAYS = 14


def recently_active(last_activity_at: pd.Series, as_of: datetime, days: int) -> pd.Series:
    """Whether the latest done activity falls in the ``days`` days before ``as_of``.

    The window is ``[as_of - days, as_of)``: an activity exactly ``days`` days before ``as_of``
    is inside it.  NaT (no activity) is False.
    """
    as_of_ts = pd.Timestamp(as_of)
    return (last_activity_at >= as_of_ts - pd.Timedelta(days=days)) & (last_activity_at < as_of_ts)


def overdue_followups(followups: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """METRICS.md "Overdue": planned activities due before ``as_of`` and not done.

    Parameters
    ----------
    followups : DataFrame
        Activities still planned at ``as_of`` (``crm_data.queries.overview.overdue_activities``):
        ``activity_id`` int, ``employee_id`` Int64, ``employee`` str, ``type`` str, ``due_at``
        datetime64, ``deal_id`` Int64, ``deal`` str, ``account_id`` Int64, ``account`` str.
    as_of : datetime
        The evaluation moment.

    Returns
    -------
    DataFrame
        The rows with ``due_at < as_of`` plus ``days_overdue`` float (``as_of - due_at`` in
        days), most overdue first (ties by ``activity_id``).
    """
    overdue = followups.loc[followups["due_at"] < pd.Timestamp(as_of)]
    overdue = overdue.assign(days_overdue=elapsed_days(overdue["due_at"], as_of))
    return overdue.sort_values(
        ["days_overdue", "activity_id"], ascending=[False, True], ignore_index=True
    )
