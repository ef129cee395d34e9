"""The ``demo_truth`` table: planted truths as JSON documents, and demo detection."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crm_data.schema import DemoTruth

__all__ = ["GENERATOR_KEY", "is_demo_database", "load_truth", "truth_frame"]

#: The key whose presence marks a database as made by the demo generator.
GENERATOR_KEY = "generator"
_table: sa.Table = DemoTruth.__table__  # type: ignore[assignment]


def _plain(value: Any) -> Any:
    """Numpy scalars/arrays → Python values for ``json.dumps``."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def truth_frame(truth: dict[str, Any]) -> pd.DataFrame:
    """Truths as ``demo_truth`` rows (key, JSON text)."""
    return pd.DataFrame(
        {
            "key": list(truth),
            "value": [json.dumps(v, default=_plain, sort_keys=True) for v in truth.values()],
        }
    )


def is_demo_database(engine: sa.Engine) -> bool:
    """Whether the database was filled by the demo generator.

    Parameters
    ----------
    engine : sa.Engine
        The CRM database.

    Returns
    -------
    bool
        True when a ``demo_truth`` table exists and holds the ``generator`` key.
    """
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(_table.name):
            return False
        found = conn.execute(sa.select(_table.c.key).where(_table.c.key == GENERATOR_KEY)).first()
    return found is not None


def load_truth(engine: sa.Engine) -> dict[str, Any]:
    """All planted truths of a demo database, key → decoded JSON value.

    Keys include ``generator`` (size, seed, start, end, version), ``reps`` (per rep: id,
    team_id, skill = win-logit shift, base_win_prob, mean_planted_win_prob, diligence = share
    of planned activities done on time, activity_level), ``seasonality`` (12 monthly
    multipliers), ``trend`` (annual_growth), ``new_line``, ``regions``, ``win_model``,
    ``lost_reasons_by_stage``, ``campaign_response``, ``customers``, ``tickets``, ``quotas``
    (uplift, annual_growth), ``stages``, ``activities``, and the customer analytics' truths:

    ``purchases`` (``crm_data.demo.orders``)
        The repeat orders' buy-till-you-die process.  ``customers`` (accounts with an active
        period), ``active_at_end`` (of them, those whose active period runs at the end of the
        history); ``weekly_rate_mean`` and ``weekly_rate_quantiles`` (0.1 … 0.9) of the
        planted repeat-order rate per active week (a customer's expected repeat orders over its
        active weeks); ``mean_lifetime_days`` and the implied ``weekly_dropout`` (its inverse
        in weeks); ``active_days_mean``; ``with_repeat_orders`` (``customers``,
        ``active_at_end`` and ``weekly_rate_mean`` of the customers given at least one repeat
        order); the realised ``repeat_orders`` and ``won_deal_orders`` (orders of won deals,
        which follow the deals, not this process); ``spend_mean`` (the planted mean
        repeat-order amount, averaged over customers) and ``repeat_amount_mean`` (the mean of
        the repeat orders drawn); ``sample``: ``account_id``, ``weekly_rate`` and
        ``active_at_end`` of up to 200 customers spread over the account ids.
    ``campaign_response_by_segment`` (``crm_data.demo.catalog``)
        ``by_segment`` (campaign segment: SMB, Mid-market, Enterprise, Consumer, All) and
        ``by_channel``, each name → ``members``, ``expected_rate`` (the mean of the members'
        planted response probabilities), ``rate_variance`` (the binomial variance of the
        response rate: Σ p(1 − p) / members²) and the realised ``responded``.
    ``complaint_churn`` (``crm_data.demo.service``)
        ``complaint_before_lapse_share`` (the planted share of lapsing customers given a
        complaint), ``days_before_lapse`` (its range), the realised ``lapsed`` customers
        (whose first active period ended before the end of the history),
        ``lapse_complaints`` (customers given one), ``lapse_complaints_returned`` (of them,
        those who came back for a second active period) and ``other_complaints``.

    Returns
    -------
    dict[str, Any]
        Empty when the database holds no truths.
    """
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(_table.name):
            return {}
        rows = conn.execute(sa.select(_table.c.key, _table.c.value)).all()
    return {key: json.loads(value) for key, value in rows}
