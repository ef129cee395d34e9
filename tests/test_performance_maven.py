"""The win-rate leaderboard (``reports.performance.rep_board``) on the real Maven data.

The Maven "CRM + Sales + Opportunities" dataset (``../shared/datasets/
maven_crm_sales_opportunities``, skipped when the folder is absent) is loaded into a fresh
DuckDB once for the module.  Its closed deals run from 2017-03-01 to 2017-12-31, so the year
2017 covers every one of them.  The expected values are computed here with pandas straight from
``sales_pipeline.csv`` (``deal_stage`` Won/Lost per ``sales_agent``), and from the reference
numbers of the dataset's README and of methods.md §3: 30 agents with 79–553 closed deals each,
team win rate 4,238 / 6,711 = 0.6315, raw rates 0.550–0.704, maximum-likelihood prior
α0 = 1935, β0 = 1128 (near-complete pooling) giving shrunk rates 0.626–0.636.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from scipy import optimize, special

from analytics.shrinkage import fit_beta_prior
from crm_data.filters import Filters, Scope
from crm_data.maven import load_maven
from reports.performance import RepBoard, rep_board
from reports.rep_metrics import SAMPLES
from tests.support.databases import fresh_engine
from tests.support.datasets import MAVEN, needs_maven

pytestmark = needs_maven

#: The year 2017: every closed deal (close_date 2017-03-01 .. 2017-12-31) falls inside it.
PERIOD = Filters(date(2017, 1, 1), date(2018, 1, 1))
#: methods.md §3, measured on the same CSV: the beta-binomial MLE of the agents' prior.
METHODS_ALPHA, METHODS_BETA = 1935.0, 1128.0


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    with fresh_engine("duckdb", tmp_path_factory.mktemp("maven_performance")) as engine:
        load_maven(engine, MAVEN)
        yield engine


@pytest.fixture(scope="module")
def agents() -> pd.DataFrame:
    """Per sales agent, from the CSV with pandas: ``closed`` (Won + Lost), ``won``, ``rate``."""
    deals = pd.read_csv(MAVEN / "sales_pipeline.csv", parse_dates=["close_date"])
    closed = deals[deals["deal_stage"].isin(["Won", "Lost"])]
    # README: close_date runs 2017-03-01 .. 2017-12-31, inside the period
    first, last = closed["close_date"].min(), closed["close_date"].max()
    assert (first, last) == (pd.Timestamp("2017-03-01"), pd.Timestamp("2017-12-31"))
    assert pd.Timestamp(PERIOD.start_ts) <= first and last < pd.Timestamp(PERIOD.end_ts)
    table = closed.groupby("sales_agent").agg(
        closed=("deal_stage", "size"), won=("deal_stage", lambda s: int((s == "Won").sum()))
    )
    table["rate"] = table["won"] / table["closed"]
    return table


@pytest.fixture(scope="module")
def board(engine: sa.Engine) -> RepBoard:
    return rep_board(engine, PERIOD, Scope.everyone(), "win_rate")


def by_name(board: RepBoard) -> pd.DataFrame:
    return board.table.set_index("name")


def test_every_agent_with_closed_deals_is_on_the_board(
    board: RepBoard, agents: pd.DataFrame
) -> None:
    # 35 agents in sales_teams.csv, 5 of them without any opportunity: 30 with closed deals
    assert len(agents) == 30
    assert (agents["closed"].min(), agents["closed"].max()) == (79, 553)
    assert board.kind == "rate" and board.reps == 30 and len(board.table) == 30
    assert board.table["name"].is_unique
    assert set(board.table["name"]) == set(agents.index)
    assert not board.table["prior_only"].any()


def test_each_agents_rate_size_and_wins_equal_the_csv(
    engine: sa.Engine, board: RepBoard, agents: pd.DataFrame
) -> None:
    table = by_name(board).loc[agents.index]
    assert table["size"].tolist() == agents["closed"].tolist()
    assert table["value"].to_numpy() == pytest.approx(agents["rate"].to_numpy(), abs=1e-12)
    wins = table["value"] * table["size"]
    assert wins.to_numpy() == pytest.approx(wins.round().to_numpy(), abs=1e-9)
    assert wins.round().astype(int).tolist() == agents["won"].tolist()
    # the per-rep table behind the board (reports.rep_metrics.SAMPLES) has the same counts
    sample = SAMPLES["win_rate"].table(engine, PERIOD, Scope.everyone())
    names = board.table.set_index("rep_id")["name"]
    sample = sample.set_index(sample.index.map(names)).loc[agents.index]
    assert sample["won"].astype(int).tolist() == agents["won"].tolist()
    assert sample["closed"].astype(int).tolist() == agents["closed"].tolist()
    # the comparison period (before 2017) has no closed deal
    assert board.table["previous"].isna().all()


def test_team_rate_is_the_pooled_rate(board: RepBoard, agents: pd.DataFrame) -> None:
    # README: Won 4,238 / Lost 2,473, win rate 0.6315
    assert (agents["won"].sum(), agents["closed"].sum()) == (4238, 6711)
    assert board.team_size == 6711
    assert board.team_value == pytest.approx(4238 / 6711, abs=1e-12)
    assert round(board.team_value, 4) == 0.6315


def test_shrinkage_is_near_complete_pooling(board: RepBoard, agents: pd.DataFrame) -> None:
    raw, shrunk = board.raw_range, board.shrunk_range
    ranges = f"raw range {raw[0]:.4f}-{raw[1]:.4f}, shrunk range {shrunk[0]:.4f}-{shrunk[1]:.4f}"
    assert raw == pytest.approx((agents["rate"].min(), agents["rate"].max()), abs=1e-12), ranges
    assert (round(raw[0], 3), round(raw[1], 3)) == (0.550, 0.704), ranges
    # methods.md: EB rates 0.626-0.636, far narrower than the raw spread
    assert not board.pooled, ranges
    assert 0.62 < shrunk[0] < shrunk[1] < 0.64, ranges
    assert (round(shrunk[0], 3), round(shrunk[1], 3)) == (0.626, 0.636), ranges
    assert shrunk[1] - shrunk[0] < (raw[1] - raw[0]) / 10, ranges
    # every shrunk rate lies between the agent's raw rate and the team rate
    table = by_name(board)
    low = np.minimum(table["value"], board.team_value) - 1e-3
    high = np.maximum(table["value"], board.team_value) + 1e-3
    assert table["shrunk"].between(low, high).all(), ranges


def beta_binomial_loss(log_params: np.ndarray, wins: np.ndarray, trials: np.ndarray) -> float:
    """Minus the beta-binomial log-likelihood (without the binomial coefficients)."""
    a, b = np.exp(log_params)
    return -float((special.betaln(wins + a, trials - wins + b) - special.betaln(a, b)).sum())


def test_fitted_prior_is_the_maximum_likelihood_of_methods_md(
    board: RepBoard, agents: pd.DataFrame
) -> None:
    prior = fit_beta_prior(agents["won"], agents["closed"])
    fitted = f"fitted alpha0 {prior.alpha:.2f}, beta0 {prior.beta:.2f}"
    assert not prior.pooled and prior.reps == 30, fitted
    assert prior.alpha == pytest.approx(METHODS_ALPHA, rel=0.05), fitted
    assert prior.beta == pytest.approx(METHODS_BETA, rel=0.05), fitted
    # an independent maximisation (Nelder-Mead from a flat Beta(1, 1)) finds the same maximum,
    # alpha0 = 1935.2, beta0 = 1128.5
    wins = agents["won"].to_numpy(dtype=float)
    trials = agents["closed"].to_numpy(dtype=float)
    found = optimize.minimize(
        beta_binomial_loss, np.zeros(2), args=(wins, trials), method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20_000},
    )  # fmt: skip
    alpha, beta = np.exp(found.x)
    assert (alpha, beta) == pytest.approx((1935.2, 1128.5), abs=0.5), (alpha, beta)
    assert (prior.alpha, prior.beta) == pytest.approx((alpha, beta), rel=1e-3), fitted
    # the board's shrunk rates are the posterior means (w + alpha0) / (n + alpha0 + beta0)
    expected = (wins + prior.alpha) / (trials + prior.alpha + prior.beta)
    shrunk = by_name(board).loc[agents.index, "shrunk"].to_numpy()
    assert shrunk == pytest.approx(expected, rel=1e-6)
