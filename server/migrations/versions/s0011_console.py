"""Console: user roles and web sessions.

Revision ID: s0011_console
Revises: s0010_devices_audit
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0011_console"
down_revision: str | None = "s0010_devices_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ALTER TABLE ... ADD COLUMN, never batch mode's copy of the table: on SQLite,
    # dropping the old app_user would cascade to every device and token (as in s0010).
    # Every user there is already is a rep.
    op.add_column(
        "app_user",
        sa.Column("role", sa.String(length=20), server_default=sa.text("'rep'"), nullable=False),
    )
    op.create_table(
        "console_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("console_session", schema=None) as batch_op:
        batch_op.create_index("ix_console_session_user_id", ["user_id"], unique=False)
        batch_op.create_index("ix_console_session_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("console_session", schema=None) as batch_op:
        batch_op.drop_index("ix_console_session_expires_at")
        batch_op.drop_index("ix_console_session_user_id")
    op.drop_table("console_session")
    # SQLite 3.35 and later drop a column in place (no copy of the table, no cascade).
    op.drop_column("app_user", "role")
