"""Secondary indexes set aside while a first download writes a whole territory.

Each row written into a table with indexes is also written into every index, each at a
random place (ids and account ids are random): for a 50,000-account territory that was a
sixth of the download. Built once at the end, from the full tables, they cost seconds.
Unique indexes stay: they are rules, not shortcuts.

The indexes' SQL is kept in sync_state in the transaction that drops them, so they come
back with the download's last page, or when the store is next opened if the download
stopped before it (a resumed download sets them aside again).
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from db.store.models import SYNCED_MODELS

DEFERRED = "deferred_indexes"
_TABLES = tuple(model.__tablename__ for model in SYNCED_MODELS)  # type: ignore[attr-defined]


def defer_indexes(session: Session) -> None:
    """Drops the synced tables' secondary indexes (unless already set aside)."""
    connection = session.connection()
    if _deferred(connection) is not None:
        return
    marks = ", ".join("?" * len(_TABLES))
    found = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master"
        f" WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
        _TABLES,
    ).all()
    plain = [(name, sql) for name, sql in found if not sql.upper().startswith("CREATE UNIQUE")]
    connection.exec_driver_sql(
        "INSERT INTO sync_state (key, value) VALUES (?, ?)",
        (DEFERRED, json.dumps([sql for _name, sql in plain])),
    )
    for name, _sql in plain:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')


def restore_indexes(session: Session) -> None:
    """Builds the indexes set aside again (nothing if none are)."""
    _restore(session.connection())


def restore_on_open(engine: Engine) -> None:
    """At start-up, before migrations: the indexes of a download that stopped midway. A
    file that is no store at all is left for the migrations to refuse in their words."""
    try:
        with engine.begin() as connection:
            has_state = connection.execute(
                text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_state'")
            ).first()
            if has_state is not None:
                _restore(connection)
    except DatabaseError:
        return


def _deferred(connection: Connection) -> list[str] | None:
    row = connection.exec_driver_sql(
        "SELECT value FROM sync_state WHERE key = ?", (DEFERRED,)
    ).first()
    return None if row is None else list(json.loads(row[0]))


def _restore(connection: Connection) -> None:
    statements = _deferred(connection)
    if statements is None:
        return
    for sql in statements:
        connection.exec_driver_sql(sql.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
    connection.exec_driver_sql("DELETE FROM sync_state WHERE key = ?", (DEFERRED,))
