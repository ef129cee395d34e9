"""Campaign metrics (METRICS.md "Customers and segments", Campaigns): response rate,
conversion to deals, attributed revenue and ROI, from ``crm_data.queries.campaigns``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.grouped import safe_rates
from analytics.shrinkage import wilson_interval

__all__ = ["campaign_metrics"]


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
