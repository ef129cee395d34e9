"""BG/NBD, MBG/NBD, Gamma-Gamma and CLV (analytics.clv) against the CDNOW oracles of
methods.md §4.7 (Fader, Hardie & Lee 2005; lifetimes, CLVTools and pymc-marketing tests), plus
hand checks and input validation that need no dataset."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from analytics.clv import (
    SUMMARY_COLUMNS,
    BetaGeoModel,
    EmpiricalSpendModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    NotFittedError,
    churn_risk,
    clv_summary,
    clv_summary_from_totals,
    customer_lifetime_value,
)
from tests.support.datasets import CDNOW, needs_cdnow

#: FHL 2005's BG/NBD estimates on CDNOW (rounded as published).
PAPER = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
#: The end of CDNOW's 39-week calibration period (1997-09-30 included), exclusive.
CALIBRATION_END = pd.Timestamp("1997-10-01")


@cache
def summary() -> pd.DataFrame:
    """``cdnow_customers_summary_with_transactions.csv``: ID, x, t_x, T (weeks), zbar."""
    return pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv", index_col="ID")


@cache
def fitted_bg() -> BetaGeoModel:
    data = summary()
    return BetaGeoModel().fit(data["x"], data["t_x"], data["T"])


@cache
def fitted_mbg() -> ModifiedBetaGeoModel:
    data = summary()
    return ModifiedBetaGeoModel().fit(data["x"], data["t_x"], data["T"])


@cache
def fitted_gg() -> GammaGammaModel:
    data = summary()
    return GammaGammaModel().fit(data["x"], data["zbar"])


def params(model: BetaGeoModel | ModifiedBetaGeoModel) -> list[float]:
    return [model.r_, model.alpha_, model.a_, model.b_]


# --- BG/NBD on CDNOW --------------------------------------------------------------------------


@needs_cdnow
def test_bg_nbd_reproduces_the_published_estimates() -> None:
    model = fitted_bg()
    np.testing.assert_allclose(params(model), list(PAPER.values()), atol=0.01)
    # CLVTools' precise optimum; ours has a slightly higher likelihood (-9582.4256)
    np.testing.assert_allclose(
        params(model), [0.2425945, 4.4136019, 0.7929199, 2.4258881], atol=5e-4
    )
    assert model.log_likelihood_ == pytest.approx(-9582.43, abs=0.01)


@needs_cdnow
def test_bg_nbd_conditional_expectation_of_customer_one() -> None:
    expected = fitted_bg().expected_purchases(39, [2], [30.43], [38.86])
    assert expected[0] == pytest.approx(1.226, abs=0.001)


@needs_cdnow
def test_bg_nbd_unconditional_expectation_matches_hardies_sheet() -> None:
    # lifetimes asserts these at decimal=3 (|difference| < 1.5e-3)
    times = [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0]
    expected = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    actual = fitted_bg().unconditional_expected_purchases(times)
    np.testing.assert_allclose(actual, expected, atol=1.5e-3)


def test_bg_nbd_purchase_count_probabilities_match_r_btyd() -> None:
    model = BetaGeoModel.from_params(**PAPER)
    assert model.probability_of_n_purchases(2, 10)[0] == pytest.approx(1.07869e-07, rel=1e-5)
    assert model.probability_of_n_purchases(39, 0)[0] == pytest.approx(0.5737864, rel=1e-6)


@needs_cdnow
def test_bg_nbd_probability_alive() -> None:
    model = fitted_bg()
    assert model.probability_alive([2], [30.43], [38.86])[0] == pytest.approx(0.7266, abs=5e-5)
    data = summary()
    one_timers = data[data["x"] == 0]
    assert len(one_timers) == 1411
    alive = model.probability_alive(one_timers["x"], one_timers["t_x"], one_timers["T"])
    assert (alive == 1.0).all()
    everyone = model.probability_alive(data["x"], data["t_x"], data["T"])
    assert ((everyone > 0) & (everyone <= 1)).all()


def test_bg_nbd_numerically_stable_log_likelihood() -> None:
    # pymc-marketing test_beta_geo.py::test_numerically_stable_logp (Hardie note 027)
    model = BetaGeoModel.from_params(r=0.25, alpha=4.0, a=0.8, b=2.5)
    actual = model.log_likelihood([0, 200], [0, 38], [40, 40])
    np.testing.assert_allclose(actual, [-0.59947382, 100.7957], rtol=1e-6)


def test_expected_purchases_stay_finite_for_heavy_buyers() -> None:
    model = BetaGeoModel.from_params(**PAPER)
    expected = model.expected_purchases([10.0, 1000.0], [500, 500], [40, 40], [40, 40])
    assert np.isfinite(expected).all()
    assert 0 < expected[0] < expected[1]


@pytest.mark.parametrize("model_class", [BetaGeoModel, ModifiedBetaGeoModel])
def test_count_distribution_sums_to_one_and_has_the_expected_mean(
    model_class: type[BetaGeoModel] | type[ModifiedBetaGeoModel],
) -> None:
    model = model_class.from_params(r=0.5, alpha=6.0, a=0.9, b=1.6)
    counts = np.arange(300)
    probabilities = np.array([model.probability_of_n_purchases(10.0, int(n))[0] for n in counts])
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-9)
    mean = model.unconditional_expected_purchases([10.0])[0]
    assert probabilities @ counts == pytest.approx(mean, rel=1e-9)


# --- MBG/NBD ----------------------------------------------------------------------------------


@needs_cdnow
def test_mbg_nbd_reproduces_btydplus_estimates() -> None:
    # lifetimes asserts these at decimal=3 (|difference| < 1.5e-3); ours: 0.5248, 6.1830, 0.8914,
    # 1.6140
    np.testing.assert_allclose(params(fitted_mbg()), [0.525, 6.183, 0.891, 1.614], atol=1.5e-3)


@needs_cdnow
def test_mbg_nbd_one_time_buyers_are_not_all_alive() -> None:
    data = summary()
    risk = churn_risk(fitted_mbg(), data["x"], data["t_x"], data["T"])
    assert ((risk >= 0) & (risk < 1)).all()
    assert (risk[data["x"].to_numpy() == 0] > 0).all()
    # customer 1 (x=2, t_x=30.43): alive much as under BG/NBD
    assert 1 - risk[0] == pytest.approx(0.7266, abs=0.05)


def test_churn_risk_refuses_the_bg_nbd() -> None:
    with pytest.raises(TypeError, match="ModifiedBetaGeoModel"):
        churn_risk(BetaGeoModel.from_params(**PAPER), [0], [0], [10])


# --- Gamma-Gamma ------------------------------------------------------------------------------


@needs_cdnow
def test_gamma_gamma_reproduces_the_published_estimates() -> None:
    model = fitted_gg()
    np.testing.assert_allclose([model.p_, model.q_, model.v_], [6.25, 3.74, 15.44], atol=0.01)
    # CLVTools: -4055.9177 (zbar here is rounded to cents)
    assert model.log_likelihood_ == pytest.approx(-4055.92, abs=0.01)


@needs_cdnow
def test_gamma_gamma_expected_spend_of_the_first_ten_customers() -> None:
    data = summary().head(10)
    expected = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17]
    actual = fitted_gg().expected_average_value(data["x"], data["zbar"])
    np.testing.assert_allclose(actual, expected, atol=0.1)


def test_gamma_gamma_uses_the_population_mean_without_repeat_spend() -> None:
    model = GammaGammaModel.from_params(p=6.0, q=3.0, v=10.0)
    np.testing.assert_allclose(model.expected_average_value([0, 0], [np.nan, 0.0]), [30.0, 30.0])
    # w = px/(px+q−1) = 12/14
    assert model.expected_average_value([2], [40.0])[0] == pytest.approx(2 / 14 * 30 + 12 / 14 * 40)


# --- the summary from transactions ------------------------------------------------------------


@needs_cdnow
def test_summary_of_cdnow_master_reproduces_the_published_summary() -> None:
    master = pd.read_csv(
        CDNOW / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str}
    )
    sample = pd.read_csv(
        CDNOW / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "sample_id", "date", "cds", "value"],
        dtype={"master_id": str},
    )
    sample_ids = sample.drop_duplicates("master_id").set_index("master_id")["sample_id"]
    orders = master[master["customer_id"].isin(sample_ids.index)]
    result = clv_summary(
        orders,
        customer="customer_id",
        time="date",
        amount="dollar_value",
        as_of=CALIBRATION_END,
    )
    result.index = result.index.map(sample_ids)
    result = result.sort_index()
    published = summary()
    assert list(result.columns) == SUMMARY_COLUMNS
    assert result.index.tolist() == published.index.tolist()
    assert result["frequency"].tolist() == published["x"].tolist()
    # the published recency and T are rounded to 2 dp
    np.testing.assert_array_equal(result["recency"].round(2), published["t_x"])
    np.testing.assert_array_equal(result["T"].round(2), published["T"])
    repeat = published["x"] > 0
    np.testing.assert_allclose(result["monetary"][repeat], published["zbar"][repeat], atol=0.0051)
    assert result["monetary"][~repeat].isna().all()


def test_summary_merges_same_day_orders_and_ignores_orders_from_as_of() -> None:
    orders = pd.DataFrame(
        {
            "who": ["a", "a", "a", "b", "b", "c"],
            "at": pd.to_datetime(
                ["2024-03-01 09:00", "2024-03-01 18:00", "2024-03-04 10:00"]
                + ["2024-03-02 12:00", "2024-03-11 00:00", "2024-03-12 08:00"]
            ),
            "value": [10.0, 5.0, 7.0, 3.0, 100.0, 1.0],
        }
    )
    result = clv_summary(
        orders,
        customer="who",
        time="at",
        amount="value",
        as_of=pd.Timestamp("2024-03-11"),
        unit="D",
    )
    # a: days 1 and 4 (the two orders of day 1 are one transaction); b: its 03-11 order is at
    # as_of; c: first order after as_of, absent.  Last observed day 03-10.
    expected = pd.DataFrame(
        {
            "frequency": [1, 0],
            "recency": [3.0, 0.0],
            "T": [9.0, 8.0],
            "monetary": [7.0, np.nan],
        },
        index=pd.Index(["a", "b"], name="who"),
    )
    pd.testing.assert_frame_equal(result, expected)
    weeks = clv_summary(
        orders, customer="who", time="at", amount="value", as_of=pd.Timestamp("2024-03-11")
    )
    np.testing.assert_allclose(weeks["T"], [9 / 7, 8 / 7])


def test_summary_validates_its_input() -> None:
    orders = pd.DataFrame({"who": ["a"], "at": ["2024-01-01"], "value": [1.0]})
    kwargs = {"customer": "who", "time": "at", "amount": "value", "as_of": pd.Timestamp("2024-02")}
    with pytest.raises(ValueError, match="value"):
        clv_summary(orders.drop(columns="value"), **kwargs)
    with pytest.raises(ValueError, match="value"):
        clv_summary(orders.assign(value=-1.0), **kwargs)
    with pytest.raises(ValueError, match="at"):
        clv_summary(orders.assign(at="not a date"), **kwargs)
    with pytest.raises(ValueError, match="unit"):
        clv_summary(orders, unit="M", **kwargs)


# --- CLV --------------------------------------------------------------------------------------


def test_one_undiscounted_month_is_expected_purchases_times_expected_spend() -> None:
    bg = BetaGeoModel.from_params(**PAPER)
    gg = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    history = ([2, 0], [30.43, 0.0], [38.86, 20.0], [22.35, np.nan])
    clv = customer_lifetime_value(bg, gg, *history, horizon_months=1, monthly_discount=0.0)
    purchases = bg.expected_purchases(4.345, *history[:3])
    spend = gg.expected_average_value(history[0], history[3])
    np.testing.assert_allclose(clv, purchases * spend)
    # two months at 10 %: the second month's purchases are discounted twice
    clv2 = customer_lifetime_value(bg, gg, *history, horizon_months=2, monthly_discount=0.1)
    two = bg.expected_purchases(2 * 4.345, *history[:3])
    np.testing.assert_allclose(clv2, (purchases / 1.1 + (two - purchases) / 1.1**2) * spend)


@needs_cdnow
def test_clv_of_cdnow_customers_is_finite_and_grows_with_the_horizon() -> None:
    data = summary()
    args = (fitted_bg(), fitted_gg(), data["x"], data["t_x"], data["T"], data["zbar"])
    year = customer_lifetime_value(*args)
    two_years = customer_lifetime_value(*args, horizon_months=24)
    assert np.isfinite(year).all() and (year > 0).all()
    assert (two_years > year).all()


# --- fitting and prediction boundaries ---------------------------------------------------------


def test_predicting_before_fitting_raises() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        BetaGeoModel().probability_alive([1], [1], [2])
    with pytest.raises(NotFittedError, match="fit"):
        GammaGammaModel().expected_average_value([1], [10.0])


def test_fit_and_predict_validate_the_history() -> None:
    model = BetaGeoModel.from_params(**PAPER)
    with pytest.raises(ValueError, match="recency must not exceed T"):
        BetaGeoModel().fit([1], [5], [3])
    with pytest.raises(ValueError, match="frequency must be whole"):
        model.probability_alive([1.5], [1], [3])
    with pytest.raises(ValueError, match="values"):
        model.probability_alive([1, 2], [1], [3])
    with pytest.raises(ValueError, match="recency must be 0"):
        model.probability_alive([0], [1], [3])
    with pytest.raises(ValueError, match="t must be"):
        model.expected_purchases(-1, [1], [1], [3])
    with pytest.raises(ValueError, match="positive"):
        BetaGeoModel.from_params(r=0.0, alpha=1.0, a=1.0, b=1.0)
    with pytest.raises(ValueError, match="q > 1"):
        GammaGammaModel.from_params(p=1.0, q=1.0, v=1.0)
    with pytest.raises(ValueError, match="repeat"):
        GammaGammaModel().fit([0, 0], [np.nan, np.nan])
    gg = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    with pytest.raises(ValueError, match="horizon_months"):
        customer_lifetime_value(model, gg, [1], [1], [3], [10.0], horizon_months=0)


def test_fit_does_not_depend_on_row_order() -> None:
    x = np.array([2, 1, 0, 0, 3, 1, 0, 5])
    t_x = np.array([30.0, 2.0, 0.0, 0.0, 35.0, 20.0, 0.0, 38.0])
    age = np.full(8, 39.0)
    order = np.random.default_rng(7).permutation(8)
    one = BetaGeoModel().fit(x, t_x, age)
    other = BetaGeoModel().fit(x[order], t_x[order], age[order])
    assert params(one) == params(other)
    assert one.log_likelihood_ == pytest.approx(
        float(one.log_likelihood(x, t_x, age).sum()), rel=1e-12
    )


def test_summary_from_totals_equals_the_summary_of_transactions() -> None:
    """Totals reduced elsewhere (SQL) give the same summary as the transactions themselves."""
    transactions = pd.DataFrame({
        "customer": ["a", "a", "a", "a", "b", "c", "c"],
        "day": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-02-01",
                               "2024-01-20", "2024-01-03", "2024-01-31"]),
        "amount": [10.0, 5.0, 30.0, 20.0, 7.0, 4.0, 0.0],
    })  # fmt: skip
    as_of = pd.Timestamp("2024-02-10")
    expected = clv_summary(transactions, customer="customer", time="day", amount="amount",
                           as_of=as_of, unit="D")  # fmt: skip
    daily = transactions.groupby(["customer", "day"])["amount"].sum().reset_index()
    per = daily.groupby("customer")
    totals = pd.DataFrame({"first_day": per["day"].min(), "last_day": per["day"].max(),
                           "days": per["day"].size(), "value": per["amount"].sum(),
                           "first_value": per["amount"].first()})  # fmt: skip
    got = clv_summary_from_totals(totals, as_of=as_of, unit="D")
    pd.testing.assert_frame_equal(got, expected, check_names=False)
    # repeats on 15 Jan and 1 Feb: (30 + 20) / 2; T to 9 Feb, the last day before as_of
    assert got.loc["a"].tolist() == [2.0, 31.0, 39.0, 25.0]


def test_empirical_spend_is_the_fallback_value_of_a_purchase() -> None:
    model = EmpiricalSpendModel().fit([0, 1, 3, 2], [0.0, 40.0, 20.0, 0.0])
    assert model.mean_ == 30.0
    assert model.expected_average_value([0, 1, 3], [0.0, 40.0, 20.0]).tolist() == [30.0, 40.0, 20.0]
    with pytest.raises(NotFittedError):
        EmpiricalSpendModel().expected_average_value([1], [1.0])


def test_expected_purchases_with_nearly_equal_dropout() -> None:
    """a and b in the hundreds of thousands (a dropout probability nearly the same for every
    customer, as the demo's data fit): the Euler form overflows, the direct form is used, and
    the expectation is continuous with a less concentrated prior of the same mean."""
    history = ([10, 0, 233], [60.0, 0.0, 150.0], [90.0, 40.0, 155.0])
    sharp = ModifiedBetaGeoModel.from_params(r=2.0996, alpha=10.253, a=255989.85, b=12076956.8)
    broad = ModifiedBetaGeoModel.from_params(r=2.0996, alpha=10.253, a=2559.8985, b=120769.568)
    expected = sharp.expected_purchases(52.14, *history)
    assert np.isfinite(expected).all()
    assert expected == pytest.approx(broad.expected_purchases(52.14, *history), rel=0.01)
