"""Live records and their version sum per territory and entity, kept by triggers on record.

/sync/summary read them with a GROUP BY over every live record of the caller's
territories (190k rows for a 10k-account territory, at the end of every sync); now it
reads a few rows of scope_total. Triggers keep it, in the writing transaction, whatever
writes a record (the API, the importer, event ingestion, the demo command, a purge, a
hand-made fix), so the totals cannot drift from the records.

Revision ID: s0006_scope_totals
Revises: s0005_ingest
Create Date: 2026-11-25 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0006_scope_totals"
down_revision: str | None = "s0005_ingest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Only these columns move a record between totals; an edit of `data` alone is not counted
# here (every edit goes with a new version, so it fires anyway).
_COLUMNS = "territory, entity, version, deleted_at"

# SQLite: three triggers. No ON CONFLICT clause in them: an outer statement's conflict
# clause would override it, so a missing totals row is added with INSERT ... WHERE NOT EXISTS.
_SQLITE_ADD = """
    INSERT INTO scope_total (territory, entity, live, version_sum)
        SELECT NEW.territory, NEW.entity, 0, 0
        WHERE NEW.deleted_at IS NULL AND NOT EXISTS (
            SELECT 1 FROM scope_total WHERE territory = NEW.territory AND entity = NEW.entity
        );
    UPDATE scope_total SET live = live + 1, version_sum = version_sum + NEW.version
        WHERE NEW.deleted_at IS NULL AND territory = NEW.territory AND entity = NEW.entity;
"""
_SQLITE_SUBTRACT = """
    UPDATE scope_total SET live = live - 1, version_sum = version_sum - OLD.version
        WHERE OLD.deleted_at IS NULL AND territory = OLD.territory AND entity = OLD.entity;
"""
_SQLITE = (
    f"CREATE TRIGGER record_scope_total_insert AFTER INSERT ON record BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER record_scope_total_update AFTER UPDATE OF {_COLUMNS} ON record "
    f"BEGIN {_SQLITE_SUBTRACT} {_SQLITE_ADD} END",
    f"CREATE TRIGGER record_scope_total_delete AFTER DELETE ON record BEGIN {_SQLITE_SUBTRACT} END",
)
_SQLITE_DROP = (
    "DROP TRIGGER record_scope_total_delete",
    "DROP TRIGGER record_scope_total_update",
    "DROP TRIGGER record_scope_total_insert",
)

# PostgreSQL: one row-level trigger function. Concurrent writers of one territory queue on
# its totals row (they already queue on the version counter before writing a record).
_POSTGRESQL = (
    """
    CREATE FUNCTION record_scope_total() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            IF OLD.deleted_at IS NULL THEN
                UPDATE scope_total
                    SET live = live - 1, version_sum = version_sum - OLD.version
                    WHERE territory = OLD.territory AND entity = OLD.entity;
            END IF;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            IF NEW.deleted_at IS NULL THEN
                INSERT INTO scope_total AS t (territory, entity, live, version_sum)
                    VALUES (NEW.territory, NEW.entity, 1, NEW.version)
                    ON CONFLICT (territory, entity) DO UPDATE
                    SET live = t.live + 1, version_sum = t.version_sum + NEW.version;
            END IF;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE TRIGGER record_scope_total
        AFTER INSERT OR DELETE OR UPDATE OF {_COLUMNS} ON record
        FOR EACH ROW EXECUTE PROCEDURE record_scope_total()
    """,
)
_POSTGRESQL_DROP = (
    "DROP TRIGGER record_scope_total ON record",
    "DROP FUNCTION record_scope_total()",
)


def _dialect() -> str:
    name = op.get_bind().dialect.name
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"scope totals need triggers written for {name}")
    return name


def upgrade() -> None:
    dialect = _dialect()
    op.create_table(
        "scope_total",
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("live", sa.BigInteger(), nullable=False),
        sa.Column("version_sum", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("territory", "entity"),
    )
    # Same transaction as the triggers: no write lands between the count and them.
    op.execute(
        "INSERT INTO scope_total (territory, entity, live, version_sum) "
        "SELECT territory, entity, count(*), sum(version) FROM record "
        "WHERE deleted_at IS NULL GROUP BY territory, entity"
    )
    for statement in _SQLITE if dialect == "sqlite" else _POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    for statement in _SQLITE_DROP if _dialect() == "sqlite" else _POSTGRESQL_DROP:
        op.execute(statement)
    op.drop_table("scope_total")
