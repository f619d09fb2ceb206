"""Outside keys (CRM ids) mapped to record ids by a table the server owns.

Accounts imported before this version got ids derived from their CRM id; their keys are
taken over from the records (data.source_system, data.source_id), so re-imports and
events by CRM id still find them.

Revision ID: s0008_outside_keys
Revises: s0007_sign_in_guard
Create Date: 2026-12-05 18:10:00
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "s0008_outside_keys"
down_revision: str | None = "s0007_sign_in_guard"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    keys = op.create_table(
        "outside_key",
        sa.Column("system", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system", "key"),
    )
    with op.batch_alter_table("outside_key", schema=None) as batch_op:
        batch_op.create_index("ix_outside_key_record_id", ["record_id"], unique=False)
    record = sa.table(
        "record",
        sa.column("entity", sa.String()),
        sa.column("id", sa.Uuid()),
        sa.column("data", sa.Text()),
    )
    rows = op.get_bind().execute(
        sa.select(record.c.id, sa.cast(record.c.data, sa.Text)).where(record.c.entity == "account")
    )
    now = datetime.now(UTC)
    taken = []
    for record_id, text in rows:
        data = json.loads(text)
        system, key = data.get("source_system"), data.get("source_id")
        if isinstance(system, str) and isinstance(key, str) and system and key:
            taken.append(
                {
                    "system": system[:100],
                    "key": key[:200],
                    "entity": "account",
                    "record_id": record_id,
                    "created_at": now,
                }
            )
    if taken:
        op.bulk_insert(keys, taken)


def downgrade() -> None:
    op.drop_table("outside_key")
