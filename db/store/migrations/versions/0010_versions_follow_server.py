"""A pulled row's local version is the server's version of it, so a row apart from the
server with no edit queued can be found (and repaired) at the end of each sync.

Rows the server told us of and with nothing queued take their server version; rows with
queued edits keep theirs until the server's next version of them arrives.

Revision ID: 0010_versions_follow_server
Revises: 0009_all_day_meetings
Create Date: 2026-12-05 21:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_versions_follow_server"
down_revision: str | None = "0009_all_day_meetings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The synced tables as this revision knows them.
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
APART = sa.text("version != server_version")


def upgrade() -> None:
    for table in TABLES:
        op.execute(
            f"UPDATE {table} SET version = server_version "
            "WHERE server_version IS NOT NULL AND server_version != 0 "
            "AND id NOT IN (SELECT entity_id FROM outbox)"
        )
        op.create_index(f"ix_{table}_apart", table, ["id"], unique=False, sqlite_where=APART)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_apart", table_name=table)
