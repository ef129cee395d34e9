"""Price segments of the product catalogue: economy, mid and premium by list price (the seeds'
"demand by price segment", issue #19).

The thresholds are the terciles of the products' list prices (each product counted once,
whatever it sells), so the three segments hold about a third of the catalogue each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["PRICE_SEGMENTS", "price_segments"]

#: The segments, cheapest first.
PRICE_SEGMENTS: tuple[str, str, str] = ("economy", "mid", "premium")


def price_segments(prices: pd.Series) -> pd.Series:
    """Each product's price segment by its list price.

    With ``q1`` and ``q2`` the 1/3 and 2/3 quantiles of the known prices (linear interpolation,
    pandas' default): price ≤ ``q1`` is ``"economy"``, ≤ ``q2`` ``"mid"``, above ``"premium"``.
    A price equal to a threshold goes to the cheaper segment, so equal prices always share a
    segment, and many equal prices can leave a segment empty.  With fewer than three distinct
    prices the terciles cannot tell three groups apart: one price is ``"mid"``; of two, the
    lower is ``"economy"`` and the higher ``"premium"``.  A missing price gets no segment.

    Parameters
    ----------
    prices : Series
        List prices, one per product (the index is kept, e.g. product ids).

    Returns
    -------
    Series
        The segment of each product (a value of :data:`PRICE_SEGMENTS`, object dtype; missing
        where the price is missing), with ``prices``' index.

    Examples
    --------
    >>> prices = pd.Series([10.0, 20.0, 30.0, 40.0, 50.0, 60.0], index=[1, 2, 3, 4, 5, 6])
    >>> price_segments(prices).tolist()  # terciles 26.67 and 43.33
    ['economy', 'economy', 'mid', 'mid', 'premium', 'premium']
    >>> price_segments(pd.Series([10.0, 20.0, 20.0, 30.0])).tolist()  # q1 = q2 = 20: mid is empty
    ['economy', 'economy', 'economy', 'premium']
    >>> price_segments(pd.Series([5.0, 5.0, 9.0])).tolist()  # two prices
    ['economy', 'economy', 'premium']
    >>> price_segments(pd.Series([7.0, None])).tolist()  # one price; a missing one
    ['mid', nan]
    """
    values = pd.to_numeric(prices, errors="coerce").to_numpy(dtype="float64")
    known = ~np.isnan(values)
    distinct = np.unique(values[known])
    economy, mid, premium = PRICE_SEGMENTS
    labels = np.full(len(values), np.nan, dtype=object)
    if len(distinct) == 1:
        labels[known] = mid
    elif len(distinct) == 2:
        labels[values == distinct[0]] = economy
        labels[values == distinct[1]] = premium
    elif len(distinct) > 2:
        q1, q2 = np.quantile(values[known], [1 / 3, 2 / 3])  # linear, as pandas' quantile
        tiers = np.where(values <= q1, economy, np.where(values <= q2, mid, premium))
        labels[known] = tiers[known]
    return pd.Series(labels, index=prices.index, name=prices.name, dtype=object)
