"""The live leads in the Leads page's order, so its pages and counts read an index.

The page read every live lead, sorted them in a temporary B-tree and again in Python
(a second on a 100,000-account territory). This index keeps them in the list's order:
new first, then accepted ones waiting for an outcome, then finished, then rejected
(the expression's rank), newest hand-over first, id breaking ties; a page is a LIMIT in
index order. account_id and deleted_at ride along so the counts read the index alone
(deleted_at is always NULL here, but SQLite only sees a column as covered if the index
holds it). Frozen here: db.store.models.Lead declares the same expression, which the
leads queries take from it; a later change gets a new revision.

Revision ID: 0018_lead_listed
Revises: 0017_profile_dates_listed
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018_lead_listed"
down_revision: str | None = "0017_profile_dates_listed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RANK = (
    "CASE WHEN status = 'new' THEN 0 WHEN status = 'rejected' THEN 3"
    " WHEN outcome IS NULL THEN 1 ELSE 2 END"
)


def upgrade() -> None:
    op.execute(
        f"CREATE INDEX ix_lead_listed ON lead ({RANK}, handed_over_at DESC, id, account_id,"
        " deleted_at) WHERE deleted_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_lead_listed")
