"""What each applied mutation said (a digest), so an id used again for another change is
told apart from a retry of the same one.

Revision ID: s0009_mutation_digest
Revises: s0008_outside_keys
Create Date: 2026-12-05 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0009_mutation_digest"
down_revision: str | None = "s0008_outside_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Mutations applied before this version have none: a retry of them stays a duplicate.
    with op.batch_alter_table("applied_mutation") as batch:
        batch.add_column(sa.Column("digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("applied_mutation") as batch:
        batch.drop_column("digest")
