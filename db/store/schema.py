"""Bringing a store to this app's schema with Alembic, or refusing one it cannot read."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DatabaseError

from db.errors import StoreUnreadable
from db.store.probe import (
    HEAD_REVISION,
    KNOWN_REVISIONS,
    check_known,
    plain_sqlite_error,
    revision_of,
)

__all__ = ["HEAD_REVISION", "KNOWN_REVISIONS", "current_revision", "migrate"]


def current_revision(engine: Engine) -> str | None:
    """The store's Alembic revision; None for an empty file.

    Raises StoreUnreadable when the file is not an SQLite database or holds tables of
    something else.
    """
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            return revision_of(
                tables,
                lambda: conn.execute(text("SELECT version_num FROM alembic_version")).scalar(),
            )
    except DatabaseError as exc:
        raise StoreUnreadable(plain_sqlite_error(exc.orig or exc)) from exc


def migrate(engine: Engine) -> str:
    """Upgrades the store to HEAD_REVISION; returns the revision it started from ("" if new)."""
    revision = current_revision(engine)
    if revision == HEAD_REVISION:
        return revision
    check_known(revision)
    _alembic_upgrade(engine, HEAD_REVISION)
    return revision or ""


def _alembic_upgrade(engine: Engine, target: str) -> None:
    # Imported here: Alembic costs start-up time and is needed only when the schema moves.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "db.store:migrations")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, target)
