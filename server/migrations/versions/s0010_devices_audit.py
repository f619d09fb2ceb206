"""Devices an admin can wipe (the app's version, the wipe asked for and done) and the
append-only audit log, whose rows triggers keep from being changed or deleted.

Revision ID: s0010_devices_audit
Revises: s0009_mutation_digest
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0010_devices_audit"
down_revision: str | None = "s0009_mutation_digest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = "the audit log is append-only"

_SQLITE = tuple(
    f"CREATE TRIGGER audit_entry_no_{what.lower()} BEFORE {what} ON audit_entry "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
    for what in ("UPDATE", "DELETE")
)
_SQLITE_DROP = ("DROP TRIGGER audit_entry_no_delete", "DROP TRIGGER audit_entry_no_update")

_POSTGRESQL = (
    f"""
    CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{APPEND_ONLY}';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_entry_append_only
        BEFORE UPDATE OR DELETE ON audit_entry
        FOR EACH ROW EXECUTE PROCEDURE audit_entry_append_only()
    """,
    # TRUNCATE skips row triggers: refused by a statement trigger of its own.
    """
    CREATE TRIGGER audit_entry_no_truncate
        BEFORE TRUNCATE ON audit_entry
        FOR EACH STATEMENT EXECUTE PROCEDURE audit_entry_append_only()
    """,
)
_POSTGRESQL_DROP = (
    "DROP TRIGGER audit_entry_no_truncate ON audit_entry",
    "DROP TRIGGER audit_entry_append_only ON audit_entry",
    "DROP FUNCTION audit_entry_append_only()",
)


def _dialect() -> str:
    name = op.get_bind().dialect.name
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"the audit log needs triggers written for {name}")
    return name


def upgrade() -> None:
    dialect = _dialect()
    # A plain ALTER TABLE ... ADD COLUMN, never batch mode's copy of the table: on SQLite,
    # dropping the old `device` would cascade to every auth_token (every sign-in lost).
    for name, kind in (
        ("app_version", sa.String(length=40)),
        ("wipe_requested_at", sa.DateTime(timezone=True)),
        ("wipe_reason", sa.String(length=200)),
        ("wiped_at", sa.DateTime(timezone=True)),
    ):
        op.add_column(
            "device", sa.Column(name, kind, server_default=sa.text("NULL"), nullable=True)
        )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_entry_actor", ["actor"], unique=False)
        batch_op.create_index("ix_audit_entry_subject", ["subject"], unique=False)
    for statement in _SQLITE if dialect == "sqlite" else _POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    for statement in _SQLITE_DROP if _dialect() == "sqlite" else _POSTGRESQL_DROP:
        op.execute(statement)
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_subject")
        batch_op.drop_index("ix_audit_entry_actor")
        batch_op.drop_index("ix_audit_entry_at")
    op.drop_table("audit_entry")
    # SQLite 3.35 and later drop a column in place (no copy of the table, no cascade).
    for name in ("wiped_at", "wipe_reason", "wipe_requested_at", "app_version"):
        op.drop_column("device", name)
