"""The forecasts the app showed, for their accuracy later (issue #19).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

Frozen: the table is spelled out here, not taken from ``appdb.schema``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``forecasts`` (and its id sequence where the database has sequences)."""
    if op.get_bind().dialect.supports_sequences:
        op.execute(sa.schema.CreateSequence(sa.Sequence("forecasts_id_seq")))
    op.create_table(
        "forecasts",
        sa.Column("id", sa.Integer, sa.Sequence("forecasts_id_seq"), primary_key=True),
        sa.Column("made_on", sa.Date, nullable=False),
        sa.Column("target_start", sa.Date, nullable=False),
        sa.Column("target_end", sa.Date, nullable=False),
        sa.Column("segment", sa.String(150), nullable=False),
        sa.Column("model", sa.String(50), nullable=False),
        sa.Column("value", sa.Double, nullable=False),
        sa.Column("lower", sa.Double),
        sa.Column("upper", sa.Double),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("made_on", "target_start", "target_end", "segment", "model"),
    )


def downgrade() -> None:
    """Drop ``forecasts``."""
    op.drop_table("forecasts")
    if op.get_bind().dialect.supports_sequences:
        op.execute(sa.schema.DropSequence(sa.Sequence("forecasts_id_seq")))
