"""Timing harness: cold and warm timings with peak memory for any callable.

*Cold* is the first call on a freshly created engine (DuckDB's buffer pool and SQLAlchemy's
connection pool empty; the operating system's file cache may still be warm), taken on
``cold_runs`` fresh engines: the fastest counts, as ``timeit`` advises, because the shared
2-core machines this runs on change speed by up to 1.7× from one second to the next (other
tenants) and a slower run measures them, not the code.  *Warm* is the median of ``runs``
further calls on the last engine.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.engine import Engine

from analytics.forecast_models import forget_fits
from bench.memory import peak_rss_mb, reset_peak
from crm_data.config import create_crm_engine


@dataclass(frozen=True)
class Timing:
    """One benchmarked case: seconds cold (fastest of ``cold_runs``; the slowest is kept too),
    warm median and spread, result rows, peak RSS.
    """

    cold_s: float
    cold_max_s: float
    cold_runs: int
    warm_median_s: float
    warm_min_s: float
    warm_max_s: float
    runs: int
    rows: int
    peak_rss_mb: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict with times rounded to 0.1 ms."""
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def _rows(result: Any) -> int:
    try:
        return len(result)
    except TypeError:
        return 1


def time_case(url: str, case: Callable[[Engine], Any], runs: int = 5, cold_runs: int = 3) -> Timing:
    """Time ``case(engine)`` cold on ``cold_runs`` new engines, then ``runs`` times warm.

    Parameters
    ----------
    url : str
        Database URL; a new engine is created so the first call is cold.
    case : callable
        Takes the engine, returns the result (its ``len`` is recorded as ``rows``).
    runs : int
        Number of warm repetitions (median reported).
    cold_runs : int
        Number of fresh engines for the cold call (the fastest is reported).
    """
    if cold_runs < 1:
        raise ValueError(f"cold_runs must be at least 1, got {cold_runs}")
    reset_peak()
    colds: list[float] = []
    warm: list[float] = []
    for attempt in range(cold_runs):
        forget_fits()  # a cold call fits its forecasting models anew
        engine = create_crm_engine(url)
        try:
            started = time.perf_counter()
            result = case(engine)
            colds.append(time.perf_counter() - started)
            for _ in range(runs if attempt == cold_runs - 1 else 0):
                started = time.perf_counter()
                case(engine)
                warm.append(time.perf_counter() - started)
        finally:
            engine.dispose()
    peak = peak_rss_mb()
    cold = min(colds)
    return Timing(
        cold_s=cold,
        cold_max_s=max(colds),
        cold_runs=cold_runs,
        warm_median_s=statistics.median(warm) if warm else cold,
        warm_min_s=min(warm, default=cold),
        warm_max_s=max(warm, default=cold),
        runs=runs,
        rows=_rows(result),
        peak_rss_mb=peak,
    )
