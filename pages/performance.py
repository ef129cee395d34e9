"""Performance: a fair comparison of reps — raw and shrunk values with how sure each is, rank
ranges, the funnel plot, each rep's weak spot, teams and quotas, and one rep's profile."""

from __future__ import annotations

import numpy as np
import streamlit as st

from access.roles import Role
from analytics.periods import period_label
from i18n import _, ngettext, translated
from i18n.formatting import format_count
from reports.catalogue import metric
from reports.kpi import Unit
from reports.performance import (
    BOARD_KEYS,
    activity_outcome,
    board_limits,
    quota_attainment,
    rep_board,
    team_board,
    weak_spots,
)
from reports.rep_metrics import COMPARED_BY_MEAN
from reports.rep_profile import profile_choices, rep_profile, visible_rep
from ui.cache import cached_report
from ui.deal_panel import deal_panel
from ui.empty import empty_state
from ui.engine import get_databases, get_engine
from ui.format import format_value
from ui.labels import labelled
from ui.page import filtered_page_start, page_header
from ui.page_options import seed_from_url, write_to_url
from ui.rep_charts import (
    activity_mix_figure,
    funnel_plot_figure,
    interval_figure,
    overlay_figure,
    quota_figure,
    rep_trend_figure,
    stage_time_figure,
)
from ui.rep_incentive import incentive_card
from ui.rep_tables import SAMPLE_LABELS, board_frames, interval_text, weak_spot_sentence
from ui.tables import data_table

context = filtered_page_start("performance")
engine = get_engine()
filters, scope = context.filters, context.scope
is_rep = scope.role == Role.REP
page_header(
    _("Performance"), context,
    _("Who is really better, where each rep loses deals, and how sure the numbers are"),
)  # fmt: skip

LABELS = {key: metric(key).label for key in BOARD_KEYS}
seed_from_url("metric", "perf_metric", list(BOARD_KEYS), "win_rate")
key = st.selectbox(
    _("Compare reps by"), list(BOARD_KEYS), key="perf_metric",
    format_func=translated(LABELS).__getitem__,
    help=_("Rates and means are shown raw and shrunk: a rep with few deals is pulled towards the "
           "team, by as much as their sample is small (empirical Bayes)."),
)  # fmt: skip
write_to_url("metric", key, "win_rate")
chosen = metric(key)

with st.spinner(_("Comparing the reps…"), show_time=True):
    board = cached_report(rep_board, engine, filters, scope, key)
currency = board.currency
unit = chosen.unit
names = cached_report(profile_choices, engine, scope)  # whose profile this login may open

tabs = st.tabs([_("My numbers") if is_rep else _("Leaderboard"), _("Rep profile"),
                _("Teams and quotas")])  # fmt: skip

# ---- the leaderboard ----------------------------------------------------------------------------
with tabs[0]:
    if board.reps == 0:
        empty_state(
            _("No rep has a {metric} in this period.").format(metric=_(chosen.label)),
            _("Pick a longer period or another metric."),
        )
    else:
        sample = _(SAMPLE_LABELS[key]) if board.sized else ""
        team_text = (
            _("team {value} · {sample}: {n}") if board.sized
            else _("team {value} per rep") if board.kind == "total" else _("team {value}")
        )  # fmt: skip
        facts = [
            ngettext("{n} rep compared", "{n} reps compared", board.reps).format(
                n=format_count(board.reps)),
            team_text.format(value=format_value(board.team_value, unit, currency, compact=False),
                             n=format_count(board.team_size), sample=sample),
        ]  # fmt: skip
        if board.kind != "total" and not np.isnan(board.raw_range[0]):
            facts.append(
                _("raw {raw}, shrunk {shrunk}").format(
                    raw=interval_text(*board.raw_range, unit, currency),
                    shrunk=interval_text(*board.shrunk_range, unit, currency),
                )
            )
        st.caption(" · ".join(facts))
        if board.pooled:
            st.info(
                _("The reps' differences in {metric} are no larger than chance would make them: "
                  "every shrunk value is the team's. Rank them by something else, or over a "
                  "longer period.").format(metric=_(chosen.label)),
                icon=":material/balance:",
            )  # fmt: skip
        if key in COMPARED_BY_MEAN:
            st.caption(_("Compared by the mean, which shrinkage needs; the metric's card "
                         "elsewhere shows the median."))  # fmt: skip
        if is_rep:
            st.caption(_("You see your own row against team aggregates; colleagues' rows are "
                         "not shown."))  # fmt: skip
        st.plotly_chart(
            interval_figure(board.table, unit, currency, board.team_value, board.kind),
            key="perf_intervals",
        )
        shown, exported = board_frames(board, chosen)
        row = data_table(
            shown,
            key="perf_board",
            file_stem=f"performance_{key}",
            context=context.export_context(_("Performance — {metric}").format(
                metric=_(chosen.label))),
            export=exported,
            selectable=not is_rep,
        )  # fmt: skip
        if row is not None and int(board.table["rep_id"].iloc[row]) in names:  # drill through
            st.session_state["perf_rep"] = int(board.table["rep_id"].iloc[row])
            st.caption(_("Open the **Rep profile** tab to see {name}.").format(
                name=board.table["name"].iloc[row]))  # fmt: skip
        if board.kind == "rate":
            st.subheader(_("Funnel plot: who differs from the team by more than chance"),
                         anchor=False)  # fmt: skip
            st.caption(
                _("Each rep's {metric} (up) against the sample behind it, {sample} (across). "
                  "Inside the dotted funnels a rep differs from the team rate by no more than "
                  "chance (95% and 99.8% control limits); outside the outer one, by more.").format(
                    metric=_(chosen.label), sample=sample.lower())
            )  # fmt: skip
            st.plotly_chart(
                funnel_plot_figure(board.table, board_limits(board), board.team_value,
                                   _(SAMPLE_LABELS[key])),
                key="perf_funnel_plot",
            )  # fmt: skip

    st.subheader(_("Weak spots"), anchor=False)
    st.caption(_("The stage where a rep's next-step conversion is furthest below the rest of the "
                 "team's, shown only where the gap is significant (one-sided test, Holm-corrected "
                 "over the stages; deals created in the period)."))  # fmt: skip
    spots = cached_report(weak_spots, engine, filters, scope)
    found = spots[spots["significant"].astype(bool)] if len(spots) else spots
    if found.empty:
        empty_state(
            _("No significant weak spot."),
            _("No rep converts at any stage clearly worse than the rest of the team."),
        )
    else:
        for _index, spot in found.iterrows():
            st.markdown(f"**{spot['name']}** — {weak_spot_sentence(spot)}")

    st.subheader(_("Activity and outcome"), anchor=False)
    outcome = cached_report(activity_outcome, engine, filters, scope)
    st.caption(
        _("The team logs {per_won} activities per won deal.").format(
            per_won=format_value(outcome.team_per_won, "decimal")
        )
    )
    left, right = st.columns([3, 2])
    with left:
        mix = outcome.mix
        if mix.empty:
            st.caption(_("The activity mix of the best and the weakest quarter of reps is shown to "
                         "heads and executives, with four reps or more."))  # fmt: skip
        else:
            st.markdown(_("**Activity mix** of the quarter of reps with the highest shrunk win "
                          "rate and of the quarter with the lowest"))  # fmt: skip
            top, bottom = (mix[mix["quartile"] == q] for q in ("top", "bottom"))
            shares = {_("Lowest quarter"): bottom["share"].reset_index(drop=True),
                      _("Highest quarter"): top["share"].reset_index(drop=True)}  # fmt: skip
            st.plotly_chart(activity_mix_figure(top["type"], shares), key="perf_quartiles")
    with right:
        shown, config = labelled(outcome.per_won, ["name", "activities", "won", "per_won_deal"])
        data_table(
            shown, key="perf_per_won", file_stem="activities_per_won_deal", column_config=config,
            context=context.export_context(_("Performance — activities per won deal")),
        )  # fmt: skip

# ---- one rep against the team -------------------------------------------------------------------
with tabs[1]:
    asked = st.query_params.get("profile")
    if is_rep:
        rep_id = visible_rep(engine, scope, None)
        if asked is not None and asked != str(rep_id):
            st.info(_("You can open only your own profile; here it is."), icon=":material/lock:")
    else:
        first = next(iter(names), None)
        if seed_from_url("profile", "perf_rep", list(names), first):
            st.info(_("The link names a rep you cannot see; pick one below."),
                    icon=":material/lock:")  # fmt: skip
        rep_id = (
            st.selectbox(_("Rep"), list(names), key="perf_rep", format_func=names.__getitem__)
            if names
            else None
        )
        write_to_url("profile", rep_id, first)
        rep_id = visible_rep(engine, scope, rep_id)
    if rep_id is None:
        empty_state(_("No rep to show."), _("Ask an admin to link your login to an employee."))
    else:
        with st.spinner(_("Reading the rep's numbers…"), show_time=True):
            profile = cached_report(rep_profile, engine, filters, scope, rep_id)
        st.markdown(f"### {profile.name}" + (f" · {profile.team}" if profile.team else ""))
        closed = profile.closed
        cards: tuple[tuple[str, str, Unit, str], ...] = (
            (_("Win rate"), "win_rate", "ratio", _("team {value}")),
            (_("Won revenue"), "won_amount", "money", _("team {value} per rep")),
            (_("Average won deal"), "average_won_amount", "money", _("team {value}")),
            (_("Closed deals"), "closed_per_rep", "count", _("team {value} per rep")),
        )
        columns = st.columns(len(cards) + 1)
        for column, (label, key_, kind, team_text) in zip(columns, cards, strict=False):
            rep_value, team_value = closed[key_].to_numpy(dtype="float64")
            with column.container(border=True):
                st.metric(label, format_value(rep_value, kind, profile.currency))
                st.caption(team_text.format(
                    value=format_value(team_value, kind, profile.currency)))  # fmt: skip
        with columns[-1]:
            incentive_card(engine, get_databases(), scope, filters, profile.rep_id,
                           profile.team_id, profile.currency)  # fmt: skip
        sentence = weak_spot_sentence(profile.weak_spot)
        if sentence:
            st.warning(sentence, icon=":material/trending_down:")
        else:
            st.success(_("No stage where this rep converts clearly worse than the team."),
                       icon=":material/check_circle:")  # fmt: skip
        if profile.quota is not None:
            q = profile.quota
            st.caption(
                _("Quota: {won} won of {quota} ({attainment}).").format(
                    won=format_value(q["won_amount"], "money", profile.currency),
                    quota=format_value(q["quota"], "money", profile.currency),
                    attainment=format_value(q["attainment"], "ratio"),
                )
            )
        left, right = st.columns(2)
        with left:
            st.markdown(_("**Funnel**: share of the first stage's deals that got this far"))
            st.plotly_chart(overlay_figure(profile.funnel, profile.name), key="perf_overlay")
        with right:
            st.markdown(_("**Time in stage** (median days)"))
            st.plotly_chart(stage_time_figure(profile.time_in_stage, profile.name),
                            key="perf_stage_time")  # fmt: skip
        left, right = st.columns(2)
        with left:
            st.markdown(_("**Activity mix**: share of each type"))
            if profile.activity_mix.empty:
                empty_state(_("No activity was done in this period."), _("Pick a longer period."))
            else:
                mix = profile.activity_mix
                shares = {_("Team"): mix["team_share"], profile.name: mix["rep_share"]}
                st.plotly_chart(activity_mix_figure(mix["type"], shares), key="perf_mix")
        with right:
            st.markdown(_("**Won revenue per month** against the team's average per rep"))
            st.plotly_chart(rep_trend_figure(profile.trend, profile.name, profile.currency),
                            key="perf_trend")  # fmt: skip
        st.markdown("**" + _("Stuck deals") + "**")
        if profile.stuck.empty:
            empty_state(_("No stuck deal."), _("Every open deal is within its stage's time limit."))
        else:
            shown, config = labelled(profile.stuck, currency=profile.currency)
            deal_row = data_table(
                shown, key="perf_stuck", file_stem="rep_stuck_deals", column_config=config,
                context=context.export_context(_("Performance — stuck deals of {name}").format(
                    name=profile.name)),
                selectable=True,
            )  # fmt: skip
            if deal_row is not None:
                deal_panel(engine, scope, int(profile.stuck["deal_id"].iloc[deal_row]),
                           profile.currency)  # fmt: skip
        st.markdown("**" + _("Forgotten clients") + "**")
        if profile.forgotten.empty:
            empty_state(_("No forgotten client."), _("Every customer was in touch recently."))
        else:
            shown, config = labelled(profile.forgotten, currency=profile.currency,
                                     labels={"account": _("Client")})  # fmt: skip
            data_table(
                shown, key="perf_forgotten", file_stem="rep_forgotten_clients",
                column_config=config,
                context=context.export_context(
                    _("Performance — forgotten clients of {name}").format(name=profile.name)),
            )  # fmt: skip

# ---- teams and quotas ---------------------------------------------------------------------------
with tabs[2]:
    st.subheader(_("Teams"), anchor=False)
    teams = cached_report(team_board, engine, filters, scope)
    if teams.empty:
        empty_state(_("No deal was closed in this period."), _("Pick a longer period."))
    else:
        bounds = zip(teams["value_low"], teams["value_high"], strict=True)
        table = teams.assign(interval=[interval_text(lo, hi, "ratio") for lo, hi in bounds])
        shown, config = labelled(
            table, ["team", "closed", "won", "win_rate", "interval", "won_amount",
                    "average_won_amount"], currency=currency,
            labels={"team": _("Team"), "interval": _("95% interval")},
        )  # fmt: skip
        data_table(shown, key="perf_teams", file_stem="performance_teams", column_config=config,
                   context=context.export_context(_("Performance — teams")))  # fmt: skip
    st.subheader(_("Quota attainment"), anchor=False)
    quota = cached_report(quota_attainment, engine, filters, scope)
    if quota.empty:
        empty_state(_("No quota is set inside this period."),
                    _("Quotas count when their whole period lies inside the selected one: pick "
                      "a whole month or quarter."))  # fmt: skip
    else:
        st.caption(
            _("Quotas of {months}, the ones whose whole period lies inside the selected one, "
              "against the revenue won in those months.").format(
                months=period_label(quota["quota_start"].iloc[0].date(),
                                    quota["quota_end"].iloc[0].date()))
        )  # fmt: skip
        st.plotly_chart(quota_figure(quota), key="perf_quota")
        shown, config = labelled(quota, ["name", "quota", "won_amount", "attainment", "gap"],
                                 currency=currency)  # fmt: skip
        data_table(shown, key="perf_quota_table", file_stem="quota_attainment",
                   column_config=config,
                   context=context.export_context(_("Performance — quota attainment")))  # fmt: skip
