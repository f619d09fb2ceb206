"""All-day meetings: a meeting can be a whole day (or days), as a calendar's all-day event.

Revision ID: 0009_all_day_meetings
Revises: 0008_set_aside_rows
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_all_day_meetings"
down_revision: str | None = "0008_set_aside_rows"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain default ("0", not an SQL expression) lets batch mode run a plain ADD COLUMN
    # instead of copying the table; the meetings already stored are timed ones.
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("all_day", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("all_day")
