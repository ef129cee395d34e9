"""Campaign results: members, responses, deals that followed and their won revenue
(METRICS.md "Customers and segments", Campaigns).

The campaigns are those started in ``[start, end)`` and before ``as_of``.  A member *converted*
when a deal of its account was created within :data:`CONVERSION_DAYS` days from the day it was
sent the campaign (and before ``as_of``); the won amount of those deals (won before ``as_of``) is
the campaign's attributed revenue.  Members are scoped by their account
(``crm_data.queries.where.account_conditions``): a rep sees the members among the accounts they
own, so the report also gives every campaign's whole membership (to share its budget).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from crm_data.portable import days_between
from crm_data.queries.frames import Bind, Kind, read_frame, sort_rows
from crm_data.queries.tables import CAMPAIGN_MEMBERS, CAMPAIGNS, DEALS
from crm_data.queries.where import account_conditions, in_period

__all__ = ["CONVERSION_DAYS", "campaign_results"]

#: A deal created this many days after the campaign reached the account is the campaign's.
CONVERSION_DAYS = 60


def _per_member(filters: Filters, scope: Scope) -> sa.Subquery:
    """One row per member in scope: its campaign, whether it responded before ``as_of``, whether
    a deal followed and the won amount of the deals that followed.
    """
    m, d, c = CAMPAIGN_MEMBERS.c, DEALS.c, CAMPAIGNS.c
    as_of = filters.as_of_ts
    after = days_between(m.sent_at, d.created_at)
    followed = sa.and_(after >= 0, after < CONVERSION_DAYS, d.created_at < as_of)
    won = sa.and_(followed, d.status == "won", d.closed_at < as_of)
    deal_ids: Any = sa.case((followed, d.id))
    responded = sa.and_(m.responded_at.is_not(None), m.responded_at < as_of)
    return (
        sa.select(
            m.campaign_id,
            m.id.label("member_id"),
            sa.func.max(sa.case((responded, 1), else_=0)).label("responded"),
            sa.func.count(deal_ids).label("deals"),
            sa.func.coalesce(sa.func.sum(sa.case((won, d.amount))), 0.0).label("won_amount"),
        )
        .select_from(
            CAMPAIGN_MEMBERS.join(CAMPAIGNS, c.id == m.campaign_id).outerjoin(
                DEALS, d.account_id == m.account_id
            )
        )
        .where(
            in_period(c.started_at, filters),
            m.sent_at < as_of,
            *account_conditions(m.account_id, scope, filters),
        )
        .group_by(m.campaign_id, m.id)
        .subquery("per_member")
    )


def campaign_results(bind: Bind, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Per campaign started in the period: its members in scope, responses, conversions and
    attributed revenue, with its whole membership and budget.

    Returns
    -------
    DataFrame
        ``campaign_id`` int, ``name``, ``channel``, ``segment`` str, ``budget`` float,
        ``all_members`` int (every member sent before ``as_of``, whatever the scope),
        ``members``, ``responded``, ``converted`` int (members in scope), ``deals`` int (deals
        that followed), ``won_amount`` float; ordered by campaign id.  Campaigns without a
        member in scope are absent.
    """
    per_member = _per_member(filters, scope)
    c, m = CAMPAIGNS.c, CAMPAIGN_MEMBERS.c
    everyone = (
        sa.select(m.campaign_id, sa.func.count().label("all_members"))
        .where(m.sent_at < filters.as_of_ts)
        .group_by(m.campaign_id)
        .subquery("everyone")
    )
    p = per_member.c
    stmt = (
        sa.select(
            c.id.label("campaign_id"),
            c.name,
            c.channel,
            c.segment,
            c.budget,
            sa.func.max(everyone.c.all_members).label("all_members"),
            sa.func.count().label("members"),
            sa.func.sum(p.responded).label("responded"),
            sa.func.sum(sa.case((p.deals > 0, 1), else_=0)).label("converted"),
            sa.func.sum(p.deals).label("deals"),
            sa.func.sum(p.won_amount).label("won_amount"),
        )
        .select_from(
            per_member.join(CAMPAIGNS, c.id == p.campaign_id).join(
                everyone, everyone.c.campaign_id == p.campaign_id
            )
        )
        .group_by(c.id, c.name, c.channel, c.segment, c.budget)
    )
    kinds: dict[str, Kind] = {
        "campaign_id": "int", "name": "str", "channel": "str", "segment": "str",
        "budget": "float", "all_members": "int", "members": "int", "responded": "int",
        "converted": "int", "deals": "int", "won_amount": "float",
    }  # fmt: skip
    return sort_rows(read_frame(bind, stmt, kinds), ["campaign_id"]).reset_index(drop=True)
