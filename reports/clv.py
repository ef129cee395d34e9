"""Customer value: purchase and spend models fitted on the customers a scope sees
(METRICS.md "Customers and segments", CLV; ``analytics.clv``).

The purchase history comes reduced from the database (``crm_data.queries.purchases``); the
modified BG/NBD model gives each customer's expected purchases and probability of being alive
(the plain BG/NBD calls every one-time buyer alive, so churn risk uses the modified model), the
Gamma-Gamma model the value of a future purchase, and the CLV is their discounted product over
:data:`HORIZON_MONTHS` months at :data:`MONTHLY_DISCOUNT` a month.  Time runs in weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.clv import (
    WEEKS_PER_MONTH,
    EmpiricalSpendModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    churn_risk,
    clv_summary_from_totals,
    customer_lifetime_value,
)
from crm_data.filters import Filters, Scope
from crm_data.queries.frames import Bind
from crm_data.queries.purchases import purchase_totals

__all__ = [
    "HORIZON_MONTHS",
    "MIN_REPEAT_BUYERS",
    "MIN_SPEND_Q",
    "MONTHLY_DISCOUNT",
    "VALUE_COLUMNS",
    "CustomerValues",
    "customer_values",
]

#: CLV horizon (months) and monthly discount rate.
HORIZON_MONTHS = 12
MONTHLY_DISCOUNT = 0.01
#: Fewer repeat buyers than this and the models are not fitted (their estimates would be noise).
MIN_REPEAT_BUYERS = 20
#: Columns of :attr:`CustomerValues.table`.
VALUE_COLUMNS = [
    "account_id", "frequency", "recency", "T", "monetary", "repeat_buyer", "p_alive",
    "churn_risk", "expected_purchases", "expected_value", "clv",
]  # fmt: skip
#: A Gamma-Gamma ``q`` this close to 1 means the spend has a tail too heavy for the model.
MIN_SPEND_Q = 1.05


@dataclass(frozen=True)
class CustomerValues:
    """Customers with their modelled value.

    Attributes
    ----------
    table : DataFrame
        :data:`VALUE_COLUMNS`, one row per customer with an order before ``as_of``:
        ``frequency`` (repeat purchase days), ``recency``, ``T`` (weeks), ``monetary`` (mean
        repeat purchase), ``repeat_buyer`` bool, ``p_alive``, ``churn_risk`` (1 − P(alive)),
        ``expected_purchases`` over the horizon, ``expected_value`` of a purchase, ``clv`` over
        the horizon, discounted.  All model columns are NaN when the models were not fitted.
    fitted : bool
        Whether there were enough repeat buyers (:data:`MIN_REPEAT_BUYERS`) to fit the models.
    purchase_params, spend_params : dict[str, float]
        The fitted parameters (r, alpha, a, b; p, q, v), empty when not fitted.
    spend_model : str
        ``"gamma-gamma"``, or ``"empirical"`` when the Gamma-Gamma fit ran to ``q`` ≈ 1 (spend
        too heavy-tailed for it: each repeat buyer's own mean purchase is used, and the repeat
        buyers' mean for the others); ``""`` when not fitted.
    """

    table: pd.DataFrame
    fitted: bool
    purchase_params: dict[str, float]
    spend_params: dict[str, float]
    spend_model: str


def customer_values(bind: Bind, filters: Filters, scope: Scope) -> CustomerValues:
    """Fit the purchase and spend models on the customers ``scope`` sees, as of ``filters``'
    as_of, and value every customer over :data:`HORIZON_MONTHS` months.
    """
    as_of = pd.Timestamp(filters.as_of_ts)
    totals = purchase_totals(bind, filters, scope).set_index("account_id")
    summary = clv_summary_from_totals(totals, as_of=as_of, unit="W")
    x, t_x, age = summary["frequency"], summary["recency"], summary["T"]
    monetary = summary["monetary"]
    table = summary.assign(repeat_buyer=x > 0).rename_axis("account_id").reset_index()
    repeaters = int(((x > 0) & (monetary > 0)).sum())
    if repeaters < MIN_REPEAT_BUYERS:
        nan = np.full(len(table), np.nan)
        table = table.assign(p_alive=nan, churn_risk=nan, expected_purchases=nan,
                             expected_value=nan, clv=nan)  # fmt: skip
        return CustomerValues(table[VALUE_COLUMNS], False, {}, {}, "")
    purchases = ModifiedBetaGeoModel().fit(x, t_x, age)
    paid = monetary.fillna(0.0)
    gamma = GammaGammaModel().fit(x, paid)
    spend: GammaGammaModel | EmpiricalSpendModel = gamma
    if gamma.q_ is None or gamma.q_ < MIN_SPEND_Q:
        spend = EmpiricalSpendModel().fit(x, paid)
    horizon = HORIZON_MONTHS * WEEKS_PER_MONTH
    table["p_alive"] = purchases.probability_alive(x, t_x, age)
    table["churn_risk"] = churn_risk(purchases, x, t_x, age)
    table["expected_purchases"] = purchases.expected_purchases(horizon, x, t_x, age)
    table["expected_value"] = spend.expected_average_value(x, paid)
    table["clv"] = customer_lifetime_value(
        purchases, spend, x, t_x, age, paid, horizon_months=HORIZON_MONTHS,
        monthly_discount=MONTHLY_DISCOUNT, unit_per_month=WEEKS_PER_MONTH,
    )  # fmt: skip
    return CustomerValues(
        table[VALUE_COLUMNS],
        True,
        {"r": purchases.r_, "alpha": purchases.alpha_, "a": purchases.a_, "b": purchases.b_},
        {"p": float(gamma.p_ or np.nan), "q": float(gamma.q_ or np.nan),
         "v": float(gamma.v_ or np.nan)},
        "gamma-gamma" if spend is gamma else "empirical",
    )  # fmt: skip
