"""The rep profile's incentive card: the rep's score on the plan that scores them in the period.

The plans are those the viewer may read (``reports.plan_store.list_plans``) overlapping the
period, of the rep's team or company-wide, the latest first; the first that scores the rep
gives the card (scored as the Incentives page scores it, and cached the same way).
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from sqlalchemy.engine import Engine

from appdb.databases import Databases
from crm_data.filters import Filters, Scope
from i18n import _
from reports.incentives import incentive_report
from reports.period_filters import reference_date
from reports.plan_store import PlanError, list_plans, load_plan
from ui.cache import cached_report
from ui.format import escape_markdown, format_value
from ui.registry import page_link

__all__ = ["incentive_card"]


def incentive_card(
    engine: Engine,
    databases: Databases,
    scope: Scope,
    filters: Filters,
    rep_id: int,
    team_id: int | None,
    currency: str | None,
) -> None:
    """A card with the rep's incentive score and bonus, or a line saying no plan scores them."""
    plans = list_plans(databases, scope, (filters.start, filters.end))
    teams = plans["team_id"].astype("float64")  # NaN: a company-wide plan
    plans = plans[teams.isna() | (teams == (np.nan if team_id is None else float(team_id)))]
    for key, name in zip(plans["plan_key"], plans["name"], strict=True):
        try:
            stored = load_plan(databases, scope, str(key))
            report = cached_report(incentive_report, engine, scope, stored, reference_date())
        except PlanError:  # removed or hidden since it was listed: try the next one
            continue
        summary = report.rep_summary()
        row = summary[summary["rep_id"] == rep_id]
        if row.empty:
            continue
        with st.container(border=True):
            st.metric(_("Incentive score"), format_value(float(row["score"].iloc[0]), "ratio"))
            st.caption(
                _("{plan} · bonus {bonus}").format(
                    plan=escape_markdown(str(name)),
                    bonus=format_value(float(row["bonus"].iloc[0]), "money", currency),
                )
            )
            page_link("incentives", scope.role, _("Open the scorecard"))
        return
    with st.container(border=True):
        st.metric(_("Incentive score"), "—")
        st.caption(_("No incentive plan scores this rep in the period."))
