"""The incentive-plan editor: plan items as an editable table (percentages on screen,
fractions stored) and the plan's name, period, team and bonus inputs.

Targets of rate metrics (unit ``ratio``, e.g. follow-up compliance) are edited in % like the
scorecard shows them (90 for 0.9).  The columns keep their types when the table starts empty
(a new plan: the metric is a choice of catalogue labels, never a number), and an empty cell
is "none" (no target, no cap, no accelerator; threshold 0), shown as "—".  Per-rep targets
have their own grid (a row per rep, a column per item; an empty cell: the item's common
target); the items table says how many reps have one, and saving or simulating the edited
rows keeps them for the items whose metric stays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, cast

import pandas as pd
import streamlit as st

from analytics.incentives.plan import PERIOD_FIRST_DAY, PERIOD_LAST_DAY
from appdb.plans import StoredItem
from i18n import N_, _, translated
from i18n.formatting import date_pattern
from reports.catalogue import metric, per_rep_metrics

__all__ = [
    "COLUMN_LABELS",
    "METRIC_LABELS",
    "column_labels",
    "editor_rows",
    "plan_editor",
    "plan_fields",
    "stored_items",
    "target_editor",
    "target_grid",
    "target_labels",
    "with_grid_targets",
]

#: Metric key -> label (English: the editor's values; shown translated), for the metrics a
#: plan can score.
METRIC_LABELS: dict[str, str] = {m.key: m.label for m in per_rep_metrics()}
#: Those where lower is better (their items need a cap).
LOWER_IS_BETTER = tuple(m.label for m in per_rep_metrics() if not m.higher_is_better)
#: How the Unit column names each catalogue unit (the unit a target is typed in; translate
#: where shown).
UNIT_TEXT = {"money": N_("amount"), "count": N_("count"), "decimal": N_("number"), "ratio": "%",
             "days": N_("days"), "hours": N_("hours"), "multiple": "×"}  # fmt: skip


def _unit(metric_key: str) -> str:
    """The Unit column's text of ``metric_key``, in the language in force."""
    text = UNIT_TEXT[metric(metric_key).unit]
    return text if text in ("%", "×") else _(text)


def _target_scale(metric_key: str) -> float:
    """On-screen target per stored unit: 100 for rates (typed in %), else 1."""
    return 100.0 if metric(metric_key).unit == "ratio" else 1.0


def editor_rows(items: tuple[StoredItem, ...]) -> pd.DataFrame:
    """Plan items as the editor shows them: percentages as numbers of %, rate targets in %,
    the target's unit and how many reps have their own target.

    Examples
    --------
    >>> item = StoredItem("followup_compliance", 0.25, target=0.9, rep_targets=((7, 0.8),))
    >>> row = editor_rows((item,)).to_dict("records")[0]
    >>> row["weight_pct"], row["target"], row["unit"], row["own_targets"]
    (25.0, 90.0, '%', 1)
    """
    columns = {
        "metric": [METRIC_LABELS.get(i.metric_key, i.metric_key) for i in items],
        "weight_pct": [100 * i.weight for i in items],
        "target": [
            None if i.target is None else i.target * _target_scale(i.metric_key) for i in items
        ],
        "unit": [_unit(i.metric_key) for i in items],
        "threshold_pct": [100 * i.threshold for i in items],
        "cap_pct": [None if i.cap is None else 100 * i.cap for i in items],
        "accelerator": [i.accelerator for i in items],
        "own_targets": [len(i.rep_targets) for i in items],
    }
    return pd.DataFrame(
        {name: pd.Series(values, dtype=EDITOR_DTYPES[name]) for name, values in columns.items()}
    )


def _cell(value: Any, scale: float = 1.0) -> float | None:
    """An editor cell in stored units (``value / scale``); None when empty (None, NaN, NA)."""
    return None if pd.isna(value) else float(value) / scale


def stored_items(rows: pd.DataFrame, kept: tuple[StoredItem, ...] = ()) -> list[dict[str, object]]:
    """Editor rows back to plan items (fractions; rate targets from %); rows without a metric
    are skipped, empty cells are None (an empty threshold is 0).  An item whose metric is
    among ``kept`` (the version edited) keeps that item's per-rep targets.

    Examples
    --------
    >>> item = StoredItem("followup_compliance", 0.25, target=0.9, rep_targets=((7, 0.8),))
    >>> stored_items(editor_rows((item,)), kept=(item,))[0] == vars(item)
    True
    """
    keys = {label: key for key, label in METRIC_LABELS.items()}
    own = {item.metric_key: item.rep_targets for item in kept}
    items: list[dict[str, object]] = []
    for row in rows.itertuples(index=False):
        if not isinstance(row.metric, str) or row.metric not in keys:
            continue
        key = keys[row.metric]
        items.append({
            "metric_key": key, "weight": _cell(row.weight_pct, 100),
            "target": _cell(row.target, _target_scale(key)),
            "threshold": _cell(row.threshold_pct, 100) or 0.0, "cap": _cell(row.cap_pct, 100),
            "accelerator": _cell(row.accelerator), "rep_targets": own.get(key, ()),
        })  # fmt: skip
    return items


#: The editor's column types, kept when the table is empty.
EDITOR_DTYPES = {"metric": "str", "weight_pct": "float64", "target": "float64", "unit": "str",
                 "threshold_pct": "float64", "cap_pct": "float64", "accelerator": "float64",
                 "own_targets": "int64"}  # fmt: skip
#: On-screen names of the editor's columns (also used for exports; English, translated by
#: :func:`column_labels`).
COLUMN_LABELS = {"metric": N_("Metric"), "weight_pct": N_("Weight %"), "target": N_("Target"),
                 "unit": N_("Unit"), "threshold_pct": N_("Threshold %"), "cap_pct": N_("Cap %"),
                 "accelerator": N_("Accelerator"),
                 "own_targets": N_("Own targets")}  # fmt: skip


def column_labels() -> dict[str, str]:
    """:data:`COLUMN_LABELS` in the language in force."""
    return {column: _(label) for column, label in COLUMN_LABELS.items()}


def plan_editor(key: str, rows: pd.DataFrame, *, fixed_items: bool = False) -> pd.DataFrame:
    """The items table of a plan, editable; with ``fixed_items`` (the what-if) only the numbers
    change, no item is added or removed.  A new row starts with threshold 0 and nothing else;
    empty cells show "—".
    """
    labels = column_labels()
    lower_is_better = ", ".join(_(label) for label in LOWER_IS_BETTER)
    metric_names = translated({label: label for label in METRIC_LABELS.values()})
    return st.data_editor(
        rows, key=key, num_rows="fixed" if fixed_items else "dynamic", hide_index=True,
        width="stretch", disabled=["metric"] if fixed_items else False,
        placeholder="—",
        column_config={
            "metric": st.column_config.SelectboxColumn(
                labels["metric"], options=list(METRIC_LABELS.values()), required=True,
                format_func=lambda label: metric_names[str(label)],
                help=_("Any metric of the catalogue that can be computed per rep.")),
            "weight_pct": st.column_config.NumberColumn(
                labels["weight_pct"], min_value=0.0, max_value=100.0, format="%.1f",
                help=_("Weights should add up to 100 %.")),
            "target": st.column_config.NumberColumn(
                labels["target"], min_value=0.0, help=_("Per rep, for the whole period, in "
                "the Unit shown (rates in %: 90 for 90 %). 0 or empty: the item is left out "
                "and the other weights are scaled up.")),
            "unit": st.column_config.TextColumn(
                labels["unit"], disabled=True,
                help=_("What the target counts (shown once saved).")),
            "threshold_pct": st.column_config.NumberColumn(
                labels["threshold_pct"], min_value=0.0, format="%.0f", default=0.0,
                help=_("Below this attainment the item credits nothing (0: every attainment "
                "counts).")),
            "cap_pct": st.column_config.NumberColumn(
                labels["cap_pct"], min_value=0.0, format="%.0f",
                help=_("Most attainment credited; empty: no cap. Required where lower is "
                "better: {metrics}.").format(metrics=lower_is_better)),
            "accelerator": st.column_config.NumberColumn(
                labels["accelerator"], min_value=1.0, format="%.2f",
                help=_("Multiplier of the attainment above 100 % (1 or more); empty: none.")),
            "own_targets": st.column_config.NumberColumn(
                labels["own_targets"], disabled=True, format="%d",
                help=_("Reps with a target of their own for this item (kept when saving).")),
        },
    )  # fmt: skip


def target_grid(items: Sequence[StoredItem], reps: Mapping[int, str]) -> pd.DataFrame:
    """Per-rep targets as the grid shows them: a row per rep (index ``rep_id``, ``rep`` the
    name), a column per item (named by its metric key) with the rep's own target in the item's
    on-screen unit (rates in %), NaN where the rep has the common target.

    Examples
    --------
    >>> item = StoredItem("followup_compliance", 1.0, target=0.9, rep_targets=((7, 0.8),))
    >>> target_grid((item,), {7: "Ann", 9: "Bo"})["followup_compliance"].tolist()
    [80.0, nan]
    """
    columns: dict[str, object] = {"rep": pd.Series(list(reps.values()), dtype="str")}
    for item in items:
        own, scale = dict(item.rep_targets), _target_scale(item.metric_key)
        columns[item.metric_key] = pd.Series(
            [own[rep] * scale if rep in own else None for rep in reps], dtype="float64"
        )
    grid = pd.DataFrame(columns)
    grid.index = pd.Index(list(reps), name="rep_id", dtype="int64")
    return grid


def with_grid_targets(items: Sequence[StoredItem], grid: pd.DataFrame) -> tuple[StoredItem, ...]:
    """``items`` with the per-rep targets of the edited ``grid`` (:func:`target_grid`): a rep
    of the grid gets their cell (none when empty); reps not in the grid keep theirs.

    Examples
    --------
    >>> item = StoredItem("won_revenue", 1.0, target=100.0, rep_targets=((7, 80.0), (8, 90.0)))
    >>> grid = target_grid((item,), {7: "Ann", 9: "Bo"})
    >>> grid.loc[7, "won_revenue"], grid.loc[9, "won_revenue"] = None, 120.0
    >>> with_grid_targets((item,), grid)[0].rep_targets
    ((8, 90.0), (9, 120.0))
    """
    changed = []
    for item in items:
        own = dict(item.rep_targets)
        if item.metric_key in grid:
            scale = _target_scale(item.metric_key)
            for rep, value in grid[item.metric_key].items():
                if pd.isna(value):
                    own.pop(int(cast(int, rep)), None)
                else:
                    own[int(cast(int, rep))] = float(value) / scale
        changed.append(replace(item, rep_targets=tuple(sorted(own.items()))))
    return tuple(changed)


def target_labels(grid: pd.DataFrame) -> dict[str, str]:
    """On-screen names of the grid's columns: "Rep", and each item's label with its unit."""
    return {
        column: _("Rep") if column == "rep" else
        f"{_(METRIC_LABELS.get(column, column))} ({_unit(column)})"
        for column in grid.columns
    }  # fmt: skip


def target_editor(key: str, grid: pd.DataFrame) -> pd.DataFrame:
    """The per-rep targets grid (:func:`target_grid`), editable: only the targets change."""
    labels = target_labels(grid)
    return st.data_editor(
        grid, key=key, num_rows="fixed", hide_index=True, width="stretch", disabled=["rep"],
        column_config={
            "rep": st.column_config.TextColumn(labels["rep"]),
            **{
                column: st.column_config.NumberColumn(
                    label, min_value=0.0,
                    help=_("This rep's own target; empty: the item's common target."),
                )
                for column, label in labels.items() if column != "rep"
            },
        },
    )  # fmt: skip


def plan_fields(
    prefix: str,
    teams: dict[int, str],
    *,
    company_wide: bool,
    name: str,
    start: date,
    end: date,
    team: int | None,
    bonus: float,
) -> dict[str, object]:
    """Name, period (inclusive dates on screen, the exclusive end stored), team and on-target
    bonus inputs; ``company_wide`` offers a plan without a team.  Returns
    ``reports.plan_store.save_plan``'s keyword arguments: the period None while only one day
    of it is picked (saving is then refused, never a period made up from the old one).
    """
    left, middle, right = st.columns([3, 3, 2])
    with left:
        new_name = st.text_input(_("Plan name"), name, key=f"{prefix}_name")
    with middle:
        period = st.date_input(_("Period (first and last day)"),
                               (start, end - timedelta(days=1)),
                               min_value=PERIOD_FIRST_DAY, max_value=PERIOD_LAST_DAY,
                               key=f"{prefix}_period", format=date_pattern())  # fmt: skip
    with right:
        new_bonus = st.number_input(_("On-target bonus"), min_value=0.0, value=float(bonus),
                                    step=500.0, key=f"{prefix}_bonus")  # fmt: skip
    options: list[int | None] = [None, *teams] if company_wide else list(teams)
    team_labels: dict[int | None, str] = {None: _("Company-wide")}
    team_labels.update(teams.items())
    chosen = st.selectbox(
        _("Team"), options, index=options.index(team) if team in options else 0,
        format_func=team_labels.__getitem__,
        key=f"{prefix}_team",
    )  # fmt: skip
    first, last = period if isinstance(period, tuple) and len(period) == 2 else (None, None)
    return {"name": new_name, "period_start": first,
            "period_end": None if last is None else last + timedelta(days=1),
            "team_id": chosen, "on_target_bonus": new_bonus}  # fmt: skip
