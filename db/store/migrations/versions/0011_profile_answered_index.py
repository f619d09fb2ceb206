"""An index of the profile answers that count, per contact, for the Profiles screen's
completeness tiers: counted from the index alone, a large territory stays quick.

Revision ID: 0011_profile_answered_index
Revises: 0010_versions_follow_server
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_profile_answered_index"
down_revision: str | None = "0010_versions_follow_server"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_profile_answer_answered",
        "profile_answer",
        ["contact_id", "question_id"],
        unique=False,
        sqlite_where=sa.text("value IS NOT NULL AND deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_profile_answer_answered", table_name="profile_answer")
