"""Campaign metrics (METRICS.md "Customers and segments", Campaigns): response rate,
conversion to deals, attributed revenue and ROI, from ``crm_data.queries.campaigns``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.grouped import (
    as_counts,
    by_columns,
    group_codes,
    money_column,
    safe_rates,
    tally,
)
from analytics.shrinkage import wilson_interval

__all__ = ["campaign_groups", "campaign_metrics"]


def campaign_metrics(results: pd.DataFrame) -> pd.DataFrame:
    """Rates, revenue and ROI per campaign.

    Parameters
    ----------
    results : DataFrame
        :func:`crm_data.queries.campaigns.campaign_results`: ``budget``, ``all_members``,
        ``members``, ``responded``, ``converted``, ``won_amount`` per campaign.

    Returns
    -------
    DataFrame
        ``results`` with ``response_rate`` = responded / members and its 95 % Wilson interval
        (``response_low``, ``response_high``), ``conversion_rate`` = converted / members,
        ``budget_share`` = budget × members / all members (the part of the budget spent on the
        members in scope: all of it for an unrestricted scope), and ``roi`` = (won amount −
        budget share) / budget share (NaN without a budget).

    Examples
    --------
    >>> results = pd.DataFrame({"budget": [1000.0], "all_members": [200], "members": [100],
    ...                         "responded": [20], "converted": [5], "won_amount": [1500.0]})
    >>> row = campaign_metrics(results).iloc[0]
    >>> row["response_rate"], row["conversion_rate"], row["budget_share"], row["roi"]
    (np.float64(0.2), np.float64(0.05), np.float64(500.0), np.float64(2.0))
    """
    members = results["members"].to_numpy(dtype="float64")
    responded = results["responded"].to_numpy(dtype="float64")
    low, high = wilson_interval(responded, members)
    share = results["budget"].to_numpy(dtype="float64") * safe_rates(
        members, results["all_members"].to_numpy(dtype="float64")
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(share > 0, (results["won_amount"].to_numpy(dtype="float64") - share) / share,
                       np.nan)  # fmt: skip
    return results.assign(
        response_rate=safe_rates(responded, members),
        response_low=low,
        response_high=high,
        conversion_rate=safe_rates(results["converted"].to_numpy(dtype="float64"), members),
        budget_share=share,
        roi=roi,
    )


#: What :func:`campaign_groups` adds up per group.
_SUMMED = ("members", "responded", "converted", "deals", "won_amount", "budget_share")


def campaign_groups(metrics: pd.DataFrame, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Campaigns added up per group (their target segment, their channel; None: all together),
    with the rates and ROI of :func:`campaign_metrics` over the sums.

    Parameters
    ----------
    metrics : DataFrame
        :func:`campaign_metrics` of the campaigns, with the ``by`` columns.
    by : str or sequence of str, optional
        Group columns.

    Returns
    -------
    DataFrame
        ``[by…]``, ``campaigns`` int, ``budget`` float (Σ of the budget shares; a campaign
        without a budget adds 0), ``members``, ``responded``, ``converted``, ``deals`` int,
        ``won_amount`` float, and the columns :func:`campaign_metrics` adds (``roi`` =
        (Σ won amount − Σ budget share) / Σ budget share).

    Examples
    --------
    >>> results = pd.DataFrame({"channel": ["email", "email", "event"],
    ...                         "budget": [100.0, 300.0, 1000.0], "all_members": [10, 30, 50],
    ...                         "members": [10, 30, 50], "responded": [1, 3, 20],
    ...                         "converted": [0, 2, 5], "deals": [0, 2, 6],
    ...                         "won_amount": [0.0, 800.0, 500.0]})
    >>> groups = campaign_groups(campaign_metrics(results), by="channel")
    >>> groups[["channel", "campaigns", "budget", "response_rate", "roi"]].to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'channel': 'email', 'campaigns': 2, 'budget': 400.0, 'response_rate': 0.1, 'roi': 1.0},
     {'channel': 'event', 'campaigns': 1, 'budget': 1000.0, 'response_rate': 0.4, 'roi': -0.5}]
    """
    by_cols = by_columns(metrics, by, reserved=["campaigns", "budget", *_SUMMED])
    codes, keys = group_codes(metrics, by_cols)
    n = len(keys)
    sums = {column: tally(codes, money_column(metrics, column), n) for column in _SUMMED}
    counts = {c: as_counts(sums[c]) for c in ("members", "responded", "converted", "deals")}
    grouped = keys.assign(
        campaigns=as_counts(tally(codes, np.ones(len(metrics)), n)),
        budget=sums["budget_share"],
        all_members=counts["members"],  # the budget is already the scope's share
        **counts,
        won_amount=sums["won_amount"],
    )
    return campaign_metrics(grouped).drop(columns="all_members")
