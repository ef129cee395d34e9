"""Benchmarks: ``python -m bench --size S|M|L [--url URL] --out bench/results/NAME.json``.

Seeds the demo company (timed) unless the database already holds a demo of that size and seed,
then times every registered query case cold and warm with peak memory, and writes one JSON file.
``python -m bench --table`` prints the README's performance table from ``bench/results``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from bench.cases import CASES, COLD_RUNS, RUNS, bench_filters
from bench.harness import time_case
from bench.memory import peak_rss_mb, reset_peak
from bench.table import results_table
from crm_data.config import create_crm_engine, mask_url
from crm_data.demo import is_demo_database, load_truth, seed_demo

RESULTS = Path(__file__).parent / "results"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("XS", "S", "M", "L"), default="S", type=str.upper)
    parser.add_argument("--url", help="database URL (default: bench/tmp/<size>.duckdb)")
    parser.add_argument("--out", type=Path, help="result JSON path")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reseed", action="store_true", help="seed even if the demo is there")
    parser.add_argument("--runs", type=int, default=5, help="warm repetitions per case")
    parser.add_argument(
        "--cold-runs", type=int, default=3, help="fresh engines per case (the fastest counts)"
    )
    parser.add_argument(
        "--only", nargs="*", help="run only these cases (their results replace those in --out)"
    )
    parser.add_argument("--table", action="store_true", help="print the README table and exit")
    return parser


def _needs_seed(url: str, size: str, seed: int) -> bool:
    engine = create_crm_engine(url)
    try:
        if not is_demo_database(engine):
            return True
        generator = load_truth(engine).get("generator", {})
        return generator.get("size") != size or generator.get("seed") != seed
    finally:
        engine.dispose()


def _seed(url: str, size: str, seed: int) -> dict[str, Any]:
    engine = create_crm_engine(url)
    try:
        reset_peak()
        started = time.perf_counter()
        report = seed_demo(engine, size=size, seed=seed)
        seconds = time.perf_counter() - started
        return {
            "seconds": round(seconds, 2),
            "end": str(report.end),
            "row_counts": report.row_counts,
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
    finally:
        engine.dispose()


def _speed() -> float:
    """Seconds of a fixed pure-Python loop (the fastest of five): a rough reading of the
    machine's speed while the cases ran.  On the shared 2-core machines used here it read
    0.12-0.22 s within an hour; database timings swing too, but do not follow it closely.
    """
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(3_000_000):
            total += i * i
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def _machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlalchemy": sa.__version__,
        "duckdb": duckdb.__version__,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write the result file; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.table:
        print(results_table(RESULTS))
        return 0
    url = args.url or f"duckdb:///{Path(__file__).parent / 'tmp' / (args.size + '.duckdb')}"
    out = args.out or RESULTS / f"{args.size}-{sa.make_url(url).get_backend_name()}.json"
    result: dict[str, Any] = {
        "size": args.size,
        "seed": args.seed,
        "url": mask_url(url),
        "dialect": sa.make_url(url).get_backend_name(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
    }
    if args.reseed or _needs_seed(url, args.size, args.seed):
        print(f"seeding {args.size} into {mask_url(url)} ...", flush=True)
        result["seed_demo"] = _seed(url, args.size, args.seed)
        print(f"  {result['seed_demo']['seconds']} s", flush=True)
    engine = create_crm_engine(url)
    filters = bench_filters(engine)
    engine.dispose()
    result["filters"] = {"start": str(filters.start), "end": str(filters.end)}
    speed_before = _speed()
    result["queries"] = {}
    for name, case in CASES.items():
        if args.only and name not in args.only:
            continue
        runs = min(args.runs, RUNS.get(name, args.runs))
        cold_runs = min(args.cold_runs, COLD_RUNS.get(name, args.cold_runs))
        timing = time_case(url, lambda e, c=case: c(e, filters), runs=runs, cold_runs=cold_runs)
        result["queries"][name] = timing.to_dict()
        print(
            f"  {name:<40} cold {timing.cold_s:7.3f} s  warm {timing.warm_median_s:7.3f} s  "
            f"rows {timing.rows:>7}  peak {timing.peak_rss_mb:7.0f} MiB",
            flush=True,
        )
    result["python_loop_s"] = {"before": speed_before, "after": _speed()}
    if args.only and out.exists():
        # a partial run replaces those cases, each stamped with its own time and loop check,
        # and keeps the others and the file's stamp (the machine of the whole run)
        previous = json.loads(out.read_text())
        stamp = {"measured_at": result["measured_at"], "python_loop_s": result["python_loop_s"]}
        fresh = {name: {**timing, **stamp} for name, timing in result["queries"].items()}
        result = {**previous, "queries": {**previous.get("queries", {}), **fresh}}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
