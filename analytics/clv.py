"""Customer lifetime value: BG/NBD, MBG/NBD and Gamma-Gamma models (METRICS.md "CLV").

The buy-till-you-die models of methods.md §4.5–4.9, fitted by maximum likelihood with scipy:

* :func:`clv_summary` turns transactions into the per-customer ``frequency`` (x, repeat
  purchase days), ``recency`` (t_x), ``T`` (age) and ``monetary`` (mean repeat spend);
* :class:`BetaGeoModel` is the BG/NBD of Fader, Hardie & Lee (2005): purchases at a gamma-mixed
  Poisson rate, after each purchase the customer drops out with a beta-mixed probability.  Its
  ``P(alive)`` is 1 for every customer without a repeat purchase (a model property);
* :class:`ModifiedBetaGeoModel` is the MBG/NBD of Batislam et al. (2007) (lifetimes
  ``ModifiedBetaGeoFitter``): the customer may also drop out at the first purchase, so
  ``P(alive) < 1`` for one-time buyers too — :func:`churn_risk` uses it;
* :class:`GammaGammaModel` is the spend model of Fader & Hardie (2013, note 025);
* :func:`customer_lifetime_value` discounts the expected purchases times the expected spend
  month by month.

Times are in the unit of the summary (weeks for CDNOW); the models never see a date.  Fits run
on the distinct input rows with their counts as weights (a 2,357-customer CDNOW book has about
1,000 distinct ``(x, t_x, T)`` rows), so a fit takes a fraction of a second.

A maintained library (pymc-marketing) was not used: it brings PyMC, PyTensor, ArviZ and some
30 other packages into the app for four closed-form likelihoods (README).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, Literal, Self

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, special

from analytics.grouped import require_columns

__all__ = [
    "SUMMARY_COLUMNS",
    "WEEKS_PER_MONTH",
    "BetaGeoModel",
    "EmpiricalSpendModel",
    "GammaGammaModel",
    "ModifiedBetaGeoModel",
    "NotFittedError",
    "churn_risk",
    "clv_summary",
    "clv_summary_from_totals",
    "customer_lifetime_value",
]

#: Columns of :func:`clv_summary`.
SUMMARY_COLUMNS = ["frequency", "recency", "T", "monetary"]
#: Weeks in an average month (365.25 / 12 / 7, rounded as lifetimes does).
WEEKS_PER_MONTH = 4.345

_DAYS_PER_UNIT = {"D": 1.0, "W": 7.0}


class NotFittedError(RuntimeError):
    """A model was asked for a prediction before :meth:`fit` (or ``from_params``)."""


def clv_summary(
    transactions: pd.DataFrame,
    *,
    customer: str,
    time: str,
    amount: str,
    as_of: datetime | pd.Timestamp,
    unit: Literal["D", "W"] = "W",
) -> pd.DataFrame:
    """Per-customer ``frequency``, ``recency``, ``T`` and ``monetary`` for the CLV models.

    A *transaction* is a customer's calendar day with at least one order (several orders on the
    same day are one transaction, their amounts summed: lifetimes #91).  Only orders before
    ``as_of`` count; the last observed day is the day of the instant just before ``as_of``
    (lifetimes' ``observation_period_end``: ``as_of`` = 1997-10-01 00:00 observes up to
    1997-09-30 included).

    Parameters
    ----------
    transactions : DataFrame
        One row per order.
    customer, time, amount : str
        Column names: customer key, order time (datetime, or text ``pd.to_datetime`` reads),
        order value (non-negative, money).
    as_of : datetime
        End of the observation, exclusive.
    unit : {"W", "D"}
        Time unit of ``recency`` and ``T``: weeks (days / 7, as CDNOW) or days.

    Returns
    -------
    DataFrame
        Indexed by customer (sorted), customers with an order before ``as_of`` only:
        ``frequency`` int (x: transactions − 1), ``recency`` float (t_x: last − first
        transaction day, in ``unit``), ``T`` float (last observed day − first transaction day),
        ``monetary`` float (mean value of the *repeat* transactions, the first one left out;
        **NaN** for x = 0, where lifetimes gives 0: a mean of nothing is missing).

    Raises
    ------
    ValueError
        A missing column, an unknown ``unit``, a missing customer or time, a time that is not
        a date, or a missing, infinite or negative amount (naming the column).

    Examples
    --------
    >>> orders = pd.DataFrame({
    ...     "client": ["a", "a", "a", "a", "b"],
    ...     "at": ["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-08 12:00", "2024-01-15 10:30",
    ...            "2024-01-15 08:00"],
    ...     "value": [5.0, 5.0, 20.0, 30.0, 8.0],
    ... })
    >>> clv_summary(orders, customer="client", time="at", amount="value",
    ...             as_of=pd.Timestamp("2024-01-30"))  # doctest: +NORMALIZE_WHITESPACE
            frequency  recency    T  monetary
    client
    a               2      2.0  4.0      25.0
    b               0      0.0  2.0       NaN
    """
    require_columns(transactions, [customer, time, amount], "transactions")
    if unit not in _DAYS_PER_UNIT:
        raise ValueError(f"unit must be 'W' or 'D', got {unit!r}")
    if transactions[customer].isna().any():
        raise ValueError(f"the column {customer} has missing customers")
    try:
        times = pd.to_datetime(transactions[time])
    except (ValueError, TypeError) as error:
        raise ValueError(f"the column {time} must hold dates: {error}") from error
    if times.isna().any():
        raise ValueError(f"the column {time} has missing times")
    values = pd.to_numeric(transactions[amount], errors="coerce").to_numpy("float64")
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError(f"the column {amount} must hold finite, non-negative amounts")
    end = pd.Timestamp(as_of)
    keep = (times < end).to_numpy(bool)
    days = pd.DataFrame(
        {
            "customer": transactions[customer].to_numpy()[keep],
            "day": times.dt.floor("D").to_numpy()[keep],
            "value": values[keep],
        }
    )
    daily = days.groupby(["customer", "day"], sort=True)["value"].sum().reset_index()
    per = daily.groupby("customer", sort=True)
    totals = pd.DataFrame(
        {
            "first_day": per["day"].min(),
            "last_day": per["day"].max(),
            "days": per["day"].size(),
            "value": per["value"].sum(),
            "first_value": per["value"].first(),  # days are sorted: the first day's value
        }
    )
    summary = clv_summary_from_totals(totals, as_of=end, unit=unit)
    summary.index.name = customer
    return summary


def clv_summary_from_totals(
    totals: pd.DataFrame, *, as_of: datetime | pd.Timestamp, unit: Literal["D", "W"] = "W"
) -> pd.DataFrame:
    """The summary of :func:`clv_summary` from per-customer totals reduced elsewhere (in SQL).

    Parameters
    ----------
    totals : DataFrame
        Indexed by customer: ``first_day``, ``last_day`` (datetime64 days of the first and the
        last transaction before ``as_of``), ``days`` (distinct transaction days), ``value``
        (Σ amounts) and ``first_value`` (Σ amounts of the first day).
    as_of : datetime
        The exclusive end of the observation, as in :func:`clv_summary`.
    unit : {"W", "D"}
        Time unit of ``recency`` and ``T``.

    Returns
    -------
    DataFrame
        As :func:`clv_summary`: ``frequency``, ``recency``, ``T``, ``monetary``.
    """
    require_columns(totals, ["first_day", "last_day", "days", "value", "first_value"], "totals")
    if unit not in _DAYS_PER_UNIT:
        raise ValueError(f"unit must be 'W' or 'D', got {unit!r}")
    end = pd.Timestamp(as_of)
    first, last = pd.to_datetime(totals["first_day"]), pd.to_datetime(totals["last_day"])
    last_observed = (end - pd.Timedelta(1, "ns")).floor("D")
    per_unit = _DAYS_PER_UNIT[unit]
    repeats = (totals["days"] - 1).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = (totals["value"] - totals["first_value"]) / repeats.where(repeats > 0)
    return pd.DataFrame(
        {
            "frequency": repeats,
            "recency": (last - first).dt.days / per_unit,
            "T": (last_observed - first).dt.days / per_unit,
            "monetary": monetary.astype("float64"),
        },
        index=totals.index,
    )


def _rows(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, t_x, T)`` as float arrays, checked: same length, whole x ≥ 0, 0 ≤ t_x ≤ T."""
    x, t_x, age = (np.asarray(v, dtype="float64").reshape(-1) for v in (frequency, recency, T))
    if not len(x) == len(t_x) == len(age):
        raise ValueError(f"frequency, recency, T have {len(x)}, {len(t_x)}, {len(age)} values")
    for name, array in (("frequency", x), ("recency", t_x), ("T", age)):
        if not np.isfinite(array).all() or (array < 0).any():
            raise ValueError(f"{name} must be finite and non-negative")
    if (x != np.round(x)).any():
        raise ValueError("frequency must be whole counts")
    if (t_x > age + 1e-9).any():
        raise ValueError("recency must not exceed T")
    if (t_x[x == 0] != 0).any():
        raise ValueError("recency must be 0 where frequency is 0")
    return x, t_x, age


def _horizon(t: ArrayLike) -> np.ndarray:
    """Prediction horizon(s) ``t`` as a float array, checked finite and non-negative."""
    array = np.asarray(t, dtype="float64")
    if not np.isfinite(array).all() or (array < 0).any():
        raise ValueError("t must be finite and non-negative")
    return array


def _collapse(columns: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of ``columns`` and how many times each occurs (fit weights)."""
    unique, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
    return [unique[:, j] for j in range(unique.shape[1])], counts.astype("float64")


#: At most this many likelihood evaluations polish the L-BFGS-B optimum (Nelder–Mead).
POLISH_EVALUATIONS = 600


def _maximise(loss_of: Callable[[np.ndarray], float], start: np.ndarray) -> np.ndarray:
    """Minimiser of ``loss_of`` (a function of the log-parameters) from ``start``: L-BFGS-B,
    then Nelder–Mead from there to polish the optimum of the numerical-gradient run.
    """
    with np.errstate(invalid="ignore", over="ignore"):  # inf − inf in numerical gradients
        first = optimize.minimize(loss_of, start, method="L-BFGS-B")
        polished = optimize.minimize(
            loss_of,
            first.x,
            method="Nelder-Mead",
            # the loss is a sum over customers (10⁵ and more): its tolerance is relative; and
            # where the optimum lies on a ridge to infinity (BG/NBD's a, b → ∞ with a/(a+b)
            # fixed: no heterogeneity in drop-out) the simplex walks it for ever, gaining a
            # millionth of the loss: a bounded polish keeps the fit within seconds at 10⁵ rows
            options={
                "xatol": 1e-8,
                "fatol": 1e-12 * max(1.0, abs(float(first.fun))),
                "maxiter": POLISH_EVALUATIONS,
                "maxfev": POLISH_EVALUATIONS,
            },
        )
    best: np.ndarray = polished.x if polished.fun <= first.fun else first.x
    if not np.isfinite(loss_of(best)):
        raise RuntimeError("the likelihood maximisation failed (non-finite optimum)")
    return best


class _BetaGeoBase:
    """BG/NBD and MBG/NBD share everything but ``_SHIFT``: the number of dropout coin flips
    before the first repeat purchase (0 for BG/NBD: no flip at the first purchase; 1 for
    MBG/NBD).  With ``s = _SHIFT``, the beta parts of every formula use ``x + s``.
    """

    _SHIFT: ClassVar[int] = 0
    r_: float
    alpha_: float
    a_: float
    b_: float
    log_likelihood_: float

    @classmethod
    def from_params(cls, r: float, alpha: float, a: float, b: float) -> Self:
        """A model with the given parameters, as if fitted (``log_likelihood_`` NaN).

        All four must be positive; ``a`` ≠ 1 for the expectations.
        """
        params = np.array([r, alpha, a, b], dtype="float64")
        if not np.isfinite(params).all() or (params <= 0).any():
            raise ValueError(f"r, alpha, a, b must be positive, got {params.tolist()}")
        model = cls()
        model._set(params, np.nan)
        return model

    def _set(self, params: np.ndarray, log_likelihood: float) -> None:
        self.r_, self.alpha_, self.a_, self.b_ = (float(p) for p in params)
        self.log_likelihood_ = float(log_likelihood)

    def _params(self) -> tuple[float, float, float, float]:
        if not hasattr(self, "r_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted: call fit() first")
        return self.r_, self.alpha_, self.a_, self.b_

    @classmethod
    def _log_likelihood(
        cls, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
    ) -> np.ndarray:
        r, alpha, a, b = params
        bx = b + x + cls._SHIFT
        a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        a2 = special.gammaln(a + b) + special.gammaln(bx) - special.gammaln(b)
        a2 -= special.gammaln(a + bx)
        a3 = -(r + x) * np.log(alpha + age)
        # dropped out after the last purchase; impossible for BG/NBD without a repeat purchase
        with np.errstate(divide="ignore"):
            a4 = np.log(a) - np.log(np.maximum(bx - 1.0, 0.0)) - (r + x) * np.log(alpha + t_x)
        a4 = np.where(x + cls._SHIFT >= 1, a4, -np.inf)
        ll: np.ndarray = a1 + a2 + np.logaddexp(a3, a4)
        return ll

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Self:
        """Maximum-likelihood fit on customers' ``(x, t_x, T)`` (:func:`clv_summary`).

        Identical rows are fitted once with their count as weight; the log-parameters are
        optimised from (0, 0, 0, 0), i.e. r = α = a = b = 1 (lifetimes' start).

        Parameters
        ----------
        frequency, recency, T : array-like
            Repeat purchases x, time of the last purchase t_x and age T (same time unit).

        Returns
        -------
        self
            With ``r_``, ``alpha_``, ``a_``, ``b_`` and ``log_likelihood_`` (the total).
        """
        rows, weights = _collapse(list(_rows(frequency, recency, T)))
        if len(weights) == 0:
            raise ValueError("fit needs at least one customer")

        def loss(log_params: np.ndarray) -> float:
            with np.errstate(over="ignore", invalid="ignore"):
                ll = self._log_likelihood(np.exp(log_params), *rows)
            value = -float(weights @ ll)
            return value if np.isfinite(value) else np.inf

        best = _maximise(loss, np.zeros(4))
        self._set(np.exp(best), -loss(best))
        return self

    def log_likelihood(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
        """Per-customer log-likelihood ``ln L(r, α, a, b | x, t_x, T)`` (log-sum-exp form).

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.25, alpha=4.0, a=0.8, b=2.5)
        >>> model.log_likelihood([0, 200], [0, 38], [40, 40]).round(4).tolist()
        [-0.5995, 100.7957]
        """
        return self._log_likelihood(np.array(self._params()), *_rows(frequency, recency, T))

    def _log_dropped_odds(self, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
        """``ln`` of P(dropped out)/P(alive) given the history (−inf where impossible)."""
        r, alpha, a, b = self._params()
        bx = b + x + self._SHIFT
        with np.errstate(divide="ignore"):
            odds = np.log(a) - np.log(np.maximum(bx - 1.0, 0.0))
        odds = odds + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
        result: np.ndarray = np.where(x + self._SHIFT >= 1, odds, -np.inf)
        return result

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """P(alive at T | x, t_x, T) per customer (Hardie note 021); 1 for x = 0 in BG/NBD.

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.probability_alive([2, 0], [30.43, 0], [38.86, 38.86]).round(4).tolist()
        [0.7266, 1.0]
        """
        alive: np.ndarray = special.expit(-self._log_dropped_odds(*_rows(frequency, recency, T)))
        return alive

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """E[X(t) | x, t_x, T]: expected purchases in the next ``t`` time units (FHL 2005 eq. 10).

        ``(1−z)^{r+x} ₂F₁(r+x, b+x+s; c; z)``, ``c = a+b+x+s−1``, ``z = t/(α+T+t)``, is
        evaluated in Euler's form ``(1−z)^{a−1} ₂F₁(a+b+s−1−r, a−1; c; z)``, whose first two
        parameters do not grow with x: no overflow for heavy buyers (lifetimes' fallback); where
        that form overflows (``a`` and ``b`` in the thousands), in the direct one.

        Parameters
        ----------
        t : float or array-like
            Horizon (≥ 0), one for all customers or one per customer.
        frequency, recency, T : array-like
            The customers' history.

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.expected_purchases(39, [2], [30.43], [38.86]).round(3).tolist()
        [1.226]
        """
        r, alpha, a, b = self._params()
        x, t_x, age = _rows(frequency, recency, T)
        horizon = _horizon(t)
        c = a + b + x + self._SHIFT - 1.0
        z = horizon / (alpha + age + horizon)
        with np.errstate(invalid="ignore", over="ignore"):
            euler = np.exp((a - 1.0) * np.log1p(-z)) * special.hyp2f1(
                a + b + self._SHIFT - 1.0 - r, a - 1.0, c, z
            )
            # with a and b in the thousands (dropout nearly the same for everyone) the Euler
            # form overflows where the direct form converges: take that one there
            direct = np.exp((r + x) * np.log1p(-z)) * special.hyp2f1(
                r + x, b + x + self._SHIFT, c, z
            )
        euler = np.where(np.isfinite(euler), euler, direct)
        alive = special.expit(-self._log_dropped_odds(x, t_x, age))
        expected: np.ndarray = np.maximum(c / (a - 1.0) * (1.0 - euler) * alive, 0.0)
        return expected

    def unconditional_expected_purchases(self, t: ArrayLike) -> np.ndarray:
        """E[X(t)] of a new customer (bought at time 0): the conditional one at x = t_x = T = 0.

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.2426, alpha=4.4135, a=0.7929, b=2.4258)
        >>> model.unconditional_expected_purchases([1, 78]).round(3).tolist()
        [0.053, 1.858]
        """
        horizon = np.atleast_1d(_horizon(t))
        zeros = np.zeros(len(horizon.reshape(-1)))
        expected = self.expected_purchases(horizon.reshape(-1), zeros, zeros, zeros)
        return expected.reshape(horizon.shape)

    def probability_of_n_purchases(self, t: ArrayLike, n: int) -> np.ndarray:
        """P(X(t) = n) for a new customer, FHL 2005 eq. 8 (Batislam et al. for MBG/NBD).

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(float(model.probability_of_n_purchases(39, 0)[0]), 4)
        0.5738
        """
        r, alpha, a, b = self._params()
        if n < 0 or int(n) != n:
            raise ValueError(f"n must be a whole number ≥ 0, got {n}")
        horizon = np.atleast_1d(_horizon(t)).astype("float64")
        j = np.arange(n + 1, dtype="float64")[:, None]
        with np.errstate(divide="ignore"):
            log_nbd = (
                special.gammaln(r + j)
                - special.gammaln(r)
                - special.gammaln(j + 1.0)
                + r * np.log(alpha / (alpha + horizon))
                + j * np.log(horizon / (alpha + horizon))
            )
        nbd = np.exp(log_nbd)
        bn = b + n + self._SHIFT
        alive: np.ndarray = np.exp(special.betaln(a, bn) - special.betaln(a, b)) * nbd[n]
        if n + self._SHIFT < 1:
            return alive
        dropped = np.exp(special.betaln(a + 1.0, bn - 1.0) - special.betaln(a, b))
        result: np.ndarray = alive + dropped * (1.0 - nbd[:n].sum(axis=0))
        return result


class BetaGeoModel(_BetaGeoBase):
    """BG/NBD (Fader, Hardie & Lee 2005): repeat purchases and P(alive) per customer.

    Fitted attributes: ``r_``, ``alpha_`` (gamma purchase rate, α in the time unit), ``a_``,
    ``b_`` (beta dropout probability) and ``log_likelihood_``.  ``P(alive) = 1`` for every
    customer without a repeat purchase — use :class:`ModifiedBetaGeoModel` for churn risk.

    Examples
    --------
    >>> model = BetaGeoModel().fit([2, 1, 0, 0, 3, 1], [30, 2, 0, 0, 35, 20], [39] * 6)
    >>> model.r_ > 0, model.log_likelihood_ < 0
    (True, True)
    """


class ModifiedBetaGeoModel(_BetaGeoBase):
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007; lifetimes ``ModifiedBetaGeoFitter``).

    As :class:`BetaGeoModel`, but the customer may also drop out right at the first purchase,
    so ``P(alive) = 1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^{r+x}) < 1`` for x = 0 as well.
    """

    _SHIFT: ClassVar[int] = 1


class GammaGammaModel:
    """Gamma-Gamma spend model (Fader & Hardie 2013, note 025; lifetimes ``GammaGammaFitter``).

    The value of a customer's transactions is gamma(p, ν) with ν ~ gamma(q, γ) across
    customers; it assumes spend independent of frequency (check ``corr(x, m̄)``, methods.md
    §4.7).  Fitted attributes ``p_``, ``q_``, ``v_`` (γ, money) and ``log_likelihood_``;
    ``q > 1`` is enforced (``q = 1 + e^θ``) so that the mean spend ``pν/(q−1)`` exists.

    Examples
    --------
    >>> model = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    >>> model.expected_average_value([2, 0], [22.35, np.nan]).round(2).tolist()
    [24.66, 35.22]
    """

    p_: float
    q_: float
    v_: float
    log_likelihood_: float

    @classmethod
    def from_params(cls, p: float, q: float, v: float) -> Self:
        """A model with the given parameters, as if fitted (``log_likelihood_`` NaN)."""
        if not (np.isfinite([p, q, v]).all() and p > 0 and q > 1 and v > 0):
            raise ValueError(f"need p > 0, q > 1, v > 0, got {p}, {q}, {v}")
        model = cls()
        model.p_, model.q_, model.v_, model.log_likelihood_ = float(p), float(q), float(v), np.nan
        return model

    def _params(self) -> tuple[float, float, float]:
        if not hasattr(self, "p_"):
            raise NotFittedError("GammaGammaModel is not fitted: call fit() first")
        return self.p_, self.q_, self.v_

    @staticmethod
    def _spend(frequency: ArrayLike, monetary: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(frequency, dtype="float64").reshape(-1)
        m = np.asarray(monetary, dtype="float64").reshape(-1)
        if len(x) != len(m):
            raise ValueError(f"frequency has {len(x)} values, monetary has {len(m)}")
        if not np.isfinite(x).all() or (x < 0).any() or (x != np.round(x)).any():
            raise ValueError("frequency must be whole, non-negative counts")
        if (m < 0).any():
            raise ValueError("monetary must not be negative")
        return x, m

    def fit(self, frequency: ArrayLike, monetary: ArrayLike) -> Self:
        """Maximum-likelihood fit on the customers with x > 0 and m̄ > 0 (others are skipped).

        Parameters
        ----------
        frequency, monetary : array-like
            Repeat transactions x and their mean value m̄ (:func:`clv_summary`).
        """
        x, m = self._spend(frequency, monetary)
        usable = (x > 0) & (m > 0)
        if not usable.any():
            raise ValueError("fit needs customers with repeat transactions and positive spend")
        (x, m), weights = _collapse([x[usable], m[usable]])

        def loss(theta: np.ndarray) -> float:
            p, q, v = np.exp(theta[0]), 1.0 + np.exp(theta[1]), np.exp(theta[2])
            px = p * x
            ll = (
                special.gammaln(px + q)
                - special.gammaln(px)
                - special.gammaln(q)
                + q * np.log(v)
                + (px - 1.0) * np.log(m)
                + px * np.log(x)
                - (px + q) * np.log(x * m + v)
            )
            value = -float(weights @ ll)
            return value if np.isfinite(value) else np.inf

        best = _maximise(loss, np.zeros(3))
        self.p_, self.q_, self.v_ = np.exp(best[0]), 1.0 + np.exp(best[1]), np.exp(best[2])
        self.log_likelihood_ = -loss(best)
        return self

    def expected_average_value(self, frequency: ArrayLike, monetary: ArrayLike) -> np.ndarray:
        """E[M | x, m̄] = (1−w)·pν/(q−1) + w·m̄, w = px/(px+q−1): the expected spend per
        transaction (money); the population mean pν/(q−1) for x = 0 (m̄ is then ignored).
        """
        p, q, v = self._params()
        x, m = self._spend(frequency, monetary)
        weight = p * x / (p * x + q - 1.0)
        mean = p * v / (q - 1.0)
        own = np.where(x > 0, np.nan_to_num(m), 0.0)
        expected: np.ndarray = (1.0 - weight) * mean + weight * own
        return expected


class EmpiricalSpendModel:
    """The value of a future purchase without a spend model: a repeat buyer's own mean repeat
    purchase, everyone else's the mean over the repeat buyers.

    The fallback when the Gamma-Gamma model does not fit the data (its ``q`` runs to 1, so the
    population mean ``pν/(q−1)`` is unbounded: spend with a tail too heavy for the model).

    Examples
    --------
    >>> model = EmpiricalSpendModel().fit([0, 2, 4], [0.0, 10.0, 30.0])
    >>> model.mean_, model.expected_average_value([0, 2], [0.0, 10.0]).tolist()
    (20.0, [20.0, 10.0])
    """

    def __init__(self) -> None:
        self.mean_: float | None = None

    def fit(self, frequency: ArrayLike, monetary: ArrayLike) -> Self:
        """Learn the repeat buyers' mean repeat purchase (``frequency > 0``, ``monetary > 0``)."""
        x, m = GammaGammaModel._spend(frequency, monetary)
        repeat = (x > 0) & (m > 0)
        if not repeat.any():
            raise ValueError("fit needs customers with repeat transactions and positive spend")
        self.mean_ = float(m[repeat].mean())
        return self

    def expected_average_value(self, frequency: ArrayLike, monetary: ArrayLike) -> np.ndarray:
        """A repeat buyer's own mean, else the repeat buyers' mean."""
        if self.mean_ is None:
            raise NotFittedError("EmpiricalSpendModel is not fitted: call fit() first")
        x, m = GammaGammaModel._spend(frequency, monetary)
        return np.where((x > 0) & (m > 0), m, self.mean_)


def customer_lifetime_value(
    transaction_model: BetaGeoModel | ModifiedBetaGeoModel,
    spend_model: GammaGammaModel | EmpiricalSpendModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary: ArrayLike,
    *,
    horizon_months: int = 12,
    monthly_discount: float = 0.01,
    unit_per_month: float = WEEKS_PER_MONTH,
) -> np.ndarray:
    """Discounted expected spend over the next ``horizon_months`` (METRICS.md "CLV").

    ``Σ_{k=1..H} (E[X(k·f)] − E[X((k−1)·f)]) · E[M] / (1+d)^k`` (methods.md §4.5; lifetimes
    ``_customer_lifetime_value``), f = ``unit_per_month`` (4.345 for weeks, 30 for days).  The
    Gamma-Gamma model predicts spend, not margin: multiply by a margin for profit.

    Parameters
    ----------
    transaction_model : BetaGeoModel or ModifiedBetaGeoModel
        Fitted purchase model.
    spend_model : GammaGammaModel or EmpiricalSpendModel
        Fitted spend model.
    frequency, recency, T, monetary : array-like
        The customers' summary (:func:`clv_summary`).
    horizon_months : int
        H, months ahead (≥ 1).
    monthly_discount : float
        d, the discount rate per month (≥ 0).
    unit_per_month : float
        Time units of ``recency``/``T`` in a month.

    Returns
    -------
    ndarray
        CLV per customer, in money.

    Examples
    --------
    >>> bg = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> gg = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    >>> clv = customer_lifetime_value(bg, gg, [2], [30.43], [38.86], [22.35])
    >>> round(float(clv[0]), 2)
    36.29
    """
    if horizon_months < 1 or int(horizon_months) != horizon_months:
        raise ValueError(f"horizon_months must be a whole number ≥ 1, got {horizon_months}")
    if not (np.isfinite(monthly_discount) and monthly_discount >= 0):
        raise ValueError(f"monthly_discount must be ≥ 0, got {monthly_discount}")
    if not (np.isfinite(unit_per_month) and unit_per_month > 0):
        raise ValueError(f"unit_per_month must be positive, got {unit_per_month}")
    spend = spend_model.expected_average_value(frequency, monetary)
    x, t_x, age = _rows(frequency, recency, T)
    if len(spend) != len(x):
        raise ValueError(f"monetary has {len(spend)} values, frequency has {len(x)}")
    value = np.zeros(len(x))
    previous = np.zeros(len(x))
    for month in range(1, int(horizon_months) + 1):
        cumulative = transaction_model.expected_purchases(month * unit_per_month, x, t_x, age)
        value += (cumulative - previous) * spend / (1.0 + monthly_discount) ** month
        previous = cumulative
    return value


def churn_risk(
    model: ModifiedBetaGeoModel, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """1 − P(alive) under the MBG/NBD (methods.md §4.6), in [0, 1].

    The BG/NBD would call every one-time buyer certainly alive (its P(alive) is 1 for x = 0),
    so only the modified model is accepted.

    Examples
    --------
    >>> mbg = ModifiedBetaGeoModel.from_params(r=0.525, alpha=6.183, a=0.891, b=1.614)
    >>> churn_risk(mbg, [0, 2], [0.0, 30.43], [38.86, 38.86]).round(3).tolist()
    [0.61, 0.294]
    """
    if not isinstance(model, ModifiedBetaGeoModel):
        raise TypeError(
            f"churn_risk needs a ModifiedBetaGeoModel, got {type(model).__name__} "
            "(the BG/NBD calls every customer without a repeat purchase alive)"
        )
    return 1.0 - model.probability_alive(frequency, recency, T)
