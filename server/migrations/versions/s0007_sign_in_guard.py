"""Sign-in throttling state and refresh-token families (filled in by the auth work).

login_failure counts failed sign-ins per user name and per client address, in the database
so every server process shares the counts. auth_token gains the family of each token (all
tokens descended from one sign-in), the refresh token it was rotated from, and when a
refresh token was spent: a spent one used again ends its family.

Revision ID: s0007_sign_in_guard
Revises: s0006_scope_totals
Create Date: 2026-12-05 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0007_sign_in_guard"
down_revision: str | None = "s0006_scope_totals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kind", "key"),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_login_failure_last_failure_at", ["last_failure_at"], unique=False)

    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("family", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True))
    # Tokens issued before families: one family per device, which is what logging out ends
    # anyway. Both columns are the same UUID type on either database.
    op.execute("UPDATE auth_token SET family = client_id")
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.alter_column("family", existing_type=sa.Uuid(), nullable=False)
        batch_op.create_index("ix_auth_token_family", ["family"], unique=False)
        batch_op.create_index("ix_auth_token_parent_id", ["parent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.drop_index("ix_auth_token_parent_id")
        batch_op.drop_index("ix_auth_token_family")
        batch_op.drop_column("rotated_at")
        batch_op.drop_column("parent_id")
        batch_op.drop_column("family")
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_last_failure_at")
    op.drop_table("login_failure")
