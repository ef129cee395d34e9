"""The CRM tables as SQLAlchemy Core ``Table`` objects, for the query modules.

One place for the handles, so every query module writes ``DEALS.c.owner_id`` against the same
objects as :mod:`crm_data.schema` declares.
"""

from __future__ import annotations

import sqlalchemy as sa

from crm_data.schema import (
    Account,
    Activity,
    Campaign,
    CampaignMember,
    Contact,
    Deal,
    DealStageHistory,
    Employee,
    LostReason,
    Order,
    OrderItem,
    Product,
    Stage,
    Team,
    Ticket,
)

__all__ = [
    "ACCOUNTS",
    "ACTIVITIES",
    "CAMPAIGNS",
    "CAMPAIGN_MEMBERS",
    "CONTACTS",
    "DEALS",
    "EMPLOYEES",
    "HISTORY",
    "LOST_REASONS",
    "ORDERS",
    "ORDER_ITEMS",
    "PRODUCTS",
    "STAGES",
    "TEAMS",
    "TICKETS",
]

ACCOUNTS: sa.Table = Account.__table__  # type: ignore[assignment]
ACTIVITIES: sa.Table = Activity.__table__  # type: ignore[assignment]
CAMPAIGNS: sa.Table = Campaign.__table__  # type: ignore[assignment]
CAMPAIGN_MEMBERS: sa.Table = CampaignMember.__table__  # type: ignore[assignment]
CONTACTS: sa.Table = Contact.__table__  # type: ignore[assignment]
DEALS: sa.Table = Deal.__table__  # type: ignore[assignment]
EMPLOYEES: sa.Table = Employee.__table__  # type: ignore[assignment]
HISTORY: sa.Table = DealStageHistory.__table__  # type: ignore[assignment]
LOST_REASONS: sa.Table = LostReason.__table__  # type: ignore[assignment]
ORDERS: sa.Table = Order.__table__  # type: ignore[assignment]
ORDER_ITEMS: sa.Table = OrderItem.__table__  # type: ignore[assignment]
PRODUCTS: sa.Table = Product.__table__  # type: ignore[assignment]
STAGES: sa.Table = Stage.__table__  # type: ignore[assignment]
TEAMS: sa.Table = Team.__table__  # type: ignore[assignment]
TICKETS: sa.Table = Ticket.__table__  # type: ignore[assignment]
