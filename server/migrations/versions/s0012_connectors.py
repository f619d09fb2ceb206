"""Connectors: webhook secrets of Stripe, Zendesk and HubSpot, and their deliveries.

Revision ID: s0012_connectors
Revises: s0011_console
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0012_connectors"
down_revision: str | None = "s0011_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connector",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("secret", sa.String(length=1000), nullable=False),
        sa.Column("api_key", sa.String(length=1000), nullable=True),
        sa.Column("api_url", sa.String(length=200), nullable=True),
        sa.Column("public_url", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "hook_delivery",
        sa.Column("connector", sa.String(length=20), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("outcome", sa.String(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("connector", "delivery_id"),
    )
    with op.batch_alter_table("hook_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_hook_delivery_received_at", ["received_at"], unique=False)
        batch_op.create_index("ix_hook_delivery_status_due", ["status", "due_at"], unique=False)
    op.create_table(
        "stripe_charge",
        sa.Column("charge_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=100), nullable=True),
        sa.Column("invoice", sa.String(length=100), nullable=True),
        sa.Column("dispute_id", sa.String(length=100), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("charge_id"),
    )


def downgrade() -> None:
    op.drop_table("stripe_charge")
    with op.batch_alter_table("hook_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_hook_delivery_status_due")
        batch_op.drop_index("ix_hook_delivery_received_at")
    op.drop_table("hook_delivery")
    op.drop_table("connector")
