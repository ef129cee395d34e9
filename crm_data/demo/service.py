"""Service tickets and quarterly revenue quotas.

Tickets come at a constant rate over the customers' active periods; besides, half of the
customers whose first active period ends before the end of the history
(``complaint_before_lapse_share``) get a complaint 5–60 days before that lapse.  Truths:
``tickets`` (:data:`TICKETS`), ``complaint_churn`` (the planted share and the realised counts;
``load_truth``) and ``quotas``.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import pandas as pd

from crm_data.demo.clock import ANNUAL_GROWTH
from crm_data.demo.orders import in_periods
from crm_data.demo.world import World, cat

__all__ = ["make_tickets", "make_quotas", "TICKETS", "QUOTA_UPLIFT"]

CATEGORIES = ["complaint", "question", "repair", "billing"]
PRIORITIES = ["low", "medium", "high", "urgent"]


class _Tickets(TypedDict):
    """The keys of :data:`TICKETS` and their types."""

    category_share: list[float]
    priority_share: list[float]
    first_response_mean_hours: list[float]
    resolution_mean_days: list[float]
    complaint_before_lapse_share: float


#: Planted service behaviour.
TICKETS: _Tickets = {
    "category_share": [0.2, 0.4, 0.25, 0.15],
    "priority_share": [0.3, 0.45, 0.2, 0.05],
    "first_response_mean_hours": [24, 12, 4, 1],
    "resolution_mean_days": [6, 1.5, 8, 3],
    "complaint_before_lapse_share": 0.5,
}
#: A lapse complaint is opened this many days (uniform) before the lapse.
LAPSE_COMPLAINT_DAYS = (5, 60)
#: Quota targets are the team's average won revenue per rep-quarter times this uplift.
QUOTA_UPLIFT = 1.1


def make_tickets(w: World) -> None:
    """Tickets of active customers, plus a complaint shortly before many lapses."""
    rng, clock, spec = w.rng, w.clock, w.spec
    horizon = clock.horizon
    cust_len = w["cust_len"]
    n_c = len(cust_len)
    lapsed = np.flatnonzero(w["cust_lapsed"])
    lapse_complaint = lapsed[rng.random(len(lapsed)) < TICKETS["complaint_before_lapse_share"]]
    target = max(spec.tickets - len(lapse_complaint), 0)
    counts = rng.poisson(cust_len * target / max(cust_len.sum(), 1e-9)) if n_c else np.zeros(0, int)
    cust = np.repeat(np.arange(n_c), counts)
    t = in_periods(w, cust, rng.random(len(cust)))
    category = rng.choice(4, len(cust), p=TICKETS["category_share"])
    end1 = w["cust_end1"][lapse_complaint]
    t_lapse = np.maximum(
        end1 - rng.uniform(*LAPSE_COMPLAINT_DAYS, len(lapse_complaint)),
        w["cust_start1"][lapse_complaint],
    )
    returned = ~np.isnan(w["cust_start2"][lapse_complaint])
    cust = np.concatenate([cust, lapse_complaint])
    t = np.concatenate([t, t_lapse])
    category = np.concatenate([category, np.zeros(len(lapse_complaint), int)])
    order = np.argsort(t, kind="stable")
    cust, t, category = cust[order], t[order], category[order]
    n = len(t)
    priority = rng.choice(4, n, p=TICKETS["priority_share"])
    priority = np.where((category == 0) & (priority == 0), 1, priority)
    first = t + rng.exponential(np.array(TICKETS["first_response_mean_hours"])[priority] / 24)
    resolved = first + rng.exponential(np.array(TICKETS["resolution_mean_days"])[category])
    first = np.where(first < horizon, first, np.nan)
    resolved = np.where(resolved < horizon, resolved, np.nan)
    score = 4.4 - 1.3 * (category == 0) - 0.08 * np.nan_to_num(resolved - t) + rng.normal(0, 0.7, n)
    answered = ~np.isnan(resolved) & (rng.random(n) < 0.7)
    satisfaction = np.where(answered, np.clip(np.round(score), 1, 5), np.nan)
    agents = w["service_id"]
    w.tables["tickets"] = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "account_id": w["cust_acc"][cust] + 1,
            "assignee_id": agents[rng.integers(0, len(agents), n)],
            "category": cat(category, CATEGORIES),
            "priority": cat(priority, PRIORITIES),
            "opened_at": clock.stamps(t),
            "first_response_at": clock.stamps(first),
            "resolved_at": clock.stamps(resolved),
            "satisfaction": pd.array(satisfaction, dtype="Int64"),
        }
    )
    w.truth["tickets"] = TICKETS
    w.truth["complaint_churn"] = {
        "complaint_before_lapse_share": TICKETS["complaint_before_lapse_share"],
        "days_before_lapse": list(LAPSE_COMPLAINT_DAYS),
        "lapsed": len(lapsed),
        "lapse_complaints": len(lapse_complaint),
        "lapse_complaints_returned": int(returned.sum()),
        "other_complaints": int((category == 0).sum()) - len(lapse_complaint),
    }


def make_quotas(w: World) -> None:
    """A revenue target per rep and calendar quarter of employment.

    The target is the team's average won revenue per rep-quarter over the history, grown with
    the planted trend to the quarter and uplifted by :data:`QUOTA_UPLIFT`; the current quarter
    (which may end after the history) is included.
    """
    clock = w.clock
    start = pd.Timestamp(clock.start).to_period("Q").start_time
    quarters = pd.date_range(start, pd.Timestamp(clock.end), freq="QS")
    q_start = np.array([clock.day_of(q.date()) for q in quarters])
    q_end = np.array(
        [clock.day_of((q + pd.offsets.QuarterBegin(1, startingMonth=1)).date()) for q in quarters]
    )
    won = w["deal_status"] == 1
    owner = w["deal_owner"][won]
    revenue = np.bincount(
        w["rep_team"][owner], weights=w["deal_amount"][won], minlength=len(w["team_head"])
    )
    rep_q = np.zeros(len(w["team_head"]))
    for r in range(len(w["rep_id"])):
        active = (
            np.minimum(q_end, np.minimum(w["rep_left"][r], clock.horizon))
            - np.maximum(q_start, np.maximum(w["rep_hired"][r], 0))
        ).clip(0)
        rep_q[w["rep_team"][r]] += active.sum() / 91.3
    per_rep_q = revenue / np.maximum(rep_q, 1)
    rows = []
    for r in range(len(w["rep_id"])):
        for qs, qe in zip(q_start, q_end, strict=True):
            if w["rep_hired"][r] >= qe or w["rep_left"][r] <= qs:
                continue
            mid = (qs + qe) / 2
            level = per_rep_q[w["rep_team"][r]] * (1 + ANNUAL_GROWTH) ** (
                (mid - clock.horizon / 2) / 365.25
            )
            rows.append((w["rep_id"][r], qs, qe, round(QUOTA_UPLIFT * level, -3)))
    q = np.array(rows, dtype=float).reshape(-1, 4)
    w.tables["quotas"] = pd.DataFrame(
        {
            "id": np.arange(1, len(q) + 1),
            "employee_id": q[:, 0].astype("int64"),
            "period_start": clock.dates(q[:, 1]),
            "period_end": clock.dates(q[:, 2]),
            "revenue_target": q[:, 3],
        }
    )
    w.truth["quotas"] = {"uplift": QUOTA_UPLIFT, "annual_growth": ANNUAL_GROWTH}
