"""How many live accounts stand on each rung, kept by triggers: the counts shown at start.

The status bar's "N accounts in your territory" and the ladder's counts per rung counted
the account table (a whole-table read of 100,000 rows at each start). `account_total`
holds one row per rung ('' for none) with its live accounts; every write keeps it (the
editor's, a pulled row's, a first download's). Frozen here: later changes get new
revisions.

Revision ID: 0015_account_totals
Revises: 0014_profile_dates
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_account_totals"
down_revision: str | None = "0014_profile_dates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _add(row: str) -> str:
    return (
        f"INSERT INTO account_total (rung, live) SELECT coalesce({row}.ladder_rung, ''), 1"
        f" WHERE {row}.deleted_at IS NULL"
        " ON CONFLICT (rung) DO UPDATE SET live = live + 1;"
    )


def _remove(row: str) -> str:
    return (
        "UPDATE account_total SET live = live - 1"
        f" WHERE rung = coalesce({row}.ladder_rung, '') AND {row}.deleted_at IS NULL;"
    )


CREATE = [
    "CREATE TABLE account_total (rung VARCHAR(20) NOT NULL PRIMARY KEY, live INTEGER NOT NULL)",
    f"CREATE TRIGGER account_total_ai AFTER INSERT ON account BEGIN {_add('new')} END",
    "CREATE TRIGGER account_total_au AFTER UPDATE OF ladder_rung, deleted_at ON account"
    f" BEGIN {_remove('old')} {_add('new')} END",
    f"CREATE TRIGGER account_total_ad AFTER DELETE ON account BEGIN {_remove('old')} END",
    # The accounts already in the store.
    "INSERT INTO account_total (rung, live) SELECT coalesce(ladder_rung, ''), count(*)"
    " FROM account WHERE deleted_at IS NULL GROUP BY coalesce(ladder_rung, '')",
]
DROP = [
    "DROP TRIGGER IF EXISTS account_total_ai",
    "DROP TRIGGER IF EXISTS account_total_au",
    "DROP TRIGGER IF EXISTS account_total_ad",
    "DROP TABLE IF EXISTS account_total",
]


def upgrade() -> None:
    for statement in CREATE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP:
        op.execute(statement)
