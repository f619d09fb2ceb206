"""An index of activity by account and type, for what is open at an account: the markers
of a page of accounts (db.briefing.warnings) and the briefing read an account's tickets,
disputes, invoices and surveys without reading its emails and web visits.

Revision ID: 0012_activity_account_type
Revises: 0011_profile_answered_index
Create Date: 2026-12-08 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_activity_account_type"
down_revision: str | None = "0011_profile_answered_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_activity_account_type",
        "activity",
        ["account_id", "type", "occurred_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_activity_account_type", table_name="activity")
