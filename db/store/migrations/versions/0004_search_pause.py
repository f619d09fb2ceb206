"""Search triggers that stand aside while a first download fills the store.

Feeding FTS5 row by row costs most of a first download's time; while `search_paused` holds
a row, the triggers do nothing and db.search.rebuild_index fills the index in one pass at
the end (about ten times faster). Frozen here: later changes get new revisions.

Revision ID: 0004_search_pause
Revises: 0003_remote_records
Create Date: 2026-11-23 16:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_search_pause"
down_revision: str | None = "0003_remote_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table: (title expression, body expression, account id expression, watched columns),
# as in 0001_initial.
_SEARCHED = {
    "account": (
        "new.name",
        "coalesce(new.industry, '') || ' ' || coalesce(new.city, '') || ' '"
        " || coalesce(new.website, '')",
        "new.id",
        "name, industry, city, website",
    ),
    "contact": (
        "new.first_name || ' ' || new.last_name",
        "coalesce(new.email, '') || ' ' || coalesce(new.title, '')",
        "new.account_id",
        "first_name, last_name, email, title, account_id",
    ),
    "visit_note": ("''", "new.body", "new.account_id", "body, account_id"),
}


def _triggers(when: str) -> list[str]:
    statements = []
    for table, (title, body, account, columns) in _SEARCHED.items():
        add = f"""
        INSERT INTO search_doc (kind, ref_id, account_id)
            SELECT '{table}', new.id, {account} WHERE new.deleted_at IS NULL;
        INSERT INTO search_fts (rowid, title, body)
            SELECT rowid, {title}, {body} FROM search_doc
            WHERE ref_id = new.id AND kind = '{table}';"""
        remove = f"""
        DELETE FROM search_fts WHERE rowid =
            (SELECT rowid FROM search_doc WHERE ref_id = old.id AND kind = '{table}');
        DELETE FROM search_doc WHERE ref_id = old.id AND kind = '{table}';"""
        statements += [f"DROP TRIGGER {table}_search_{s}" for s in ("ai", "au", "ad")]
        statements += [
            f"CREATE TRIGGER {table}_search_ai AFTER INSERT ON {table} {when} BEGIN {add} END",
            f"CREATE TRIGGER {table}_search_au AFTER UPDATE OF {columns}, deleted_at"
            f" ON {table} {when} BEGIN {remove} {add} END",
            f"CREATE TRIGGER {table}_search_ad AFTER DELETE ON {table} {when} BEGIN {remove} END",
        ]
    return statements


def upgrade() -> None:
    op.execute("CREATE TABLE search_paused (id INTEGER PRIMARY KEY CHECK (id = 1))")
    for statement in _triggers("WHEN NOT EXISTS (SELECT 1 FROM search_paused)"):
        op.execute(statement)


def downgrade() -> None:
    for statement in _triggers(""):
        op.execute(statement)
    op.execute("DROP TABLE search_paused")
