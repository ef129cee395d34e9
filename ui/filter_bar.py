"""The global filter bar in the sidebar, mirrored in the URL (``ui.url_filters``).

The first run of a session reads the URL (a shared link reopens the same view); afterwards the
widgets are the source of truth and every run writes their values back to the URL, defaults
left out.  Values the user may not see are dropped with a notice.  Widget values survive page
switches (``persist_state="session"``), also through pages that show no filters.
"""

from __future__ import annotations

from datetime import date

import streamlit as st
from sqlalchemy.engine import Engine

from access.roles import sees_own_rows_only
from analytics.periods import COMPARISONS, PRESETS, Period
from crm_data.filters import Filters, Scope
from crm_data.queries.people import FilterOptions, filter_options
from i18n import _, translated
from i18n.formatting import date_pattern
from reports.names import names_by_id
from reports.period_filters import reference_date
from ui.cache import waiting_for_database
from ui.format import escape_markdown
from ui.url_filters import (
    DEFAULT_PRESET,
    FILTER_PARAMS,
    Choices,
    Selection,
    build_filters,
    parse_query,
    to_query,
)

__all__ = ["filter_bar", "reference_date", "reset_filters"]

_SEEDED = "_flt_seeded"
_NOTICES = "_flt_notices"
_LINKED = "_flt_linked"  # the selection the link's notices are about
_KEYS = ("flt_period", "flt_range", "flt_compare", "flt_team", "flt_rep", "flt_region",
         "flt_line", "flt_pipeline")  # fmt: skip


@st.cache_data(ttl="15m", max_entries=64, show_spinner=False)
def _options(url: str, version: int, scope: Scope, _engine: Engine) -> FilterOptions:
    return filter_options(_engine, scope)


def _choices(options: FilterOptions) -> Choices:
    return Choices(
        teams=set(options.teams["team_id"].astype(int)),
        reps=set(options.reps["employee_id"].astype(int)),
        regions=set(options.regions),
        product_lines=set(options.product_lines),
        pipelines=set(options.pipelines),
    )


def _seed_from_url(choices: Choices, today: date) -> None:
    """Put the URL's selection into the widgets' state (first run of a session)."""
    params = {key: st.query_params.get_all(key) for key in FILTER_PARAMS}
    selection, notices = parse_query(params, choices)
    state = st.session_state
    state["flt_period"] = selection.preset
    if selection.preset == "custom":
        state["flt_range"] = (selection.start, selection.end)
    state["flt_compare"] = selection.compare
    state["flt_team"] = list(selection.teams)
    state["flt_rep"] = list(selection.reps)
    state["flt_region"] = list(selection.regions)
    state["flt_line"] = list(selection.product_lines)
    state["flt_pipeline"] = selection.pipeline
    state[_SEEDED] = True
    state[_NOTICES] = notices


def _keep_allowed(key: str, allowed: set[int] | set[str]) -> None:
    """Drop values the (possibly changed) scope no longer offers, before the widget is drawn."""
    if key in st.session_state:
        st.session_state[key] = [v for v in st.session_state[key] if v in allowed]


def _custom_range(today: date) -> tuple[date | None, date | None]:
    """The custom date-range picker; a half-picked range keeps the last complete one."""
    st.session_state.setdefault("flt_range", (today.replace(day=1), today))
    picked = st.date_input(
        _("Dates (first and last day)"),
        key="flt_range",
        format=date_pattern(),
        persist_state="session",
    )
    if isinstance(picked, tuple) and len(picked) == 2:
        st.session_state["_flt_last_range"] = picked
    start, end = st.session_state.get("_flt_last_range", (None, None))
    return start, end


def _widgets(options: FilterOptions, scope: Scope, today: date) -> Selection:
    """Draw the filter widgets and return their selection."""
    st.session_state.setdefault("flt_period", DEFAULT_PRESET)
    st.session_state.setdefault("flt_compare", "previous")
    preset = st.selectbox(
        _("Period"),
        list(PRESETS),
        format_func=translated(PRESETS).__getitem__,
        key="flt_period",
        persist_state="session",
    )
    start = end = None
    if preset == "custom":
        start, end = _custom_range(today)
        if start is None or end is None:
            preset = DEFAULT_PRESET
    compare = st.selectbox(
        _("Compare with"),
        list(COMPARISONS),
        format_func=translated(COMPARISONS).__getitem__,
        key="flt_compare",
        persist_state="session",
    )
    teams: list[int] = []
    reps: list[int] = []
    if not sees_own_rows_only(scope.role):
        team_names = names_by_id(options.teams, "team_id")
        teams = st.multiselect(
            _("Team"), list(team_names), format_func=team_names.__getitem__, key="flt_team",
            placeholder=_("All teams"), persist_state="session",
        )  # fmt: skip
        staff = options.reps
        if teams:
            staff = staff[staff["team_id"].isin(teams)]
        rep_names = names_by_id(staff, "employee_id")
        _keep_allowed("flt_rep", set(rep_names))
        reps = st.multiselect(
            _("Rep"), list(rep_names), format_func=rep_names.__getitem__, key="flt_rep",
            placeholder=_("All reps"), persist_state="session",
        )  # fmt: skip
    regions = st.multiselect(
        _("Region"), list(options.regions), key="flt_region", placeholder=_("All regions"),
        persist_state="session",
    )  # fmt: skip
    lines = st.multiselect(
        _("Product line"), list(options.product_lines), key="flt_line",
        placeholder=_("All product lines"), persist_state="session",
    )  # fmt: skip
    pipeline = st.session_state.get("flt_pipeline")
    if len(options.pipelines) > 1:
        every_pipeline = _("All pipelines")
        pipeline = st.selectbox(
            _("Pipeline"), [None, *options.pipelines],
            format_func=lambda p: p or every_pipeline, key="flt_pipeline",
            persist_state="session",
        )  # fmt: skip
    return Selection(
        preset=preset, start=start, end=end, compare=compare, teams=tuple(teams),
        reps=tuple(reps), regions=tuple(regions), product_lines=tuple(lines), pipeline=pipeline,
    )  # fmt: skip


def _write_url(selection: Selection) -> None:
    """Mirror ``selection`` in the URL (only this module's parameters; others stay)."""
    wanted = to_query(selection)
    current = {k: st.query_params.get_all(k) for k in FILTER_PARAMS if k in st.query_params}
    if current == wanted:
        return
    for key in FILTER_PARAMS:
        if key in st.query_params and key not in wanted:
            del st.query_params[key]
    for key, values in wanted.items():
        st.query_params[key] = values


def _link_notices(selection: Selection) -> list[str]:
    """What the link's values dropped, while the filters are still the ones the link gave
    (the first change of a filter clears the notice).
    """
    notices = st.session_state.get(_NOTICES) or []
    if notices and st.session_state.setdefault(_LINKED, selection) != selection:
        st.session_state.pop(_NOTICES, None)
        return []
    return list(notices)


def reset_filters() -> None:
    """Forget the filter selection (widgets and URL); used by the "Reset" button."""
    for key in (*_KEYS, "_flt_last_range", _NOTICES, _LINKED):
        st.session_state.pop(key, None)
    for key in FILTER_PARAMS:
        if key in st.query_params:
            del st.query_params[key]


def _labels(selection: Selection, options: FilterOptions) -> tuple[tuple[str, str], ...]:
    """The narrowing filters in words (names, not ids), for page captions and exports."""
    teams = names_by_id(options.teams, "team_id")
    reps = names_by_id(options.reps, "employee_id")
    pairs = (
        (_("Teams"), [teams.get(t, str(t)) for t in selection.teams]),
        (_("Reps"), [reps.get(r, str(r)) for r in selection.reps]),
        (_("Regions"), list(selection.regions)),
        (_("Product lines"), list(selection.product_lines)),
        (_("Pipeline"), [selection.pipeline] if selection.pipeline else []),
    )
    return tuple((name, ", ".join(values)) for name, values in pairs if values)


def filter_bar(
    engine: Engine, scope: Scope, version: int
) -> tuple[Filters, Period, str, tuple[tuple[str, str], ...]]:
    """Draw the sidebar filters; return this run's :class:`Filters`, its period, the comparison
    mode, and the narrowing filters in words.

    Parameters
    ----------
    engine : Engine
        The CRM database (for the options: teams, reps, regions, … visible to ``scope``).
    scope : Scope
        Who is asking; only what the scope may see is offered.
    version : int
        The data version (options are cached per version).
    """
    today = reference_date()
    with waiting_for_database():
        options = _options(str(engine.url), version, scope, engine)
    choices = _choices(options)
    if not st.session_state.get(_SEEDED):
        _seed_from_url(choices, today)
    for key, allowed in (
        ("flt_team", choices.teams),
        ("flt_rep", choices.reps),
        ("flt_region", choices.regions),
        ("flt_line", choices.product_lines),
    ):
        _keep_allowed(key, set(allowed))  # type: ignore[arg-type]
    with st.sidebar:
        st.subheader(_("Filters"), anchor=False)
        selection = _widgets(options, scope, today)
        if notices := _link_notices(selection):
            st.warning(
                _("**Ignored from the link:**")
                + "\n"
                + "\n".join(f"- {escape_markdown(n)}" for n in notices),
                icon=":material/link_off:",
            )
        st.button(_("Reset filters"), icon=":material/filter_alt_off:", key="flt_reset",
                  on_click=reset_filters)  # fmt: skip
    _write_url(selection)
    filters, period = build_filters(selection, today)
    return filters, period, selection.compare, _labels(selection, options)
