"""Time-series forecasting analytics (METRICS.md "Forecasts"; methods.md §5): the monthly
series, the accuracy metrics on hand examples, the candidates and their guards, the
rolling-origin backtest and the model choice on a planted series, and Theta on M3 monthly
series against the published accuracy."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import suppress
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from analytics.backtest import backtest, candidate_order, choose_model
from analytics.forecast_metrics import mase, mase_scale, skill, smape, smape_terms
from analytics.forecast_models import (
    MODELS,
    FittedForecast,
    ForecastRejected,
    _fit,
    forecast_with,
    forget_fits,
    guarded_forecast,
)
from analytics.forecast_series import SHORT_HISTORY_LABEL, monthly_series
from tests.support.m3 import M3_HORIZON, M3_SERIES, THETA_PUBLISHED_SMAPE, m3_monthly, needs_m3

#: Planted monthly seasonal factors (mean 1): a summer dip and a year-end peak.
SEASON = np.array([0.80, 0.85, 1.00, 1.05, 1.10, 1.00, 0.90, 0.85, 1.00, 1.10, 1.20, 1.15])
SEASON = SEASON / SEASON.mean()
#: Planted growth per year.
GROWTH = 0.20


def planted(months: int, seed: int = 42, noise: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    """Revenue 1000 · 1.2^(t/12) · season · (1 + N(0, noise)), and its noise-free truth."""
    t = np.arange(months)
    truth = 1000.0 * (1 + GROWTH) ** (t / 12) * np.resize(SEASON, months)
    rng = np.random.default_rng(seed)
    return truth * (1 + rng.normal(0.0, noise, months)), truth


# --- metrics -----------------------------------------------------------------------------


def test_smape_hand_example() -> None:
    # 200·10/210, 200·20/380, both zero counts 0, 200·50/50
    assert smape_terms([100, 200, 0, 50], [110, 180, 0, 0]) == pytest.approx(
        [9.5238095, 10.5263158, 0.0, 200.0]
    )
    assert smape([100, 200, 0, 50], [110, 180, 0, 0]) == pytest.approx(55.0125313)
    assert smape([5.0], [5.0]) == 0.0


@pytest.mark.parametrize(
    ("y", "yhat"), [([1.0, 2.0], [1.0]), ([], []), ([1.0, np.nan], [1.0, 1.0])]
)
def test_smape_rejects_bad_input(y: list[float], yhat: list[float]) -> None:
    with pytest.raises(ValueError):
        smape(y, yhat)


def test_in_sample_seasonal_naive_mase_is_exactly_one() -> None:
    y, _ = planted(40)
    assert mase(y[12:], y[:-12], y, m=12) == 1.0


def test_mase_hand_example_and_undefined_scales() -> None:
    insample = [1.0, 2.0, 4.0, 8.0]  # seasonal (m = 2) differences 3 and 6
    assert mase_scale(insample, m=2) == 4.5
    assert mase([10.0, 4.0], [1.0, 4.0], insample, m=2) == pytest.approx(4.5 / 4.5)
    assert np.isnan(mase([1.0], [2.0], [1.0, 2.0], m=2))  # no seasonal difference
    flat = [3.0, 5.0, 3.0, 5.0]
    assert np.isnan(mase([3.0], [3.0], flat, m=2))  # 0 / 0
    assert mase([3.0], [4.0], flat, m=2) == np.inf


def test_skill_against_seasonal_naive() -> None:
    assert skill(75.0, 100.0) == 0.25
    assert skill(120.0, 100.0) == pytest.approx(-0.2)
    assert np.isnan(skill(1.0, 0.0))


# --- the monthly series --------------------------------------------------------------------


def test_monthly_series_fills_missing_months_and_keeps_the_running_month_apart() -> None:
    values = pd.Series(
        [100.0, 250.0, np.nan, 40.0],
        index=pd.to_datetime(["2025-11-01", "2026-01-01", "2026-02-01", "2026-04-01"]),
    )
    series = monthly_series(values, date(2026, 4, 16))
    assert series.history.index.tolist() == list(
        pd.date_range("2025-11-01", "2026-03-01", freq="MS")
    )
    assert series.history.tolist() == [100.0, 0.0, 250.0, 0.0, 0.0]  # December, Feb., March
    assert series.y.tolist() == series.history.tolist()
    assert series.partial_month == pd.Timestamp("2026-04-01")
    assert series.partial_value == 40.0  # kept apart: not a drop in the history
    assert series.partial_share == pytest.approx(15 / 30)
    assert (series.history_months, series.seasonal, series.label) == (5, False, SHORT_HISTORY_LABEL)
    assert series.future_months(2).tolist() == list(pd.to_datetime(["2026-04-01", "2026-05-01"]))


def test_monthly_series_on_a_month_start_has_no_running_month() -> None:
    frame = pd.DataFrame(
        {"month": pd.date_range("2024-01-01", periods=24, freq="MS"), "won": np.arange(24.0)}
    )
    series = monthly_series(frame, date(2026, 1, 1), value="won")
    assert (series.partial_month, series.partial_value, series.partial_share) == (None, 0.0, 0.0)
    assert (series.history_months, series.seasonal, series.label) == (24, True, None)
    assert series.future_months(1)[0] == pd.Timestamp("2026-01-01")
    midday = monthly_series(
        frame, datetime(2026, 1, 2, 12), value="won"
    )  # 1.5 days of January's 31
    assert midday.partial_share == pytest.approx(1.5 / 31)


@pytest.mark.parametrize(
    ("months", "message"),
    [
        (["2026-01-15"], "month starts"),
        (["2026-01-01", "2026-01-01"], "twice"),
        (["2026-01-01", "2026-05-01"], "after as_of"),
    ],
)
def test_monthly_series_rejects_bad_months(months: list[str], message: str) -> None:
    values = pd.Series(1.0, index=pd.to_datetime(months))
    with pytest.raises(ValueError, match=message):
        monthly_series(values, date(2026, 5, 1))


# --- models and guards ----------------------------------------------------------------------


def test_seasonal_naive_repeats_last_year_with_widening_intervals() -> None:
    y, _ = planted(36)
    forecast = forecast_with("seasonal_naive", y, h=15, level=0.9)
    assert forecast.mean.tolist() == [*y[-12:], *y[-12:-9]]
    residuals = y[12:] - y[:-12]
    half = 1.6448536 * np.sqrt(np.mean(residuals**2))
    assert forecast.upper[:12] - forecast.mean[:12] == pytest.approx(np.full(12, half))
    assert forecast.upper[12:] - forecast.mean[12:] == pytest.approx(np.full(3, half * np.sqrt(2)))


@pytest.mark.parametrize("name", list(MODELS))
def test_every_candidate_gives_a_sane_deterministic_forecast(name: str) -> None:
    y, truth = planted(54)
    forget_fits()  # two real fits, not one remembered
    first = forecast_with(name, y[:48], h=6)
    forget_fits()
    again = forecast_with(name, y[:48], h=6)
    assert first.model == name
    np.testing.assert_array_equal(first.mean, again.mean)
    np.testing.assert_array_equal(first.upper, again.upper)
    assert (first.lower <= first.mean).all() and (first.mean <= first.upper).all()
    assert smape(truth[48:], first.mean) < 25  # roughly right (seasonal naive: 1 year behind)


def test_a_fit_is_remembered_and_callers_cannot_change_it() -> None:
    y, _ = planted(40)
    forget_fits()
    first = forecast_with("sarimax", y, h=3)
    first.mean[:] = first.upper[:] = -1.0  # the caller's copies
    again = forecast_with("sarimax", y, h=3)
    assert _fit.cache_info().hits == 1 and _fit.cache_info().misses == 1
    assert (again.mean > 0).all() and (again.upper > again.mean).all()
    forecast_with("sarimax", y[:-1], h=3)  # another history: fitted
    assert _fit.cache_info().misses == 2


def test_fits_let_no_warning_out() -> None:
    y = np.array([0.0, 5.0, 0.0, 0.0, 80.0, 1.0, 0.0, 3.0, 0.0, 0.0, 2.0, 0.0] * 2 + [0.0])
    forget_fits()  # fitted here, where a warning would be caught
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in MODELS:
            with suppress(ForecastRejected):  # a rejection is fine here; a warning is not
                forecast_with(name, y, h=3)


def test_short_history_gets_non_seasonal_models() -> None:
    y, _ = planted(18)
    assert forecast_with("ets", y, 3).spec in {"ETS(A,N,N)", "ETS(A,Ad,N)"}
    assert forecast_with("theta", y, 3).spec == "Theta (non-seasonal)"
    assert forecast_with("sarimax", y, 3).spec == "SARIMAX(1,1,1) (non-seasonal)"
    assert forecast_with("seasonal_naive", y, 3).spec == "Seasonal naive"
    naive = forecast_with("seasonal_naive", y[:10], 3)  # less than a year: the last value
    assert (naive.spec, naive.mean.tolist()) == ("Naive", [y[9]] * 3)
    result = backtest(y, h=3, origins=6)
    assert result.origins == (13, 14, 15)
    assert result.note.startswith("3 of 6 origins")
    assert (result.table["origins"] == 3).all()


def _fake(values: float) -> Callable[[np.ndarray, int, int, float], FittedForecast]:
    """A model forecasting ``values`` every month, for the guards to judge."""

    def model(y: np.ndarray, h: int, m: int, level: float) -> FittedForecast:
        mean = np.full(h, values)
        return FittedForecast(mean, mean - 1, mean + 1, "Fake", "Fake.")

    return model


@pytest.mark.parametrize(
    ("value", "reason", "detail"),
    [
        (np.nan, "nan", "not a number"),
        (-5.0, "negative", "min -5.00"),
        (10.0, "explodes", "3 × the historical maximum (max 10.00 > 3 × 1.00)"),
    ],
)
def test_a_rejected_candidate_falls_back_and_says_so(
    monkeypatch: pytest.MonkeyPatch, value: float, reason: str, detail: str
) -> None:
    monkeypatch.setitem(MODELS, "ets", _fake(value))
    y = np.array([1.0, 0.5, 0.8, 1.0, 0.9, 0.7])  # historical maximum 1
    with pytest.raises(ForecastRejected) as rejected:
        forecast_with("ets", y, 2)
    assert [r.reason for r in rejected.value.rejections] == [reason]
    forecast = guarded_forecast(["ets", "seasonal_naive"], y, 2)
    assert (forecast.model, forecast.fallback_reason, forecast.replaced) == (
        "seasonal_naive",
        reason,
        "ets",
    )
    assert detail in forecast.note
    assert "Fell back to seasonal_naive" in forecast.note
    assert forecast.mean.tolist() == [0.7, 0.7]  # fewer than 13 months: the last value


def test_a_failing_fit_falls_back_and_every_rejection_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(y: np.ndarray, h: int, m: int, level: float) -> FittedForecast:
        raise np.linalg.LinAlgError("singular matrix")

    monkeypatch.setitem(MODELS, "sarimax", broken)
    monkeypatch.setitem(MODELS, "ets", _fake(np.nan))
    y, _ = planted(30)
    forecast = guarded_forecast(["sarimax", "ets", "theta"], y, 3)
    assert forecast.model == "theta"
    assert [(r.model, r.reason) for r in forecast.rejections] == [
        ("sarimax", "fit_error"),
        ("ets", "nan"),
    ]
    assert "singular matrix" in forecast.note
    with pytest.raises(ForecastRejected) as rejected:
        guarded_forecast(["sarimax", "ets"], y, 3)
    assert len(rejected.value.rejections) == 2


def test_a_small_negative_forecast_is_rounding_noise_and_bounds_are_cut_at_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(MODELS, "ets", _fake(-1e-12))
    forecast = forecast_with("ets", np.array([0.0, 2.0, 1.0]), 2)
    assert forecast.mean.tolist() == [0.0, 0.0]
    assert forecast.lower.tolist() == [0.0, 0.0]


def test_a_model_rejected_in_the_backtest_is_scored_as_its_fallback_and_not_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(MODELS, "theta", _fake(1e9))
    y, _ = planted(36)
    result = backtest(y, ["theta"], h=3, origins=4)
    table = result.table.set_index("model")
    assert table.loc["theta", "fallbacks"] == 4
    assert table.loc["theta", "mae"] == table.loc["seasonal_naive", "mae"]
    assert table.loc["theta", "skill"] == 0.0
    assert choose_model(result) == "seasonal_naive"


# --- backtest and the choice on a planted series -----------------------------------------------


def test_backtest_tables() -> None:
    y, _ = planted(40)
    result = backtest(y, ["theta", "ets"], h=3, origins=5)
    assert result.origins == (33, 34, 35, 36, 37)
    assert len(result.errors) == 3 * 5 * 3  # models (with seasonal naive) × origins × months
    assert set(result.table["model"]) == {"seasonal_naive", "theta", "ets"}
    assert result.table["mase"].is_monotonic_increasing
    assert result.by_horizon.groupby("model")["horizon"].apply(list).tolist() == [[1, 2, 3]] * 3
    baseline = result.errors[result.errors["model"] == "seasonal_naive"]
    expected = np.mean([mase(y[t : t + 3], y[t - 12 : t - 9], y[:t]) for t in result.origins])
    assert result.table.set_index("model").loc["seasonal_naive", "mase"] == pytest.approx(expected)
    assert baseline["smape"].mean() == pytest.approx(
        np.mean([smape(y[t : t + 3], y[t - 12 : t - 9]) for t in result.origins])
    )


def test_too_short_for_a_backtest_defaults_to_seasonal_naive() -> None:
    y, _ = planted(14)
    result = backtest(y, ["ets"], h=3)
    assert result.origins == () and result.table.empty
    assert result.note.startswith("No backtest: 14 months")
    assert choose_model(result) == "seasonal_naive"


def test_chosen_model_beats_seasonal_naive_and_recovers_the_planted_growth_and_season() -> None:
    """60 months of revenue growing 20 % a year with a ±20 % seasonal profile and 3 % noise.

    Tolerances, set from the same check on seeds 0–9 at 48 and 60 months (not on this seed):
    growth over the next 12 months against the last 12 in 20 % ± 10 pp (measured 11–23 %: the
    damped trends ETS prefers flatten it by design); seasonal factors of the forecast
    (detrended by the planted trend) within 0.04 on average and 0.12 at worst of the planted
    ones (measured ≤ 0.027 and ≤ 0.095); the forecast within 8 % of the noise-free truth on
    average (measured 2–7.4 %); the truth above the 90 % interval's lower bound, and below its
    upper bound, in at least 75 % of the 12 months (measured 75–100 %, 96 % on average).
    """
    y, truth = planted(72)
    history = y[:60]
    result = backtest(history, h=3, origins=6)
    chosen = choose_model(result)
    table = result.table.set_index("model")
    assert chosen != "seasonal_naive"
    assert table.loc[chosen, "mase"] < table.loc["seasonal_naive", "mase"]
    assert table.loc[chosen, "skill"] > 0.5
    forecast = guarded_forecast(candidate_order(result), history, 12)
    assert forecast.model == chosen and forecast.rejections == ()
    growth = forecast.mean.sum() / history[-12:].sum() - 1
    assert growth == pytest.approx(GROWTH, abs=0.10)
    trend = 1000.0 * (1 + GROWTH) ** (np.arange(60, 72) / 12)
    season = forecast.mean / trend
    season = season / season.mean()
    assert np.abs(season - SEASON).mean() < 0.04
    assert np.abs(season - SEASON).max() < 0.12
    assert np.mean(np.abs(forecast.mean / truth[60:] - 1)) < 0.08
    assert (forecast.lower <= truth[60:]).mean() >= 0.75
    assert (truth[60:] <= forecast.upper).mean() >= 0.75


# --- M3 monthly -------------------------------------------------------------------------------


@needs_m3
def test_theta_on_m3_monthly_subset_agrees_with_the_published_smape() -> None:
    """Theta on every 14th M3 monthly series (102 of 1,428, spread over the categories as the
    ids are) against Makridakis & Hibon's THETA, sMAPE 13.85 on all 1,428.

    The subset's mean is a sample of the full set's: its standard error is the per-series
    standard deviation / sqrt(102) × sqrt(1 − 102/1428) (about 1.25 points), so "consistent"
    is within 2 standard errors.  The full set runs in ``bench/m3.py`` (13.845, with the
    guards; statsmodels' raw Theta gives 13.97 because 3 series get negative forecasts), and
    there this subset gave 13.528: that value is pinned to ±0.05 so a change of the method
    shows.
    """
    series = m3_monthly(step=14)
    assert len(series) == 102 and len({s.category for s in series}) == 6
    assert all(s.test.size == M3_HORIZON for s in series)
    theta = [guarded_forecast(["theta", "seasonal_naive"], s.train, M3_HORIZON) for s in series]
    per_series = np.array([smape(s.test, f.mean) for s, f in zip(series, theta, strict=True)])
    se = per_series.std(ddof=1) / np.sqrt(len(series)) * np.sqrt(1 - len(series) / M3_SERIES)
    assert abs(per_series.mean() - THETA_PUBLISHED_SMAPE) < 2 * se
    assert per_series.mean() == pytest.approx(13.528, abs=0.05)
    naive = [
        smape(s.test, forecast_with("seasonal_naive", s.train, M3_HORIZON).mean) for s in series
    ]
    assert per_series.mean() < np.mean(naive) - 2  # Theta beats seasonal naive (16.9 here)
    scaled = [mase(s.test, f.mean, s.train) for s, f in zip(series, theta, strict=True)]
    assert np.mean(scaled) < 1
