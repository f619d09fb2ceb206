"""Partial indexes of the rows the server told us of, for the end-of-sync check.

Revision ID: 0007_synced_row_index
Revises: 0006_on_the_road
Create Date: 2026-11-23 22:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_synced_row_index"
down_revision: str | None = "0006_on_the_road"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The synced tables as this revision knows them (later ones add their own).
TABLES = (
    "account",
    "contact",
    "meeting",
    "meeting_attendee",
    "visit_note",
    "task",
    "activity",
    "ladder_change",
    "team_member",
    "profile_answer",
    "profile_change",
    "lead",
    "contact_hold",
)
LIVE_AND_SYNCED = sa.text("deleted_at IS NULL AND server_version IS NOT NULL")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(
            f"ix_{table}_synced",
            table,
            ["server_version"],
            unique=False,
            sqlite_where=LIVE_AND_SYNCED,
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_synced", table_name=table)
