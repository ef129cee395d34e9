"""Orders and order items: one order per won deal plus repeat orders of customers.

A customer (an account with a won deal) stays active for an exponential lifetime after its
first win; 30 % of those who lapse come back months later for a second active period.  Repeat
orders arrive as a Poisson process in active periods, with the business seasonality and trend.
Each customer's repeat-order rate per active day is proportional to a lognormal(0, 0.6)
propensity (scaled so the orders meet the size's target), and its orders' amounts are its
planted spend (its first deal's amount × 0.12 × lognormal(0, 0.3)) times a gamma(3, 1/3) factor.
Orders of won deals come on top: they follow the deals, which go on after a customer lapses.

Truths: ``customers`` (the lifecycle and its realised counts) and ``purchases`` (the planted
purchase rates, drop-out and spend the customer models must recover; ``load_truth``).
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import pandas as pd

from crm_data.demo.catalog import LINE_AMOUNT, LINE_P, LINES
from crm_data.demo.people import SIZE_AMOUNT
from crm_data.demo.world import World, cat

__all__ = ["make_orders", "LIFECYCLE"]


class _Lifecycle(TypedDict):
    """The keys of :data:`LIFECYCLE` and their types."""

    mean_lifetime_days: float
    return_share: float
    return_gap_days: list[int]
    mean_return_lifetime_days: float
    repeat_order_share_of_deal_amount: float


#: Planted customer lifecycle.
LIFECYCLE: _Lifecycle = {
    "mean_lifetime_days": 480.0,
    "return_share": 0.3,
    "return_gap_days": [120, 360],
    "mean_return_lifetime_days": 400.0,
    "repeat_order_share_of_deal_amount": 0.12,
}
CHANNELS = ["online", "phone", "sales rep", "partner"]
PAYMENTS = ["card", "invoice", "bank transfer"]


def _customers(w: World) -> None:
    """Active periods of every customer: ``cust_*`` arrays."""
    rng, horizon = w.rng, w.clock.horizon
    won = np.flatnonzero(w["deal_status"] == 1)
    order = np.lexsort((w["deal_closed"][won], w["deal_acc"][won]))
    won = won[order]
    won_acc, first_idx = np.unique(w["deal_acc"][won], return_index=True)
    # existing customers imported at the start ("backlog") are customers from day one
    backlog = np.flatnonzero(w["acc_backlog"] & (rng.random(len(w["acc_backlog"])) < 0.7))
    acc = np.union1d(won_acc, backlog)
    has_win = np.isin(acc, won_acc)
    first_deal = np.full(len(acc), -1)
    first_deal[has_win] = won[first_idx]
    first_win = np.where(has_win, w["deal_closed"][np.maximum(first_deal, 0)], np.inf)
    is_backlog = np.isin(acc, backlog)
    start1 = np.where(
        is_backlog,
        np.minimum(w["acc_created"][acc] + rng.uniform(0, 30, len(acc)), first_win),
        first_win,
    )
    start1 = w.clock.clip(start1)
    guess_line = rng.choice(len(LINES), len(acc), p=LINE_P)
    line = np.where(has_win, w["deal_line"][np.maximum(first_deal, 0)], guess_line)
    guess_amount = (
        LINE_AMOUNT[line] * SIZE_AMOUNT[w["acc_size"][acc]] * rng.lognormal(0, 0.5, len(acc))
    )
    w["cust_line"] = line
    w["cust_deal_amount"] = np.where(
        has_win, w["deal_amount"][np.maximum(first_deal, 0)], guess_amount
    )
    n = len(acc)
    churn = start1 + rng.exponential(LIFECYCLE["mean_lifetime_days"], n)
    churn = np.maximum(churn, start1 + 1)
    lapsed = churn < horizon
    end1 = np.minimum(churn, horizon)
    gap_low, gap_high = LIFECYCLE["return_gap_days"]
    gap = rng.uniform(gap_low, gap_high, n)
    returns = lapsed & (rng.random(n) < LIFECYCLE["return_share"]) & (churn + gap < horizon - 30)
    start2 = np.where(returns, churn + gap, np.nan)
    end2 = np.where(
        returns,
        np.minimum(start2 + rng.exponential(LIFECYCLE["mean_return_lifetime_days"], n), horizon),
        np.nan,
    )
    w["cust_acc"] = acc
    w["cust_start1"], w["cust_end1"], w["cust_start2"], w["cust_end2"] = start1, end1, start2, end2
    w["cust_lapsed"] = lapsed
    w["cust_len"] = (end1 - start1) + np.nan_to_num(end2 - start2)
    w.truth["customers"] = {
        **LIFECYCLE,
        "customers": int(n),
        "existing_at_start": int(is_backlog.sum()),
        "lapsed": int(lapsed.sum()),
        "returned": int(returns.sum()),
        "lapsed_for_good_at_end": int(
            (lapsed & ~returns).sum() + (returns & (end2 < horizon)).sum()
        ),
        "returned_account_ids_sample": (acc[returns][:200] + 1).tolist(),
    }


def in_periods(w: World, cust: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Business times inside the active periods of customers ``cust`` (``u`` picks the period)."""
    s1, e1 = w["cust_start1"][cust], w["cust_end1"][cust]
    s2, e2 = w["cust_start2"][cust], w["cust_end2"][cust]
    len1 = e1 - s1
    second = u * w["cust_len"][cust] >= len1
    lo = np.where(second, s2, s1)
    hi = np.where(second, e2, e1)
    return w.clock.business_time(lo, hi, w.rng.random(len(cust)))


def _purchase_truth(
    w: World,
    daily_rate: np.ndarray,
    n_rep: np.ndarray,
    spend: np.ndarray,
    amount_rep: np.ndarray,
    won_orders: int,
) -> None:
    """Record the planted purchase process in ``w.truth["purchases"]`` (draws nothing).

    ``daily_rate`` is each customer's planted repeat-order rate per active day (its expected
    repeat orders over its active days), ``n_rep`` its drawn number of repeat orders,
    ``spend`` its planted mean repeat-order amount and ``amount_rep`` the drawn amounts of the
    repeat orders.
    """
    weekly = 7 * daily_rate
    active = ~w["cust_lapsed"] | (w["cust_end2"] >= w.clock.horizon)
    buyers = n_rep > 0
    sample = np.unique(np.linspace(0, len(weekly) - 1, min(200, len(weekly))).astype(int))
    mean_lifetime = LIFECYCLE["mean_lifetime_days"]
    w.truth["purchases"] = {
        "customers": len(weekly),
        "active_at_end": int(active.sum()),
        "weekly_rate_mean": _mean(weekly),
        "weekly_rate_quantiles": {
            str(q): float(np.quantile(weekly, q)) if len(weekly) else 0.0
            for q in (0.1, 0.25, 0.5, 0.75, 0.9)
        },
        "mean_lifetime_days": mean_lifetime,
        "weekly_dropout": 7 / mean_lifetime,
        "active_days_mean": _mean(w["cust_len"]),
        "with_repeat_orders": {
            "customers": int(buyers.sum()),
            "active_at_end": int((active & buyers).sum()),
            "weekly_rate_mean": _mean(weekly[buyers]),
        },
        "repeat_orders": len(amount_rep),
        "won_deal_orders": won_orders,
        "spend_mean": _mean(spend),
        "repeat_amount_mean": _mean(amount_rep),
        "sample": {
            "account_id": (w["cust_acc"][sample] + 1).tolist(),
            "weekly_rate": [round(float(x), 5) for x in weekly[sample]],
            "active_at_end": active[sample].tolist(),
        },
    }


def _mean(values: np.ndarray) -> float:
    """The mean of ``values``, 0 when there are none."""
    return float(values.mean()) if len(values) else 0.0


def make_orders(w: World) -> None:
    """Orders and order items (kept on ``w.tables``, loaded after activities)."""
    rng, clock, spec = w.rng, w.clock, w.spec
    horizon = clock.horizon
    _customers(w)
    won = np.flatnonzero(w["deal_status"] == 1)
    closed = w["deal_closed"][won]
    t_won = np.where(
        closed + 3 < horizon,
        closed + rng.uniform(0, 3, len(won)),
        closed + (horizon - closed) * rng.uniform(0, 0.9, len(won)),
    )
    n_cust = len(w["cust_acc"])
    target = max(spec.orders - len(won), 0)
    propensity = rng.lognormal(0, 0.6, n_cust)
    rate = propensity * w["cust_len"]
    n_rep = rng.poisson(rate * target / max(rate.sum(), 1e-9))
    cust = np.repeat(np.arange(n_cust), n_rep)
    t_rep = in_periods(w, cust, rng.random(len(cust)))
    spend = (
        w["cust_deal_amount"]
        * LIFECYCLE["repeat_order_share_of_deal_amount"]
        * rng.lognormal(0, 0.3, n_cust)
    )
    amount_rep = spend[cust] * rng.gamma(3, 1 / 3, len(cust))
    main_line = w["cust_line"]
    acc = np.concatenate([w["deal_acc"][won], w["cust_acc"][cust]])
    t = np.concatenate([t_won, t_rep])
    amount = np.concatenate([w["deal_amount"][won], amount_rep])
    deal = np.concatenate([won, np.full(len(cust), -1)])
    line = np.concatenate([w["deal_line"][won], main_line[cust]])
    n_won = len(won)
    order = np.argsort(t, kind="stable")
    acc, t, amount, deal, line = acc[order], t[order], amount[order], deal[order], line[order]
    is_rep = order >= n_won
    n = len(t)
    # items: won-deal orders carry the deal's line; repeat orders mix lines
    k = np.where(is_rep, 1 + rng.binomial(3, 0.3, n), 1 + rng.binomial(2, 0.3, n))
    o = np.repeat(np.arange(n), k)
    m = len(o)
    other = rng.choice(len(LINES), m, p=LINE_P)
    new = len(LINES) - 1
    other = np.where((t[o] >= w["launch"][0]) & (rng.random(m) < 0.15), new, other)
    item_line = np.where(is_rep[o] & (rng.random(m) < 0.35), other, line[o])
    early = (item_line == new) & (t[o] < w["launch"][0])
    item_line = np.where(early, rng.choice(len(LINES), m, p=LINE_P), item_line)
    product = w["line_start"][item_line] + (rng.random(m) * w["line_count"][item_line]).astype(int)
    share = rng.gamma(2.0, 1.0, m)
    share = share / np.bincount(o, weights=share, minlength=n)[o] * amount[o]
    price = w["prod_price"][product]
    qty = np.maximum(1, np.round(share / price)).astype("int64")
    unit = np.maximum(np.round(share / qty, 2), 0.01)
    total = np.round(np.bincount(o, weights=qty * unit, minlength=n), 2)
    company = w["acc_size"][acc] != 5
    channel = np.where(
        is_rep,
        rng.choice(4, n, p=[0.45, 0.2, 0.2, 0.15]),
        rng.choice(4, n, p=[0.1, 0.1, 0.75, 0.05]),
    )
    payment = np.where(
        company, rng.choice(3, n, p=[0.15, 0.55, 0.3]), rng.choice(3, n, p=[0.8, 0.05, 0.15])
    )
    w.tables["orders"] = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "account_id": acc + 1,
            "deal_id": pd.array(np.where(deal >= 0, deal + 1, np.nan), dtype="Int64"),
            "ordered_at": clock.stamps(t),
            "amount": total,
            "channel": cat(channel, CHANNELS),
            "payment_method": cat(payment, PAYMENTS),
        }
    )
    daily_rate = propensity * target / max(rate.sum(), 1e-9)
    _purchase_truth(w, daily_rate, n_rep, spend, amount_rep, n_won)
    w.tables["order_items"] = pd.DataFrame(
        {
            "id": np.arange(1, m + 1),
            "order_id": o + 1,
            "product_id": product + 1,
            "quantity": qty,
            "unit_price": unit,
        }
    )
