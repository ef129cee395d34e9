"""Validation of the rows of a deals sheet: every problem a record, never an exception.

A problem names the file, the row as the user sees it in a spreadsheet (the header is row 1,
the first data row row 2; a CSV record spanning lines in a quoted cell counts once), the
column (the file's header, or ``constants.<target>`` for a constant of the mapping), the cell's
text, the rule it breaks and what to do.  The rules:

* required values present (:data:`crm_data.importer.mapping.DEAL_TARGETS`);
* numbers, dates, statuses and stages readable (:mod:`crm_data.importer.values`), amounts not
  negative, texts no longer than their column, currencies three letters;
* a stage of the mapping's pipeline; a status that agrees with a won or lost stage; won and
  lost deals with a close date, open ones without; no close date or stage change before the
  deal was created;
* an external id given once in the file (a later row repeating it is the problem).

A row whose mapped cells are all empty (a blank line) is skipped without a problem.

Owners, accounts, teams and lost reasons given by name always resolve: to an existing row of
that name (an owner written with ``@`` by e-mail) or to one the import creates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from crm_data.importer.mapping import DEAL_TARGETS, STATUSES, ImportMapping
from crm_data.importer.values import Invalid, map_value, parse_datetime, parse_number
from crm_data.schema import Account, Deal, Employee, ImportKey, LostReason, Team

__all__ = ["DealRecord", "Problem", "RowChecker", "NO_PRODUCT_LINE"]

#: ``deals.product_line`` of a deal whose sheet gives none.
NO_PRODUCT_LINE = "(none)"
_CURRENCY = re.compile(r"[A-Z]{3}")


def _length(column: Any) -> int:
    return int(column.type.length)


#: The longest text each target may hold (its column's length).
MAX_LENGTH = {
    "external_id": _length(ImportKey.__table__.c.external_id),
    "title": _length(Deal.__table__.c.title),
    "account": _length(Account.__table__.c.name),
    "owner": _length(Employee.__table__.c.name),
    "team": _length(Team.__table__.c.name),
    "product_line": _length(Deal.__table__.c.product_line),
    "source": _length(Deal.__table__.c.source),
    "lost_reason": _length(LostReason.__table__.c.name),
}


@dataclass(frozen=True)
class Problem:
    """One problem of one cell (see the module docstring)."""

    file: str
    row: int
    column: str
    value: str
    rule: str
    fix: str

    def line(self) -> str:
        """The problem as one line: ``file:row column 'value' — rule — what to do``."""
        return f"{self.file}:{self.row} {self.column} {self.value!r} — {self.rule} — {self.fix}"


@dataclass(frozen=True)
class DealRecord:
    """A valid row of a deals sheet, its values typed (names still unresolved)."""

    row: int
    external_id: str
    title: str
    account: str
    owner: str
    team: str | None
    stage: str
    status: str
    amount: float
    currency: str
    created_at: datetime
    closed_at: datetime | None
    expected_close_at: date | None
    stage_changed_at: datetime | None
    product_line: str
    source: str | None
    lost_reason: str | None


class RowChecker:
    """Checks the rows of one file, chunk after chunk, remembering the external ids seen.

    Parameters
    ----------
    mapping : ImportMapping
        The checked mapping.
    columns : dict of str to str
        Target → the file's header (:meth:`ImportMapping.resolve`).
    file : str
        The file's name, as problems show it.
    """

    def __init__(self, mapping: ImportMapping, columns: dict[str, str], file: str) -> None:
        self.mapping = mapping
        self.columns = columns
        self.file = file
        self.seen: dict[str, int] = {}
        self.stages = {s.name: s for s in mapping.stages}

    def check(self, chunk: pd.DataFrame, first_row: int) -> tuple[list[DealRecord], list[Problem]]:
        """The valid records and the problems of ``chunk``.

        Parameters
        ----------
        chunk : DataFrame
            Text cells, one column per header of the file.
        first_row : int
            The row number (header = 1) of the chunk's first row.

        Returns
        -------
        tuple of (list of DealRecord, list of Problem)
            The rows without problems, and one record per problem of the others.
        """
        cells = {
            target: chunk[header].tolist() if header in chunk else [""] * len(chunk)
            for target, header in self.columns.items()
        }
        records: list[DealRecord] = []
        problems: list[Problem] = []
        for i in range(len(chunk)):
            if not any(column[i] for column in cells.values()):
                continue  # an empty line (of a CSV file or a worksheet) is no deal
            row = first_row + i
            texts = {
                t: (cells[t][i] if t in cells else "") or self.mapping.constants.get(t, "")
                for t in DEAL_TARGETS
            }
            record, found = self._row(row, texts)
            problems += found
            if record is not None:
                records.append(record)
        return records, problems

    def _where(self, target: str) -> str:
        return self.columns.get(target, f"constants.{target}")

    def _row(self, row: int, texts: dict[str, str]) -> tuple[DealRecord | None, list[Problem]]:
        problems: list[Problem] = []

        def problem(target: str, rule: str, fix: str) -> None:
            problems.append(Problem(self.file, row, self._where(target), texts[target], rule, fix))

        values: dict[str, Any] = {}
        for target, spec in DEAL_TARGETS.items():
            text = texts[target]
            if not text:
                if spec.required:
                    problem(target, "required value missing", f"fill in the {target}")
                values[target] = None
                continue
            value = self._value(target, spec.kind, text)
            if isinstance(value, Invalid):
                problem(target, value.rule, value.fix)
            values[target] = value
        if problems:
            return None, problems
        self._relations(values, problem)
        if not problems:
            first = self.seen.setdefault(values["external_id"], row)
            if first != row:
                problem(
                    "external_id",
                    f"the external id repeats row {first}",
                    "give every deal its own id or remove the repeated row",
                )
        if problems:
            return None, problems
        expected = values["expected_close_at"]
        return DealRecord(
            row=row,
            external_id=values["external_id"],
            title=values["title"] or values["external_id"],
            account=values["account"],
            owner=values["owner"],
            team=values["team"],
            stage=values["stage"],
            status=values["status"],
            amount=values["amount"],
            currency=values["currency"],
            created_at=values["created_at"],
            closed_at=values["closed_at"],
            expected_close_at=expected.date() if expected is not None else None,
            stage_changed_at=values["stage_changed_at"],
            product_line=values["product_line"] or NO_PRODUCT_LINE,
            source=values["source"],
            lost_reason=values["lost_reason"],
        ), []

    def _value(self, target: str, kind: str, text: str) -> Any:
        words = self.mapping.values.get(target, {})
        if kind == "number":
            number = parse_number(text, self.mapping.decimal)
            if isinstance(number, float) and number < 0:
                return Invalid("negative amount", "write the amount without a minus sign")
            return number
        if kind == "date":
            return parse_datetime(text, self.mapping.dates)
        if kind == "status":
            return map_value(text, words, STATUSES)
        if kind == "stage":
            return map_value(text, words, list(self.stages))
        value = words.get(text, text)
        if target == "currency":
            value = value.upper()
            if not _CURRENCY.fullmatch(value):
                return Invalid("not a currency code", "write a three-letter code such as USD")
        elif len(value) > MAX_LENGTH[target]:
            return Invalid(f"longer than {MAX_LENGTH[target]} characters", "shorten it in the file")
        return value

    def _relations(self, values: dict[str, Any], problem: Callable[[str, str, str], None]) -> None:
        """Checks between the values of one row; sets ``values["status"]`` when derived."""
        stage = self.stages[values["stage"]]
        terminal = "won" if stage.won else "lost" if stage.lost else None
        if values["status"] is None:
            values["status"] = terminal or "open"
        elif terminal is not None and values["status"] != terminal:
            problem(
                "status",
                f"the stage {stage.name!r} is {terminal}, the status says {values['status']}",
                "make the status and the stage agree",
            )
            return
        created, closed = values["created_at"], values["closed_at"]
        if values["status"] == "open" and closed is not None:
            problem("closed_at", "an open deal has a close date", "clear it or set the status")
        elif values["status"] != "open" and closed is None:
            problem(
                "closed_at",
                f"a {values['status']} deal has no close date",
                "fill in the date the deal was closed",
            )
        elif closed is not None and closed < created:
            problem("closed_at", "closed before it was created", "check both dates")
        changed = values["stage_changed_at"]
        if changed is not None and changed < created:
            problem("stage_changed_at", "stage changed before the deal was created", "check it")
