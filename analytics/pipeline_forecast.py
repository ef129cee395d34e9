"""Pipeline forecast: who wins, when, and how much revenue the open deals bring per month
(METRICS.md "Pipeline forecast", "Weighted pipeline"; methods.md §1.1, §1.4, §5.7).

For each open deal at ``as_of``:

* **P(win)** — the stage's historical win rate by the high-water-mark rule
  (:func:`stage_win_rates`: won / closed among the deals that reached the stage, methods.md
  §5.7), or the calibrated model :class:`WinModel` trained on past pipeline snapshots
  (``crm_data.queries.pipeline_training``) with features known at each snapshot;
* **P(close in month m)** — from a Kaplan–Meier curve ``S`` of the time from creation to close
  (open deals censored; :mod:`analytics.survival`), conditional on the deal's age ``a``:
  ``(S(a + t0) − S(a + t1)) / S(a)`` for the month's window ``(t0, t1]`` in days after
  ``as_of`` (:func:`close_month_probabilities`).  Win and timing are taken as independent;

and then

* **expected revenue** of month m = Σ amount × P(win) × P(close in m), with a Monte Carlo
  interval (each deal is won with P(win) and closes in a month drawn from its distribution;
  fixed seed) and, as a check, the exact standard deviation of the sum of independent deals
  (the Poisson-binomial variance ``Σ amount² π (1 − π)``, π = P(win) × P(close in m));
* **categories** — commit (P(win) ≥ :data:`COMMIT_MIN`), best case (≥ :data:`BEST_CASE_MIN`),
  pipeline (below), rolled up cumulatively as Salesforce does (:func:`forecast_categories`);
* **the deals that move the forecast most** — by amount × P(win) × P(close in the horizon)
  (:func:`top_deals`).

Money is in the account currency; durations are in days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from analytics.funnel import WON_STEP, reached
from analytics.grouped import count_column, require_columns, safe_rates
from analytics.periods import shift_months
from analytics.survival import kaplan_meier

__all__ = [
    "BEST_CASE_MIN",
    "CATEGORIES",
    "CATEGORICAL_FEATURES",
    "COMMIT_MIN",
    "INTERVAL",
    "NUMERIC_FEATURES",
    "SIMULATIONS",
    "PipelineForecast",
    "WinModel",
    "WinModelEvaluation",
    "close_month_probabilities",
    "evaluate_win_model",
    "forecast_categories",
    "month_windows",
    "pipeline_by_group",
    "pipeline_forecast",
    "stage_probability",
    "stage_win_rates",
    "top_deals",
]

#: A deal with P(win) at least this is "commit" (Salesforce: "amounts you are confident about").
COMMIT_MIN = 0.7
#: A deal with P(win) at least this (and below :data:`COMMIT_MIN`) is "best case"; below it,
#: "pipeline".
BEST_CASE_MIN = 0.4
#: The forecast categories of open deals, most certain first.
CATEGORIES = ("commit", "best case", "pipeline")
#: Default coverage of the Monte Carlo interval (5 % to 95 % quantiles).
INTERVAL = 0.9
#: Default number of Monte Carlo draws.
SIMULATIONS = 2000
#: Model features read as categories (one-hot encoded; unseen values are ignored).
CATEGORICAL_FEATURES = ("stage_id", "product_line", "source", "owner_id")
#: Model features read as numbers (log1p, then standardised): days, money, counts.
NUMERIC_FEATURES = ("days_in_stage", "age_days", "amount", "activities_14d")
#: The value of a missing categorical feature (e.g. a deal without source).
_MISSING = "(none)"
#: Monte Carlo draws are made in blocks of about this many (draw, deal) cells.
_BLOCK_CELLS = 2_000_000


# --- P(win) from the stage ---------------------------------------------------------------------


def stage_win_rates(facts: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    """Win rate of the deals that reached each open stage, by the high-water-mark rule.

    methods.md §5.7: ``p(s) = won(s) / (won(s) + lost(s))`` over the closed deals that reached
    stage *s* (METRICS.md "Reached": the highest open stage they entered is *s* or later; a
    won deal reached every stage).  Open deals are in neither count (METRICS.md "Win rate").
    The counts come from :func:`analytics.funnel.reached` (reached − still open = closed).

    Parameters
    ----------
    facts : DataFrame
        ``funnel_facts`` of a cohort (e.g. the deals created in the two years before
        ``as_of``), aggregated or per deal.
    stages : DataFrame
        The open stages (``funnel_stages``).

    Returns
    -------
    DataFrame
        One row per open stage, by position: ``stage_id`` int, ``stage`` str, ``position``
        int, ``won`` int (won deals: every one reached the stage), ``closed`` int (won or
        lost deals that reached it), ``win_rate`` float (won / closed; NaN without closed
        deals).

    Examples
    --------
    >>> stages = pd.DataFrame({"stage_id": [7, 8], "stage": ["Lead", "Offer"],
    ...                        "position": [1, 2]})
    >>> facts = pd.DataFrame({"max_open_position": pd.array([1, 2, 1, 2], dtype="Int64"),
    ...                       "strict_ok_position": pd.array([1, 1, 1, 2], dtype="Int64"),
    ...                       "status": ["lost", "open", "won", "lost"], "regressed": False,
    ...                       "lost_stage_position": pd.array([1, None, None, 2],
    ...                                                       dtype="Int64"),
    ...                       "amount": 1.0})
    >>> stage_win_rates(facts, stages)[["stage", "won", "closed", "win_rate"]].values.tolist()
    [['Lead', 1, 3, 0.3333333333333333], ['Offer', 1, 2, 0.5]]
    """
    steps = reached(facts, stages)
    won = int(steps.loc[steps["stage"] == WON_STEP, "reached"].iloc[0]) if len(steps) else 0
    table = steps.loc[steps["stage_id"].notna(), ["stage_id", "stage", "position"]]
    closed = (steps["reached"] - steps["still_open"]).loc[table.index].to_numpy()
    return table.assign(
        won=won, closed=closed, win_rate=safe_rates(np.full(len(closed), won), closed)
    ).astype({"stage_id": "int64", "won": "int64", "closed": "int64"})


def stage_probability(rows: pd.DataFrame, rates: pd.DataFrame) -> np.ndarray:
    """P(win) of each row from its stage: the stage's :func:`stage_win_rates` win rate.

    Parameters
    ----------
    rows : DataFrame
        Deals with ``stage_id`` (``open_deal_features``, ``pipeline_training_rows``).
    rates : DataFrame
        :func:`stage_win_rates` (``stage_id``, ``win_rate``).

    Returns
    -------
    ndarray of float
        One probability per row; NaN for a stage without a rate (another pipeline, or no
        closed deal reached it).

    Examples
    --------
    >>> rates = pd.DataFrame({"stage_id": [7, 8], "win_rate": [0.25, 0.5]})
    >>> stage_probability(pd.DataFrame({"stage_id": [8, 7, 9]}), rates).tolist()
    [0.5, 0.25, nan]
    """
    require_columns(rows, ["stage_id"], "rows")
    require_columns(rates, ["stage_id", "win_rate"], "stage rates")
    by_stage = pd.Series(
        rates["win_rate"].to_numpy(dtype="float64"), index=rates["stage_id"].astype("int64")
    )
    probability: np.ndarray = by_stage.reindex(rows["stage_id"].astype("int64")).to_numpy(
        dtype="float64"
    )
    return probability


# --- P(win) from a calibrated model ------------------------------------------------------------


def _feature_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The model's input: categorical features as text (missing: ``(none)``), numeric ones as
    non-negative floats.
    """
    require_columns(rows, [*CATEGORICAL_FEATURES, *NUMERIC_FEATURES], "rows")
    data: dict[str, np.ndarray] = {}
    for name in CATEGORICAL_FEATURES:
        data[name] = rows[name].astype("str").fillna(_MISSING).to_numpy(dtype=object)
    for name in NUMERIC_FEATURES:
        values = rows[name].to_numpy(dtype="float64", na_value=0.0)
        data[name] = np.clip(np.nan_to_num(values), 0.0, None)
    return pd.DataFrame(data)


class WinModel:
    """Calibrated P(won within the label's horizon) of a deal from its snapshot features.

    methods.md §5.7: a logistic regression on the one-hot encoded categories
    (:data:`CATEGORICAL_FEATURES`) and the standardised ``log1p`` of the numbers
    (:data:`NUMERIC_FEATURES`), wrapped in ``CalibratedClassifierCV(method="sigmoid")``.
    The calibration folds group the rows by deal (``GroupKFold``), so no deal is both fitted
    and calibrated on.  Rows that are not ``matured`` (their horizon reaches past ``as_of``,
    the label may still change) are left out.

    Parameters
    ----------
    folds : int
        Calibration folds (≥ 2).

    Attributes
    ----------
    rows_ : int
        Rows the model was fitted on (after :meth:`fit`).

    Examples
    --------
    >>> rows = pd.DataFrame({
    ...     "deal_id": np.arange(40), "stage_id": np.arange(40) % 2, "owner_id": 1,
    ...     "product_line": "core", "source": None, "days_in_stage": 3.0, "age_days": 10.0,
    ...     "amount": 100.0, "activities_14d": np.arange(40) % 3,
    ...     "won": np.arange(40) % 4 == 1, "matured": True})
    >>> model = WinModel().fit(rows)
    >>> p = model.predict_proba(rows)
    >>> bool(p[rows["stage_id"] == 1].mean() > p[rows["stage_id"] == 0].mean()), model.rows_
    (True, 40)
    """

    def __init__(self, *, folds: int = 3) -> None:
        if folds < 2:
            raise ValueError(f"folds must be at least 2, got {folds}")
        self.folds = folds
        self.rows_ = 0
        self._model: CalibratedClassifierCV | None = None

    def fit(self, rows: pd.DataFrame) -> WinModel:
        """Fit on training rows (``pipeline_training_rows``: features, ``won``, ``matured``,
        ``deal_id``).

        Parameters
        ----------
        rows : DataFrame
            The training rows; only the matured ones are used.

        Returns
        -------
        WinModel
            ``self``, fitted.

        Raises
        ------
        ValueError
            Without both won and not-won rows, or with fewer deals than folds.
        """
        require_columns(rows, ["deal_id", "won", "matured"], "rows")
        train = rows.loc[rows["matured"].to_numpy(bool)]
        label = train["won"].to_numpy(bool)
        groups = train["deal_id"].to_numpy()
        if label.all() or not label.any():
            raise ValueError("the win model needs won and not-won matured rows")
        if len(np.unique(groups)) < self.folds:
            raise ValueError(f"the win model needs at least {self.folds} deals")
        features = _feature_frame(train)
        encode = ColumnTransformer(
            [
                ("categories", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL_FEATURES)),
                (
                    "numbers",
                    make_pipeline(FunctionTransformer(np.log1p), StandardScaler()),
                    list(NUMERIC_FEATURES),
                ),
            ]
        )
        folds = list(GroupKFold(n_splits=self.folds).split(features, label, groups))
        self._model = CalibratedClassifierCV(
            make_pipeline(encode, LogisticRegression(max_iter=1000)), method="sigmoid", cv=folds
        ).fit(features, label)
        self.rows_ = len(train)
        return self

    def predict_proba(self, rows: pd.DataFrame) -> np.ndarray:
        """P(won within the horizon) of each row (features as in :meth:`fit`).

        Parameters
        ----------
        rows : DataFrame
            Rows with the features (``open_deal_features``, or training rows).

        Returns
        -------
        ndarray of float
            One probability per row, in ``[0, 1]``.

        Raises
        ------
        ValueError
            Before :meth:`fit`.
        """
        if self._model is None:
            raise ValueError("fit the model first")
        if rows.empty:
            return np.zeros(0)
        probability: np.ndarray = self._model.predict_proba(_feature_frame(rows))[:, 1]
        return probability


@dataclass(frozen=True)
class WinModelEvaluation:
    """How a :class:`WinModel` fitted before a cutoff does on the snapshots after it.

    Attributes
    ----------
    cutoff : date
        Training rows have their whole horizon before it; test rows are snapshots from it on.
    train_rows, test_rows : int
        Rows fitted on and evaluated on.
    brier_model : float
        Brier score (mean squared error of the probability; lower is better) of the model on
        the test rows.
    brier_stage : float
        Brier score of the stage-only probability (the stage's high-water-mark win rate).
    brier_stage_fitted : float
        Brier score of each stage's share of won training rows (the best stage-only
        probability for this label, a stricter baseline).
    calibration : DataFrame
        One row per non-empty probability bin of the model: ``predicted`` (mean P), ``observed``
        (share won), ``rows`` int; by predicted probability.
    max_gap : float
        max |observed − predicted| over the bins with at least ``min_bin_rows`` rows (NaN if
        none).
    """

    cutoff: date
    train_rows: int
    test_rows: int
    brier_model: float
    brier_stage: float
    brier_stage_fitted: float
    calibration: pd.DataFrame
    max_gap: float


def evaluate_win_model(
    rows: pd.DataFrame,
    cutoff: date,
    stage_rates: pd.DataFrame,
    *,
    model: WinModel | None = None,
    bins: int = 10,
    min_bin_rows: int = 50,
) -> WinModelEvaluation:
    """Fit the win model on the snapshots before ``cutoff`` and score it on the later ones.

    The split is by time (methods.md §5.7): training rows are the matured rows whose whole
    horizon ends by ``cutoff`` (``horizon_end <= cutoff``: their labels were known then),
    test rows the matured rows with ``snapshot_date >= cutoff``.  Calibration uses
    ``sklearn.calibration.calibration_curve`` with ``bins`` equal-width bins.

    Parameters
    ----------
    rows : DataFrame
        ``pipeline_training_rows`` (with ``snapshot_date``, ``horizon_end``, ``matured``).
    cutoff : date
        Where training ends and testing begins.
    stage_rates : DataFrame
        :func:`stage_win_rates` known at ``cutoff`` (a cohort before it): the stage-only
        probability compared with.
    model : WinModel, optional
        The (unfitted) model to evaluate; default ``WinModel()``.
    bins : int
        Calibration bins on ``[0, 1]``.
    min_bin_rows : int
        Bins with fewer rows do not count in :attr:`WinModelEvaluation.max_gap`.

    Returns
    -------
    WinModelEvaluation

    Raises
    ------
    ValueError
        Without test rows, or when a test row's stage has no win rate.

    Notes
    -----
    A deal can be on both sides (open at the end of a training horizon and at a later test
    snapshot): its training label was known by ``cutoff``, so nothing from after the cutoff
    is fitted on.  The calibration folds keep each deal's training rows together.

    Examples
    --------
    Activity makes a win likelier, which the stages do not see:

    >>> rng = np.random.default_rng(0)
    >>> n = 3000
    >>> rows = pd.DataFrame({
    ...     "deal_id": np.arange(n), "stage_id": rng.integers(1, 3, n), "owner_id": 1,
    ...     "product_line": "core", "source": "web", "days_in_stage": 5.0, "age_days": 9.0,
    ...     "amount": 100.0, "activities_14d": rng.integers(0, 4, n), "matured": True,
    ...     "snapshot_date": pd.Timestamp(2024, 1, 1) + pd.to_timedelta(rng.integers(0, 360, n),
    ...                                                                 unit="D")})
    >>> rows["horizon_end"] = rows["snapshot_date"] + pd.Timedelta(days=30)
    >>> rows["won"] = rng.random(n) < 0.1 + 0.2 * rows["activities_14d"]
    >>> rates = pd.DataFrame({"stage_id": [1, 2], "win_rate": [0.4, 0.4]})
    >>> result = evaluate_win_model(rows, date(2024, 7, 1), rates)
    >>> bool(result.brier_model < result.brier_stage_fitted), result.test_rows > 1000
    (True, True)
    """
    require_columns(rows, ["snapshot_date", "horizon_end", "matured", "won"], "rows")
    moment = pd.Timestamp(cutoff)
    matured = rows.loc[rows["matured"].to_numpy(bool)]
    train = matured.loc[(matured["horizon_end"] <= moment).to_numpy()]
    test = matured.loc[(matured["snapshot_date"] >= moment).to_numpy()]
    if test.empty:
        raise ValueError(f"no matured snapshot on or after {cutoff} to evaluate on")
    fitted = (model or WinModel()).fit(train)
    label = test["won"].to_numpy(bool)
    predicted = fitted.predict_proba(test)
    by_stage = stage_probability(test, stage_rates)
    if np.isnan(by_stage).any():
        raise ValueError("a test row's stage has no win rate")
    shares = train.groupby("stage_id")["won"].mean()
    fitted_share = shares.reindex(test["stage_id"]).fillna(train["won"].mean()).to_numpy(float)
    observed, mean_predicted = calibration_curve(label, predicted, n_bins=bins)
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], predicted), minlength=bins)
    calibration = pd.DataFrame(
        {"predicted": mean_predicted, "observed": observed, "rows": counts[counts > 0]}
    )
    big = calibration["rows"] >= min_bin_rows
    gaps = (calibration["observed"] - calibration["predicted"]).abs()[big]
    return WinModelEvaluation(
        cutoff=cutoff,
        train_rows=fitted.rows_,
        test_rows=len(test),
        brier_model=float(brier_score_loss(label, predicted)),
        brier_stage=float(brier_score_loss(label, by_stage)),
        brier_stage_fitted=float(brier_score_loss(label, fitted_share)),
        calibration=calibration,
        max_gap=float(gaps.max()) if len(gaps) else float("nan"),
    )


# --- P(close in each future month) -------------------------------------------------------------


def month_windows(as_of: date, months: int) -> pd.DataFrame:
    """The forecast months from ``as_of`` on, as windows of days after ``as_of``'s midnight.

    The first month is ``as_of``'s own, from ``as_of`` (its days before ``as_of`` are past);
    the others are whole calendar months.

    Parameters
    ----------
    as_of : date
        The forecast is made at this date's midnight.
    months : int
        How many months (≥ 1).

    Returns
    -------
    DataFrame
        ``month`` datetime64 (first day), ``start_days``, ``end_days`` float: the window
        ``(start_days, end_days]`` in days after ``as_of``.

    Examples
    --------
    >>> month_windows(date(2024, 1, 21), 2).values.tolist()
    [[Timestamp('2024-01-01 00:00:00'), 0.0, 11.0], [Timestamp('2024-02-01 00:00:00'), 11.0, 40.0]]
    """
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    first = as_of.replace(day=1)
    starts = [shift_months(first, k) for k in range(months + 1)]
    edges = np.array([max((d - as_of).days, 0) for d in starts], dtype="float64")
    return pd.DataFrame(
        {
            "month": pd.to_datetime(starts[:-1]).astype("datetime64[us]"),
            "start_days": edges[:-1],
            "end_days": edges[1:],
        }
    )


def _survival_at(curve: pd.DataFrame, days: np.ndarray) -> np.ndarray:
    """``S(days)`` of a Kaplan–Meier curve (a step function, 1 before the first time)."""
    times = curve["time"].to_numpy()
    index = np.searchsorted(times, days, side="right") - 1
    survival = curve["survival"].to_numpy()
    values: np.ndarray = np.where(index >= 0, survival[np.maximum(index, 0)], 1.0)
    return values


def close_month_probabilities(
    cycles: pd.DataFrame, age_days: np.ndarray | pd.Series, windows: pd.DataFrame
) -> np.ndarray:
    """P(close in each window | open at its age) per deal, from the cycle-time curve.

    With ``S`` the Kaplan–Meier survival of the time from creation to close (closed deals are
    events, open ones censored), a deal of age ``a`` closes in ``(t0, t1]`` days after
    ``as_of`` with probability ``(S(a + t0) − S(a + t1)) / S(a)``.  A deal older than every
    closure of a curve that got down to 0 (``S(a) = 0``) gets 0 everywhere: past all
    experience, no closing time is predicted.  What the windows leave (``1 − Σ``) is the
    chance of closing later.

    Parameters
    ----------
    cycles : DataFrame
        ``deal_cycle_times``: ``cycle_days``, ``censored`` bool, ``deals`` (optional, 1 per
        row).
    age_days : array-like of float
        Each open deal's age at ``as_of`` in days (``open_deal_features.age_days``).
    windows : DataFrame
        :func:`month_windows` (``start_days``, ``end_days``).

    Returns
    -------
    ndarray of float
        Shape (deals, windows).

    Examples
    --------
    Closed after 10, 20, 30 and 40 days, one still open at 25: S(15) = 0.8, S(26) = 0.6,
    S(55) = 0; a deal of 15 days closes in the next 11 days with (0.8 − 0.6) / 0.8:

    >>> cycles = pd.DataFrame({"cycle_days": [10.0, 20.0, 25.0, 30.0, 40.0],
    ...                        "censored": [False, False, True, False, False]})
    >>> windows = pd.DataFrame({"start_days": [0.0, 11.0], "end_days": [11.0, 40.0]})
    >>> close_month_probabilities(cycles, [15.0], windows).round(12).tolist()
    [[0.25, 0.75]]
    """
    require_columns(cycles, ["cycle_days", "censored"], "cycles")
    curve = kaplan_meier(
        cycles["cycle_days"].to_numpy(dtype="float64"),
        ~cycles["censored"].to_numpy(bool),
        count_column(cycles, "deals"),
    )
    age = np.asarray(age_days, dtype="float64").reshape(-1, 1)
    edges = np.concatenate(
        [windows["start_days"].to_numpy(dtype="float64")[:1], windows["end_days"].to_numpy()]
    )
    survival = _survival_at(curve, (age + edges).ravel()).reshape(len(age), len(edges))
    alive = _survival_at(curve, age.ravel()).reshape(-1, 1)
    drops = survival[:, :-1] - survival[:, 1:]
    probabilities: np.ndarray = np.divide(drops, alive, out=np.zeros_like(drops), where=alive > 0)
    return probabilities


# --- expected revenue, interval, categories, drivers --------------------------------------------


@dataclass(frozen=True)
class PipelineForecast:
    """The pipeline forecast of :func:`pipeline_forecast`.

    Attributes
    ----------
    by_month : DataFrame
        One row per forecast month: ``month`` datetime64, ``expected`` (Σ amount × P(win) ×
        P(close in the month)), ``simulated`` (Monte Carlo mean), ``low``, ``high`` (the
        interval's quantiles), ``sd`` (exact Poisson-binomial standard deviation),
        ``won_deals`` (the expected number of deals won in the month: Σ P(win) × P(close)).
    total : DataFrame
        The same columns but ``month`` for the whole horizon, one row.
    deals : DataFrame
        The open deals, most expected revenue first: ``deal_id``, ``amount``, ``p_win``,
        ``p_close`` (P(close within the horizon)), ``expected`` (amount × p_win × p_close),
        ``category`` str.
    categories : DataFrame
        :func:`forecast_categories` of ``deals`` (without closed revenue: pass what was won in
        the period to :func:`forecast_categories` for the commit and best-case rollups).
    """

    by_month: pd.DataFrame
    total: pd.DataFrame
    deals: pd.DataFrame
    categories: pd.DataFrame


def _category(p_win: np.ndarray) -> np.ndarray:
    """The forecast category of each probability (:data:`CATEGORIES`)."""
    labels: np.ndarray = np.select(
        [p_win >= COMMIT_MIN, p_win >= BEST_CASE_MIN], list(CATEGORIES[:2]), CATEGORIES[2]
    )
    return labels


def _simulate(
    amount: np.ndarray,
    chances: np.ndarray,
    simulations: int,
    seed: int,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
) -> np.ndarray:
    """Monte Carlo revenue per (draw, window): each deal is won in window m with probability
    ``chances[:, m]`` (P(win) × P(close in m)), in none with the rest, independently.  With
    ``groups`` (each deal's group code in ``[0, n_groups)``) the revenue is per (draw, group ×
    windows + window).

    A deal's uniform draw u falls in window m when it lies between its cumulative chances up
    to m − 1 and up to m.  Each window's deals are a boolean (draw × deal) matrix, and the
    window's revenue is that matrix times the amounts, per group on the group's columns (the
    deals sorted by group): dense comparisons and products, no per-win indexing.  Deals
    without a chance or an amount are left out.
    """
    n_windows = chances.shape[1]
    keep = (chances.sum(axis=1) > 0) & (amount != 0)
    codes = np.zeros(len(amount), dtype=np.intp) if groups is None else groups
    order = np.argsort(codes[keep], kind="stable")
    amount, codes = amount[keep][order], codes[keep][order]
    # float32 like the draws: 2⁻²⁴ is fine for a chance, and the comparisons stay single
    cumulative = np.cumsum(chances[keep][order], axis=1).astype(np.float32)
    starts = np.searchsorted(codes, np.arange(n_groups + 1))
    n_deals = len(amount)
    rng = np.random.default_rng(seed)
    revenue = np.zeros((simulations, n_groups * n_windows))
    block = max(1, _BLOCK_CELLS // max(n_deals, 1))
    for first in range(0, simulations, block):
        rows = slice(first, min(first + block, simulations))
        u = rng.random((rows.stop - first, n_deals), dtype=np.float32)
        below = np.zeros(u.shape, dtype=bool)
        for window in range(n_windows):
            earlier, below = below, u < cumulative[:, window]
            won = (below ^ earlier).astype(np.float64)  # below now, not before
            for group in range(n_groups):
                deals = slice(starts[group], starts[group + 1])
                revenue[rows, group * n_windows + window] = won[:, deals] @ amount[deals]
    return revenue


def _summary(
    amount: np.ndarray, chances: np.ndarray, draws: np.ndarray, interval: float
) -> dict[str, np.ndarray]:
    """Columns ``expected, simulated, low, high, sd, won_deals`` per window: ``chances`` is
    (deals × windows) P(won in the window), ``draws`` (simulations × windows) revenue.
    """
    low, high = np.quantile(draws, [(1 - interval) / 2, (1 + interval) / 2], axis=0)
    return {
        "expected": amount @ chances,
        "simulated": draws.mean(axis=0),
        "low": low,
        "high": high,
        "sd": np.sqrt(amount**2 @ (chances * (1 - chances))),
        "won_deals": chances.sum(axis=0),
    }


def pipeline_forecast(
    deals: pd.DataFrame,
    cycles: pd.DataFrame,
    as_of: date,
    *,
    months: int = 6,
    simulations: int = SIMULATIONS,
    seed: int = 0,
    interval: float = INTERVAL,
) -> PipelineForecast:
    """Expected revenue per month of the open deals, with a Monte Carlo interval
    (METRICS.md "Pipeline forecast").

    Month m's revenue is Σ amount × [won] × [closes in m]; its expectation Σ amount ×
    P(win) × P(close in m) (:func:`close_month_probabilities`).  The interval comes from
    ``simulations`` draws (seeded): each deal is won with P(win) and closes in a month drawn
    from its distribution (or after the horizon); ``sd`` is the exact standard deviation of
    independent deals, ``sqrt(Σ amount² π (1 − π))`` with π the deal's chance to be won in the
    month (over the horizon: P(win) × P(close within it)).

    Parameters
    ----------
    deals : DataFrame
        The open deals at ``as_of``: ``deal_id``, ``amount``, ``age_days`` and ``p_win``
        (from :func:`stage_probability` or :meth:`WinModel.predict_proba`).
    cycles : DataFrame
        ``deal_cycle_times`` known at ``as_of``.
    as_of : date
        When the forecast is made.
    months : int
        Forecast months, ``as_of``'s month first.
    simulations : int
        Monte Carlo draws.
    seed : int
        Their seed.
    interval : float
        Coverage of the interval (0.9: from the 5 % to the 95 % quantile).

    Returns
    -------
    PipelineForecast

    Raises
    ------
    ValueError
        When a ``p_win`` is missing or outside ``[0, 1]``, for ``simulations < 1`` or an
        ``interval`` outside ``(0, 1)``.

    Examples
    --------
    >>> deals = pd.DataFrame({"deal_id": [1, 2], "amount": [100.0, 50.0],
    ...                       "age_days": [0.0, 0.0], "p_win": [0.8, 0.5]})
    >>> cycles = pd.DataFrame({"cycle_days": [5.0, 40.0], "censored": False})
    >>> fc = pipeline_forecast(deals, cycles, date(2024, 1, 1), months=2)
    >>> fc.by_month[["expected", "sd"]].round(2).values.tolist()
    [[52.5, 53.56], [52.5, 53.56]]
    >>> fc.deals[["deal_id", "expected", "category"]].values.tolist()
    [[1, 80.0, 'commit'], [2, 25.0, 'best case']]
    """
    require_columns(deals, ["deal_id", "amount", "age_days", "p_win"], "deals")
    if simulations < 1 or not 0 < interval < 1:
        raise ValueError(f"need simulations >= 1 and 0 < interval < 1: {simulations}, {interval}")
    p_win = deals["p_win"].to_numpy(dtype="float64", na_value=np.nan)
    bad = ~((p_win >= 0) & (p_win <= 1))
    if bad.any():
        ids = deals["deal_id"].to_numpy()[bad][:5].tolist()
        raise ValueError(f"p_win must be a probability in [0, 1]; deals {ids} have none")
    amount = deals["amount"].to_numpy(dtype="float64", na_value=0.0)
    windows = month_windows(as_of, months)
    closing = close_month_probabilities(cycles, deals["age_days"], windows)
    chances = p_win[:, None] * closing
    in_horizon = chances.sum(axis=1)
    draws = _simulate(amount, chances, simulations, seed)
    by_month = windows[["month"]].assign(**_summary(amount, chances, draws, interval))
    total = pd.DataFrame(
        _summary(amount, in_horizon[:, None], draws.sum(axis=1, keepdims=True), interval)
    )
    table = pd.DataFrame(
        {
            "deal_id": deals["deal_id"].to_numpy(dtype="int64"),
            "amount": amount,
            "p_win": p_win,
            "p_close": closing.sum(axis=1),
            "expected": amount * in_horizon,
            "category": _category(p_win),
        }
    )
    table = table.sort_values(["expected", "deal_id"], ascending=[False, True], kind="stable")
    table = table.reset_index(drop=True).astype({"category": "str"})
    return PipelineForecast(
        by_month=by_month,
        total=total,
        deals=table,
        categories=forecast_categories(table),
    )


def pipeline_by_group(
    deals: pd.DataFrame,
    cycles: pd.DataFrame,
    as_of: date,
    months: int,
    group: str,
    *,
    simulations: int = SIMULATIONS,
    seed: int = 0,
    interval: float = INTERVAL,
) -> pd.DataFrame:
    """The open deals' revenue won within the first ``months`` forecast months, per group
    (e.g. per owner: each rep's pipeline for the rest of the quarter).

    A deal counts with P(win) × P(close within the months) (as in :func:`pipeline_forecast`);
    one Monte Carlo run (seeded) gives every group's interval at once.

    Parameters
    ----------
    deals : DataFrame
        The open deals: ``amount``, ``age_days``, ``p_win`` and the ``group`` column.
    cycles : DataFrame
        ``deal_cycle_times`` known at ``as_of``.
    as_of : date
        When the forecast is made.
    months : int
        Forecast months counted, ``as_of``'s month first (≥ 1).
    group : str
        The column of ``deals`` to group by.
    simulations, seed, interval
        As for :func:`pipeline_forecast`.

    Returns
    -------
    DataFrame
        ``group`` (the column's values, named as the column), ``deals`` int (open deals),
        ``amount`` (their amounts), ``expected``, ``low``, ``high``, ``sd`` float; sorted by
        the group.

    Examples
    --------
    >>> deals = pd.DataFrame({"owner_id": [7, 7, 8], "amount": [100.0, 50.0, 40.0],
    ...                       "age_days": [0.0, 0.0, 0.0], "p_win": [0.8, 0.5, 1.0]})
    >>> cycles = pd.DataFrame({"cycle_days": [5.0, 40.0], "censored": False})
    >>> by_rep = pipeline_by_group(deals, cycles, date(2024, 1, 1), 1, "owner_id")
    >>> by_rep[["owner_id", "deals", "expected"]].values.tolist()  # half close in January
    [[7.0, 2.0, 52.5], [8.0, 1.0, 20.0]]
    """
    require_columns(deals, ["amount", "age_days", "p_win", group], "deals")
    codes, values = pd.factorize(deals[group], sort=True)
    amount = deals["amount"].to_numpy(dtype="float64", na_value=0.0)
    closing = close_month_probabilities(cycles, deals["age_days"], month_windows(as_of, months))
    chance = deals["p_win"].to_numpy(dtype="float64") * closing.sum(axis=1)
    draws = _simulate(amount, chance[:, None], simulations, seed, codes, len(values))
    low, high = np.quantile(draws, [(1 - interval) / 2, (1 + interval) / 2], axis=0)
    return pd.DataFrame({
        group: values, "deals": np.bincount(codes, minlength=len(values)),
        "amount": np.bincount(codes, weights=amount, minlength=len(values)),
        "expected": np.bincount(codes, weights=amount * chance, minlength=len(values)),
        "low": low, "high": high,
        "sd": np.sqrt(np.bincount(codes, weights=amount**2 * chance * (1 - chance),
                                  minlength=len(values))),
    })  # fmt: skip


def forecast_categories(deals: pd.DataFrame, *, closed: float = 0.0) -> pd.DataFrame:
    """Open deals by forecast category, with Salesforce's cumulative rollups.

    A deal's category follows its P(win): commit from :data:`COMMIT_MIN`, best case from
    :data:`BEST_CASE_MIN`, pipeline below.  The rollups are Salesforce's cumulative ones
    (Collaborative Forecasts, "Rollup Methods for Pipeline Forecasts"): *Commit forecast* =
    closed + commit, *Best case forecast* = closed + commit + best case, *Open pipeline* =
    commit + best case + pipeline (open deals only).

    Parameters
    ----------
    deals : DataFrame
        Open deals with ``p_win``, ``amount`` and ``expected`` (as
        :attr:`PipelineForecast.deals`).
    closed : float
        Revenue already won in the forecast period (added to the commit and best-case
        rollups).

    Returns
    -------
    DataFrame
        One row per category of :data:`CATEGORIES`: ``category`` str, ``deals`` int,
        ``amount``, ``expected`` float (the category's sums), ``rollup_amount``,
        ``rollup_expected`` float (the cumulative rollups, closed revenue counted in full).

    Examples
    --------
    >>> deals = pd.DataFrame({"p_win": [0.9, 0.5, 0.1], "amount": [100.0, 200.0, 400.0],
    ...                       "expected": [90.0, 100.0, 40.0]})
    >>> forecast_categories(deals, closed=50.0)[["category", "rollup_amount"]].values.tolist()
    [['commit', 150.0], ['best case', 350.0], ['pipeline', 700.0]]
    """
    require_columns(deals, ["p_win", "amount", "expected"], "deals")
    category = _category(deals["p_win"].to_numpy(dtype="float64"))
    codes = pd.Index(CATEGORIES).get_indexer(pd.Index(category))
    n = len(CATEGORIES)
    count = np.bincount(codes, minlength=n)
    sums = {
        column: np.bincount(codes, weights=deals[column].to_numpy(dtype="float64"), minlength=n)
        for column in ("amount", "expected")
    }
    with_closed = np.array([closed, closed, 0.0])  # the open pipeline leaves closed deals out
    return pd.DataFrame(
        {
            "category": list(CATEGORIES),
            "deals": count.astype("int64"),
            "amount": sums["amount"],
            "expected": sums["expected"],
            "rollup_amount": np.cumsum(sums["amount"]) + with_closed,
            "rollup_expected": np.cumsum(sums["expected"]) + with_closed,
        }
    ).astype({"category": "str"})


def top_deals(deals: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` open deals that move the forecast most: the largest amount × P(win) ×
    P(close within the horizon).

    Parameters
    ----------
    deals : DataFrame
        :attr:`PipelineForecast.deals` (``deal_id``, ``amount``, ``p_win``, ``p_close``,
        ``expected``, ``category``).
    n : int
        How many.

    Returns
    -------
    DataFrame
        The ``n`` deals with the most ``expected`` (ties by deal id), their columns and
        ``share`` (expected / the expected revenue of all the deals; NaN when that is 0).

    Examples
    --------
    >>> deals = pd.DataFrame({"deal_id": [1, 2, 3], "expected": [10.0, 30.0, 10.0]})
    >>> top_deals(deals, 2)[["deal_id", "share"]].values.tolist()
    [[2.0, 0.6], [1.0, 0.2]]
    """
    require_columns(deals, ["deal_id", "expected"], "deals")
    ranked = deals.sort_values(["expected", "deal_id"], ascending=[False, True], kind="stable")
    top = ranked.head(n).reset_index(drop=True)
    total = deals["expected"].sum()
    return top.assign(share=safe_rates(top["expected"].to_numpy(), np.full(len(top), total)))
