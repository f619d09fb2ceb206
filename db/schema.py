"""Bringing a store file to this app's schema, or refusing one it cannot read."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DatabaseError

from db.errors import StoreTooNew, StoreUnreadable

# Every Alembic revision this app ships, oldest first. Kept as constants so a normal start
# checks the schema with one query and never imports Alembic; tests/db/test_schema.py keeps
# this list equal to db/migrations/versions.
KNOWN_REVISIONS: tuple[str, ...] = ("0001_initial",)
HEAD_REVISION = KNOWN_REVISIONS[-1]


def current_revision(engine: Engine) -> str | None:
    """The store's Alembic revision; None for an empty file.

    Raises StoreUnreadable when the file is not an SQLite database or holds tables of
    something else.
    """
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if not tables:
                return None
            if "alembic_version" not in tables:
                raise StoreUnreadable("it holds data, but not a Fieldbrief store")
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DatabaseError as exc:
        raise StoreUnreadable(_plain_sqlite_error(exc)) from exc
    return str(revision) if revision is not None else None


def migrate(engine: Engine) -> str:
    """Upgrades the store to HEAD_REVISION; returns the revision it started from ("" if new)."""
    revision = current_revision(engine)
    if revision == HEAD_REVISION:
        return revision
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise StoreTooNew(
            f"it was written by a newer Fieldbrief (schema {revision}); update the app to open it"
        )
    _alembic_upgrade(engine, HEAD_REVISION)
    return revision or ""


def _alembic_upgrade(engine: Engine, target: str) -> None:
    # Imported here: Alembic costs start-up time and is needed only when the schema moves.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "db:migrations")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, target)


def _plain_sqlite_error(exc: DatabaseError) -> str:
    message = str(exc.orig) if exc.orig is not None else str(exc)
    if "not a database" in message:
        return "the file is not a Fieldbrief store (not an SQLite database)"
    if "unable to open" in message:
        return "the file cannot be opened (check the folder exists and is writable)"
    return message
