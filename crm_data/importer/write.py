"""Writing valid deal records: upserts by external id, references found or created.

Everything runs on the caller's connection, inside the caller's single transaction
(:func:`crm_data.importer.run.import_file` opens it with ``engine.begin()``): any failure rolls
back every table.

External ids
    ``import_keys (source, table_name, external_id) -> row_id`` (:class:`crm_data.schema.
    ImportKey`) remembers the row each record of a source became.  A deal whose key is known
    is updated by primary key (only when a value changed); a new one gets the next id after the
    table's current maximum.  Accounts, owners, teams, stages and lost reasons given by name are
    keyed the same way (``external_id`` = the name; ``<pipeline>/<name>`` for a stage): a known
    key is reused, else an existing row of that name is taken (an owner written with ``@`` is
    looked up by e-mail), else a row is created.  Created owners are reps hired on the day of
    their first deal in the file; an owner given by name gets the placeholder e-mail
    ``<name>.<id>@imported.invalid``.

Stage history (an export has only the current stage and dates)
    Each deal gets a row in the pipeline's first stage at ``created_at``; if its current stage
    is another one, a second row for the current stage at ``stage_changed_at`` when the sheet
    gives it, else at ``closed_at`` for a won or lost deal, else at ``created_at``.  Both rows
    carry the deal's amount and its owner as ``changed_by``.  An updated deal's history is
    rebuilt the same way.

DuckDB
    DuckDB cannot change a foreign-key column of a row that another row references, not even
    after deleting the referencing rows in the same transaction (its "over-eager constraint
    checking").  So on DuckDB the history rows of the deals the file already holds are first
    moved, in a transaction of their own, into ``import_pending_history``
    (:func:`detach_history`); the import's transaction puts back those of the deals that did
    not change, rebuilds the others and empties that table (:func:`clear_pending`), so both
    commit together.  If the import fails, :func:`restore_history` puts every moved row back;
    if it dies before committing (the process killed, the machine down), the rows wait in
    ``import_pending_history`` and the next import puts them back first
    (:func:`recover_pending`): the deals are as they were, so their history is too.  Deals
    referenced by other rows (activities, orders) cannot be updated on DuckDB.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from access.roles import EmployeeRole
from crm_data.bulk import bulk_insert
from crm_data.importer.mapping import ImportMapping
from crm_data.importer.validate import DealRecord
from crm_data.schema import (
    Account,
    Deal,
    DealStageHistory,
    Employee,
    ImportKey,
    LostReason,
    PendingHistory,
    Stage,
    Team,
)

__all__ = [
    "HISTORY_RULE",
    "DealWriter",
    "References",
    "TableCounts",
    "clear_pending",
    "detach_history",
    "recover_pending",
    "restore_history",
]

HISTORY_RULE = (
    "stage history: the first stage at the creation date, then the current stage at its "
    "stage-change date, else the close date for won/lost deals, else the creation date"
)
PLACEHOLDER_DOMAIN = "imported.invalid"
KEYS = ImportKey.__table__
DEALS: sa.Table = Deal.__table__  # type: ignore[assignment]
HISTORY: sa.Table = DealStageHistory.__table__  # type: ignore[assignment]
PENDING: sa.Table = PendingHistory.__table__  # type: ignore[assignment]
#: deals columns an import sets (``campaign_id`` is left alone)
DEAL_COLUMNS = (
    "account_id",
    "owner_id",
    "title",
    "product_line",
    "amount",
    "currency",
    "source",
    "created_at",
    "expected_close_at",
    "closed_at",
    "status",
    "stage_id",
    "lost_reason_id",
)
_IN_BATCH = 500


@dataclass
class TableCounts:
    """Rows of one table: read from the file, added, updated and rejected."""

    read: int = 0
    added: int = 0
    updated: int = 0
    rejected: int = 0


@dataclass
class References:
    """The names the valid rows refer to, gathered while checking the file.

    ``accounts`` and ``owners`` map a name to the earliest creation date of its deals (an
    account's ``created_at``, an owner's ``hired_at``); ``owner_teams`` an owner to the team of
    its first row.
    """

    accounts: dict[str, datetime] = field(default_factory=dict)
    owners: dict[str, datetime] = field(default_factory=dict)
    owner_teams: dict[str, str] = field(default_factory=dict)
    teams: set[str] = field(default_factory=set)
    lost_reasons: set[str] = field(default_factory=set)
    deals: list[str] = field(default_factory=list)

    def add(self, records: Iterable[DealRecord]) -> None:
        """Note the names and the external ids of ``records``."""
        for r in records:
            self.deals.append(r.external_id)
            self.accounts[r.account] = min(self.accounts.get(r.account, r.created_at), r.created_at)
            self.owners[r.owner] = min(self.owners.get(r.owner, r.created_at), r.created_at)
            if r.team:
                self.teams.add(r.team)
                self.owner_teams.setdefault(r.owner, r.team)
            if r.lost_reason:
                self.lost_reasons.add(r.lost_reason)


def _in_batches(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _IN_BATCH):
        yield values[start : start + _IN_BATCH]


def _next_id(conn: sa.Connection, table: sa.Table) -> int:
    # ``scalar_one`` fetches to the end: DuckDB refuses other work on a half-read result
    return int(conn.execute(sa.select(sa.func.max(table.c.id))).scalar_one() or 0) + 1


def known_keys(
    conn: sa.Connection, source: str, table: str, external_ids: Sequence[str]
) -> dict[str, int]:
    """External id → row id of the ``table`` rows of ``source`` that ``import_keys`` knows."""
    found: dict[str, int] = {}
    for batch in _in_batches(external_ids):
        rows = conn.execute(
            sa.select(KEYS.c.external_id, KEYS.c.row_id).where(
                KEYS.c.source == source,
                KEYS.c.table_name == table,
                KEYS.c.external_id.in_(batch),
            )
        ).all()
        found.update({key: int(row_id) for key, row_id in rows})
    return found


def detach_history(engine: sa.Engine, source: str, external_ids: Sequence[str]) -> pd.DataFrame:
    """Delete (and commit) the stage history of the deals of ``source`` with these external ids.

    Parameters
    ----------
    engine : sa.Engine
        The CRM database (DuckDB; see the module docstring).
    source : str
        The mapping's source.
    external_ids : sequence of str
        The deals' external ids.

    Returns
    -------
    DataFrame
        The deleted rows (every column), for :class:`DealWriter` and :func:`restore_history`.
    """
    with engine.begin() as conn:  # the rows leave the history and enter the journal at once
        ids = sorted(set(known_keys(conn, source, "deals", external_ids).values()))
        parts = []
        for batch in _in_batches(ids):
            rows = conn.execute(sa.select(HISTORY).where(HISTORY.c.deal_id.in_(batch))).all()
            parts.append(pd.DataFrame(rows, columns=list(HISTORY.c.keys())))
        frame = _history_frame(parts)
        if not frame.empty:
            bulk_insert(conn, PENDING, frame)
        for batch in _in_batches(ids):
            conn.execute(HISTORY.delete().where(HISTORY.c.deal_id.in_(batch)))
    return frame


def _history_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """History rows read in parts, typed for :func:`crm_data.bulk.bulk_insert`."""
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if not frame.empty:
        frame["changed_by"] = pd.array(frame["changed_by"].tolist(), dtype="Int64")
        frame["entered_at"] = pd.to_datetime(frame["entered_at"])
    return frame


def clear_pending(conn: sa.Connection) -> None:
    """Empty ``import_pending_history``, inside the import's transaction (it commits with it)."""
    conn.execute(PENDING.delete())


def restore_history(engine: sa.Engine, frame: pd.DataFrame) -> None:
    """Put back the rows :func:`detach_history` took out (after a failed import)."""
    with engine.begin() as conn:
        bulk_insert(conn, HISTORY, frame)
        clear_pending(conn)


def recover_pending(engine: sa.Engine) -> int:
    """Put back the history rows an import that died midway left in
    ``import_pending_history`` (see the module docstring); the number put back.
    """
    with engine.begin() as conn:
        if not sa.inspect(conn).has_table(PENDING.name):
            return 0
        rows = conn.execute(sa.select(PENDING).order_by(PENDING.c.id)).all()
        frame = _history_frame([pd.DataFrame(rows, columns=list(PENDING.c.keys()))])
        if not frame.empty:
            bulk_insert(conn, HISTORY, frame)
            clear_pending(conn)
    return len(frame)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", ".", name.casefold()).strip(".") or "employee"


class DealWriter:
    """Writes the deals of one import on one connection (see the module docstring).

    Parameters
    ----------
    conn : sa.Connection
        A connection inside the import's transaction.
    mapping : ImportMapping
        The import's mapping (its ``source``, pipeline and stages).
    counts : dict of str to TableCounts
        Table name → counts, updated as rows are added and updated.
    detached : DataFrame, optional
        The history rows :func:`detach_history` took out (DuckDB): those of unchanged deals
        are put back.
    """

    def __init__(
        self,
        conn: sa.Connection,
        mapping: ImportMapping,
        counts: dict[str, TableCounts],
        detached: pd.DataFrame | None = None,
    ) -> None:
        self.conn = conn
        self.mapping = mapping
        self.counts = counts
        self.detached = detached if detached is not None and not detached.empty else None
        self.ids: dict[str, dict[str, int]] = {}
        self.first_stage = f"{mapping.pipeline}/{mapping.stages[0].name}"
        self.next_deal = _next_id(conn, DEALS)
        taken = int(self.detached["id"].max()) + 1 if self.detached is not None else 1
        self.next_history = max(_next_id(conn, HISTORY), taken)

    # ---- keys -------------------------------------------------------------------------------

    def _known(self, table: str, external_ids: Sequence[str]) -> dict[str, int]:
        return known_keys(self.conn, self.mapping.source, table, external_ids)

    def _remember(self, table: str, ids: dict[str, int]) -> None:
        frame = pd.DataFrame(
            {
                "source": self.mapping.source,
                "table_name": table,
                "external_id": list(ids),
                "row_id": list(ids.values()),
            }
        )
        bulk_insert(self.conn, KEYS, frame)  # type: ignore[arg-type]

    def _resolve(
        self,
        table: sa.Table,
        keys: dict[str, str],
        match: sa.ColumnElement[Any],
        where: sa.ColumnElement[bool] | None,
        new_rows: Callable[[list[str], list[int]], pd.DataFrame],
    ) -> dict[str, int]:
        """Key → id for the rows named by ``keys`` (key → the value ``match`` is compared
        with): known keys, else existing rows, else rows ``new_rows(keys, ids)`` creates.
        """
        ids = self._known(table.name, list(keys))
        missing = [k for k in keys if k not in ids]
        wanted = {keys[k] for k in missing}
        existing: dict[str, int] = {}
        for batch in _in_batches(sorted(wanted)):
            query = sa.select(match, table.c.id).where(match.in_(batch)).order_by(table.c.id)
            if where is not None:
                query = query.where(where)
            for value, row_id in self.conn.execute(query).all():
                existing.setdefault(value, int(row_id))
        taken = {k: existing[keys[k]] for k in missing if keys[k] in existing}
        # one new row per value: keys that differ only where ``match`` does not (e-mails in
        # other letter cases) share it
        first: dict[str, str] = {}
        for k in missing:
            if k not in taken:
                first.setdefault(keys[k], k)
        create = list(first.values())
        start = _next_id(self.conn, table)
        value_ids = {keys[k]: start + i for i, k in enumerate(create)}
        if create:
            bulk_insert(self.conn, table, new_rows(create, list(value_ids.values())))
            self.counts.setdefault(table.name, TableCounts()).added += len(create)
        fresh = {**taken, **{k: value_ids[keys[k]] for k in missing if k not in taken}}
        if fresh:
            self._remember(table.name, fresh)
        return {**ids, **fresh}

    # ---- references -------------------------------------------------------------------------

    def prepare(self, refs: References) -> None:
        """Find or create the stages of the pipeline and every name ``refs`` holds."""
        m = self.mapping
        stages: sa.Table = Stage.__table__  # type: ignore[assignment]
        specs = {f"{m.pipeline}/{s.name}": s for s in m.stages}
        self.ids["stages"] = self._resolve(
            stages,
            {key: s.name for key, s in specs.items()},
            stages.c.name,
            stages.c.pipeline == m.pipeline,
            lambda keys, ids: pd.DataFrame(
                {
                    "id": ids,
                    "pipeline": m.pipeline,
                    "name": [specs[k].name for k in keys],
                    "position": [specs[k].position for k in keys],
                    "probability": [specs[k].probability for k in keys],
                    "is_won": [specs[k].won for k in keys],
                    "is_lost": [specs[k].lost for k in keys],
                }
            ),
        )
        teams: sa.Table = Team.__table__  # type: ignore[assignment]
        self.ids["teams"] = self._named(teams, refs.teams)
        self.ids["lost_reasons"] = self._named(
            LostReason.__table__,  # type: ignore[arg-type]
            refs.lost_reasons,
        )
        self._owners(refs)
        accounts: sa.Table = Account.__table__  # type: ignore[assignment]
        self.ids["accounts"] = self._resolve(
            accounts,
            {name: name for name in refs.accounts},
            accounts.c.name,
            None,
            lambda keys, ids: pd.DataFrame(
                {
                    "id": ids,
                    "name": keys,
                    "kind": "company",
                    "created_at": pd.to_datetime([refs.accounts[k] for k in keys]),
                }
            ),
        )

    def _named(self, table: sa.Table, names: set[str]) -> dict[str, int]:
        """Find or create rows of ``table`` that have just a ``name``."""
        return self._resolve(
            table,
            {name: name for name in names},
            table.c.name,
            None,
            lambda keys, ids: pd.DataFrame({"id": ids, "name": keys}),
        )

    def _owners(self, refs: References) -> None:
        employees: sa.Table = Employee.__table__  # type: ignore[assignment]
        teams = self.ids["teams"]
        by_email = {k: k.lower() for k in refs.owners if "@" in k}
        by_name = {k: k for k in refs.owners if "@" not in k}

        def new_rows(keys: list[str], ids: list[int]) -> pd.DataFrame:
            emails = [
                k.lower() if "@" in k else f"{_slug(k)}.{i}@{PLACEHOLDER_DOMAIN}"
                for k, i in zip(keys, ids, strict=True)
            ]
            team_ids = [teams.get(refs.owner_teams.get(k, "")) for k in keys]
            return pd.DataFrame(
                {
                    "id": ids,
                    "name": [k.split("@")[0] if "@" in k else k for k in keys],
                    "email": emails,
                    "role": str(EmployeeRole.REP),
                    "team_id": pd.array(team_ids, dtype="Int64"),
                    "hired_at": pd.to_datetime([refs.owners[k] for k in keys]).normalize(),
                }
            )

        ids = self._resolve(employees, by_email, sa.func.lower(employees.c.email), None, new_rows)
        ids.update(self._resolve(employees, by_name, employees.c.name, None, new_rows))
        self.ids["employees"] = ids

    # ---- deals ------------------------------------------------------------------------------

    def _values(self, r: DealRecord) -> dict[str, Any]:
        return {
            "account_id": self.ids["accounts"][r.account],
            "owner_id": self.ids["employees"][r.owner],
            "title": r.title,
            "product_line": r.product_line,
            "amount": r.amount,
            "currency": r.currency,
            "source": r.source,
            "created_at": r.created_at,
            "expected_close_at": r.expected_close_at,
            "closed_at": r.closed_at,
            "status": r.status,
            "stage_id": self.ids["stages"][f"{self.mapping.pipeline}/{r.stage}"],
            "lost_reason_id": self.ids["lost_reasons"][r.lost_reason] if r.lost_reason else None,
        }

    def write(self, records: Sequence[DealRecord]) -> None:
        """Upsert ``records`` into ``deals`` and rebuild the stage history of those written."""
        counts = self.counts.setdefault("deals", TableCounts())
        known = self._known("deals", [r.external_id for r in records])
        values = {r.external_id: self._values(r) for r in records}
        stored = self._stored([known[k] for k in values if k in known])
        changed = [
            (known[k], v) for k, v in values.items() if k in known and stored.get(known[k]) != v
        ]
        if changed:
            ids = [row_id for row_id, _ in changed]
            for batch in _in_batches(ids):
                self.conn.execute(HISTORY.delete().where(HISTORY.c.deal_id.in_(batch)))
            self.conn.execute(
                DEALS.update().where(DEALS.c.id == sa.bindparam("row_id")),
                [{"row_id": row_id, **v} for row_id, v in changed],
            )
            counts.updated += len(changed)
        new = [r.external_id for r in records if r.external_id not in known]
        new_ids = dict(zip(new, range(self.next_deal, self.next_deal + len(new)), strict=True))
        self.next_deal += len(new)
        if new:
            frame = pd.DataFrame([{"id": new_ids[k], **values[k]} for k in new])
            frame["lost_reason_id"] = pd.array(frame["lost_reason_id"].tolist(), dtype="Int64")
            for column in ("created_at", "closed_at", "expected_close_at"):
                frame[column] = pd.to_datetime(frame[column])
            bulk_insert(self.conn, DEALS, frame)
            self._remember("deals", new_ids)
            counts.added += len(new)
        changed_ids = {row_id for row_id, _ in changed}
        if self.detached is not None:  # put back the history of the unchanged deals
            kept = {known[k] for k in values if k in known} - changed_ids
            bulk_insert(self.conn, HISTORY, self.detached[self.detached["deal_id"].isin(kept)])
        by_key = {r.external_id: r for r in records}
        self._history([(known[k], by_key[k]) for k in values if known.get(k) in changed_ids], False)
        self._history([(new_ids[k], by_key[k]) for k in new], True)

    def _stored(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        stored: dict[int, dict[str, Any]] = {}
        columns = [DEALS.c[c] for c in DEAL_COLUMNS]
        for batch in _in_batches(ids):
            for row in self.conn.execute(
                sa.select(DEALS.c.id, *columns).where(DEALS.c.id.in_(batch))
            ).all():
                stored[int(row[0])] = dict(zip(DEAL_COLUMNS, row[1:], strict=True))
        return stored

    def _history(self, deals: Sequence[tuple[int, DealRecord]], new: bool) -> None:
        """Stage history rows of ``deals`` (deal id, record) by :data:`HISTORY_RULE`;
        counted as added for ``new`` deals, else as updated (rebuilt).
        """
        rows = []
        for deal_id, r in deals:
            owner = self.ids["employees"][r.owner]
            current = f"{self.mapping.pipeline}/{r.stage}"
            entered = [(self.first_stage, r.created_at)]
            if current != self.first_stage:
                closed = r.closed_at if r.status != "open" else None
                entered.append((current, r.stage_changed_at or closed or r.created_at))
            rows += [
                {
                    "deal_id": deal_id,
                    "stage_id": self.ids["stages"][stage],
                    "entered_at": at,
                    "amount": r.amount,
                    "changed_by": owner,
                }
                for stage, at in entered
            ]
        if not rows:
            return
        frame = pd.DataFrame(rows)
        frame.insert(0, "id", range(self.next_history, self.next_history + len(frame)))
        frame["entered_at"] = pd.to_datetime(frame["entered_at"])
        self.next_history += len(frame)
        bulk_insert(self.conn, HISTORY, frame)
        counts = self.counts.setdefault(HISTORY.name, TableCounts())
        if new:
            counts.added += len(frame)
        else:
            counts.updated += len(frame)
