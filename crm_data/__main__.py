"""Command line: ``python -m crm_data seed|info``.

Examples
--------
``python -m crm_data seed --size M --url duckdb:///tmp/m.duckdb``
``python -m crm_data info --url duckdb:///tmp/m.duckdb --json``
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from crm_data.config import create_crm_engine, embedded_path, mask_url, resolve_url
from crm_data.errors import CrmDataError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crm_data", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    seed = sub.add_parser("seed", help="fill the database with a deterministic demo company")
    seed.add_argument("--size", choices=("XS", "S", "M", "L"), default="S", type=str.upper)
    seed.add_argument("--url", help="SQLAlchemy URL (default: CRM_DATABASE_URL, secrets, DuckDB)")
    seed.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
    seed.add_argument(
        "--force", action="store_true", help="overwrite a database that holds non-demo data"
    )
    seed.add_argument("--quiet", action="store_true", help="no progress bar")

    info = sub.add_parser("info", help="dialect, masked URL, row counts and date ranges")
    info.add_argument("--url", help="SQLAlchemy URL (default: CRM_DATABASE_URL, secrets, DuckDB)")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def _seed(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from crm_data.demo import seed_demo

    engine = create_crm_engine(args.url)
    print(f"Seeding demo company size {args.size} (seed {args.seed}) into {mask_url(engine.url)}")
    with tqdm(total=100, unit="%", disable=args.quiet, bar_format="{l_bar}{bar}| {elapsed}") as bar:

        def progress(fraction: float, message: str) -> None:
            bar.set_description(message)
            bar.update(round(100 * fraction) - bar.n)

        report = seed_demo(
            engine, size=args.size, seed=args.seed, force=args.force, progress=progress
        )
    rows = ", ".join(f"{table} {count:,}" for table, count in report.row_counts.items() if count)
    print(f"Done in {report.seconds:.1f} s: {rows}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from crm_data.info import database_info

    url = resolve_url(args.url)
    path = embedded_path(url)
    if path is not None and not path.exists():
        print(
            f"error: there is no database file at {path}. Create one with "
            f"`python -m crm_data seed --url {mask_url(url)}`, or check the path.",
            file=sys.stderr,
        )
        return 2
    engine = create_crm_engine(url)
    info = database_info(engine)
    if args.json:
        print(json.dumps(info.to_dict(), indent=2, default=str))
    else:
        print(info.to_text())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (2 on a data-layer error, with its message)."""
    args = _parser().parse_args(argv)
    try:
        return _seed(args) if args.command == "seed" else _info(args)
    except CrmDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
