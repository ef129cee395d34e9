"""Which currencies the deals are in (amounts are shown in the account currency).

A label for amounts, not a metric: all the deals a scope may see count, with no ``as_of``.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Scope
from crm_data.queries.frames import Bind, read_frame
from crm_data.queries.tables import DEALS
from crm_data.queries.where import deal_conditions

__all__ = ["deal_currencies", "main_currency"]


def deal_currencies(bind: Bind, scope: Scope) -> pd.DataFrame:
    """Deals per currency visible to ``scope``, most used first.

    Returns
    -------
    DataFrame
        ``currency`` str (NA for deals without one), ``deals`` int; ordered by deals desc,
        then currency.
    """
    stmt = (
        sa.select(DEALS.c.currency, sa.func.count().label("deals"))
        .where(*deal_conditions(DEALS, scope, None))
        .group_by(DEALS.c.currency)
        .order_by(sa.func.count().desc(), DEALS.c.currency)
    )
    return read_frame(bind, stmt, {"currency": "str", "deals": "int"})


def main_currency(bind: Bind, scope: Scope) -> tuple[str | None, bool]:
    """The most used currency of the deals visible to ``scope`` (None without deals), and
    whether they are in more than one (amounts are then added as they are).
    """
    currencies = deal_currencies(bind, scope)
    main = None if currencies.empty else currencies["currency"].iloc[0]
    return (None if pd.isna(main) else str(main)), len(currencies) > 1
