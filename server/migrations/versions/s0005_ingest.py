"""API keys of other systems and the events they sent (deduplication, unmatched queue).

Revision ID: s0005_ingest
Revises: s0004_settings
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0005_ingest"
down_revision: str | None = "s0004_settings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.create_index("ix_api_key_name", ["name"], unique=False)
    op.create_table(
        "ingested_event",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "event_id"),
    )
    with op.batch_alter_table("ingested_event", schema=None) as batch_op:
        batch_op.create_index("ix_ingested_event_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ingested_event", schema=None) as batch_op:
        batch_op.drop_index("ix_ingested_event_status")
    op.drop_table("ingested_event")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index("ix_api_key_name")
    op.drop_table("api_key")
