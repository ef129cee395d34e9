"""M3 monthly benchmark: ``python -m bench.m3 [--models ...] [--step N] [--out PATH]``.

Forecasts the last 18 months of each of the 1,428 M3 monthly series from its training part
with the app's models (``analytics.forecast_models.guarded_forecast``: the model, falling back
to seasonal naive when the guards reject it), one process, one BLAS thread, and writes the
accuracy (sMAPE and MASE as in M4, ``analytics.forecast_metrics``), the share of actuals inside
the 90 % interval, the fallbacks and the time to ``bench/results/m3.json``.  The every-14th
subset that ``tests/test_forecast_analytics.py`` runs is summarised too, with the standard
error of its mean sMAPE (what the test's tolerance rests on).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import statsmodels

from analytics.backtest import BASELINE
from analytics.forecast_metrics import mase, smape
from analytics.forecast_models import MODELS, guarded_forecast
from tests.support.m3 import M3_HORIZON, THETA_PUBLISHED_SMAPE, M3Series, m3_monthly

OUT = Path(__file__).parent / "results" / "m3.json"
#: The subset of the test: every 14th series (102 series).
TEST_STEP = 14
LEVEL = 0.9


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.m3", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="+", default=["seasonal_naive", "theta", "ets"], choices=list(MODELS)
    )
    parser.add_argument("--step", type=int, default=1, help="every step-th series (1: all)")
    parser.add_argument("--out", type=Path, default=OUT)
    return parser


def _mean_and_se(values: Sequence[float]) -> dict[str, float]:
    array = np.asarray(values, dtype="float64")
    return {
        "mean": round(float(array.mean()), 3),
        "sd": round(float(array.std(ddof=1)), 3),
        "se": round(float(array.std(ddof=1) / np.sqrt(array.size)), 3),
        "series": int(array.size),
    }


def _run(model: str, series: list[M3Series], full_set: bool) -> dict[str, Any]:
    """Forecast every series with ``model`` (seasonal naive behind it) and summarise; with
    the ``full_set``, the test's every-14th subset too."""
    smapes, mases, inside, categories = [], [], [], []
    specs: Counter[str] = Counter()
    fallbacks: Counter[str] = Counter()
    wall, cpu = time.perf_counter(), time.process_time()
    for s in series:
        forecast = guarded_forecast([model, BASELINE], s.train, M3_HORIZON, level=LEVEL)
        specs[forecast.spec] += 1
        if forecast.fallback_reason:
            fallbacks[forecast.fallback_reason] += 1
        smapes.append(smape(s.test, forecast.mean))
        mases.append(mase(s.test, forecast.mean, s.train))
        inside.append(float(np.mean((s.test >= forecast.lower) & (s.test <= forecast.upper))))
        categories.append(s.category)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    by_category = {
        c: round(float(np.mean([v for v, k in zip(smapes, categories, strict=True) if k == c])), 3)
        for c in sorted(set(categories))
    }
    return {
        "smape": round(float(np.mean(smapes)), 3),
        "mase": round(float(np.mean(mases)), 3),
        "interval_coverage": round(float(np.mean(inside)), 3),
        "smape_by_category": by_category,
        "smape_per_series": _mean_and_se(smapes),
        "test_subset_smape": _mean_and_se(smapes[::TEST_STEP]) if full_set else None,
        "fallbacks": dict(fallbacks),
        "specs": dict(specs.most_common()),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "ms_per_series": round(1000 * wall / len(series), 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write the result file; returns the exit code."""
    args = _parser().parse_args(argv)
    series = m3_monthly(step=args.step)
    result: dict[str, Any] = {
        "dataset": "M3 monthly (Makridakis & Hibon 2000), shared/datasets/m3_monthly",
        "series": len(series),
        "step": args.step,
        "horizon": M3_HORIZON,
        "interval_level": LEVEL,
        "published": {
            "theta_smape": THETA_PUBLISHED_SMAPE,
            "theta_smape_recomputed_autobox": 13.94,
            "statsmodels_theta_smape_dataset_readme": 13.97,
        },
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "statsmodels": statsmodels.__version__,
            "numpy": np.__version__,
        },
        "models": {},
    }
    for model in args.models:
        print(f"{model} on {len(series)} series ...", flush=True)
        result["models"][model] = summary = _run(model, series, args.step == 1)
        print(
            f"  sMAPE {summary['smape']:.2f}  MASE {summary['mase']:.3f}  "
            f"coverage {summary['interval_coverage']:.2f}  {summary['wall_s']} s",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
