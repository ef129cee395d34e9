"""The global filters as URL query parameters: parse (with validation) and serialise.

Pure functions, no Streamlit: :mod:`ui.filter_bar` draws the widgets and calls these.  Every
view can be shared as a link; a value that is malformed or names something the user may not see
(another team's rep, an unknown region) is dropped and reported in a notice, never trusted
(the query layer enforces the scope anyway).

Parameters (absent = default):

``period``   preset key (:data:`analytics.periods.PRESETS`), default ``last_12_months``
``from``/``to``  inclusive ISO dates of a custom range (``period=custom``)
``compare``  ``previous`` (default) or ``last_year``
``team``, ``rep``  repeated integer ids;  ``region``, ``line``  repeated names
``pipeline`` one pipeline name
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from analytics.periods import COMPARISONS, PRESETS, Period
from crm_data.filters import Filters
from i18n import _
from reports.period_filters import DEFAULT_PRESET, dashboard_filters

__all__ = [
    "DEFAULT_PRESET",
    "FILTER_PARAMS",
    "Choices",
    "Selection",
    "build_filters",
    "parse_query",
    "to_query",
]

#: Every query parameter this module owns (others, e.g. a selected deal, are left alone).
FILTER_PARAMS: tuple[str, ...] = (
    "period", "from", "to", "compare", "team", "rep", "region", "line", "pipeline",
)  # fmt: skip

#: At most this many values per repeated parameter are read (longer lists are cut).
MAX_VALUES = 200
_MIN_DATE, _MAX_DATE = date(1900, 1, 1), date(2200, 12, 31)


@dataclass(frozen=True)
class Choices:
    """What the user may pick: the ids and names visible to their scope."""

    teams: Collection[int] = ()
    reps: Collection[int] = ()
    regions: Collection[str] = ()
    product_lines: Collection[str] = ()
    pipelines: Collection[str] = ()


@dataclass(frozen=True)
class Selection:
    """The filter bar's state; ``start``/``end`` are the inclusive dates of a custom range."""

    preset: str = DEFAULT_PRESET
    start: date | None = None
    end: date | None = None
    compare: str = "previous"
    teams: tuple[int, ...] = field(default=())
    reps: tuple[int, ...] = ()
    regions: tuple[str, ...] = ()
    product_lines: tuple[str, ...] = ()
    pipeline: str | None = None


def _values(params: Mapping[str, Sequence[str] | str], key: str) -> list[str]:
    raw = params.get(key, [])
    values = [raw] if isinstance(raw, str) else list(raw)
    return [v.strip() for v in values[:MAX_VALUES] if v.strip()]


def _last(params: Mapping[str, Sequence[str] | str], key: str) -> str | None:
    """The last of the :func:`_values` of ``key`` (a repeated parameter: the last one wins)."""
    values = _values(params, key)
    return values[-1] if values else None


def _pick_ids(
    values: list[str], allowed: Collection[int], key: str, unseen: str, notices: list[str]
) -> tuple[int, ...]:
    """The ids of ``values`` in ``allowed``; ``unseen`` words a dropped one (``{param}``)."""
    picked: list[int] = []
    for value in values:
        try:
            number = int(value)
        except ValueError:
            notices.append(_("{param} is not a number").format(param=f"{key}={value!r}"))
            continue
        if number in allowed:
            picked.append(number)
        else:
            notices.append(unseen.format(param=f"{key}={number}"))
    return tuple(sorted(set(picked)))


def _pick_names(
    values: list[str], allowed: Collection[str], key: str, unknown: str, notices: list[str]
) -> tuple[str, ...]:
    """The names of ``values`` in ``allowed``; ``unknown`` words a dropped one (``{param}``)."""
    picked = [v for v in values if v in allowed]
    notices += [unknown.format(param=f"{key}={v!r}") for v in values if v not in allowed]
    return tuple(sorted(set(picked)))


def _parse_date(value: str | None, key: str, notices: list[str]) -> date | None:
    if value is None:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        notices.append(_("{param} is not a date (use YYYY-MM-DD)").format(param=f"{key}={value!r}"))
        return None
    if not _MIN_DATE <= parsed <= _MAX_DATE:
        notices.append(_("{param} is out of range").format(param=f"{key}={value}"))
        return None
    return parsed


def _parse_period(params: Mapping[str, Sequence[str] | str], notices: list[str]) -> Selection:
    preset = _last(params, "period") or DEFAULT_PRESET
    if preset not in PRESETS:
        notices.append(_("{param} is not a known period").format(param=f"period={preset!r}"))
        preset = DEFAULT_PRESET
    if preset != "custom":
        return Selection(preset=preset)
    start = _parse_date(_last(params, "from"), "from", notices)
    end = _parse_date(_last(params, "to"), "to", notices)
    if start is None or end is None:
        notices.append(_("a custom period needs valid from and to dates; showing the default"))
        return Selection()
    if end < start:
        notices.append(
            _("{to} is before {start}; showing the default period").format(
                to=f"to={end}", start=f"from={start}"
            )
        )
        return Selection()
    return Selection(preset="custom", start=start, end=end)


def parse_query(
    params: Mapping[str, Sequence[str] | str], choices: Choices
) -> tuple[Selection, list[str]]:
    """The selection a URL asks for, and a notice for every value that was dropped.

    Parameters
    ----------
    params : mapping
        Query parameters, each a string or a list of strings (repeated parameters).
    choices : Choices
        What the user may pick; anything else is dropped with a notice.

    Returns
    -------
    (Selection, list of str)
        The validated selection and human-readable notices ("rep=999 is not a rep you can
        see").
    """
    notices: list[str] = []
    selection = _parse_period(params, notices)
    compare = _last(params, "compare") or "previous"
    if compare not in COMPARISONS:
        notices.append(_("{param} is not a known comparison").format(param=f"compare={compare!r}"))
        compare = "previous"
    pipeline = _last(params, "pipeline")
    if pipeline is not None and pipeline not in choices.pipelines:
        notices.append(_("{param} is not a known pipeline").format(param=f"pipeline={pipeline!r}"))
        pipeline = None
    selection = replace(
        selection,
        compare=compare,
        teams=_pick_ids(
            _values(params, "team"),
            choices.teams,
            "team",
            _("{param} is not a team you can see"),
            notices,
        ),
        reps=_pick_ids(
            _values(params, "rep"),
            choices.reps,
            "rep",
            _("{param} is not a rep you can see"),
            notices,
        ),
        regions=_pick_names(
            _values(params, "region"),
            choices.regions,
            "region",
            _("{param} is not a known region"),
            notices,
        ),
        product_lines=_pick_names(
            _values(params, "line"),
            choices.product_lines,
            "line",
            _("{param} is not a known product line"),
            notices,
        ),
        pipeline=pipeline,
    )
    return selection, notices


def to_query(selection: Selection) -> dict[str, list[str]]:
    """The query parameters of ``selection``, defaults left out (a clean, shareable URL)."""
    query: dict[str, list[str]] = {}
    if selection.preset != DEFAULT_PRESET:
        query["period"] = [selection.preset]
    if selection.preset == "custom" and selection.start and selection.end:
        query["from"] = [selection.start.isoformat()]
        query["to"] = [selection.end.isoformat()]
    if selection.compare != "previous":
        query["compare"] = [selection.compare]
    for key, values in (
        ("team", selection.teams),
        ("rep", selection.reps),
        ("region", selection.regions),
        ("line", selection.product_lines),
    ):
        if values:
            query[key] = [str(v) for v in values]
    if selection.pipeline:
        query["pipeline"] = [selection.pipeline]
    return query


def build_filters(selection: Selection, today: date) -> tuple[Filters, Period]:
    """The :class:`Filters` every query receives, and the resolved period (for labels):
    :func:`reports.period_filters.dashboard_filters` of the selection, as notebooks get them.

    ``as_of`` is the period's exclusive end; the comparison period follows
    ``selection.compare`` (:func:`analytics.periods.comparison_period`).
    """
    return dashboard_filters(
        selection.preset,
        compare=selection.compare,
        today=today,
        start=selection.start,
        end=selection.end,
        teams=selection.teams,
        reps=selection.reps,
        regions=selection.regions,
        product_lines=selection.product_lines,
        pipeline=selection.pipeline,
    )
