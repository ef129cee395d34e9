"""What a plan version changed against the one before it (the Incentives page's history)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from appdb.plans import StoredItem, StoredPlan
from i18n import N_, _, ngettext
from i18n.formatting import format_count, format_day
from reports.catalogue import metric

__all__ = ["CHANGE_COLUMNS", "plan_changes"]

#: Columns of :func:`plan_changes`.
CHANGE_COLUMNS = ["part", "field", "unit", "before", "after"]

#: Item fields compared, with their on-screen name (translated where shown) and unit (None:
#: the metric's own unit).
_ITEM_FIELDS: tuple[tuple[str, str, str | None], ...] = (
    ("weight", N_("Weight"), "ratio"),
    ("target", N_("Target"), None),
    ("threshold", N_("Threshold"), "ratio"),
    ("cap", N_("Cap"), "ratio"),
    ("accelerator", N_("Accelerator"), "decimal"),
)


def _period(plan: StoredPlan) -> str:
    """The plan's period as inclusive dates (ISO in English)."""
    return f"{format_day(plan.period_start)} – {format_day(plan.period_end - timedelta(days=1))}"


def _own_targets(before: StoredItem, after: StoredItem) -> tuple[str, str] | None:
    """The per-rep targets' change as text ("2 reps" → "3 reps, 1 changed"), None if equal.

    >>> from dataclasses import replace
    >>> none = StoredItem("won_deals", 1.0)
    >>> _own_targets(none, replace(none, rep_targets=((4, 9.0),)))
    ('none', '1 rep')
    """
    old, new = dict(before.rep_targets), dict(after.rep_targets)
    if old == new:
        return None
    changed = sum(1 for rep in old.keys() & new.keys() if old[rep] != new[rep])
    if not changed:
        return _reps(len(old)), _reps(len(new))
    note = ngettext("{reps}, {n} changed", "{reps}, {n} changed", changed)
    return _reps(len(old)), note.format(reps=_reps(len(new)), n=format_count(changed))


def _reps(count: int) -> str:
    """A count of reps in words: none, 1 rep, 3 reps."""
    if count == 0:
        return _("none")
    return ngettext("{n} rep", "{n} reps", count).format(n=format_count(count))


def plan_changes(before: StoredPlan, after: StoredPlan) -> pd.DataFrame:
    """Every difference of ``after`` from ``before`` (two versions of one plan).

    Returns
    -------
    DataFrame
        :data:`CHANGE_COLUMNS`: ``part`` ("Plan" or the item's metric label), ``field``, the
        ``unit`` of the two values (a catalogue unit such as ``money`` or ``ratio``, or
        ``text``), ``before`` and ``after`` (None where the value is unset, e.g. no cap).
        Plan fields first, then items in ``after``'s order, then removed items; empty when the
        versions are the same.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from datetime import date, datetime
    >>> v1 = StoredPlan("q2", 1, "Q2", date(2026, 4, 1), date(2026, 7, 1), 3, 1000.0,
    ...                 datetime(2026, 4, 1), 7, (StoredItem("won_deals", 1.0, target=10.0),))
    >>> v2 = replace(v1, version=2, on_target_bonus=1500.0,
    ...              items=(StoredItem("won_deals", 1.0, target=12.0),))
    >>> plan_changes(v1, v2)[["part", "field", "before", "after"]].values.tolist()
    [['Plan', 'On-target bonus', 1000.0, 1500.0], ['Won deals', 'Target', 10.0, 12.0]]
    """
    rows: list[tuple[str, str, str, object, object]] = []
    for field, unit, old, new in (
        (_("Name"), "text", before.name, after.name),
        (_("Period"), "text", _period(before), _period(after)),
        (_("Team"), "team", before.team_id, after.team_id),
        (_("On-target bonus"), "money", before.on_target_bonus, after.on_target_bonus),
    ):
        if old != new:
            rows.append((_("Plan"), field, unit, old, new))
    old_items = {item.metric_key: item for item in before.items}
    new_keys = {item.metric_key for item in after.items}
    for item in after.items:
        label = _(metric(item.metric_key).label)
        previous = old_items.get(item.metric_key)
        if previous is None:
            rows.append((label, _("Item"), "text", None, _("added")))
            continue
        for name, field, item_unit in _ITEM_FIELDS:
            old, new = getattr(previous, name), getattr(item, name)
            if old != new:
                rows.append((label, _(field), item_unit or metric(item.metric_key).unit, old, new))
        own = _own_targets(previous, item)
        if own is not None:
            rows.append((label, _("Per-rep targets"), "text", *own))
    for key in old_items:
        if key not in new_keys:
            rows.append((_(metric(key).label), _("Item"), "text", _("in the plan"), _("removed")))
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS, dtype=object)
