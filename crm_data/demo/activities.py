"""Activities: calls, meetings, e-mails and tasks on deals and with customers.

Three sources, generated in chunks so that 10 M rows fit in memory:

* deal work — a Poisson number per deal, proportional to the deal's planted *engagement*
  (which also raises its win probability: more activity really drives conversion) and to how
  long the deal has been open;
* next steps — a planned activity due in the two weeks after the end for open deals of
  diligent reps (the only timestamps after the end of the history, and never ``done_at``);
* customer care — calls, e-mails and meetings with customers while they are active, so that
  lapsed customers go quiet and become "forgotten".

A planned activity (``due_at`` set) is done on time with the employee's planted *diligence*;
otherwise it is done late, cancelled, or stays planned (overdue).  Work is done by someone
employed at the time (the deal's owner, else the successor who took the deal over, else a
colleague of the team; the account owner likewise for customer care); a late activity is done
before its deal closes or its employee leaves, and one still planned then is cancelled.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from crm_data.demo.orders import in_periods
from crm_data.demo.people import active, pick_rep
from crm_data.demo.world import World, cat

__all__ = ["make_activities", "ACTIVITY_MIX"]

TYPES = ["call", "email", "meeting", "task"]
#: Type mix and the share of each type that is planned ahead (has ``due_at``).
ACTIVITY_MIX = {
    "call": (0.40, 0.5),
    "email": (0.30, 0.2),
    "meeting": (0.15, 0.9),
    "task": (0.15, 0.9),
}
OUTCOMES = [
    "connected",
    "no answer",
    "voicemail",
    "held",
    "sent",
    "received",
    "completed",
    "cancelled",
]
STATUSES = ["planned", "done", "cancelled"]
CARE_SHARE = 0.15
HEAD_SHARE = 0.08
HEAD_DILIGENCE = 0.9
CHUNK_DEALS = 200_000


def _frame(
    w: World,
    first_id: int,
    t: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    acc: np.ndarray,
    emp: np.ndarray,
    diligence: np.ndarray,
    deal: np.ndarray,
    future: bool = False,
) -> pd.DataFrame:
    """Activity rows at times ``t`` (due or done) for the given accounts/employees/deals.

    ``[lo, hi)`` is when the work can be done: from the deal's (or account's) creation and
    the employee's hiring to the deal's close, the employee's leaving or the end.  Done times
    late past a ``hi`` before the end are clipped into it, and planned activities not done by
    then are cancelled (a closed deal or a leaver keeps no overdue work).  ``future`` rows are
    next steps due after the end: planned meetings and tasks, never done.
    """
    rng, horizon = w.rng, w.clock.horizon
    n = len(t)
    mix = np.array([v[0] for v in ACTIVITY_MIX.values()])
    kind = rng.choice(4, n, p=mix)
    planned_p = np.array([v[1] for v in ACTIVITY_MIX.values()])[kind]
    planned = rng.random(n) < planned_p
    u, v = rng.random(n), rng.random(n)
    on_time = planned & (u < diligence)
    late = planned & ~on_time & (v < 0.65)
    cancelled = planned & ~on_time & ~late & (v < 0.8)
    done = np.where(
        on_time, t + rng.uniform(-0.1, 0.35, n), np.where(late, t + 1 + rng.exponential(4, n), t)
    )
    done = np.maximum(done, lo)
    closes = hi < horizon
    done = np.where(closes, w.clock.clip(done, hi), done)
    is_done = ~planned | on_time | late
    is_done &= done < horizon
    cancelled |= planned & ~is_done & closes
    if future:
        planned[:] = True
        is_done[:] = False
        cancelled[:] = False
        kind = 2 + (rng.random(n) < 0.5)
    status = np.where(is_done, 1, np.where(cancelled, 2, 0))
    out_dir = rng.random(n) < np.where(kind == 0, 0.7, 0.6)
    direction = np.where(kind <= 1, np.where(out_dir, 1, 0), -1)
    call_out = rng.choice(3, n, p=[0.6, 0.25, 0.15])
    outcome = np.select(
        [kind == 0, kind == 2, (kind == 1) & out_dir, kind == 1, kind == 3], [call_out, 3, 4, 5, 6]
    )
    outcome = np.where(is_done, outcome, np.where(status == 2, 7, -1))
    duration = np.where(
        kind == 0,
        np.round(rng.lognormal(np.log(5), 0.7, n), 1),
        np.where(kind == 2, rng.choice([30.0, 45.0, 60.0, 90.0], n), np.nan),
    )
    duration = np.where(is_done, duration, np.nan)
    contact = w["acc_first_contact"][acc] + (rng.random(n) * w["acc_n_contacts"][acc]).astype(int)
    contact = np.where((kind == 3) & (rng.random(n) < 0.5), -1, contact)
    clock = w.clock
    return pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + n),
            "type": cat(kind, TYPES),
            "direction": cat(direction, ["inbound", "outbound"]),
            "employee_id": emp,
            "account_id": acc + 1,
            "contact_id": pd.array(np.where(contact >= 0, contact + 1, np.nan), dtype="Int64"),
            "deal_id": pd.array(np.where(deal >= 0, deal + 1, np.nan), dtype="Int64"),
            "due_at": clock.stamps(np.where(planned, t, np.nan)),
            "done_at": clock.stamps(np.where(is_done, done, np.nan)),
            "duration_min": duration,
            "outcome": cat(outcome, OUTCOMES),
            "status": cat(status, STATUSES),
        }
    )


def _employees(w: World, rep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Employee id and diligence: the rep, or (sometimes) the rep's team head."""
    head = w.rng.random(len(rep)) < HEAD_SHARE
    emp = np.where(head, w["team_head"][w["rep_team"][rep]], w["rep_id"][rep])
    return emp, np.where(head, HEAD_DILIGENCE, w["rep_diligence"][rep])


def _window(
    w: World, emp: np.ndarray, lo: np.ndarray, hi: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """``[lo, hi)`` narrowed to the employment of employees ``emp`` (ids)."""
    lo = np.maximum(lo, w["emp_hired"][emp - 1])
    return lo, np.minimum(hi, w["emp_left"][emp - 1])


def make_activities(w: World) -> Iterator[pd.DataFrame]:
    """Yield the activities table in chunks (ids continue across chunks)."""
    rng, clock, spec = w.rng, w.clock, w.spec
    horizon = clock.horizon
    created, status = w["deal_created"], w["deal_status"]
    end = np.where(status == 0, horizon, w["deal_closed"])
    weight = w["deal_engagement"] ** 1.3 * (end - created + 2) ** 0.8
    n_open = int((status == 0).sum())
    n_deal_acts = max(int(spec.activities * (1 - CARE_SHARE)) - n_open, 0)
    scale = n_deal_acts / weight.sum()
    next_id = 1
    n_deals = len(created)
    owner, successor = w["deal_owner"], w["deal_successor"]
    for lo in range(0, n_deals, CHUNK_DEALS):
        d = np.arange(lo, min(lo + CHUNK_DEALS, n_deals))
        counts = rng.poisson(weight[d] * scale)
        deal = np.repeat(d, counts)
        t = clock.working(created[deal], end[deal], rng.random(len(deal)))
        # the deal's owner while employed, then the successor, else a colleague employed then
        rep = np.where(active(w, owner[deal], t), owner[deal], successor[deal])
        rep = pick_rep(w, w["deal_team"][deal], t, preferred=rep)
        emp, dil = _employees(w, rep)
        a, b = _window(w, emp, created[deal], end[deal])
        frame = _frame(w, next_id, t, a, b, w["deal_acc"][deal], emp, dil, deal)
        next_id += len(frame)
        yield frame
    # next steps of open deals, due after the end, by their owner at the end
    open_d = np.flatnonzero(status == 0)
    open_d = open_d[rng.random(len(open_d)) < w["rep_diligence"][successor[open_d]]]
    t = horizon + rng.uniform(0.3, 14, len(open_d))
    emp, dil = _employees(w, successor[open_d])
    a, b = _window(w, emp, created[open_d], np.inf)
    frame = _frame(w, next_id, t, a, b, w["deal_acc"][open_d], emp, dil, open_d, future=True)
    next_id += len(frame)
    yield frame
    # customer care while customers are active
    n_care = int(spec.activities * CARE_SHARE)
    cust_len = w["cust_len"]
    if len(cust_len) == 0:
        return
    counts = rng.poisson(cust_len * n_care / max(cust_len.sum(), 1e-9))
    cust = np.repeat(np.arange(len(cust_len)), counts)
    acc = w["cust_acc"][cust]
    t = in_periods(w, cust, rng.random(len(cust)))
    rep = pick_rep(w, w["acc_team"][acc], t, preferred=w["acc_owner"][acc])
    emp, dil = _employees(w, rep)
    a, b = _window(w, emp, w["acc_created"][acc], horizon)
    yield _frame(w, next_id, t, a, b, acc, emp, dil, np.full(len(cust), -1))
