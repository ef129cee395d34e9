"""The Incentives page's tables of mixed units as text: a rep's scorecard (each item's values in
its own unit), what it takes the rep to reach each item's next step, and the changes of a plan
version.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd
from babel.dates import format_date

from analytics.incentives.pacing import PACING_STATES
from analytics.incentives.scoring import NextStep, next_step
from i18n import N_, _, current_language
from i18n.formatting import babel_locale, format_day
from reports.catalogue import metric
from reports.incentives import IncentiveReport, to_plan
from ui.format import MISSING, format_value

__all__ = [
    "STATE_TEXT",
    "VALUE_COLUMNS",
    "change_rows",
    "next_step_lines",
    "next_step_text",
    "plan_day_text",
    "scorecard_rows",
    "state_text",
]

#: A pacing state or a what-if's effect on a rep (analytics' values) as the tables show them.
STATE_TEXT: dict[str, str] = {
    **dict(zip(PACING_STATES, (N_("on track"), N_("at risk"), N_("off track")), strict=True)),
    "gains": N_("gains"),
    "loses": N_("loses"),
    "unchanged": N_("unchanged"),
}

#: Columns of ``IncentiveReport.rep_detail`` in the item's unit (actual, target, expected).
VALUE_COLUMNS = ("actual", "target", "expected")


def scorecard_rows(detail: pd.DataFrame, currency: str | None) -> pd.DataFrame:
    """``detail`` (``IncentiveReport.rep_detail``) with :data:`VALUE_COLUMNS` as text in each
    item's unit (money in full with ``currency``, ratios in %, hours with "h"; "—" when
    missing) and the ``unit`` column dropped.

    Examples
    --------
    >>> detail = pd.DataFrame({"metric": ["Won revenue", "Follow-up compliance"],
    ...                        "unit": ["money", "ratio"], "actual": [41250.4, 0.8125],
    ...                        "target": [40000.0, 0.9], "expected": [float("nan"), 0.45]})
    >>> scorecard_rows(detail, "EUR").to_dict("records")[0]
    {'metric': 'Won revenue', 'actual': '€41,250', 'target': '€40,000', 'expected': '—'}
    >>> scorecard_rows(detail, "EUR")["actual"].tolist()
    ['€41,250', '81.2%']
    """
    return _as_text(detail, VALUE_COLUMNS, currency, {})


def state_text(value: object) -> object:
    """A value of analytics (a pacing state, a what-if effect) in the language in force; any
    other value as it is.

    Examples
    --------
    >>> state_text("at risk"), state_text(3)
    ('at risk', 3)
    """
    return _(STATE_TEXT[value]) if isinstance(value, str) and value in STATE_TEXT else value


def plan_day_text(day: date) -> str:
    """A day of a plan's period as the Incentives page shows it: ``01 Apr 2026`` in English,
    ``01.04.2026`` in Russian.

    Examples
    --------
    >>> plan_day_text(date(2026, 4, 1))
    '01 Apr 2026'
    """
    if current_language() == "en":
        return format_date(day, "dd MMM yyyy", locale=babel_locale())
    return format_day(day)


def next_step_text(step: NextStep, metric_key: str, actual: float, currency: str | None) -> str:
    """One item's next step in words: how many more (a count or an amount that builds up
    over the period) or which level is needed (a rate, a level, a lower-is-better metric), and
    what the item then credits.

    Examples
    --------
    >>> step = NextStep("target", 1.0, 1.0, needed=15.0, gap=3.0)
    >>> next_step_text(step, "won_deals", 12.0, "USD")
    '**Won deals**: 3 more (15 in all) for 100.0% on this item.'
    >>> step = NextStep("cap", 1.25, 1.5, needed=0.95, gap=0.1)
    >>> next_step_text(step, "followup_compliance", 0.85, "USD")
    '**Follow-up compliance**: at least 95.0% (now 85.0%) for the cap (150.0%) on this item.'
    >>> step = NextStep("threshold", 0.5, 0.5, needed=6.0, gap=2.0)
    >>> next_step_text(step, "stuck_deals", 8.0, "USD")
    '**Stuck deals**: at most 6 (now 8) to start earning on this item (threshold 50.0%).'
    """
    about = metric(metric_key)

    def shown(value: float) -> str:
        return format_value(value, about.unit, currency, compact=False)

    if about.accumulates and about.higher_is_better:
        needed = _("{gap} more ({needed} in all)").format(
            gap=shown(step.gap), needed=shown(step.needed)
        )
    elif pd.isna(actual):
        needed = (
            _("at least {needed}") if about.higher_is_better else _("at most {needed}")
        ).format(needed=shown(step.needed))
    else:
        bound = (
            _("at least {needed} (now {actual})")
            if about.higher_is_better
            else _("at most {needed} (now {actual})")
        )
        needed = bound.format(needed=shown(step.needed), actual=shown(actual))
    reason = {
        "threshold": _("to start earning on this item (threshold {credit})"),
        "target": _("for {credit} on this item"),
        "cap": _("for the cap ({credit}) on this item"),
    }[step.kind].format(credit=format_value(step.credited, "ratio"))
    return _("**{metric}**: {needed} {reason}.").format(
        metric=_(about.label), needed=needed, reason=reason
    )


def next_step_lines(report: IncentiveReport, rep_id: int) -> list[str]:
    """What it takes ``rep_id`` to reach the next step of each item of the report's plan
    (:func:`next_step_text` of ``analytics.incentives.scoring.next_step`` on the rep's actual and
    target), in plan order; nothing for an item at its last step or left out for the rep.
    """
    plan = to_plan(report.plan)
    items = report.scorecard.items
    lines = []
    rows = items[items["rep_id"] == rep_id]
    for key, actual, target in zip(rows["metric_key"], rows["actual"], rows["target"], strict=True):
        step = next_step(plan.item(key), actual, target, whole=metric(key).unit == "count")
        if step is not None:
            lines.append(next_step_text(step, key, actual, report.currency))
    return lines


def _value_text(value: Any, unit: Any, currency: str | None, teams: Mapping[int, str]) -> str:
    """One value as text (``unit``: a catalogue unit, "text" or "team"; NaN and None: "—")."""
    if unit == "team":
        if value is None:
            return _("Company-wide")
        return teams.get(int(value)) or _("team #{id}").format(id=value)
    if value is None:
        return MISSING
    if unit == "text":
        return str(value)
    return format_value(float(value), unit, currency, compact=False)


def change_rows(
    changes: pd.DataFrame, currency: str | None, teams: Mapping[int, str]
) -> pd.DataFrame:
    """``reports.plan_changes.plan_changes`` with ``before`` and ``after`` as text in their
    unit (money in full with ``currency``, rates in %, teams by name) and no ``unit`` column.

    Examples
    --------
    >>> changes = pd.DataFrame({"part": ["Plan", "Won deals"], "field": ["Team", "Cap"],
    ...                         "unit": ["team", "ratio"], "before": [None, None],
    ...                         "after": [3, 1.5]}, dtype=object)
    >>> change_rows(changes, "USD", {3: "North"})[["before", "after"]].values.tolist()
    [['Company-wide', 'North'], ['—', '150.0%']]
    """
    return _as_text(changes, ("before", "after"), currency, teams)


def _as_text(
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    currency: str | None,
    teams: Mapping[int, str],
) -> pd.DataFrame:
    """``frame`` with ``columns`` as text in each row's ``unit``, the ``unit`` column dropped."""
    text = {
        column: [
            _value_text(value, unit, currency, teams)
            for value, unit in zip(frame[column], frame["unit"], strict=True)
        ]
        for column in columns
    }
    return frame.assign(**text).drop(columns="unit")
