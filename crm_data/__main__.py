"""Command line of the CRM database: ``python -m crm_data seed|info|import``.

Examples
--------
``python -m crm_data seed --size M --url duckdb:///tmp/m.duckdb``
``python -m crm_data info --url duckdb:///tmp/m.duckdb --json``
``python -m crm_data import deals.csv --mapping crm_data/mappings/deals_sheet.yaml --dry-run``

The dashboard's users are in the app database: ``python -m appdb users|employees``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence

import sqlalchemy as sa

from crm_data.config import (
    create_crm_engine,
    embedded_path,
    mask_url,
    resolve_app_url,
    resolve_url,
)
from crm_data.errors import CrmDataError
from i18n import _

URL_HELP = "SQLAlchemy URL (default: CRM_DATABASE_URL, secrets, DuckDB)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crm_data", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    seed = sub.add_parser("seed", help="fill the database with a deterministic demo company")
    seed.add_argument("--size", choices=("XS", "S", "M", "L"), default="S", type=str.upper)
    seed.add_argument("--url", help=URL_HELP)
    seed.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
    seed.add_argument(
        "--force",
        action="store_true",
        help="delete rows the demo generator did not make without asking (else: asked at a "
        "terminal, refused otherwise)",
    )
    seed.add_argument("--quiet", action="store_true", help="no progress bar")

    info = sub.add_parser("info", help="dialect, masked URL, row counts and date ranges")
    info.add_argument("--url", help=URL_HELP)
    info.add_argument("--json", action="store_true", help="print JSON instead of text")

    load = sub.add_parser("import", help="import a CSV/XLSX export through a YAML column mapping")
    load.add_argument("path", help="the export: .csv, .csv.gz or .xlsx")
    load.add_argument("--mapping", required=True, help="the mapping file (YAML)")
    load.add_argument("--url", help=URL_HELP)
    load.add_argument(
        "--app-url",
        help="app database for the import log (default: CRM_APP_DATABASE_URL, secrets, SQLite)",
    )
    load.add_argument(
        "--skip-invalid",
        action="store_true",
        help="write the valid rows and put the others in <file>.rejects.csv",
    )
    load.add_argument("--dry-run", action="store_true", help="check and report; write nothing")

    return parser


def _ask_to_delete(engine: sa.Engine) -> bool | None:
    """Say what seeding would delete for good and keep, and ask for the database's name;
    whether it was typed (None: nothing would be lost, nothing asked).
    """
    from crm_data.demo.seed import KEPT_TEXT, confirmation_word, reseed_check

    check = reseed_check(engine)
    if not check.loses_data:
        return None
    word = confirmation_word(engine.url)
    print(f"{check.losses()}\n{_(KEPT_TEXT)}")
    answer = input(f"Type {word} to delete it for good and seed (anything else stops): ")
    return answer.strip() == word


#: What a seed on the command line leaves to the app: the demo's incentive plans.
DEMO_PLANS_TEXT = (
    "The demo's incentive plans go into the app database: the app adds them when it next "
    "starts, or run `python -m appdb demo-plans` (with the same --url)."
)


def _seed(args: argparse.Namespace) -> int:
    engine = create_crm_engine(args.url)
    try:
        return _seed_into(engine, args)
    finally:
        engine.dispose()  # nothing of the file held open (e.g. by ``main`` run in-process)


def _seed_into(engine: sa.Engine, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from crm_data.demo import seed_demo

    force = args.force
    if not force and sys.stdin.isatty():  # without a terminal, seed_demo refuses and says why
        answer = _ask_to_delete(engine)
        if answer is False:
            print("Nothing was changed.")
            return 1
        force = bool(answer)
    print(f"Seeding demo company size {args.size} (seed {args.seed}) into {mask_url(engine.url)}")
    with tqdm(total=100, unit="%", disable=args.quiet, bar_format="{l_bar}{bar}| {elapsed}") as bar:

        def progress(fraction: float, message: str) -> None:
            bar.set_description(message)
            bar.update(round(100 * fraction) - bar.n)

        report = seed_demo(engine, size=args.size, seed=args.seed, force=force, progress=progress)
    rows = ", ".join(f"{table} {count:,}" for table, count in report.row_counts.items() if count)
    print(f"Done in {report.seconds:.1f} s: {rows}")
    print(DEMO_PLANS_TEXT)
    return 0


def missing_file(url: str) -> bool:
    """Report (on stderr) and return whether ``url`` is an embedded database file that is absent."""
    path = embedded_path(url)
    if path is None or path.exists():
        return False
    print(
        f"error: there is no database file at {path}. Create one with "
        f"`python -m crm_data seed --url {mask_url(url)}`, or check the path.",
        file=sys.stderr,
    )
    return True


def _info(args: argparse.Namespace) -> int:
    from crm_data.info import database_info

    url = resolve_url(args.url)
    if missing_file(url):
        return 2
    engine = create_crm_engine(url, read_only=True)  # the app and notebooks may read it too
    info = database_info(engine)
    if args.json:
        print(json.dumps(info.to_dict(), indent=2, default=str))
    else:
        print(info.to_text())
    return 0


def _import(args: argparse.Namespace) -> int:
    """Import a file (exit 0 when imported or, for a dry run, valid; 1 otherwise)."""
    from crm_data.importer import import_file

    try:
        engine = create_crm_engine(args.url)
        app_engine = create_crm_engine(resolve_app_url(args.app_url))
    except CrmDataError as exc:  # a URL that cannot be used: a failed import, not a usage error
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        report = import_file(
            engine,
            args.path,
            args.mapping,
            skip_invalid=args.skip_invalid,
            dry_run=args.dry_run,
            app_engine=app_engine,
        )
    finally:
        engine.dispose()
        app_engine.dispose()
    print(report.to_text(), file=sys.stdout if report.outcome == "ok" else sys.stderr)
    return 0 if report.outcome == "ok" else 1


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "seed": _seed,
    "info": _info,
    "import": _import,
}


def run_command(
    parser: argparse.ArgumentParser,
    commands: Mapping[str, Callable[[argparse.Namespace], int]],
    argv: Sequence[str] | None,
) -> int:
    """Parse ``argv`` with ``parser`` and run its command; returns the process exit code (2 on
    a data-layer error, with its message).  Shared by this CLI and ``python -m appdb``.
    """
    args = parser.parse_args(argv)
    try:
        return commands[args.command](args)
    except CrmDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (``... | head``): stop quietly
        # what is left in stdout's buffer goes nowhere when the interpreter flushes it at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (2 on a data-layer error, with its message)."""
    return run_command(_parser(), COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
