"""Deals and their stage histories.

Each deal's fate is drawn first (won with a planted probability; a lost deal's last open stage
from a stage distribution), then its path through the pipeline is laid out on a fixed grid of
11 slots — the four open stages, an optional backward step after stages 2–4 and the terminal
stage — with some intermediate stages skipped.  Slot durations accumulate from ``created_at``;
rows that would fall after the end of the history are cut off, which leaves the deals created
near the end (and a few stalled ones) open.

A deal is created by a rep of the account's team employed then (the account owner when
possible); that rep's planted skill and activity level shape it (``deal_owner``, and the per-rep
truths).  When the creator leaves before the deal ends, the deal goes on the leaving day to a
colleague employed from then to its close (``deal_successor``, the creator otherwise): the
successor is the deal's ``owner_id`` and records the later stage changes, so no deal is owned
by someone who had left while it was still open.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import pandas as pd

from crm_data.demo.catalog import (
    LINE_AMOUNT,
    LINE_P,
    LINES,
    LOST_BY_STAGE,
    LOST_REASONS,
    NO_REASON_SHARE,
    STAGES,
)
from crm_data.demo.names import join
from crm_data.demo.people import SIZE_AMOUNT, SOURCES, active, pick_rep
from crm_data.demo.world import REGIONS, World, cat

__all__ = ["make_deals", "WIN_MODEL"]


class _WinModel(TypedDict):
    """The keys of :data:`WIN_MODEL` and their types."""

    base_logit: float
    activity_beta: float
    repeat_customer: float
    size_band_step: float
    source: dict[str, float]
    line: dict[str, float]


#: Planted win model (logit scale); a rep's ``skill`` and the region's ``win_logit`` add to it.
WIN_MODEL: _WinModel = {
    "base_logit": -0.75,
    "activity_beta": 0.8,  # per unit of log(engagement), engagement = rep level × deal factor
    "repeat_customer": 0.5,
    "size_band_step": -0.08,  # per size band above the smallest (persons count as 0)
    "source": {"referral": 0.4, "cold call": -0.4, "campaign": 0.1},
    "line": {line: eff for line, _, eff, _ in LINES},
}
#: P(last open stage) of lost deals (Lead … Negotiation).
LOST_STAGE_P = np.array([0.35, 0.30, 0.20, 0.15])
SKIP_P = 0.08
BACK_P = 0.08
STALL_P = 0.05
DEAL_SOURCES = [*SOURCES, "campaign", "existing customer"]
# slot grid: open stage index of each slot, the slot of each open stage, backward pairs
SLOT_STAGE = np.array([0, 1, 0, 1, 2, 1, 2, 3, 2, 3, -1])
STAGE_SLOT = np.array([0, 1, 4, 7])
BACK_SLOTS = {1: (2, 3), 2: (5, 6), 3: (8, 9)}
N_SLOTS = len(SLOT_STAGE)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _deal_times(w: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Account, creation time and campaign (-1 = none) of every deal, sorted by time."""
    rng, clock, spec = w.rng, w.clock, w.spec
    horizon = clock.horizon
    camp_t = w["camp_deal_time"]
    ok = camp_t < horizon - 0.5
    camp_acc, camp_c, camp_t = w["camp_deal_acc"][ok], w["camp_deal_campaign"][ok], camp_t[ok]
    cap = int(spec.deals * 0.15)
    if len(camp_t) > cap:
        keep = np.sort(rng.choice(len(camp_t), cap, replace=False))
        camp_acc, camp_c, camp_t = camp_acc[keep], camp_c[keep], camp_t[keep]
    n_org = spec.deals - len(camp_t)
    n_acc = spec.accounts
    weight = rng.lognormal(0, 0.8, n_acc) * np.array([0.8, 1, 1.2, 1.4, 1.6, 0.6])[w["acc_size"]]
    has_deal = rng.multinomial(n_org, weight / weight.sum()) > 0
    # first deals: at the account's creation (backlog accounts: some time after it)
    first_acc = np.flatnonzero(has_deal)
    created_first = w["acc_created"][first_acc]
    first_t = np.where(
        w["acc_backlog"][first_acc],
        clock.business_time(np.minimum(created_first + 7, horizon - 0.5), horizon,
                            rng.random(len(first_acc))),
        clock.clip(created_first + rng.exponential(1.5, len(first_acc))),
    )  # fmt: skip
    # repeat deals follow the business density (seasonality and the planted trend) and go to
    # an account that exists by then, in proportion to its weight: the deal volume grows as the
    # business does, not with the number of accounts accumulated so far
    n_repeat = max(n_org - len(first_acc), 0)
    ready = w["acc_created"][first_acc] + 7  # accounts are sorted by creation time
    t_repeat = clock.business_time(
        np.full(n_repeat, min(ready[0], horizon - 0.5)), horizon, rng.random(n_repeat)
    )
    eligible = np.maximum(np.searchsorted(ready, t_repeat, side="right"), 1)
    cum_weight = np.cumsum(weight[first_acc])
    pick = np.searchsorted(cum_weight, rng.random(n_repeat) * cum_weight[eligible - 1], "right")
    acc = np.concatenate([first_acc, first_acc[np.minimum(pick, eligible - 1)]])
    t = np.concatenate([first_t, t_repeat])
    acc = np.concatenate([acc, camp_acc])
    t = np.concatenate([t, camp_t])
    campaign = np.concatenate([np.full(n_org, -1), camp_c])
    order = np.argsort(t, kind="stable")
    return acc[order], t[order], campaign[order]


def make_deals(w: World) -> None:
    """Deals and deal_stage_history; leaves ``deal_*`` arrays for activities and orders."""
    rng, clock = w.rng, w.clock
    horizon = clock.horizon
    acc, created, campaign = _deal_times(w)
    n = len(acc)
    team = w["acc_team"][acc]
    owner = pick_rep(w, team, created, preferred=w["acc_owner"][acc])
    _, first_idx = np.unique(acc, return_index=True)
    is_first = np.zeros(n, bool)
    is_first[first_idx] = True
    # product line: the new line ramps up over 6 months after its launch
    launch = float(w["launch"][0])
    line = rng.choice(len(LINES), n, p=LINE_P)
    new_share = 0.25 * np.clip((created - launch) / 180, 0, 1)
    line = np.where(rng.random(n) < new_share, len(LINES) - 1, line)
    size = w["acc_size"][acc]
    region_names = list(REGIONS)
    region_amount = np.array([REGIONS[r]["amount"] for r in region_names])[team]
    amount = LINE_AMOUNT[line] * SIZE_AMOUNT[size] * region_amount
    amount = np.maximum(np.round(amount * rng.lognormal(0, 0.5, n), -1), 50.0)
    # source
    repeat_sources = [DEAL_SOURCES.index(s) for s in ("referral", "web", "existing customer")]
    source = np.where(
        is_first, w["acc_source"][acc], rng.choice(repeat_sources, n, p=[0.15, 0.15, 0.7])
    )
    source = np.where(campaign >= 0, DEAL_SOURCES.index("campaign"), source)
    # fate
    engagement = rng.lognormal(0, 0.5, n) * w["rep_activity"][owner]
    src_eff = np.zeros(len(DEAL_SOURCES))
    for name, eff in WIN_MODEL["source"].items():
        src_eff[DEAL_SOURCES.index(name)] = eff
    logit = (
        WIN_MODEL["base_logit"]
        + w["rep_skill"][owner]
        + np.array([REGIONS[r]["win_logit"] for r in region_names])[team]
        + np.array([x[2] for x in LINES])[line]
        + src_eff[source]
        + WIN_MODEL["repeat_customer"] * ~is_first
        + WIN_MODEL["size_band_step"] * np.where(size == 5, 0, size)
        + WIN_MODEL["activity_beta"] * np.log(engagement)
    )
    p_win = _sigmoid(logit)
    won = rng.random(n) < p_win
    kmax = np.where(won, 3, rng.choice(4, n, p=LOST_STAGE_P))
    # path on the slot grid
    mask = np.zeros((n, N_SLOTS), bool)
    mask[:, 0] = True
    for j in (1, 2, 3):
        inner = j < kmax
        skip = rng.random(n) < SKIP_P
        mask[:, STAGE_SLOT[j]] = (j <= kmax) & ~(skip & (inner | won))
    back_j = rng.integers(1, 4, n)
    back = (rng.random(n) < BACK_P) & (back_j <= kmax) & mask[np.arange(n), STAGE_SLOT[back_j]]
    for j, (a, b) in BACK_SLOTS.items():
        sel = back & (back_j == j)
        mask[sel, a] = True
        mask[sel, b] = True
    mask[:, -1] = True
    stage = np.broadcast_to(SLOT_STAGE, (n, N_SLOTS)).copy()
    stage[:, -1] = np.where(won, 4, 5)
    # durations
    slow = rng.lognormal(0, 0.4, n) * (1 + 0.12 * np.where(size == 5, 0, size))
    slow = slow / w["rep_activity"][owner] ** 0.3 * np.where(rng.random(n) < STALL_P, 5.0, 1.0)
    mean_days = np.array([s[3] for s in STAGES] + [0.0])[SLOT_STAGE]
    dur = rng.gamma(1.5, 1 / 1.5, (n, N_SLOTS)) * mean_days * slow[:, None]
    last_open = np.where(mask[:, :-1], np.arange(N_SLOTS - 1), -1).max(1)
    dur[np.arange(n), last_open] *= np.where(won, 1.0, 1.6)
    dur = np.where(mask, dur, 0.0)
    entered = created[:, None] + np.cumsum(dur, axis=1) - dur
    kept = mask & (entered < horizon)
    last = np.where(kept, np.arange(N_SLOTS), -1).max(1)
    rows_d, rows_s = np.nonzero(kept)
    final_stage = stage[np.arange(n), last]
    closed = last == N_SLOTS - 1
    status = np.where(closed, np.where(won, 1, 2), 0)
    closed_at = np.where(closed, entered[:, -1], np.nan)
    first_amount = np.maximum(np.round(amount * rng.uniform(0.8, 1.25, n), -1), 50.0)
    row_stage = stage[rows_d, rows_s]
    row_amount = np.where(
        (row_stage < 2) & (rows_s < N_SLOTS - 1), first_amount[rows_d], amount[rows_d]
    )
    amount_now = np.where((final_stage < 2), first_amount, amount)
    # an owner who leaves before the deal ends hands it, on the leaving day, to a rep of the
    # team employed from then to the deal's close (open deals: to the end); the successor owns
    # the deal from then on and records its later stage changes
    owner_left = w["rep_left"][owner]
    ends = np.where(closed, closed_at, horizon)
    leaves = owner_left < ends
    successor = owner.copy()
    successor[leaves] = pick_rep(w, team[leaves], owner_left[leaves], until=ends[leaves])
    row_t = entered[rows_d, rows_s]
    row_rep = np.where(active(w, owner[rows_d], row_t), owner[rows_d], successor[rows_d])
    # lost reasons depend on the last open stage
    cum = np.cumsum(LOST_BY_STAGE, axis=1)
    reason = (rng.random(n)[:, None] > cum[kmax]).sum(1)
    reason = np.minimum(reason, len(LOST_REASONS) - 1)
    has_reason = (status == 2) & (rng.random(n) >= NO_REASON_SHARE)
    # expected close: planned at creation, pushed out by diligent reps when it slipped
    planned = created + rng.uniform(25, 80, n) * np.sqrt(slow)
    slipped = (status == 0) & (planned < horizon) & (rng.random(n) < w["rep_diligence"][owner])
    planned = np.where(slipped, horizon + rng.uniform(7, 60, n), planned)
    line_names = [x[0] for x in LINES]
    acc_names = w["acc_name"]
    w.tables["deals"] = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "account_id": acc + 1,
            "owner_id": w["rep_id"][successor],
            "title": join(np.array(line_names, dtype=object)[line], " for ", acc_names[acc]),
            "product_line": cat(line, line_names),
            "amount": amount_now,
            "currency": "USD",
            "source": cat(source, DEAL_SOURCES),
            "campaign_id": pd.array(np.where(campaign >= 0, campaign + 1, np.nan), dtype="Int64"),
            "created_at": clock.stamps(created),
            "expected_close_at": clock.dates(planned),
            "closed_at": clock.stamps(closed_at),
            "status": cat(status, ["open", "won", "lost"]),
            "stage_id": final_stage + 1,
            "lost_reason_id": pd.array(np.where(has_reason, reason + 1, np.nan), dtype="Int64"),
        }
    )
    w.tables["deal_stage_history"] = pd.DataFrame(
        {
            "id": np.arange(1, len(rows_d) + 1),
            "deal_id": rows_d + 1,
            "stage_id": row_stage + 1,
            "entered_at": clock.stamps(row_t),
            "amount": row_amount,
            "changed_by": w["rep_id"][row_rep],
        }
    )
    w["deal_acc"], w["deal_owner"], w["deal_created"] = acc, owner, created
    w["deal_team"], w["deal_successor"] = team, successor
    w["deal_status"], w["deal_closed"], w["deal_amount"] = status, closed_at, amount_now
    w["deal_line"], w["deal_engagement"] = line, engagement
    w.truth["win_model"] = WIN_MODEL
    w.truth["regions"] = {
        r: {k: v for k, v in REGIONS[r].items() if k != "cities"}
        for r in region_names[: len(w["team_head"])]
    }
    for rep in w.truth["reps"]:
        rep["base_win_prob"] = round(float(_sigmoid(WIN_MODEL["base_logit"] + rep["skill"])), 4)
    by_rep = np.bincount(owner, weights=p_win, minlength=len(w["rep_id"]))
    n_rep = np.bincount(owner, minlength=len(w["rep_id"]))
    for i, rep in enumerate(w.truth["reps"]):
        rep["mean_planted_win_prob"] = round(float(by_rep[i] / n_rep[i]), 4) if n_rep[i] else None
        rep["deals"] = int(n_rep[i])
