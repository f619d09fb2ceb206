"""Invoice, ticket and dispute numbers in the search index.

Activities carry them in `details` ("invoice": "INV-2026-00042", "ticket": 57303, "dispute":
"D-12"; see server.events). They get an FTS5 table of their own, `search_ref`, rather than
rows in `search_fts`: the account list's filter reads `search_fts` (db.search) and must not
slow down under a million activities, and number-only documents stay small (no titles, no
words such as "invoice" that would match half the store). `search_ref_doc` gives each
indexed activity a stable integer rowid, as `search_doc` does for the other kinds.

The triggers stand aside while `search_paused` holds a row, as those of 0004_search_pause
do; db.search.rebuild_index fills both tables in one pass then. The JSON is read only when
valid, so an odd `details` never stops an activity from being written. Frozen here: later
changes get new revisions.

Revision ID: 0013_search_numbers
Revises: 0012_activity_account_type
Create Date: 2026-12-08 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_search_numbers"
down_revision: str | None = "0012_activity_account_type"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBERS = ("invoice", "ticket", "dispute")  # the details keys, and the FTS columns
PAUSED = "WHEN NOT EXISTS (SELECT 1 FROM search_paused)"


def _number(row: str, key: str) -> str:
    return f"CASE WHEN json_valid({row}.details) THEN json_extract({row}.details, '$.{key}') END"


def _numbered(row: str) -> str:
    """SQL true when the activity `row` is live and carries a number worth finding."""
    carried = " OR ".join(f"{_number(row, key)} IS NOT NULL" for key in NUMBERS)
    return f"{row}.deleted_at IS NULL AND ({carried})"


def _values(row: str) -> str:
    return ", ".join(f"{_number(row, key)}" for key in NUMBERS)


_ADD = f"""
    INSERT INTO search_ref_doc (activity_id) SELECT new.id WHERE {_numbered("new")};
    INSERT INTO search_ref (rowid, {", ".join(NUMBERS)})
        SELECT rowid, {_values("new")} FROM search_ref_doc WHERE activity_id = new.id;"""
_REMOVE = """
    DELETE FROM search_ref WHERE rowid =
        (SELECT rowid FROM search_ref_doc WHERE activity_id = old.id);
    DELETE FROM search_ref_doc WHERE activity_id = old.id;"""

CREATE = [
    "CREATE TABLE search_ref_doc (rowid INTEGER PRIMARY KEY, activity_id CHAR(32) NOT NULL UNIQUE)",
    f"CREATE VIRTUAL TABLE search_ref USING fts5({', '.join(NUMBERS)},"
    " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')",
    # Most activities (emails, visits) carry no number: their insert runs no trigger body.
    f"CREATE TRIGGER activity_search_ai AFTER INSERT ON activity"
    f" {PAUSED} AND {_numbered('new')} BEGIN {_ADD} END",
    f"CREATE TRIGGER activity_search_au AFTER UPDATE OF details, deleted_at ON activity"
    f" {PAUSED} BEGIN {_REMOVE} {_ADD} END",
    f"CREATE TRIGGER activity_search_ad AFTER DELETE ON activity {PAUSED} BEGIN {_REMOVE} END",
    # The activities already in the store.
    f"INSERT INTO search_ref_doc (activity_id) SELECT id FROM activity AS a WHERE {_numbered('a')}",
    f"INSERT INTO search_ref (rowid, {', '.join(NUMBERS)})"
    f" SELECT d.rowid, {_values('a')}"
    " FROM search_ref_doc AS d JOIN activity AS a ON a.id = d.activity_id",
]
DROP = [
    "DROP TRIGGER IF EXISTS activity_search_ai",
    "DROP TRIGGER IF EXISTS activity_search_au",
    "DROP TRIGGER IF EXISTS activity_search_ad",
    "DROP TABLE IF EXISTS search_ref",
    "DROP TABLE IF EXISTS search_ref_doc",
]


def upgrade() -> None:
    for statement in CREATE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP:
        op.execute(statement)
