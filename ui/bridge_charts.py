"""Why won revenue changed, drawn: the Overview's revenue bridge (:mod:`analytics.revenue_bridge`)
as a waterfall chart, the sentence above it, and the table of the segments' own bridges.

Rises are green, falls red, the two periods' revenue in the house colour, as on the Funnel's
pipeline waterfall.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from analytics.revenue_bridge import Bridge, ChangeUnit, Reason, SegmentBridge
from crm_data.queries.grouping import GROUPINGS, MISSING_GROUP
from i18n import N_, _, ngettext
from i18n.formatting import format_count, format_number
from ui.charts import COMPARISON, LOST, PRIMARY, WON, house_layout, money_axis
from ui.format import MINUS, escape_markdown, format_value, is_flat

__all__ = [
    "BRIDGE_VIEWS",
    "REASONS",
    "bridge_figure",
    "bridge_sentence",
    "segment_table",
    "signed",
    "split_caption",
]

#: How the bridge can be shown: for the company, or split by a dimension of
#: ``reports.overview.BRIDGE_SPLITS`` (with the mix).
BRIDGE_VIEWS: dict[str, str] = {
    "company": N_("Company"),
    "team": N_("By team"),
    "product_line": N_("By product line"),
}
#: Why a bridge has no split (:data:`analytics.revenue_bridge.Reason`), as the page says it.
REASONS: dict[Reason, str] = {
    "no_revenue_before": N_(
        "No deal was won in the comparison period, so the change cannot be split into deals "
        "closed, win rate and deal size: the chart shows the whole change."
    ),
    "no_revenue_now": N_(
        "No deal was won in this period, so the change cannot be split into deals closed, win "
        "rate and deal size: the chart shows the whole change."
    ),
    "no_revenue": N_("No deal was won in this period or in the comparison period."),
}
#: The bars (a split names its mix bar: :func:`_step_label`).
_STEPS: dict[str, str] = {
    "before": N_("Comparison period"),
    "deals": N_("Deals closed"),
    "win_rate": N_("Win rate"),
    "deal_size": N_("Average won deal"),
    "mix": N_("Mix"),
    "change": N_("Change"),
    "after": N_("This period"),
}
#: The drivers in the sentence, with their change.
_PARTS: dict[str, str] = {
    "deals": N_("{change} deals closed"),
    "win_rate": N_("{change} win rate"),
    "deal_size": N_("{change} average won deal"),
    "mix": N_("{change} from the mix"),
}


@dataclass(frozen=True)
class _Split:
    """The words of one split: its mix bar, where the win rate and deal size are measured, and
    who moves in the mix, and what the chart of the split shows.
    """

    mix: str
    within: str
    moving: str
    explained: str


_SPLITS: dict[str, _Split] = {
    "team": _Split(
        N_("Team mix"),
        N_("within the teams"),
        N_("Closed deals moving between teams"),
        N_(
            "Win rate and average won deal are measured within each team; the team mix is the "
            "effect of closed deals shifting between teams that earn more or less per closed deal."
        ),
    ),
    "product_line": _Split(
        N_("Product-line mix"),
        N_("within the product lines"),
        N_("Closed deals moving between product lines"),
        N_(
            "Win rate and average won deal are measured within each product line; the "
            "product-line mix is the effect of closed deals shifting between lines that earn "
            "more or less per closed deal."
        ),
    ),
}


def signed(
    value: float, unit: ChangeUnit, currency: str | None = None, *, compact: bool = True
) -> str:
    """A change with its sign as the language writes it: ``+15.9%``, ``−1.6 pp``, ``+$71.5k``
    (``compact=False``: ``+$71,520``); a change that rounds to nothing has no sign.

    Examples
    --------
    >>> signed(0.159, "relative"), signed(-0.0159, "points"), signed(71_520.0, "money", "USD")
    ('+15.9%', '−1.6 pp', '+$71.5k')
    >>> signed(-0.0001, "relative")
    '0.0%'
    """
    if unit == "points":
        text = _("{value} pp").format(value=format_number(100 * abs(value), 1))
        text = (MINUS if value < 0 else "") + text
    else:
        text = format_value(
            value, "ratio" if unit == "relative" else "money", currency, compact=compact
        )
    if is_flat(text):
        return text.lstrip(MINUS)
    return "+" + text if value > 0 else text


def _money(value: float, currency: str | None) -> str:
    """An amount in full, as a hover shows it."""
    return format_value(value, "money", currency, compact=False)


def bridge_sentence(bridge: Bridge, currency: str | None) -> str:
    """The sentence above the chart, as Markdown: "**Won revenue +14.9%** ($34.0M → $39.1M):
    +15.9% deals closed, −1.6 pp win rate, +3.0% average won deal" (and the mix of a split).
    """
    relative = bridge.relative_change
    change = (
        signed(bridge.change, "money", currency)
        if math.isnan(relative)  # no revenue to compare with
        else signed(relative, "relative")
    )
    headline = _("Won revenue {change}").format(change=change)
    revenues = (
        format_value(side.revenue, "money", currency) for side in (bridge.before, bridge.after)
    )
    amounts = "({} → {})".format(*revenues)
    parts = [
        _(_PARTS[part.driver]).format(change=signed(part.change, part.unit, currency))
        for part in bridge.parts()
    ]
    text = f"**{escape_markdown(headline)}** {escape_markdown(amounts)}"
    return text + (escape_markdown(": " + ", ".join(parts)) if parts else "")


def _step_label(step: str, split: str | None) -> str:
    """The name of the bar ``step`` (translated)."""
    label = _SPLITS[split].mix if step == "mix" and split else _STEPS[step]
    return _(label)


def _driver_lines(bridge: Bridge, step: str, split: str | None, currency: str | None) -> list[str]:
    """The hover of a driver's bar: what it is, its values in both periods and its change."""
    if step == "mix":
        return [_step_label(step, split), *([_(_SPLITS[split].moving)] if split else [])]
    if step == "change":
        return [_step_label(step, split)]
    b, a = bridge.before, bridge.after
    values = {
        "deals": (format_count(b.closed), format_count(a.closed)),
        "win_rate": (format_value(b.win_rate, "ratio"), format_value(a.win_rate, "ratio")),
        "deal_size": (_money(b.average_won, currency), _money(a.average_won, currency)),
    }[step]
    part = next(p for p in bridge.parts() if p.driver == step)
    line = f"{values[0]} → {values[1]} ({signed(part.change, part.unit, currency)})"
    if not split or step == "deals":  # the deals closed are the company's in every view
        return [_(_STEPS[step]), line]
    return [
        f"{_(_STEPS[step])} {_(_SPLITS[split].within)}",
        _("Company: {values}").format(values=line),
    ]


def _hover(
    bridge: Bridge, step: str, amount: float, split: str | None, currency: str | None
) -> str:
    """What the bar ``step`` says on hover: a period's revenue and its drivers, or a driver's
    change and its effect in money.
    """
    if step in ("before", "after"):
        side = bridge.before if step == "before" else bridge.after
        lines = [
            _(_STEPS[step]),
            _("Won revenue: {amount}").format(amount=_money(side.revenue, currency)),
            ngettext("{n} closed deal", "{n} closed deals", side.closed).format(
                n=format_count(side.closed)
            ),
            _("Win rate: {rate}").format(rate=format_value(side.win_rate, "ratio")),
            _("Average won deal: {amount}").format(amount=_money(side.average_won, currency)),
        ]
    else:
        effect = signed(amount, "money", currency, compact=False)
        lines = [
            *_driver_lines(bridge, step, split, currency),
            _("Effect on won revenue: {amount}").format(amount=effect),
        ]
    return "<br>".join(lines)


def bridge_figure(bridge: Bridge, currency: str | None, split: str | None = None) -> go.Figure:
    """The bridge from the comparison period's won revenue to this period's: the effects of
    the deals closed, the win rate and the average won deal (and the mix of ``split``, a key
    of ``reports.overview.BRIDGE_SPLITS``, when ``bridge`` is split), or the whole change
    when the bridge has no split.
    """
    steps = bridge.steps()
    names = [  # long names on two lines, not turned
        "<br>".join(textwrap.wrap(_step_label(step, split), 18)) for step in steps["step"]
    ]
    rows = list(zip(steps["step"], steps["measure"], steps["amount"], strict=True))
    fig = go.Figure(
        go.Waterfall(
            x=names, y=steps["amount"].tolist(), measure=steps["measure"].tolist(),
            text=[signed(amount, "money", currency) if measure == "relative"
                  else format_value(amount, "money", currency) for _s, measure, amount in rows],
            customdata=[_hover(bridge, step, amount, split, currency) for step, _m, amount in rows],
            textposition="outside", cliponaxis=False,
            increasing={"marker": {"color": WON}}, decreasing={"marker": {"color": LOST}},
            totals={"marker": {"color": PRIMARY}}, connector={"line": {"color": COMPARISON}},
            hovertemplate="%{customdata}<extra></extra>",
        )
    )  # fmt: skip
    levels = steps["amount"].where(steps["measure"] != "total", 0.0).cumsum()
    low, high = min(float(levels.min()), 0.0), float(levels.max())
    room = 0.12 * (high - low)  # above the highest bar for its label
    fig.update_yaxes(range=[low, high + room], **money_axis(low, high + room, currency))
    fig.update_layout(showlegend=False)
    return house_layout(fig, 360)


def split_caption(split: SegmentBridge, view: str) -> str:
    """What the chart of a split shows, and which segments have no split of their own (as
    Markdown).
    """
    text = _(_SPLITS[view].explained)
    unsplit = [
        _segment_name(name) for name in split.segments.loc[~split.segments["exact"], split.by]
    ]
    if unsplit:
        text += " " + _(
            "{names} won nothing in one of the periods: all of their change counts as mix."
        ).format(names=", ".join(unsplit))
    return escape_markdown(text)


def _segment_name(name: object) -> str:
    """A segment as the table writes it: the missing group in words, data as it is."""
    return _("(none)") if name == MISSING_GROUP else str(name)


def segment_table(
    split: SegmentBridge, view: str, currency: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each segment's own bridge, largest change first: the frame a table shows (amounts as
    text, signed changes "−$9,280") and the one it exports (the numbers), with translated
    headers.  Each row's effects add up to its change.
    """
    frame = split.segments.sort_values(
        "revenue_change", key=lambda change: -change.abs(), kind="stable"
    )
    columns = {
        split.by: _(GROUPINGS[view]),
        "won_amount_0": _(_STEPS["before"]),
        "won_amount_1": _(_STEPS["after"]),
        "revenue_change": _(_STEPS["change"]),
        "deals_effect": _("Deals effect"),
        "win_rate_effect": _("Win rate effect"),
        "deal_size_effect": _("Deal size effect"),
        "mix_effect": _("Mix effect"),
    }
    export = frame[list(columns)].rename(columns=columns).reset_index(drop=True)
    name = columns[split.by]
    export[name] = export[name].map(_segment_name)
    shown = export.copy()
    for column in list(columns.values())[1:]:
        totals = column in (columns["won_amount_0"], columns["won_amount_1"])
        shown[column] = [
            _money(v, currency) if totals else signed(v, "money", currency, compact=False)
            for v in export[column]
        ]
    return shown, export
