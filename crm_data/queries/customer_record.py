"""One customer's record for the 360 view: search, attributes, orders, deals, activities,
tickets and campaign responses.

Every function reads one account only (the indexed ``account_id`` columns), so the view stays
fast whatever the size of the database.  Access scope is the account's: a rep sees the
accounts they own, a head the team's (:func:`crm_data.queries.where.account_conditions`); an
account outside the scope reads as an empty frame, exactly as one that does not exist, so a
search or a link cannot tell another rep's customer from no customer.  The global filters
(rep, team, region) do not hide a customer the scope may see: the view is about one customer.

Time convention as in :mod:`crm_data.queries.history`: the state at ``as_of`` is made of the
events strictly before ``Filters.as_of_ts``; an answer, resolution or response given at or
after it reads as not given yet.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.queries.frames import Bind, Kind, empty_frame, read_frame
from crm_data.queries.history import still_planned_at
from crm_data.queries.tables import (
    ACCOUNTS,
    ACTIVITIES,
    CAMPAIGN_MEMBERS,
    CAMPAIGNS,
    CONTACTS,
    DEALS,
    EMPLOYEES,
    HISTORY,
    ORDER_ITEMS,
    ORDERS,
    STAGES,
    TICKETS,
)
from crm_data.queries.where import account_conditions

__all__ = [
    "MAX_ROWS",
    "MAX_SEARCH_LENGTH",
    "customer_activities",
    "customer_campaigns",
    "customer_deals",
    "customer_order_totals",
    "customer_orders",
    "customer_profile",
    "customer_tickets",
    "find_customers",
]

#: At most this many rows of one kind (orders, activities, ...) are read for one customer,
#: the latest first.
MAX_ROWS = 500
#: Longer search texts are cut to this many characters.
MAX_SEARCH_LENGTH = 100


def _visible(scope: Scope) -> list[sa.ColumnElement[bool]]:
    """The scope's conditions on ``accounts.id``."""
    return account_conditions(ACCOUNTS.c.id, scope, None)


def _only(column: Any, account_id: int, scope: Scope) -> list[sa.ColumnElement[bool]]:
    """``column`` (an account id column) is ``account_id``, and the scope may see it."""
    return [column == account_id, *account_conditions(column, scope, None)]


def _before(column: Any, filters: Filters) -> sa.ColumnElement[Any]:
    """``column`` if it happened before ``as_of``, else NULL (not happened yet)."""
    return sa.case((column < filters.as_of_ts, column), else_=sa.null())


def _like(text: str) -> str:
    r"""A LIKE pattern matching ``text`` anywhere, its own wildcards escaped with ``\``."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def find_customers(bind: Bind, scope: Scope, text: str, limit: int = 20) -> pd.DataFrame:
    """Accounts ``scope`` may see whose name or a contact's e-mail contains ``text`` (any
    case), or whose id is ``text``.

    Parameters
    ----------
    bind : Engine or Connection
        The CRM database.
    scope : Scope
        Whose accounts may be found.
    text : str
        What was typed; stripped and cut to :data:`MAX_SEARCH_LENGTH` characters.  An empty
        text finds nothing.
    limit : int
        At most this many accounts (1–100), an exact id first, then by name.

    Returns
    -------
    DataFrame
        ``account_id`` int, ``name`` str, ``kind`` str, ``region`` str, ``owner`` str (NA
        without an owner), ``email`` str (the first matching contact e-mail, NA when the name
        or id matched).
    """
    text = text.strip()[:MAX_SEARCH_LENGTH]
    limit = max(1, min(int(limit), 100))
    kinds: dict[str, Kind] = {"account_id": "int", "name": "str", "kind": "str",
                              "region": "str", "owner": "str", "email": "str"}  # fmt: skip
    if not text:
        return empty_frame(kinds)
    pattern = _like(text)
    mail = (
        sa.select(CONTACTS.c.account_id, sa.func.min(CONTACTS.c.email).label("email"))
        .where(sa.func.lower(CONTACTS.c.email).like(pattern, escape="\\"))
        .group_by(CONTACTS.c.account_id)
        .subquery("mail")
    )
    matches: list[sa.ColumnElement[bool]] = [
        sa.func.lower(ACCOUNTS.c.name).like(pattern, escape="\\"),
        mail.c.account_id.is_not(None),
    ]
    exact: sa.ColumnElement[bool] = sa.literal(False)
    if text.isdigit() and len(text) <= 18:
        exact = ACCOUNTS.c.id == int(text)
        matches.append(exact)
    stmt = (
        sa.select(*_columns(mail.c.email))
        .select_from(
            ACCOUNTS.outerjoin(EMPLOYEES, EMPLOYEES.c.id == ACCOUNTS.c.owner_id).outerjoin(
                mail, mail.c.account_id == ACCOUNTS.c.id
            )
        )
        .where(sa.or_(*matches), *_visible(scope))
        .order_by(sa.case((exact, 0), else_=1), ACCOUNTS.c.name, ACCOUNTS.c.id)
        .limit(limit)
    )
    return read_frame(bind, stmt, kinds)


def _columns(email: Any) -> list[Any]:
    """The columns of :func:`find_customers`."""
    return [ACCOUNTS.c.id.label("account_id"), ACCOUNTS.c.name, ACCOUNTS.c.kind,
            ACCOUNTS.c.region, EMPLOYEES.c.name.label("owner"),
            sa.cast(email, sa.String).label("email")]  # fmt: skip


def customer_profile(bind: Bind, scope: Scope, account_id: int) -> pd.DataFrame:
    """The account's attributes as they are now (one row; none when ``scope`` may not see it).

    Returns
    -------
    DataFrame
        ``account_id`` int, ``name``, ``kind``, ``industry``, ``region``, ``city``,
        ``size_band``, ``source`` str, ``owner_id`` Int64, ``owner`` str, ``created_at``
        datetime64, ``gender`` str, ``birth_year`` Int64, ``income_band`` str, ``contacts`` int
        (people at the account), ``email`` str (a contact's e-mail, NA without one).
    """
    a = ACCOUNTS.c
    of_account = CONTACTS.c.account_id == a.id
    contacts = sa.select(sa.func.count()).where(of_account).scalar_subquery()
    email = sa.select(sa.func.min(CONTACTS.c.email)).where(of_account).scalar_subquery()
    stmt = (
        sa.select(
            a.id.label("account_id"),
            a.name,
            a.kind,
            a.industry,
            a.region,
            a.city,
            a.size_band,
            a.source,
            a.owner_id,
            EMPLOYEES.c.name.label("owner"),
            a.created_at,
            a.gender,
            a.birth_year,
            a.income_band,
            contacts.label("contacts"),
            email.label("email"),
        )
        .select_from(ACCOUNTS.outerjoin(EMPLOYEES, EMPLOYEES.c.id == a.owner_id))
        .where(*_only(a.id, account_id, scope))
    )
    kinds: dict[str, Kind] = {
        "account_id": "int", "name": "str", "kind": "str", "industry": "str", "region": "str",
        "city": "str", "size_band": "str", "source": "str", "owner_id": "Int", "owner": "str",
        "created_at": "datetime", "gender": "str", "birth_year": "Int", "income_band": "str",
        "contacts": "int", "email": "str",
    }  # fmt: skip
    return read_frame(bind, stmt, kinds)


def customer_orders(bind: Bind, filters: Filters, scope: Scope, account_id: int) -> pd.DataFrame:
    """The account's orders placed before ``as_of``, the latest first (at most
    :data:`MAX_ROWS`).

    Returns
    -------
    DataFrame
        ``order_id`` int, ``ordered_at`` datetime64, ``amount`` float, ``items`` int (order
        lines), ``channel`` str, ``payment_method`` str.
    """
    o = ORDERS.c
    items = (
        sa.select(ORDER_ITEMS.c.order_id, sa.func.count().label("items"))
        .where(ORDER_ITEMS.c.order_id.in_(sa.select(o.id).where(o.account_id == account_id)))
        .group_by(ORDER_ITEMS.c.order_id)
        .subquery("items")
    )
    stmt = (
        sa.select(
            o.id.label("order_id"),
            o.ordered_at,
            o.amount,
            sa.func.coalesce(items.c["items"], 0).label("items"),
            o.channel,
            o.payment_method,
        )
        .select_from(ORDERS.outerjoin(items, items.c.order_id == o.id))
        .where(*_only(o.account_id, account_id, scope), o.ordered_at < filters.as_of_ts)
        .order_by(o.ordered_at.desc(), o.id.desc())
        .limit(MAX_ROWS)
    )
    kinds: dict[str, Kind] = {"order_id": "int", "ordered_at": "datetime", "amount": "float",
                              "items": "int", "channel": "str",
                              "payment_method": "str"}  # fmt: skip
    return read_frame(bind, stmt, kinds)


def customer_order_totals(
    bind: Bind, filters: Filters, scope: Scope, account_id: int
) -> pd.DataFrame:
    """All the account's orders placed before ``as_of``, totalled (one row, zeros without
    orders; no row when ``scope`` may not see the account).

    Returns
    -------
    DataFrame
        ``orders`` int, ``revenue`` float (sum of the amounts), ``first_order_at``,
        ``last_order_at`` datetime64 (NaT without orders).
    """
    o = ORDERS.c
    totals = (
        sa.select(
            sa.func.count(o.id).label("orders"),
            sa.func.coalesce(sa.func.sum(o.amount), 0.0).label("revenue"),
            sa.func.min(o.ordered_at).label("first_order_at"),
            sa.func.max(o.ordered_at).label("last_order_at"),
        )
        .where(o.account_id == account_id, o.ordered_at < filters.as_of_ts)
        .subquery("totals")
    )
    stmt = sa.select(*totals.c).where(
        sa.exists(sa.select(ACCOUNTS.c.id).where(*_only(ACCOUNTS.c.id, account_id, scope)))
    )
    kinds: dict[str, Kind] = {"orders": "int", "revenue": "float", "first_order_at": "datetime",
                              "last_order_at": "datetime"}  # fmt: skip
    return read_frame(bind, stmt, kinds)


def customer_deals(bind: Bind, filters: Filters, scope: Scope, account_id: int) -> pd.DataFrame:
    """The account's deals created before ``as_of`` as they stood then, the latest first.

    A deal's stage and amount are those of its last stage change before ``as_of``; its status
    is ``won``/``lost`` if it closed before ``as_of``, else ``open``.

    Returns
    -------
    DataFrame
        ``deal_id`` int, ``title`` str, ``product_line`` str, ``owner`` str, ``stage`` str,
        ``status`` str, ``amount`` float, ``currency`` str, ``created_at``, ``closed_at``
        datetime64 (NaT while open at ``as_of``), ``stage_entered_at`` datetime64, ``stages``
        int (stage changes so far, the creation included).
    """
    d, h = DEALS.c, HISTORY.c
    as_of = filters.as_of_ts
    mine = sa.select(d.id).where(*_only(d.account_id, account_id, scope), d.created_at < as_of)
    ranked = (
        sa.select(
            h.deal_id,
            h.stage_id,
            h.amount,
            h.entered_at,
            sa.func.row_number()
            .over(partition_by=h.deal_id, order_by=(h.entered_at.desc(), h.id.desc()))
            .label("rn"),
            sa.func.count().over(partition_by=h.deal_id).label("stages"),
        )
        .where(h.deal_id.in_(mine), h.entered_at < as_of)
        .subquery("ranked")
    )
    closed = sa.and_(d.closed_at.is_not(None), d.closed_at < as_of)
    stmt = (
        sa.select(
            d.id.label("deal_id"),
            d.title,
            d.product_line,
            EMPLOYEES.c.name.label("owner"),
            STAGES.c.name.label("stage"),
            sa.case((closed, d.status), else_=sa.literal("open", sa.String)).label("status"),
            ranked.c.amount,
            d.currency,
            d.created_at,
            sa.case((closed, d.closed_at), else_=sa.null()).label("closed_at"),
            ranked.c.entered_at.label("stage_entered_at"),
            ranked.c.stages,
        )
        .select_from(
            DEALS.join(ranked, sa.and_(ranked.c.deal_id == d.id, ranked.c.rn == 1))
            .join(STAGES, STAGES.c.id == ranked.c.stage_id)
            .outerjoin(EMPLOYEES, EMPLOYEES.c.id == d.owner_id)
        )
        .order_by(d.created_at.desc(), d.id.desc())
        .limit(MAX_ROWS)
    )
    kinds: dict[str, Kind] = {
        "deal_id": "int", "title": "str", "product_line": "str", "owner": "str", "stage": "str",
        "status": "str", "amount": "float", "currency": "str", "created_at": "datetime",
        "closed_at": "datetime", "stage_entered_at": "datetime", "stages": "int",
    }  # fmt: skip
    return read_frame(bind, stmt, kinds)


def customer_activities(
    bind: Bind, filters: Filters, scope: Scope, account_id: int
) -> pd.DataFrame:
    """The account's activities done before ``as_of`` and those still planned then, the
    latest first (at most :data:`MAX_ROWS`; cancelled ones are left out).

    Activities carry no creation time: one planned now is taken as planned at ``as_of``, and
    one done at or after ``as_of`` was planned then only if it had a due date (otherwise
    nothing says it existed before it was done).

    Returns
    -------
    DataFrame
        ``activity_id`` int, ``type`` str, ``status`` str (``done`` or ``planned`` at
        ``as_of``), ``at`` datetime64 (when done, else when due; NaT for a planned activity
        without a due date), ``due_at`` datetime64, ``employee`` str, ``outcome`` str (NA
        while planned), ``duration_min`` float, ``deal_id`` Int64.
    """
    a = ACTIVITIES.c
    as_of = filters.as_of_ts
    done = sa.and_(a.status == "done", a.done_at < as_of)
    at = sa.case((done, a.done_at), else_=a.due_at)
    stmt = (
        sa.select(
            a.id.label("activity_id"),
            a.type,
            sa.case((done, "done"), else_=sa.literal("planned", sa.String)).label("status"),
            at.label("at"),
            a.due_at,
            EMPLOYEES.c.name.label("employee"),
            sa.case((done, a.outcome), else_=sa.null()).label("outcome"),
            sa.case((done, a.duration_min), else_=sa.null()).label("duration_min"),
            a.deal_id,
        )
        .select_from(ACTIVITIES.outerjoin(EMPLOYEES, EMPLOYEES.c.id == a.employee_id))
        .where(
            *_only(a.account_id, account_id, scope),
            sa.or_(
                done, a.status == "planned", sa.and_(still_planned_at(as_of), a.due_at.is_not(None))
            ),
        )
        .order_by(at.desc(), a.id.desc())
        .limit(MAX_ROWS)
    )
    kinds: dict[str, Kind] = {
        "activity_id": "int", "type": "str", "status": "str", "at": "datetime",
        "due_at": "datetime", "employee": "str", "outcome": "str", "duration_min": "float",
        "deal_id": "Int",
    }  # fmt: skip
    return read_frame(bind, stmt, kinds)


def customer_tickets(bind: Bind, filters: Filters, scope: Scope, account_id: int) -> pd.DataFrame:
    """The account's service tickets opened before ``as_of``, the latest first.

    Returns
    -------
    DataFrame
        ``ticket_id`` int, ``category``, ``priority`` str, ``opened_at``, ``first_response_at``,
        ``resolved_at`` datetime64 (NaT when not yet at ``as_of``), ``satisfaction`` Int64
        (given on resolution: NA while unresolved), ``assignee`` str.
    """
    t = TICKETS.c
    resolved = _before(t.resolved_at, filters)
    stmt = (
        sa.select(
            t.id.label("ticket_id"),
            t.category,
            t.priority,
            t.opened_at,
            _before(t.first_response_at, filters).label("first_response_at"),
            resolved.label("resolved_at"),
            sa.case((t.resolved_at < filters.as_of_ts, t.satisfaction), else_=sa.null()).label(
                "satisfaction"
            ),
            EMPLOYEES.c.name.label("assignee"),
        )
        .select_from(TICKETS.outerjoin(EMPLOYEES, EMPLOYEES.c.id == t.assignee_id))
        .where(*_only(t.account_id, account_id, scope), t.opened_at < filters.as_of_ts)
        .order_by(t.opened_at.desc(), t.id.desc())
        .limit(MAX_ROWS)
    )
    kinds: dict[str, Kind] = {
        "ticket_id": "int", "category": "str", "priority": "str", "opened_at": "datetime",
        "first_response_at": "datetime", "resolved_at": "datetime", "satisfaction": "Int",
        "assignee": "str",
    }  # fmt: skip
    return read_frame(bind, stmt, kinds)


def customer_campaigns(bind: Bind, filters: Filters, scope: Scope, account_id: int) -> pd.DataFrame:
    """The campaigns that reached the account before ``as_of`` and its responses, the latest
    first.

    Returns
    -------
    DataFrame
        ``campaign_id`` int, ``campaign`` str, ``channel`` str, ``sent_at`` datetime64,
        ``responded_at`` datetime64 (NaT without a response before ``as_of``), ``response``
        str (NA then).
    """
    m, c = CAMPAIGN_MEMBERS.c, CAMPAIGNS.c
    answered = m.responded_at < filters.as_of_ts
    stmt = (
        sa.select(
            c.id.label("campaign_id"),
            c.name.label("campaign"),
            c.channel,
            m.sent_at,
            sa.case((answered, m.responded_at), else_=sa.null()).label("responded_at"),
            sa.case((answered, m.response), else_=sa.null()).label("response"),
        )
        .select_from(CAMPAIGN_MEMBERS.join(CAMPAIGNS, c.id == m.campaign_id))
        .where(*_only(m.account_id, account_id, scope), m.sent_at < filters.as_of_ts)
        .order_by(m.sent_at.desc(), m.id.desc())
        .limit(MAX_ROWS)
    )
    kinds: dict[str, Kind] = {"campaign_id": "int", "campaign": "str", "channel": "str",
                              "sent_at": "datetime", "responded_at": "datetime",
                              "response": "str"}  # fmt: skip
    return read_frame(bind, stmt, kinds)
