"""The import log: one row per import of a CRM export (issue #20).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

Frozen: the table is spelled out here, not taken from ``appdb.schema``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``import_log`` (and its id sequence where the database has sequences)."""
    if op.get_bind().dialect.supports_sequences:
        op.execute(sa.schema.CreateSequence(sa.Sequence("import_log_id_seq")))
    op.create_table(
        "import_log",
        sa.Column("id", sa.Integer, sa.Sequence("import_log_id_seq"), primary_key=True),
        sa.Column("imported_at", sa.DateTime, nullable=False),
        sa.Column("user_email", sa.String(320)),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("file_sha256", sa.String(64)),
        sa.Column("mapping_name", sa.String(200), nullable=False),
        sa.Column("rows_added", sa.Integer, nullable=False),
        sa.Column("rows_updated", sa.Integer, nullable=False),
        sa.Column("rows_rejected", sa.Integer, nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("message", sa.Text),
    )


def downgrade() -> None:
    """Drop ``import_log``."""
    op.drop_table("import_log")
    if op.get_bind().dialect.supports_sequences:
        op.execute(sa.schema.DropSequence(sa.Sequence("import_log_id_seq")))
