"""Tombstone retention (purged_through) and an index for per-entity scope summaries.

Revision ID: s0003_retention
Revises: s0002_records
Create Date: 2026-11-23 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0003_retention"
down_revision: str | None = "s0002_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_counter", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purged_through", sa.BigInteger(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_record_territory_entity_version", ["territory", "entity", "version"]
        )


def downgrade() -> None:
    with op.batch_alter_table("record", schema=None) as batch_op:
        batch_op.drop_index("ix_record_territory_entity_version")
    with op.batch_alter_table("sync_counter", schema=None) as batch_op:
        batch_op.drop_column("purged_through")
