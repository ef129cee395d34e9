"""Products, pipeline stages, lost reasons, campaigns and campaign members.

A campaign targets one segment (:data:`SEGMENTS`: the size bands of :data:`SEGMENT_BANDS`) and
each member responds with its channel's planted probability (:data:`CHANNELS`).  Truths:
``campaign_response`` (per channel) and ``campaign_response_by_segment`` (the expected response
rate of each segment's and channel's members, with its binomial variance; ``load_truth``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_data.demo.world import World, cat

__all__ = [
    "LINES",
    "LINE_AMOUNT",
    "LINE_P",
    "NEW_LINE",
    "STAGES",
    "LOST_REASONS",
    "LOST_BY_STAGE",
    "CHANNELS",
    "make_catalog",
    "make_campaigns",
]

#: Product lines: (name, base deal amount, win-logit shift, share of deals before the launch).
LINES = [
    ("Software", 12_000, 0.0, 0.35),
    ("Hardware", 20_000, -0.15, 0.25),
    ("Services", 8_000, 0.2, 0.25),
    ("Support", 4_000, 0.35, 0.15),
    ("Cloud", 9_000, -0.3, 0.0),
]
#: Base deal amount per product line.
LINE_AMOUNT = np.array([x[1] for x in LINES], dtype=float)
#: Share of each line among deals and order items before the new line (sums to 1).
LINE_P = np.array([x[3] for x in LINES]) / sum(x[3] for x in LINES)
NEW_LINE = "Cloud"
#: The new line is launched this many days before the end of the history.
NEW_LINE_AGE_DAYS = 365
#: (name, probability, rot_days, mean days in stage); then the two terminal stages.
STAGES = [
    ("Lead", 0.1, 14, 6.0),
    ("Qualified", 0.2, 21, 9.0),
    ("Proposal", 0.4, 21, 12.0),
    ("Negotiation", 0.6, 30, 10.0),
]
LOST_REASONS = [
    "Price too high",
    "Chose a competitor",
    "No budget",
    "No response",
    "Not a fit",
    "Timing",
    "Lost to status quo",
]
#: P(reason | last open stage) for lost deals that have a reason (rows: Lead … Negotiation).
LOST_BY_STAGE = np.array(
    [
        [0.05, 0.05, 0.20, 0.40, 0.25, 0.05, 0.00],
        [0.10, 0.10, 0.25, 0.20, 0.20, 0.10, 0.05],
        [0.30, 0.25, 0.15, 0.05, 0.05, 0.10, 0.10],
        [0.40, 0.35, 0.05, 0.02, 0.00, 0.08, 0.10],
    ]
)
NO_REASON_SHARE = 0.08
#: Channel: (response rate, P(deal within 60 days | responded), budget per member, label).
CHANNELS = {
    "email": (0.06, 0.25, 0.5, "clicked"),
    "webinar": (0.12, 0.30, 3.0, "registered"),
    "event": (0.20, 0.40, 12.0, "attended"),
    "ads": (0.03, 0.20, 2.0, "clicked"),
    "direct mail": (0.05, 0.35, 4.0, "replied"),
}
SEGMENTS = ["SMB", "Mid-market", "Enterprise", "Consumer", "All"]
#: Size-band codes (0-4 companies, 5 persons) targeted by each segment.
SEGMENT_BANDS = [[0, 1], [2, 3], [3, 4], [5], [0, 1, 2, 3, 4, 5]]
_TIERS = [
    ("Starter", 0.15),
    ("Standard", 0.35),
    ("Pro", 0.8),
    ("Enterprise", 2.0),
    ("Add-on", 0.05),
    ("Premium", 1.3),
]


def make_catalog(w: World) -> None:
    """Products, stages and lost reasons (small tables)."""
    clock = w.clock
    launch = clock.horizon - NEW_LINE_AGE_DAYS
    per_line = 3 if w.spec.name in ("XS", "S") else 5
    rows = []
    for li, (line, base, _, _) in enumerate(LINES):
        for tier, factor in _TIERS[:per_line]:
            rows.append(
                {
                    "name": f"{line} {tier}",
                    "product_line": line,
                    "line": li,
                    "price": round(base * factor / 4, -1),
                    "is_new_line": line == NEW_LINE,
                }
            )
    prod = pd.DataFrame(rows)
    prod.insert(0, "id", np.arange(1, len(prod) + 1))
    prod["launched_at"] = pd.Series(
        np.where(prod["is_new_line"], clock.dates(np.array([launch]))[0], np.datetime64("NaT")),
        dtype="datetime64[s]",
    )
    w["prod_line"] = prod.pop("line").to_numpy()
    w["prod_price"] = prod["price"].to_numpy()
    w["line_start"] = np.searchsorted(w["prod_line"], np.arange(len(LINES)))
    w["line_count"] = np.bincount(w["prod_line"], minlength=len(LINES))
    w["launch"] = np.array([launch])
    w.tables["products"] = prod
    n_open = len(STAGES)
    w.tables["stages"] = pd.DataFrame(
        {
            "id": np.arange(1, n_open + 3),
            "pipeline": "Sales",
            "name": [s[0] for s in STAGES] + ["Won", "Lost"],
            "position": np.arange(1, n_open + 3),
            "probability": [s[1] for s in STAGES] + [1.0, 0.0],
            "is_won": [False] * n_open + [True, False],
            "is_lost": [False] * n_open + [False, True],
            "rot_days": pd.array([s[2] for s in STAGES] + [None, None], dtype="Int64"),
        }
    )
    w.tables["lost_reasons"] = pd.DataFrame(
        {"id": np.arange(1, len(LOST_REASONS) + 1), "name": LOST_REASONS}
    )
    w.truth["new_line"] = {
        "product_line": NEW_LINE,
        "launched_at": str(clock.dates(np.array([launch]))[0]),
    }
    w.truth["lost_reasons_by_stage"] = {
        "no_reason_share": NO_REASON_SHARE,
        "by_stage": {
            STAGES[s][0]: dict(zip(LOST_REASONS, LOST_BY_STAGE[s].tolist(), strict=True))
            for s in range(n_open)
        },
    }
    w.truth["stages"] = [{"name": s[0], "mean_days": s[3]} for s in STAGES]


def _response_by(
    groups: np.ndarray, names: list[str], p: np.ndarray, responded: np.ndarray
) -> dict[str, dict[str, float]]:
    """Per group of members: their count, the planted expected response rate (the mean of
    their response probabilities ``p``), its binomial variance (Σ p(1 − p) / members²) and the
    realised responses; groups without members are left out.
    """
    out = {}
    for g, name in enumerate(names):
        mine = groups == g
        members = int(mine.sum())
        if members:
            q = p[mine]
            out[name] = {
                "members": members,
                "expected_rate": float(q.mean()),
                "rate_variance": float((q * (1 - q)).sum() / members**2),
                "responded": int(responded[mine].sum()),
            }
    return out


def make_campaigns(w: World) -> None:
    """Campaigns and their members; responders are left as ``resp_acc``/``resp_time``."""
    rng, clock, n = w.rng, w.clock, w.spec.campaigns
    channels = list(CHANNELS)
    chan = np.arange(n) % len(channels)
    rng.shuffle(chan)
    start = np.sort(rng.uniform(30, clock.horizon - 75, n))
    length = rng.uniform(14, 60, n)
    segment = rng.integers(0, len(SEGMENTS), n)
    per = max(20, int(w.spec.accounts * 0.12))
    members, budget = [], np.zeros(n)
    acc_size, acc_created = w["acc_size"], w["acc_created"]
    for c in range(n):
        pool = np.flatnonzero(
            (acc_created < start[c]) & np.isin(acc_size, SEGMENT_BANDS[segment[c]])
        )
        take = rng.choice(pool, min(per, len(pool)), replace=False) if len(pool) else pool
        members.append(np.column_stack([np.full(len(take), c), take]))
        budget[c] = round(len(take) * CHANNELS[channels[chan[c]]][2] * rng.uniform(0.8, 1.5), -1)
    mem = np.concatenate(members) if members else np.zeros((0, 2), dtype=int)
    mc, ma = mem[:, 0].astype(int), mem[:, 1].astype(int)
    m = len(mc)
    sent = start[mc] + rng.uniform(0, 3, m)
    rate = np.array([CHANNELS[channels[k]][0] for k in chan])[mc]
    responded = (rng.random(m) < rate) & (sent + 1 < clock.horizon)
    resp_time = np.where(responded, clock.clip(sent + rng.exponential(4, m)), np.nan)
    labels = [CHANNELS[ch][3] for ch in channels]
    label_list = sorted(set(labels))
    label_code = np.array([label_list.index(lab) for lab in labels])[chan[mc]]
    w.tables["campaigns"] = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "name": [
                f"{channels[chan[c]].title()} campaign {c + 1}: {SEGMENTS[segment[c]]}"
                for c in range(n)
            ],
            "channel": cat(chan, channels),
            "started_at": clock.stamps(start),
            "ended_at": clock.stamps(clock.clip(start + length)),
            "budget": budget,
            "segment": cat(segment, SEGMENTS),
        }
    )
    w.tables["campaign_members"] = pd.DataFrame(
        {
            "id": np.arange(1, m + 1),
            "campaign_id": mc + 1,
            "account_id": ma + 1,
            "sent_at": clock.stamps(sent),
            "responded_at": clock.stamps(resp_time),
            "response": cat(np.where(responded, label_code, -1), label_list),
        }
    )
    conv = np.array([CHANNELS[channels[k]][1] for k in chan])[mc]
    converts = responded & (rng.random(m) < conv)
    w["camp_deal_acc"] = ma[converts]
    w["camp_deal_campaign"] = mc[converts]
    w["camp_deal_time"] = resp_time[converts] + rng.uniform(1, 45, converts.sum())
    planted = np.where(sent + 1 < clock.horizon, rate, 0.0)  # as ``responded`` is drawn
    w.truth["campaign_response_by_segment"] = {
        "by_segment": _response_by(segment[mc], SEGMENTS, planted, responded),
        "by_channel": _response_by(chan[mc], channels, planted, responded),
    }
    w.truth["campaign_response"] = {
        ch: {"response_rate": v[0], "deal_conversion_of_responders": v[1], "response_label": v[3]}
        for ch, v in CHANNELS.items()
    }
