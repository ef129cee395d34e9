"""Tables and sentences of the Performance page, written in the language in force.

The leaderboard's value columns change unit with the metric (a share, an amount, days), so they
are shown as text (``"42.1%"``, ``"36.0% – 56.2%"``) and exported as numbers
(:func:`board_frames`); the weak spot is one sentence (:func:`weak_spot_sentence`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from i18n import N_, _
from i18n.formatting import format_count, format_percent
from reports.catalogue import Metric
from reports.kpi import Unit
from reports.performance import RepBoard
from ui.format import MISSING, format_value

__all__ = [
    "SAMPLE_LABELS",
    "board_frames",
    "interval_text",
    "probability_text",
    "rank_text",
    "weak_spot_sentence",
]

#: What the sample behind each leaderboard metric counts (the "n" of its column).
SAMPLE_LABELS: dict[str, str] = {
    "won_revenue": N_("Won deals"),
    "won_deals": N_("Closed deals"),
    "win_rate": N_("Closed deals"),
    "average_won_deal": N_("Won deals"),
    "sales_cycle": N_("Won deals"),
    "regression_rate": N_("New deals"),
    "followup_compliance": N_("Follow-ups due"),
    "next_step_coverage": N_("Open deals"),
    "data_discipline": N_("Open deals"),
    "active_conversations": N_("Open deals"),
    "tickets_resolved": N_("Tickets resolved"),
    "csat": N_("Rated tickets"),
    "new_deals": N_("New deals"),
    "value_win_rate": N_("Closed deals"),
    "first_response_hours": N_("Tickets answered"),
    "resolution_hours": N_("Tickets resolved"),
}


def interval_text(low: float, high: float, unit: Unit, currency: str | None = None) -> str:
    """``"36.0% – 56.2%"``; the missing sign when either end is missing."""
    if pd.isna(low) or pd.isna(high):
        return MISSING
    ends = (format_value(v, unit, currency, compact=False) for v in (low, high))
    return " – ".join(ends)


def probability_text(p: float) -> str:
    """A probability in whole percent, never a false certainty: ``"> 99%"``, ``"< 1%"``.

    Examples
    --------
    >>> probability_text(0.99996), probability_text(0.42), probability_text(0.001)
    ('> 99%', '42%', '< 1%')
    """
    if pd.isna(p):
        return MISSING
    if p > 0.99:
        return "> " + format_percent(0.99, 0)
    if p < 0.01:
        return "< " + format_percent(0.01, 0)
    return format_percent(p, 0)


def rank_text(low: float, high: float) -> str:
    """A rank range: ``"3"`` when sure, ``"2–7"`` otherwise, the missing sign without one."""
    if pd.isna(low) or pd.isna(high):
        return MISSING
    low_text, high_text = format_count(low), format_count(high)
    return low_text if low_text == high_text else f"{low_text}–{high_text}"


def board_frames(board: RepBoard, metric: Metric) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leaderboard as shown (text cells) and as exported (numbers), same rows and headings.

    Columns: rank, rank range, rep, team, sample, value, its 95% interval, shrunk value, its
    95% credible interval, P(above the team), the comparison period's value, the change, and
    a note for a rep who has no sample (shown the team prior).  Totals (nothing to shrink) have
    no interval and no shrunk columns.
    """
    t = board.table
    unit, currency = metric.unit, board.currency
    shrinks = board.kind != "total"

    def text(values: pd.Series) -> list[str]:
        return [format_value(v, unit, currency, compact=False) for v in values]

    head = {
        "rank": _("Rank"),
        "range": _("Rank range (90%)"),
        "name": _("Rep"),
        "team": _("Team"),
        "size": _(SAMPLE_LABELS.get(metric.key, N_("Sample"))),
        "value": _(metric.label),
        "interval": _("95% interval"),
        "shrunk": _("Shrunk"),
        "credible": _("95% credible interval"),
        "above": _("P(above team)"),
        "previous": _("Comparison period"),
        "change": _("Change"),
        "note": _("Note"),
    }
    note = [_("no sample: shown the team prior") if flag else "" for flag in t["prior_only"]]
    shown = {
        head["rank"]: [format_count(r) if pd.notna(r) else MISSING for r in t["rank"]],
        head["range"]: [
            rank_text(lo, hi) for lo, hi in zip(t["rank_low"], t["rank_high"], strict=True)
        ],
        head["name"]: t["name"].fillna(MISSING).astype(str).tolist(),
        head["team"]: t["team"].fillna(MISSING).astype(str).tolist(),
        head["size"]: [format_count(n) for n in t["size"]],
        head["value"]: text(t["value"]),
    }
    if not board.sized:  # no count behind the values: no sample column
        del shown[head["size"]]
    exported: dict[str, object] = {
        head["rank"]: t["rank"].to_numpy(),
        head["range"]: shown[head["range"]],
        head["name"]: shown[head["name"]],
        head["team"]: shown[head["team"]],
        head["size"]: t["size"].to_numpy(),
        head["value"]: t["value"].to_numpy(),
    }
    if not board.sized:
        del exported[head["size"]]
    if shrinks:
        intervals = [interval_text(lo, hi, unit, currency)
                     for lo, hi in zip(t["value_low"], t["value_high"], strict=True)]  # fmt: skip
        credible = [interval_text(lo, hi, unit, currency)
                    for lo, hi in zip(t["shrunk_low"], t["shrunk_high"], strict=True)]  # fmt: skip
        above = [probability_text(p) for p in t["p_above_team"]]
        shown |= {head["interval"]: intervals, head["shrunk"]: text(t["shrunk"]),
                  head["credible"]: credible, head["above"]: above}  # fmt: skip
        exported |= {head["interval"]: intervals, head["shrunk"]: t["shrunk"].to_numpy(),
                     head["credible"]: credible,
                     head["above"]: t["p_above_team"].to_numpy()}  # fmt: skip
    shown |= {head["previous"]: text(t["previous"]), head["change"]: text(t["change"])}
    exported |= {head["previous"]: t["previous"].to_numpy(), head["change"]: t["change"].to_numpy()}
    if any(note):
        shown[head["note"]] = note
        exported[head["note"]] = note
    return pd.DataFrame(shown), pd.DataFrame(exported)


def weak_spot_sentence(spot: pd.Series | None) -> str | None:
    """The weak spot in one sentence, ``None`` when no gap is significant.

    E.g. "Loses deals at Proposal: 48% go on vs 71% for the rest of the team (25 deals
    decided there; 99% sure)."
    """
    if spot is None or not bool(spot.get("significant", False)) or pd.isna(spot.get("stage")):
        return None
    sure = float(np.floor(min(float(spot["confidence"]), 0.999) * 1000) / 1000)
    return _(
        "Loses deals at **{stage}**: {rep} go on vs {team} for the rest of the team "
        "({deals} deals decided there; {sure} sure)."
    ).format(
        stage=spot["stage"],
        rep=format_percent(spot["rep_rate"], 0),
        team=format_percent(spot["team_rate"], 0),
        deals=format_count(spot["entered"]),
        sure=format_percent(sure, 1 if sure > 0.99 else 0),
    )
