"""Forecasting models of a monthly series, one interface, with guards (METRICS.md "Forecasts",
"Candidates", "Guards"; methods.md §5.2, §5.5, §5.6).

The candidates (:data:`MODELS`):

* ``seasonal_naive``: each month as the same month a year before; intervals from the in-sample
  seasonal naive residuals, widening with the square root of the number of seasons ahead
  (Hyndman & Athanasopoulos, *FPP3* §5.5).  With 12 months or fewer it is the naive
  forecast (the last value, period 1);
* ``ets``: statsmodels ``ETSModel``, the lowest AICc of a small set — ETS(A,N,N) and
  ETS(A,Ad,N); with ≥ 24 months also ETS(A,N,A) and ETS(A,Ad,A), and, when every value is
  positive, ETS(M,N,M) and ETS(M,Ad,M).  statsmodels has no automatic ETS; the full
  15-model search costs about 3 s a series (methods.md §5.5), this set about 0.03 s (M3
  monthly, ``bench/m3.py``) with the heuristic initial states (used from 24 months, where
  statsmodels allows them);
* ``theta``: statsmodels ``ThetaModel`` (θ = 2, Hyndman & Billah 2003), deseasonalised by
  classical decomposition when its seasonality test at lag 12 passes (10 %), with 24 months
  or more.  The test reads the raw series, as M3's and M4's Theta do, so a strong trend can
  hide the seasonality; the backtest then ranks Theta low;
* ``sarimax``: statsmodels ``SARIMAX(1,1,1)(0,1,1)12`` with ≥ 24 months, ``(1,1,1)`` without
  seasonal part below.

:func:`forecast_with` fits one and checks its forecast; :func:`guarded_forecast` tries the
candidates in order and keeps the first that passes, saying which were rejected and why.
Fits are deterministic (simulated ETS intervals use a fixed seed) and statsmodels' convergence
and numerical warnings are silenced inside them: the guards judge the result.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from statistics import NormalDist
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from statsmodels.tools.sm_exceptions import ConvergenceWarning, ValueWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.statespace.sarimax import SARIMAX
from threadpoolctl import ThreadpoolController

from analytics.forecast_series import MONTHS_PER_YEAR, has_two_seasons

__all__ = [
    "EXPLODE_FACTOR",
    "FALLBACK_REASONS",
    "MODELS",
    "FittedForecast",
    "ForecastRejected",
    "ModelForecast",
    "ModelFunction",
    "Rejection",
    "forecast_with",
    "forget_fits",
    "guarded_forecast",
]

#: A forecast above this multiple of the historical maximum is rejected ("explodes").
EXPLODE_FACTOR = 3.0
#: Machine-readable reason of a rejection -> what it means (English; the UI translates by key).
FALLBACK_REASONS: dict[str, str] = {
    "nan": "the forecast or its interval is not a number",
    "negative": "the forecast is negative",
    "explodes": f"the forecast exceeds {EXPLODE_FACTOR:g} × the historical maximum",
    "fit_error": "the model could not be fitted",
}
#: Seed of the simulated prediction intervals of multiplicative ETS models.
_SIMULATION_SEED = 0


class FittedForecast(NamedTuple):
    """What a model function of :data:`MODELS` returns, before the guards.

    Attributes
    ----------
    mean, lower, upper : ndarray
        Point forecast and interval bounds, one value per month ahead.
    spec : str
        The fitted specification, e.g. ``"ETS(A,Ad,A)"``.
    note : str
        How it was chosen or fitted (English).
    """

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    spec: str
    note: str


#: A model: ``(y, h, m, level) -> FittedForecast``.
ModelFunction = Callable[[np.ndarray, int, int, float], FittedForecast]


@dataclass(frozen=True)
class Rejection:
    """A candidate's forecast the guards (or the fit) rejected.

    Attributes
    ----------
    model : str
        The candidate's name (a key of :data:`MODELS`).
    reason : str
        A key of :data:`FALLBACK_REASONS`: ``"nan"``, ``"negative"``, ``"explodes"`` or
        ``"fit_error"``.
    detail : str
        One English sentence with the numbers, e.g. ``"ets rejected: the forecast exceeds
        3 × the historical maximum (max 31,000 > 3 × 1,000)."``.
    """

    model: str
    reason: str
    detail: str


class ForecastRejected(ValueError):
    """No acceptable forecast: every candidate tried was rejected (``rejections``, in order)."""

    def __init__(self, rejections: Sequence[Rejection]) -> None:
        self.rejections = tuple(rejections)
        super().__init__(" ".join(r.detail for r in self.rejections))


@dataclass(frozen=True, eq=False)
class ModelForecast:
    """A forecast that passed the guards.

    Attributes
    ----------
    mean, lower, upper : ndarray
        float64, one value per month ahead (month 1 first): the point forecast and the bounds
        of the ``level`` prediction interval, in the series' unit.  For a non-negative series
        (revenue) the lower bound is cut at 0.
    model : str
        The candidate that made it (a key of :data:`MODELS`).
    spec : str
        Its fitted specification, e.g. ``"ETS(A,Ad,A)"``, ``"SARIMAX(1,1,1)(0,1,1,12)"``.
    level : float
        Coverage of the interval, e.g. 0.9.
    note : str
        English sentences: which candidates were rejected and why (with the numbers), then how
        this one was fitted.
    rejections : tuple of Rejection
        The candidates tried before it and rejected, in order (empty when the first passed).
    """

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    model: str
    spec: str
    level: float
    note: str
    rejections: tuple[Rejection, ...] = ()

    @property
    def fallback_reason(self) -> str | None:
        """Why the first candidate was replaced (a key of :data:`FALLBACK_REASONS`), or None."""
        return self.rejections[0].reason if self.rejections else None

    @property
    def replaced(self) -> str | None:
        """The first candidate, replaced by this forecast, or None when it is that one."""
        return self.rejections[0].model if self.rejections else None


#: The BLAS libraries numpy, scipy and statsmodels loaded (found once: finding them takes ms).
_BLAS = ThreadpoolController()


@contextmanager
def _fitting() -> Iterator[None]:
    """Run a fit on one BLAS thread, without statsmodels' convergence, index and
    start-parameter warnings or numpy's overflow warnings (the guards check what comes out).

    One thread: a fit's matrices are tiny, so BLAS threads cost more than they save — on the
    2-core machine fits ran 3–10× slower with two threads while another process held a core.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"), _BLAS.limit(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", ValueWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"statsmodels\.")
        yield


def _z(level: float) -> float:
    """Two-sided standard normal quantile of a ``level`` interval (1.645 for 0.9)."""
    return NormalDist().inv_cdf(0.5 + level / 2)


def _seasonal_naive(y: np.ndarray, h: int, m: int, level: float) -> FittedForecast:
    """Seasonal naive: ``ŷ_{n+k} = y_{n+k−m·(⌊(k−1)/m⌋+1)}``; the ``level`` interval is
    ``± z·σ·sqrt(⌊(k−1)/m⌋ + 1)`` with σ the root mean square of the in-sample residuals
    ``y_t − y_{t−m}``.  With ``m`` values or fewer the period is 1 (the naive forecast).
    """
    period = m if len(y) > m else 1
    ahead = np.arange(h)
    mean = y[len(y) - period + ahead % period]
    residuals = y[period:] - y[:-period]
    sigma = float(np.sqrt(np.mean(residuals**2)))
    half = _z(level) * sigma * np.sqrt(ahead // period + 1)
    if period == 1:
        return FittedForecast(mean, mean - half, mean + half, "Naive", "Naive: the last value.")
    return FittedForecast(
        mean,
        mean - half,
        mean + half,
        "Seasonal naive",
        f"Seasonal naive: each month as {m} months before.",
    )


#: ETS specifications: (error, trend, damped, seasonal) -> name.
_ETS_SPECS: dict[tuple[str, str | None, bool, str | None], str] = {
    ("add", None, False, None): "ETS(A,N,N)",
    ("add", "add", True, None): "ETS(A,Ad,N)",
    ("add", None, False, "add"): "ETS(A,N,A)",
    ("add", "add", True, "add"): "ETS(A,Ad,A)",
    ("mul", None, False, "mul"): "ETS(M,N,M)",
    ("mul", "add", True, "mul"): "ETS(M,Ad,M)",
}


def _ets(y: np.ndarray, h: int, m: int, level: float) -> FittedForecast:
    """The ETS model of lowest AICc among the specifications the series allows (module
    docstring), with its prediction interval (analytic for additive models, simulated with a
    fixed seed for multiplicative ones).
    """
    seasonal = has_two_seasons(len(y), m)
    endog = pd.Series(y)  # ETSModel's predictions need a pandas index
    best: tuple[Any, str] | None = None
    tried = 0
    for (error, trend, damped, season), name in _ETS_SPECS.items():
        if (season and not seasonal) or ("mul" in (error, season) and y.min() <= 0):
            continue
        tried += 1
        model = ETSModel(
            endog,
            error=error,
            trend=trend,
            damped_trend=damped,
            seasonal=season,
            seasonal_periods=m if season else None,
            initialization_method="heuristic" if seasonal else "estimated",
        )
        try:
            fitted = model.fit(disp=False)
        except (ValueError, ArithmeticError):
            continue
        if np.isfinite(fitted.aicc) and (best is None or fitted.aicc < best[0].aicc):
            best = (fitted, name)
    if best is None:
        raise ValueError(f"none of the {tried} ETS specifications could be fitted")
    fitted, name = best
    frame = fitted.get_prediction(
        start=len(y), end=len(y) + h - 1, rng=np.random.default_rng(_SIMULATION_SEED)
    ).summary_frame(alpha=1 - level)
    return FittedForecast(
        frame["mean"].to_numpy(dtype="float64"),
        frame["pi_lower"].to_numpy(dtype="float64"),
        frame["pi_upper"].to_numpy(dtype="float64"),
        name,
        f"{name}: the lowest AICc of {tried} ETS specifications.",
    )


def _theta(y: np.ndarray, h: int, m: int, level: float) -> FittedForecast:
    """The statsmodels Theta method (θ = 2) with its prediction interval; deseasonalised (by its
    own seasonality test) only with two full seasons.
    """
    seasonal = has_two_seasons(len(y), m)
    fitted = ThetaModel(y, period=m, deseasonalize=seasonal).fit()
    bounds = fitted.prediction_intervals(h, alpha=1 - level)
    spec = "Theta" if seasonal else "Theta (non-seasonal)"
    return FittedForecast(
        fitted.forecast(h).to_numpy(dtype="float64"),
        bounds["lower"].to_numpy(dtype="float64"),
        bounds["upper"].to_numpy(dtype="float64"),
        spec,
        f"{spec}: θ = 2, smoothing estimated.",
    )


def _sarimax(y: np.ndarray, h: int, m: int, level: float) -> FittedForecast:
    """The statsmodels SARIMAX(1,1,1)(0,1,1)m with two full seasons, else ARIMA(1,1,1)."""
    seasonal_order = (0, 1, 1, m) if has_two_seasons(len(y), m) else (0, 0, 0, 0)
    fitted = SARIMAX(y, order=(1, 1, 1), seasonal_order=seasonal_order).fit(disp=False)
    frame = fitted.get_forecast(h).summary_frame(alpha=1 - level)
    spec = f"SARIMAX(1,1,1)(0,1,1,{m})" if seasonal_order[1] else "SARIMAX(1,1,1) (non-seasonal)"
    return FittedForecast(
        frame["mean"].to_numpy(dtype="float64"),
        frame["mean_ci_lower"].to_numpy(dtype="float64"),
        frame["mean_ci_upper"].to_numpy(dtype="float64"),
        spec,
        f"{spec}: maximum likelihood.",
    )


#: The candidates by name; each is a :data:`ModelFunction`.
MODELS: dict[str, ModelFunction] = {
    "seasonal_naive": _seasonal_naive,
    "ets": _ets,
    "theta": _theta,
    "sarimax": _sarimax,
}


#: Fits kept by :func:`_fit` (a few kB each).
_FITS_KEPT = 2048


@lru_cache(maxsize=_FITS_KEPT)
def _fit(model: ModelFunction, data: bytes, h: int, m: int, level: float) -> FittedForecast:
    """``model`` fitted on the float64 values in ``data``, remembered: a fit is
    deterministic, and the forecasts of one page fit the same history many times (a track
    record's replayed quarters backtest it at overlapping origins).  The arrays returned are
    read-only, so no caller can change what the next one gets.
    """
    values = np.frombuffer(data, dtype="float64").copy()
    with _fitting():
        fitted = model(values, h, m, level)
    for part in fitted[:3]:
        part.setflags(write=False)
    return fitted


def forget_fits() -> None:
    """Drop the fits :func:`forecast_with` remembers (a benchmark's cold run fits anew)."""
    _fit.cache_clear()


def _series(y: ArrayLike) -> np.ndarray:
    values = np.asarray(y, dtype="float64")
    if values.ndim != 1 or values.size < 2:
        raise ValueError("a forecast needs a one-dimensional series of at least 2 values")
    if not np.isfinite(values).all():
        raise ValueError("the series must be finite (no NaN or inf)")
    return values


def _check_arguments(h: int, m: int, level: float) -> None:
    if h < 1:
        raise ValueError(f"the horizon h must be at least 1 month, got {h}")
    if m < 1:
        raise ValueError(f"the seasonal period m must be at least 1, got {m}")
    if not 0 < level < 1:
        raise ValueError(f"the interval level must be between 0 and 1, got {level}")


def _model(name: str) -> ModelFunction:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; valid: {', '.join(MODELS)}")
    return MODELS[name]


def _rejection(
    name: str, fitted: FittedForecast, y: np.ndarray, nonnegative: bool
) -> Rejection | None:
    """Why the guards reject ``fitted`` (METRICS.md "Guards"), or None when it passes."""
    tolerance = 1e-9 * max(1.0, float(np.abs(y).max()))  # rounding noise of a zero forecast
    cap = EXPLODE_FACTOR * float(y.max())
    if not all(np.isfinite(part).all() for part in fitted[:3]):
        reason, numbers = "nan", ""
    elif nonnegative and fitted.mean.min() < -tolerance:
        reason, numbers = "negative", f" (min {fitted.mean.min():,.2f})"
    elif fitted.mean.max() > cap + tolerance:
        reason = "explodes"
        numbers = f" (max {fitted.mean.max():,.2f} > {EXPLODE_FACTOR:g} × {y.max():,.2f})"
    else:
        return None
    return Rejection(name, reason, f"{name} rejected: {FALLBACK_REASONS[reason]}{numbers}.")


def forecast_with(
    model_name: str,
    y: ArrayLike,
    h: int,
    m: int = MONTHS_PER_YEAR,
    level: float = 0.9,
    *,
    nonnegative: bool = True,
) -> ModelForecast:
    """Fit one candidate on ``y`` and forecast ``h`` months, checked by the guards.

    Parameters
    ----------
    model_name : str
        A key of :data:`MODELS`: ``"seasonal_naive"``, ``"ets"``, ``"theta"``, ``"sarimax"``.
    y : array-like of float
        The complete months, oldest first (``MonthlySeries.y``), at least 2, finite.  Seasonal
        variants are fitted only from ``2 m`` values on (module docstring).
    h : int
        Months to forecast (≥ 1).
    m : int
        Seasonal period (12 for months).
    level : float
        Coverage of the prediction interval, in (0, 1).
    nonnegative : bool
        The series cannot be negative (revenue): a negative forecast is rejected and the
        interval's lower bound is cut at 0.

    Returns
    -------
    ModelForecast
        ``mean``, ``lower``, ``upper`` (h values each), ``model``, ``spec``, ``note``.

    Raises
    ------
    ForecastRejected
        With one :class:`Rejection` when the fit fails (``"fit_error"``) or the forecast is
        NaN (``"nan"``), negative for a non-negative series (``"negative"``), or above
        :data:`EXPLODE_FACTOR` × the historical maximum (``"explodes"``).
    ValueError
        For an unknown model or invalid arguments.

    Examples
    --------
    >>> y = np.tile([10.0, 20.0, 30.0, 20.0, 10.0, 5.0, 5.0, 10.0, 20.0, 40.0, 50.0, 30.0], 2)
    >>> forecast = forecast_with("seasonal_naive", y, h=3)
    >>> forecast.mean.tolist(), forecast.spec
    ([10.0, 20.0, 30.0], 'Seasonal naive')
    """
    values = _series(y)
    _check_arguments(h, m, level)
    function = _model(model_name)
    try:
        fitted = _fit(function, values.tobytes(), h, m, level)
    # LinAlgError is a ValueError; statsmodels raises IndexError on a too short series
    except (ValueError, ArithmeticError, IndexError) as error:
        raise ForecastRejected(
            [Rejection(model_name, "fit_error", f"{model_name} could not be fitted: {error}.")]
        ) from error
    rejection = _rejection(model_name, fitted, values, nonnegative)
    if rejection is not None:
        raise ForecastRejected([rejection])
    floor = 0.0 if nonnegative else -np.inf
    return ModelForecast(
        mean=np.maximum(fitted.mean, floor),
        lower=np.maximum(fitted.lower, floor),
        upper=fitted.upper.copy(),
        model=model_name,
        spec=fitted.spec,
        level=level,
        note=fitted.note,
    )


def guarded_forecast(
    candidates: Sequence[str],
    y: ArrayLike,
    h: int,
    m: int = MONTHS_PER_YEAR,
    level: float = 0.9,
    *,
    nonnegative: bool = True,
) -> ModelForecast:
    """The first of ``candidates`` whose forecast passes the guards (METRICS.md "Guards").

    Each candidate is tried in turn with :func:`forecast_with`; a rejected one is recorded and
    the next is tried.  End the list with ``"seasonal_naive"``, which passes unless the history
    itself breaks the guards (e.g. a negative month of a revenue series).

    Parameters
    ----------
    candidates : sequence of str
        Keys of :data:`MODELS`, in order of preference (e.g. the backtest's choice first).
    y, h, m, level, nonnegative
        As for :func:`forecast_with`.

    Returns
    -------
    ModelForecast
        The forecast, with ``rejections`` (the candidates it replaced and why),
        ``fallback_reason`` and ``replaced`` (the first of them), and a ``note`` that starts
        with one sentence per rejection and says which candidate was used instead.

    Raises
    ------
    ForecastRejected
        When every candidate is rejected (all the rejections, in order).

    Examples
    --------
    >>> y = np.array([10.0, 12.0, 11.0, 13.0, 12.0, 14.0])
    >>> guarded_forecast(["theta", "seasonal_naive"], y, h=2).model
    'theta'
    """
    if not candidates:
        raise ValueError("guarded_forecast needs at least one candidate")
    rejections: list[Rejection] = []
    for name in candidates:
        try:
            forecast = forecast_with(name, y, h, m, level, nonnegative=nonnegative)
        except ForecastRejected as rejected:
            rejections.extend(rejected.rejections)
            continue
        if not rejections:
            return forecast
        used = f"Fell back to {name} ({forecast.spec})."
        note = " ".join([*(r.detail for r in rejections), used, forecast.note])
        return replace(forecast, note=note, rejections=tuple(rejections))
    raise ForecastRejected(rejections)
