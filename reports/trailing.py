"""Trailing windows: the same narrowing lists over the months before a period's as_of (the
windows behind sales velocity and the stuck-deal time limits).
"""

from __future__ import annotations

import pandas as pd

from analytics.periods import shift_months
from analytics.pipeline import VELOCITY_MONTHS
from crm_data.filters import Filters, Scope
from crm_data.queries.frames import Bind
from crm_data.queries.funnel_stats import closed_deal_stats

__all__ = ["trailing", "velocity_closed"]


def trailing(filters: Filters, months: int) -> Filters:
    """The same narrowing lists over the ``months`` months before ``filters``' as_of."""
    as_of = filters.as_of or filters.end
    return filters.shifted(shift_months(as_of, -months), as_of)


def velocity_closed(
    bind: Bind,
    filters: Filters,
    scope: Scope,
    closed: pd.DataFrame | None = None,
    group: str | None = None,
) -> pd.DataFrame:
    """``closed_deal_stats`` over the :data:`~analytics.pipeline.VELOCITY_MONTHS` months before
    ``filters``' as_of (the basis of sales velocity), without cycle bins (only the mean cycle is
    needed).  ``closed`` — the period's own stats — is reused when the period is that window.
    """
    window = trailing(filters, VELOCITY_MONTHS)
    if closed is not None and (window.start, window.end) == (filters.start, filters.end):
        return closed
    return closed_deal_stats(bind, window, scope, group=group, binned=False)
