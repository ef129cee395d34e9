"""Lists of deals: the largest won, lost or slipped in a period ("what changed"), and the
labels of the deals a list picked, for drill-through tables.

Time convention as in :mod:`crm_data.queries.history`: the state "at t" is made of the events
strictly before ``t``; ``t = Filters.as_of_ts``.  A deal is open at ``t`` when
``created_at < t`` and (``closed_at`` is NULL or ``closed_at >= t``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.queries.frames import Bind, Kind, empty_frame, read_frame
from crm_data.queries.history import dates_table, deal_states
from crm_data.queries.tables import ACCOUNTS, DEALS, EMPLOYEES, LOST_REASONS, STAGES
from crm_data.queries.where import deal_conditions, in_period

__all__ = ["deal_labels", "largest_deals"]


DealListKind = Literal["won", "lost", "slipped"]


def _labelled_deals(
    deals: sa.FromClause = DEALS, stage_id: Any = DEALS.c.stage_id
) -> sa.FromClause:
    """``deals`` (or a join holding it) with its account, owner and the stage ``stage_id``
    (default: the current one); outer joins, so missing rows give NA.
    """
    return (
        deals.outerjoin(ACCOUNTS, ACCOUNTS.c.id == DEALS.c.account_id)
        .outerjoin(EMPLOYEES, EMPLOYEES.c.id == DEALS.c.owner_id)
        .outerjoin(STAGES, STAGES.c.id == stage_id)
    )


_DEAL_LIST_KINDS: dict[str, Kind] = {
    "deal_id": "int",
    "title": "str",
    "account_id": "int",
    "account": "str",
    "owner_id": "int",
    "owner": "str",
    "product_line": "str",
    "stage": "str",
    "amount": "float",
    "closed_at": "datetime",
    "expected_close_at": "datetime",
    "lost_reason": "str",
}


def largest_deals(
    bind: Bind, filters: Filters, scope: Scope, kind: DealListKind, limit: int = 10
) -> pd.DataFrame:
    """The largest deals won, lost or slipped in ``[start, end)`` ("what changed").

    * ``won`` / ``lost``: deals with that status and ``closed_at`` in the period and before
      ``as_of``.
    * ``slipped``: deals open at ``as_of`` (created before it, not closed before it) whose
      ``expected_close_at`` falls in the period and before ``as_of``: they were expected to
      close and did not (with the default ``as_of = end`` the last condition is implied).
      This is the "expected close date passed" flag of METRICS.md **Stuck (rotting) deal**.
      Their stage and amount are those at ``as_of`` (their last history row before it,
      :func:`~crm_data.queries.history.deal_states`).

    Scope and filters apply to the deal; ordered by amount (account currency; of a won or
    lost deal ``deals.amount``) descending, then deal id; at most ``limit`` rows (LIMIT in
    SQL).

    Parameters
    ----------
    bind : Engine or Connection
        Where to run the query.
    filters, scope : Filters, Scope
        The period, as_of, narrowing lists and access scope.
    kind : {"won", "lost", "slipped"}
        Which list.
    limit : int
        Maximum number of rows.

    Returns
    -------
    DataFrame
        ``deal_id`` int, ``title`` str, ``account_id`` int, ``account`` str, ``owner_id`` int,
        ``owner`` str (NA if the owner row is missing), ``product_line`` str, ``stage`` str
        (the stage at ``as_of``), ``amount`` float, ``closed_at`` datetime64 (NaT for slipped),
        ``expected_close_at`` datetime64, ``lost_reason`` str (NA unless lost with a reason).
    """
    if kind == "slipped":
        states = deal_states(dates_table([filters.as_of_ts]), filters, scope)  # scoped, open
        deals = _labelled_deals(DEALS.join(states, states.c.deal_id == DEALS.c.id),
                                states.c.stage_id)  # fmt: skip
        amount: Any = states.c.amount
        conds = [in_period(DEALS.c.expected_close_at, filters)]
        closed_at: Any = sa.cast(sa.null(), sa.DateTime)
    elif kind in ("won", "lost"):
        deals, amount = _labelled_deals(), DEALS.c.amount
        conds = [
            *deal_conditions(DEALS, scope, filters),
            DEALS.c.status == kind,
            in_period(DEALS.c.closed_at, filters),
        ]
        closed_at = DEALS.c.closed_at
    else:
        raise ValueError(f"kind must be 'won', 'lost' or 'slipped', got {kind!r}")
    reason: Any = LOST_REASONS.c.name if kind == "lost" else sa.cast(sa.null(), sa.String)
    stmt = (
        sa.select(
            DEALS.c.id.label("deal_id"),
            DEALS.c.title,
            DEALS.c.account_id,
            ACCOUNTS.c.name.label("account"),
            DEALS.c.owner_id,
            EMPLOYEES.c.name.label("owner"),
            DEALS.c.product_line,
            STAGES.c.name.label("stage"),
            amount.label("amount"),
            closed_at.label("closed_at"),
            DEALS.c.expected_close_at,
            reason.label("lost_reason"),
        )
        .select_from(deals.outerjoin(LOST_REASONS, LOST_REASONS.c.id == DEALS.c.lost_reason_id))
        .where(*conds)
        .order_by(amount.desc(), DEALS.c.id)
        .limit(limit)
    )
    return read_frame(bind, stmt, _DEAL_LIST_KINDS)


_LABEL_KINDS: dict[str, Kind] = {
    "deal_id": "int",
    "title": "str",
    "account": "str",
    "owner": "str",
    "stage": "str",
    "status": "str",
    "amount": "float",
    "created_at": "datetime",
    "closed_at": "datetime",
    "expected_close_at": "datetime",
}


def deal_labels(bind: Bind, scope: Scope, deal_ids: Sequence[int]) -> pd.DataFrame:
    """Labels of the deals ``deal_ids`` that ``scope`` may see, for drill-through tables.

    Ids that do not exist or that the scope may not see are left out; no filters apply, and
    no ``as_of``: a label shows today's stage and status of a deal a list already picked.

    Returns
    -------
    DataFrame
        ``deal_id`` int, ``title`` str, ``account`` str, ``owner`` str, ``stage`` str (current
        stage), ``status`` str (current status), ``amount`` float (``deals.amount``),
        ``created_at``, ``closed_at``, ``expected_close_at`` datetime64; ordered by deal id.
        Empty ``deal_ids`` give an empty frame with these columns.
    """
    ids = sorted({int(i) for i in deal_ids})
    if not ids:
        return empty_frame(_LABEL_KINDS)
    stmt = (
        sa.select(
            DEALS.c.id.label("deal_id"),
            DEALS.c.title,
            ACCOUNTS.c.name.label("account"),
            EMPLOYEES.c.name.label("owner"),
            STAGES.c.name.label("stage"),
            DEALS.c.status,
            DEALS.c.amount,
            DEALS.c.created_at,
            DEALS.c.closed_at,
            DEALS.c.expected_close_at,
        )
        .select_from(_labelled_deals())
        .where(DEALS.c.id.in_(ids), *deal_conditions(DEALS, scope, None))
        .order_by(DEALS.c.id)
    )
    return read_frame(bind, stmt, _LABEL_KINDS)
