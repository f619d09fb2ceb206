"""How many listed contacts each profile tier holds, key contacts apart, kept by triggers.

The Profiles screen's tier totals counted profile_count's index (300,000 entries on a
100,000-account territory: 50 to 100 ms at each open). `profile_tier_total` holds one row
per (key contact or not, tier rank) with its listed contacts; triggers on profile_count
(itself kept by triggers on every write, and recounted after a first download)
keep it. Frozen here: later changes get new revisions.

Revision ID: 0019_profile_tier_totals
Revises: 0018_lead_listed
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019_profile_tier_totals"
down_revision: str | None = "0018_lead_listed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _add(row: str, step: str) -> str:
    return (
        "INSERT INTO profile_tier_total (key_contact, tier_rank, listed)"
        f" SELECT {row}.key_contact, {row}.tier_rank, {step} WHERE {row}.listed"
        f" ON CONFLICT (key_contact, tier_rank) DO UPDATE SET listed = listed + {step};"
    )


CREATE = [
    "CREATE TABLE profile_tier_total (key_contact BOOLEAN NOT NULL, tier_rank INTEGER NOT NULL,"
    " listed INTEGER NOT NULL, PRIMARY KEY (key_contact, tier_rank))",
    "CREATE TRIGGER profile_tier_total_ai AFTER INSERT ON profile_count BEGIN"
    f" {_add('new', '1')} END",
    "CREATE TRIGGER profile_tier_total_au AFTER UPDATE OF listed, key_contact, tier_rank"
    f" ON profile_count BEGIN {_add('old', '-1')} {_add('new', '1')} END",
    "CREATE TRIGGER profile_tier_total_ad AFTER DELETE ON profile_count BEGIN"
    f" {_add('old', '-1')} END",
    # The contacts already in the store.
    "INSERT INTO profile_tier_total (key_contact, tier_rank, listed)"
    " SELECT key_contact, tier_rank, count(*) FROM profile_count WHERE listed"
    " GROUP BY key_contact, tier_rank",
]
DROP = [
    "DROP TRIGGER IF EXISTS profile_tier_total_ai",
    "DROP TRIGGER IF EXISTS profile_tier_total_au",
    "DROP TRIGGER IF EXISTS profile_tier_total_ad",
    "DROP TABLE IF EXISTS profile_tier_total",
]


def upgrade() -> None:
    for statement in CREATE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP:
        op.execute(statement)
