"""One import: read, check, write in one transaction, report, log.

:func:`import_file` reads the file twice, chunk by chunk, so a file of millions of rows is
never held in memory: the first pass checks every row (:mod:`crm_data.importer.validate`) and
gathers the names the rows refer to; the second, only when the file is valid (or with
``skip_invalid``), writes the valid rows in one transaction (:mod:`crm_data.importer.write`).

Rejected rows (with ``skip_invalid``) go to ``<input name>.rejects.csv`` beside the input
(``deals.csv.gz`` → ``deals.rejects.csv``): UTF-8, comma-separated, the file's header and
the row's cells as read, then ``import_row`` (the row number, header = 1) and
``import_problems`` (``column 'value': rule — what to do``, several joined by ``"; "``).
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd
import sqlalchemy as sa

from crm_data.bulk import sync_sequences
from crm_data.config import mask_url
from crm_data.errors import CrmDataError, driver_message
from crm_data.importer.log import record_import
from crm_data.importer.mapping import ImportMapping, load_mapping
from crm_data.importer.sources import CHUNK_ROWS, SourceFile, open_source
from crm_data.importer.validate import Problem, RowChecker
from crm_data.importer.write import (
    HISTORY_RULE,
    DealWriter,
    References,
    TableCounts,
    clear_pending,
    detach_history,
    recover_pending,
    restore_history,
)
from crm_data.schema import CRM_TABLES, Base, ImportKey, PendingHistory

__all__ = ["MAX_PROBLEMS", "ImportReport", "import_file", "rejects_path"]

#: Problems kept in a report (all are counted, and all go to the rejects file).
MAX_PROBLEMS = 1000
Progress = Callable[[float, str], None]


@dataclass
class ImportReport:
    """What an import did.

    ``outcome`` is ``ok`` (written, or for a dry run: checked), ``invalid`` (some rows broke
    rules and ``skip_invalid`` was off: nothing written) or ``failed`` (the file, mapping or
    database could not be used: nothing written; ``message`` says why).  ``tables`` holds
    per-table counts (``read`` and ``rejected`` for the file's table, ``added`` and
    ``updated`` for every table written); ``problems`` the first :data:`MAX_PROBLEMS`
    problems of ``problem_count``; ``notes`` what else the import did (put back the rows an
    earlier import, stopped midway, had moved aside).
    """

    file: str
    mapping: str
    source: str
    dry_run: bool
    outcome: str = "ok"
    message: str = ""
    sha256: str = ""
    tables: dict[str, TableCounts] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    rejects: Path | None = None
    seconds: float = 0.0
    history_rule: str = HISTORY_RULE
    log_note: str = ""
    notes: list[str] = field(default_factory=list)

    def totals(self) -> TableCounts:
        """Added and updated rows over every table; read and rejected rows of the file."""
        return TableCounts(
            read=sum(c.read for c in self.tables.values()),
            added=sum(c.added for c in self.tables.values()),
            updated=sum(c.updated for c in self.tables.values()),
            rejected=sum(c.rejected for c in self.tables.values()),
        )

    def to_text(self, limit: int = 20) -> str:
        """The report for a person: outcome, counts per table, the first ``limit`` problems.

        Parameters
        ----------
        limit : int
            How many problems to list.
        """
        what = "checked (dry run, nothing written)" if self.dry_run else "imported"
        head = {
            "ok": f"{self.file}: {what} in {self.seconds:.1f} s",
            "invalid": f"{self.file}: {self.problem_count} problem(s); nothing was written "
            "(fix the file, or use --skip-invalid to write the valid rows)",
            "failed": f"{self.file}: import failed, nothing was written: {self.message}",
        }[self.outcome]
        lines = [head]
        if self.source:  # known once the mapping is read
            lines.append(f"mapping {self.mapping!r}, source {self.source!r}")
        for name, c in self.tables.items():
            parts = [f"read {c.read}"] if c.read else []
            parts += [f"added {c.added}", f"updated {c.updated}"]
            parts += [f"rejected {c.rejected}"] if c.read else []
            lines.append(f"  {name}: {', '.join(parts)}")
        if self.outcome == "ok" and not self.dry_run:
            lines.append(f"  {self.history_rule}")
        if self.problems:
            lines.append(
                f"problems ({self.problem_count}, the first {min(limit, len(self.problems))}):"
            )
            lines += [f"  {p.line()}" for p in self.problems[:limit]]
        if self.rejects is not None:
            lines.append(f"rejected rows written to {self.rejects}")
        lines += [f"note: {note}" for note in self.notes]
        if self.log_note:
            lines.append(f"warning: {self.log_note}")
        return "\n".join(lines)


def rejects_path(path: Path) -> Path:
    """Where the rejected rows of ``path`` go: ``<name without extensions>.rejects.csv``.

    Examples
    --------
    >>> rejects_path(Path("in/deals.csv.gz")).as_posix()
    'in/deals.rejects.csv'
    """
    return path.with_name(f"{path.name.split('.')[0]}.rejects.csv")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Rejects:
    """The rejects file, opened on the first rejected row."""

    def __init__(self, path: Path, headers: tuple[str, ...]) -> None:
        self.path = path
        self.headers = headers
        self.handle: Any = None  # a csv writer, once the first rejected row comes
        self.stream: IO[str] | None = None
        path.unlink(missing_ok=True)  # a rejects file of an earlier run would mislead

    def add(self, chunk: pd.DataFrame, first_row: int, problems: list[Problem]) -> None:
        by_row: dict[int, list[Problem]] = {}
        for p in problems:
            by_row.setdefault(p.row, []).append(p)
        if not by_row:
            return
        if self.stream is None:
            self.stream = self.path.open("w", encoding="utf-8", newline="")
            self.handle = csv.writer(self.stream)
            self.handle.writerow([*self.headers, "import_row", "import_problems"])
        for row, found in by_row.items():
            cells = chunk.iloc[row - first_row].tolist()
            text = "; ".join(f"{p.column} {p.value!r}: {p.rule} — {p.fix}" for p in found)
            self.handle.writerow([*cells, row, text])

    def close(self) -> Path | None:
        """Close the file; its path, None when no row was rejected."""
        if self.stream is None:
            return None
        self.stream.close()
        return self.path


def _check(
    source: SourceFile,
    checker: RowChecker,
    report: ImportReport,
    rejects: _Rejects | None,
    progress: Progress,
) -> References:
    """First pass: check every row; the names the valid rows refer to."""
    refs = References()
    counts = report.tables.setdefault("deals", TableCounts())
    rejected: set[int] = set()
    row = 2
    for k, chunk in enumerate(source.chunks(CHUNK_ROWS), start=1):
        records, problems = checker.check(chunk, row)
        refs.add(records)
        report.problem_count += len(problems)
        report.problems += problems[: MAX_PROBLEMS - len(report.problems)]
        rejected.update(p.row for p in problems)
        if rejects is not None:
            rejects.add(chunk, row, problems)
        counts.read += len(chunk)
        row += len(chunk)
        progress(0.5 * (1 - 0.5**k), f"checked {counts.read:,} rows")
    counts.rejected = len(rejected)
    return refs


def _write(
    engine: sa.Engine,
    source: SourceFile,
    checker: RowChecker,
    refs: References,
    report: ImportReport,
    progress: Progress,
) -> None:
    """Second pass: write the valid rows in one transaction."""
    own: list[sa.Table] = [ImportKey.__table__, PendingHistory.__table__]  # type: ignore[list-item]
    tables = [*CRM_TABLES, *own]
    Base.metadata.create_all(engine, tables=tables, checkfirst=True)
    total = max(report.tables["deals"].read, 1)
    done = 0
    detached = None
    if engine.dialect.name == "duckdb":  # see crm_data.importer.write on DuckDB
        if recovered := recover_pending(engine):
            report.notes.append(
                f"put back {recovered:,} stage-history rows that an earlier import, stopped "
                "midway, had moved aside"
            )
        detached = detach_history(engine, checker.mapping.source, refs.deals)
    try:
        with engine.begin() as conn:
            writer = DealWriter(conn, checker.mapping, report.tables, detached)
            writer.prepare(refs)
            row = 2
            for chunk in source.chunks(CHUNK_ROWS):
                records, _ = checker.check(chunk, row)
                writer.write(records)
                row += len(chunk)
                done += len(chunk)
                progress(0.5 + 0.5 * done / total, f"wrote {done:,} of {total:,} rows")
            if detached is not None:
                clear_pending(conn)  # commits with the rows: nothing left to put back
    except BaseException:
        if detached is not None and not detached.empty:
            restore_history(engine, detached)
        raise
    try:
        sync_sequences(engine)  # ids were given explicitly: move the sequences past them
    except sa.exc.SQLAlchemyError as exc:
        report.log_note = f"the rows were written but the id sequences not moved: {exc}"


def _import(
    engine: sa.Engine,
    path: Path,
    mapping: ImportMapping,
    report: ImportReport,
    skip_invalid: bool,
    progress: Progress,
) -> None:
    source = open_source(
        path, encoding=mapping.encoding, delimiter=mapping.delimiter, sheet=mapping.sheet
    )
    columns = mapping.resolve(source.headers)
    report.sha256 = _sha256(path)
    rejects = (
        _Rejects(rejects_path(path), source.headers)
        if skip_invalid and not report.dry_run
        else None
    )
    try:
        refs = _check(source, RowChecker(mapping, columns, path.name), report, rejects, progress)
    finally:
        report.rejects = rejects.close() if rejects is not None else None
    if report.problem_count and not skip_invalid:
        report.outcome = "invalid"
        report.message = (
            f"{report.problem_count} problem(s), the first: {report.problems[0].line()}"
        )
    elif not report.dry_run:
        _write(engine, source, RowChecker(mapping, columns, path.name), refs, report, progress)
        progress(1.0, "done")


def import_file(
    engine: sa.Engine,
    path: str | Path,
    mapping: ImportMapping | str | Path,
    *,
    skip_invalid: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    app_engine: sa.Engine | None = None,
    user: str | None = None,
) -> ImportReport:
    """Import an export (CSV, ``.csv.gz`` or XLSX) into the CRM database through a mapping.

    Nothing is written unless every row is valid (or ``skip_invalid``); what is written is
    written in one transaction, so a failure leaves every table as it was.  Bad input (an
    unreadable file or mapping, a database that refuses) never raises: the report's
    ``outcome`` is ``failed`` and its ``message`` says what is wrong and what to do.

    Parameters
    ----------
    engine : sa.Engine
        The CRM database; missing CRM tables and ``import_keys`` are created.
    path : str or Path
        The export.
    mapping : ImportMapping, str or Path
        The mapping, or its YAML file (:func:`crm_data.importer.mapping.load_mapping`).
    skip_invalid : bool
        Write the valid rows and put the others in the rejects file (:func:`rejects_path`).
    dry_run : bool
        Only check and report; write nothing (no rejects file either).
    progress : callable, optional
        ``progress(fraction, message)``, called per chunk of rows.
    app_engine : sa.Engine, optional
        The app database: the import (whatever its outcome) is recorded in ``import_log``.
    user : str, optional
        Who imports (an e-mail), for the log.

    Returns
    -------
    ImportReport
        Counts per table, problems, the rejects file, seconds, the file's SHA-256.

    Examples
    --------
    >>> engine = sa.create_engine("sqlite://")
    >>> import_file(engine, "no/such.csv", "no/such.yaml").outcome
    'failed'
    """
    started = time.perf_counter()
    path = Path(path)
    name = Path(mapping).stem if isinstance(mapping, str | Path) else mapping.name
    report = ImportReport(file=path.name, mapping=name, source="", dry_run=dry_run)
    try:
        if not isinstance(mapping, ImportMapping):
            mapping = load_mapping(mapping)
        report.mapping, report.source = mapping.name, mapping.source
        _import(engine, path, mapping, report, skip_invalid, progress or (lambda f, m: None))
    except CrmDataError as exc:
        report.outcome, report.message = "failed", str(exc)
    except (sa.exc.SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as exc:
        # the bulk paths run on the driver's connection: its errors come unwrapped
        report.outcome = "failed"
        report.message = (
            f"the database {mask_url(engine.url)} refused the import "
            f"({driver_message(exc)}); every change was rolled back"
        )
    report.seconds = time.perf_counter() - started
    if report.outcome != "ok":
        for counts in report.tables.values():
            counts.added = counts.updated = 0
    if app_engine is not None:
        try:
            record_import(app_engine, report, user)
        except CrmDataError as exc:
            report.log_note = str(exc)
    return report
