"""The Performance page's numbers: a fair comparison of reps (METRICS.md "Rep performance").

:func:`rep_board` ranks the reps by one metric of the catalogue, raw and shrunk side by side:
a rate gets a Wilson interval and an empirical-Bayes beta-binomial shrinkage, a mean a
normal–normal one, a count or an amount is compared raw (``analytics.shrinkage``); ranks come
with their range (``analytics.rep_comparison``).  :func:`team_board` compares teams,
:func:`weak_spots` finds where each rep loses deals.  The per-rep values are those of
``reports.rep_metrics`` (the incentive plans' numbers), never computed a second time.

**Scope.**  A head sees the reps of their team; an executive, analyst or admin every rep.  A rep
is compared with their team (``crm_data.queries.people.peer_scope``), but what leaves these
functions holds the rep's own row and team aggregates only: :func:`_own_rows` is the one place
that cuts the colleagues' rows, and every public function applies it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from access.roles import EmployeeRole, Role
from analytics.funnel import reached, win_rates
from analytics.rep_comparison import (
    activities_per_won_deal,
    funnel_limits,
    funnel_position,
    quartile_activity_mix,
    rank_ranges,
)
from analytics.rep_comparison import weak_spots as find_weak_spots
from analytics.shrinkage import shrink_means, shrink_rates
from crm_data.filters import Filters, Scope
from crm_data.queries.activity import activities_by_rep_type_period
from crm_data.queries.currency import main_currency
from crm_data.queries.frames import Bind
from crm_data.queries.funnel_stats import closed_deal_stats, funnel_facts, funnel_stages
from crm_data.queries.people import peer_scope, people
from crm_data.queries.rep_spread import quotas_by_rep
from reports.catalogue import metric
from reports.names import names_by_id
from reports.rep_metrics import SAMPLES, RepSample, closed_table

__all__ = [
    "BOARD_KEYS",
    "MIN_PEERS",
    "ActivityOutcome",
    "activity_outcome",
    "RepBoard",
    "SERVICE_KEYS",
    "quota_attainment",
    "rep_board",
    "team_board",
    "weak_spots",
]

#: The metrics the leaderboard offers, in menu order (each has a ``reports.rep_metrics``
#: sample).
BOARD_KEYS: tuple[str, ...] = tuple(SAMPLES)
#: Metrics of service agents (ticket assignees); the others compare the sales staff.
SERVICE_KEYS: frozenset[str] = frozenset(
    {"tickets_resolved", "csat", "first_response_hours", "resolution_hours"}
)
#: A rep sees the range of colleagues' values only among at least this many reps.
MIN_PEERS = 5
#: Columns of :attr:`RepBoard.table`.
BOARD_COLUMNS = ["rep_id", "name", "team", "size", "value", "value_low", "value_high", "shrunk",
                 "shrunk_low", "shrunk_high", "p_above_team", "prior_only", "rank", "rank_low",
                 "rank_high", "previous", "change", "funnel"]  # fmt: skip


@dataclass(frozen=True)
class RepBoard:
    """One metric across the reps compared.

    Attributes
    ----------
    key : str
        The catalogue key of the metric.
    kind : {"rate", "mean", "total"}
        How it is compared: rates and means are shrunk, totals compared raw.
    table : DataFrame
        :data:`BOARD_COLUMNS`, one row per rep (a rep's own scope: their row only), best first:
        ``size`` the sample behind the value (deals closed…), ``value`` with its 95 % interval
        (``value_low``/``value_high``; Wilson for a rate, normal for a mean, NaN for a total),
        ``shrunk`` with its 95 % credible interval, ``p_above_team`` P(the rep's true value
        is above the team's), ``prior_only`` (no sample: the shrunk value is the team prior),
        ``rank`` with its 90 % range ``rank_low``–``rank_high`` among ``reps`` reps,
        ``previous`` the comparison period's value and ``change`` = value − previous,
        ``funnel`` where a rate lies on the funnel plot (``analytics.rep_comparison.
        funnel_position``: inside, above95, below998…; None for other kinds).
    team_value : float
        The team's value: the pooled rate, the pooled mean or the total per rep.
    team_size : int
        The team's sample (Σ size).
    reps : int
        How many reps are compared (also for a rep, who sees only their own row).
    pooled : bool
        Complete pooling: the data show no real difference between reps, so every shrunk value
        is the team's.
    raw_range, shrunk_range : tuple of float
        Lowest and highest raw and shrunk values among the reps compared (NaN, NaN if none):
        how much of the spread is noise, without showing whose values they are; for a rep
        compared with fewer than :data:`MIN_PEERS` reps, NaN (in a team of two the other end
        of the range would be the colleague's value).
    currency : str or None
        The account currency of the amounts.
    sized : bool
        Whether a sample stands behind the values (else ``size`` is 0 throughout).
    """

    key: str
    kind: str
    table: pd.DataFrame
    team_value: float
    team_size: int
    reps: int
    pooled: bool
    raw_range: tuple[float, float]
    shrunk_range: tuple[float, float]
    currency: str | None
    sized: bool


def _own_rows(frame: pd.DataFrame, scope: Scope, column: str = "rep_id") -> pd.DataFrame:
    """``frame`` as ``scope`` may see it: for a rep only their own rows, else all of it."""
    if scope.role != Role.REP:
        return frame
    return frame[frame[column] == scope.employee_id].reset_index(drop=True)


def _compared(bind: Bind, key: str) -> pd.DataFrame:
    """``rep_id``, ``name``, ``team`` of the employees a metric compares: service agents for
    the service metrics, everyone else (the sales staff) for the others.
    """
    staff = people(bind)
    service = staff["role"] == EmployeeRole.SERVICE
    chosen = staff[service if key in SERVICE_KEYS else ~service]
    names = names_by_id(chosen, "employee_id")
    return pd.DataFrame(
        {
            "rep_id": chosen["employee_id"].astype("int64"),
            "name": chosen["employee_id"].map(names),
            "team": chosen["team"],
        }
    )


def _sample(bind: Bind, filters: Filters, scope: Scope, sample: RepSample) -> pd.DataFrame:
    """The metric's per-rep table (:class:`~reports.rep_metrics.RepSample`) as ``value``,
    ``size`` and the numerator or variance, reps with no sample dropped (a metric without a
    sample: the reps with a value, ``size`` 0).
    """
    table = sample.table(bind, filters, scope)
    if sample.size is None:  # no count behind the value: every rep with a value, size 0
        values = table[sample.value].astype("float64").dropna()
        return pd.DataFrame({"value": values, "size": np.zeros(len(values), dtype="int64")})
    out = pd.DataFrame(
        {
            "value": table[sample.value].astype("float64"),
            "size": table[sample.size].fillna(0).astype("int64"),
        }
    )
    if sample.successes:
        out["successes"] = table[sample.successes].fillna(0).astype("int64")
    if sample.variance:
        out["variance"] = table[sample.variance].astype("float64")
    return out[out["size"] > 0]


def _ranges(frame: pd.DataFrame, column: str) -> tuple[float, float]:
    values = frame[column].dropna()
    return (float(values.min()), float(values.max())) if len(values) else (np.nan, np.nan)


def _shrunk(rows: pd.DataFrame, kind: str) -> tuple[pd.DataFrame, float, bool]:
    """Raw intervals, shrunk values and rank ranges of ``rows`` (one per rep); the team value
    and whether the reps were pooled completely.
    """
    if kind == "rate":
        fit = shrink_rates(rows["successes"], rows["size"])
        trials = int(rows["size"].sum())
        team = float(rows["successes"].sum() / trials) if trials else np.nan
        prior = fit.attrs["prior"]
        posterior = (prior.alpha + rows["successes"], prior.beta + rows["size"] - rows["successes"])
        ranks = None if prior.pooled else rank_ranges(*posterior)
        out = fit.rename(columns={"rate_low": "value_low", "rate_high": "value_high"})
        return _with_ranks(rows, out, ranks), team, bool(prior.pooled)
    if kind == "mean":
        fit = shrink_means(rows["value"], rows["size"], rows["variance"])
        prior = fit.attrs["prior"]
        team = float(prior.mean)
        spread = (fit["shrunk_high"] - fit["shrunk_low"]) / (2 * 1.959964)
        higher = metric_direction(rows.attrs.get("key", ""))
        ranks = (
            None
            if prior.pooled
            else rank_ranges(fit["shrunk"], spread, family="normal", higher_is_better=higher)
        )
        out = fit.rename(columns={"mean_low": "value_low", "mean_high": "value_high"})
        return _with_ranks(rows, out, ranks), team, bool(prior.pooled)
    out = rows.assign(value_low=np.nan, value_high=np.nan, shrunk=np.nan, shrunk_low=np.nan,
                      shrunk_high=np.nan, p_above_team=np.nan, prior_only=False)  # fmt: skip
    return _with_ranks(rows, out, None), float(rows["value"].mean()), False


def metric_direction(key: str) -> bool:
    """Whether a higher value of the metric ``key`` is better (True for an unknown key)."""
    return metric(key).higher_is_better if key else True


def _with_ranks(rows: pd.DataFrame, fit: pd.DataFrame, ranks: pd.DataFrame | None) -> pd.DataFrame:
    """``fit``'s columns on ``rows``, with ``rank``/``rank_low``/``rank_high``: from the
    posterior draws when there are some, else the plain rank of the value (a range of one).
    """
    out = rows.copy()
    for column in ("value_low", "value_high", "shrunk", "shrunk_low", "shrunk_high",
                   "p_above_team", "prior_only"):  # fmt: skip
        out[column] = fit[column].to_numpy()
    higher = metric_direction(rows.attrs.get("key", ""))
    if ranks is not None:
        out[["rank", "rank_low", "rank_high"]] = ranks[["rank", "rank_low", "rank_high"]].to_numpy()
    else:
        rank = out["value"].rank(ascending=not higher, method="min")
        out["rank"], out["rank_low"], out["rank_high"] = rank, rank, rank
    return out


def _full_board(
    bind: Bind, filters: Filters, peers: Scope, key: str
) -> tuple[pd.DataFrame, float, bool]:
    """Every rep of ``peers`` on the metric ``key``, best first (:data:`BOARD_COLUMNS`), the
    team's value and whether the reps were pooled; before any cut to a rep's own row.
    """
    if key not in SAMPLES:
        raise KeyError(f"No leaderboard for {key!r}; available: {', '.join(BOARD_KEYS)}.")
    sample = SAMPLES[key]
    compared = _compared(bind, key).set_index("rep_id")
    now = _sample(bind, filters, peers, sample)
    now = now[now.index.isin(compared.index)]
    now.attrs["key"] = key
    then = _sample(bind, filters.comparison(), peers, sample)["value"]
    fitted, team_value, pooled = _shrunk(now, sample.kind)
    table = fitted.join(compared, how="left").rename_axis("rep_id").reset_index()
    table["previous"] = table["rep_id"].map(then).astype("float64")
    table["change"] = table["value"] - table["previous"]
    table["funnel"] = (
        funnel_position(table["value"], table["size"], team_value).to_numpy()
        if sample.kind == "rate" and len(table)
        else None
    )
    table = table.sort_values(["rank", "name"], kind="stable")[BOARD_COLUMNS]
    return table.reset_index(drop=True), team_value, pooled


def rep_board(bind: Bind, filters: Filters, scope: Scope, key: str) -> RepBoard:
    """The reps compared on the metric ``key`` (one of :data:`BOARD_KEYS`) in the period,
    with the comparison period's values.

    Raises
    ------
    KeyError
        For a key the leaderboard does not offer, naming those it does.
    """
    table, team_value, pooled = _full_board(bind, filters, peer_scope(bind, scope), key)
    # a rep sees the spread of colleagues' values only among enough of them that no single
    # colleague's value can be read off the lowest or the highest
    spread = table if scope.role != Role.REP or len(table) >= MIN_PEERS else table.iloc[0:0]
    return RepBoard(
        key=key,
        kind=SAMPLES[key].kind,
        table=_own_rows(table, scope),
        team_value=team_value,
        team_size=int(table["size"].sum()),
        reps=len(table),
        pooled=pooled,
        raw_range=_ranges(spread, "value"),
        shrunk_range=_ranges(spread, "shrunk"),
        currency=main_currency(bind, scope)[0],
        sized=SAMPLES[key].size is not None,
    )


@dataclass(frozen=True)
class ActivityOutcome:
    """What the reps who win more do differently (activity → outcome).

    Attributes
    ----------
    mix : DataFrame
        :func:`analytics.rep_comparison.quartile_activity_mix` of the top and bottom quartile
        of reps by shrunk win rate (empty for a rep, whose quartiles would be a colleague or
        two, and for fewer than four reps).
    per_won : DataFrame
        Per rep: ``rep_id``, ``name``, ``activities``, ``won``, ``per_won_deal`` (a rep: their
        own row).
    team_per_won : float
        The team's activities per won deal (Σ activities / Σ won deals).
    """

    mix: pd.DataFrame
    per_won: pd.DataFrame
    team_per_won: float


def activity_outcome(bind: Bind, filters: Filters, scope: Scope) -> ActivityOutcome:
    """Activities per won deal per rep, and the activity mix of the reps with the highest and
    the lowest shrunk win rates (METRICS.md "Rep performance": activities per won deal).
    """
    peers = peer_scope(bind, scope)
    board, _team, _pooled = _full_board(bind, filters, peers, "win_rate")
    done = activities_by_rep_type_period(bind, filters, peers, unit="year")
    done = done.dropna(subset=["employee_id"])
    by_type = done.groupby([done["employee_id"].astype("int64").rename("rep_id"), "type"])[
        "activities"
    ].sum()
    board = board.set_index("rep_id")
    mix = quartile_activity_mix(by_type.reset_index(), board["shrunk"])
    totals = by_type.groupby(level="rep_id").sum().reindex(board.index, fill_value=0)
    won = closed_table(bind, filters, peers)["won"].reindex(board.index, fill_value=0)
    per_won = pd.DataFrame(
        {
            "rep_id": board.index,
            "name": board["name"].to_numpy(),
            "activities": totals.to_numpy().astype("int64"),
            "won": won.to_numpy().astype("int64"),
            "per_won_deal": activities_per_won_deal(totals, won).reindex(board.index).to_numpy(),
        }
    )
    team = float(totals.sum() / won.sum()) if won.sum() else np.nan
    if scope.role == Role.REP:
        mix = mix.iloc[0:0]
    return ActivityOutcome(mix, _own_rows(per_won, scope), team)


def board_limits(board: RepBoard) -> pd.DataFrame:
    """The funnel plot's 95 % / 99.8 % control limits around the team rate of a rate board, up
    to its largest sample (METRICS.md "Funnel plot"); empty for other boards.
    """
    if board.kind != "rate" or board.table.empty or np.isnan(board.team_value):
        return pd.DataFrame(columns=["n", "low95", "high95", "low998", "high998"])
    return funnel_limits(board.team_value, max(int(board.table["size"].max()) * 2, 10))


def team_board(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Teams side by side on the deals closed in the period (a rep: their own team).

    Returns
    -------
    DataFrame
        ``team`` str, ``closed``, ``won`` int, ``win_rate`` with its 95 % Wilson interval
        (``value_low``, ``value_high``), ``won_amount``, ``average_won_amount`` float; best
        win rate first.
    """
    closed = closed_deal_stats(bind, filters, peer_scope(bind, scope), group="team", binned=False)
    teams = win_rates(closed, by="group").rename(columns={"group": "team"})
    bounds = shrink_rates(teams["won"], teams["closed"]) if len(teams) else None
    columns = ["team", "closed", "won", "win_rate", "value_low", "value_high", "won_amount",
               "average_won_amount"]  # fmt: skip
    if bounds is None:
        return pd.DataFrame(columns=columns)
    teams["value_low"] = bounds["rate_low"].to_numpy()
    teams["value_high"] = bounds["rate_high"].to_numpy()
    return teams.sort_values("win_rate", ascending=False, kind="stable")[columns].reset_index(
        drop=True
    )


def quota_attainment(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Won revenue against the quotas set inside the period, per rep (a rep: their own row).

    The revenue is counted over the quotas' own months (from the first quota's start to the
    last one's end, and before ``as_of``), not over the whole period: a period of twelve
    months that ends mid-quarter holds three quarters' quotas and should be held against three
    quarters' revenue.

    Returns
    -------
    DataFrame
        ``rep_id`` int, ``name`` str, ``quota``, ``won_amount``, ``attainment`` float (won /
        quota), ``gap`` (quota − won, ≥ 0), ``quota_start``, ``quota_end`` (the months
        counted, ``[start, end)``); reps with a quota, best attainment first.
    """
    peers = peer_scope(bind, scope)
    quotas = quotas_by_rep(bind, filters, peers, filters.start, filters.end)
    columns = ["rep_id", "name", "quota", "won_amount", "attainment", "gap", "quota_start",
               "quota_end"]  # fmt: skip
    if quotas.empty:
        return pd.DataFrame(columns=columns)
    start, end = quotas["quota_start"].min().date(), quotas["quota_end"].max().date()
    months = filters.shifted(start, end)
    if filters.as_of is not None and filters.as_of < end:
        months = replace(months, as_of=max(filters.as_of, start))
    won = closed_table(bind, months, peers)["won_amount"]
    names = names_by_id(people(bind), "employee_id")
    table = quotas.rename(columns={"employee_id": "rep_id"})
    table["name"] = table["rep_id"].map(names)
    table["won_amount"] = table["rep_id"].map(won).fillna(0.0).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        table["attainment"] = (table["won_amount"] / table["quota"]).where(table["quota"] > 0)
    table["gap"] = (table["quota"] - table["won_amount"]).clip(lower=0.0)
    table["quota_start"], table["quota_end"] = pd.Timestamp(start), pd.Timestamp(end)
    table = table.sort_values("attainment", ascending=False, kind="stable")[columns]
    return _own_rows(table.reset_index(drop=True), scope)


def stage_steps(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Per rep and open stage of the cohort funnel, the deals decided there: ``entered`` (deals
    that reached the stage, high-water mark, less those still open in it at as_of — they have
    not yet gone on or stopped) and ``went_on`` (reached the next step), from the funnel's own
    :func:`analytics.funnel.reached`.
    """
    stages = funnel_stages(bind, filters.pipeline, scope)
    facts = funnel_facts(bind, filters, scope, group="rep_id", reach_only=True)
    steps = reached(facts, stages, by="group")
    by_rep = steps.groupby("group")
    went_on = by_rep["reached"].shift(-1)
    # open deals whose furthest stage is this one: open here minus open further on
    open_here = steps["still_open"] - by_rep["still_open"].shift(-1).fillna(0)
    rows = steps["stage_id"].notna()
    return pd.DataFrame(
        {
            "rep_id": steps.loc[rows, "group"].astype("int64"),
            "stage": steps.loc[rows, "stage"],
            "position": steps.loc[rows, "position"].astype("int64"),
            "entered": (steps["reached"] - open_here)[rows].astype("int64"),
            "went_on": went_on[rows].astype("int64"),
        }
    ).reset_index(drop=True)


def weak_spots(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Each rep's weak spot (METRICS.md "Weak spot"): the stage where their next-step
    conversion is furthest below the rest of the team's, where the gap is significant (a rep:
    their own row, against their team's totals).

    Returns
    -------
    DataFrame
        :func:`analytics.rep_comparison.weak_spots`, with ``name``.
    """
    steps = stage_steps(bind, filters, peer_scope(bind, scope))
    if steps.empty:
        return pd.DataFrame(columns=["rep_id", "name", "stage", "rep_rate", "team_rate",
                                     "entered", "gap", "confidence", "significant"])  # fmt: skip
    found = find_weak_spots(steps)
    names = names_by_id(people(bind), "employee_id")
    found.insert(1, "name", found["rep_id"].map(names))
    return _own_rows(found, scope)
