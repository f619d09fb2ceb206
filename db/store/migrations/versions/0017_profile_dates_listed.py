"""Whether each indexed profile date is a live contact's, kept by triggers on contact.

The reminders (0014_profile_dates) joined every date of the next month to its contact to
leave out deleted contacts: ten thousand random reads of the contact table on a 100,000-
account territory, a third of a second at start. `listed` says it in the index itself, so
the month's dates are counted and the soonest picked from the index alone.

Revision ID: 0017_profile_dates_listed
Revises: 0016_profile_counts
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_profile_dates_listed"
down_revision: str | None = "0016_profile_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = "EXISTS (SELECT 1 FROM contact WHERE contact.id = {0} AND contact.deleted_at IS NULL)"

CREATE = [
    "ALTER TABLE profile_date ADD COLUMN listed BOOLEAN NOT NULL DEFAULT 0",
    f"UPDATE profile_date SET listed = {_LIVE.format('profile_date.contact_id')}",
    "DROP INDEX ix_profile_date_month_day",
    "CREATE INDEX ix_profile_date_listed ON profile_date"
    " (listed, month_day, question_id, contact_id)",
    "CREATE INDEX ix_profile_date_contact_id ON profile_date (contact_id)",
    # A date written (by profile_answer's triggers) before or after its contact arrives.
    "CREATE TRIGGER profile_date_listed_ai AFTER INSERT ON profile_date BEGIN"
    f" UPDATE profile_date SET listed = {_LIVE.format('new.contact_id')}"
    " WHERE rowid = new.rowid; END",
    "CREATE TRIGGER profile_date_contact_ai AFTER INSERT ON contact BEGIN"
    " UPDATE profile_date SET listed = new.deleted_at IS NULL WHERE contact_id = new.id; END",
    "CREATE TRIGGER profile_date_contact_au AFTER UPDATE OF deleted_at, id ON contact BEGIN"
    " UPDATE profile_date SET listed = 0 WHERE contact_id = old.id;"
    " UPDATE profile_date SET listed = new.deleted_at IS NULL WHERE contact_id = new.id; END",
    "CREATE TRIGGER profile_date_contact_ad AFTER DELETE ON contact BEGIN"
    " UPDATE profile_date SET listed = 0 WHERE contact_id = old.id; END",
]
DROP = [
    "DROP TRIGGER IF EXISTS profile_date_listed_ai",
    "DROP TRIGGER IF EXISTS profile_date_contact_ai",
    "DROP TRIGGER IF EXISTS profile_date_contact_au",
    "DROP TRIGGER IF EXISTS profile_date_contact_ad",
    "DROP INDEX IF EXISTS ix_profile_date_contact_id",
    "DROP INDEX IF EXISTS ix_profile_date_listed",
    "CREATE INDEX ix_profile_date_month_day ON profile_date (month_day, question_id, contact_id)",
    "ALTER TABLE profile_date DROP COLUMN listed",
]


def upgrade() -> None:
    for statement in CREATE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP:
        op.execute(statement)
