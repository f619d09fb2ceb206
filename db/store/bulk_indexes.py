"""Secondary indexes set aside while a first download writes a whole territory.

Each row written into a table with indexes is also written into every index, each at a
random place (ids and account ids are random): for a 50,000-account territory that was a
sixth of the download. Built once at the end, from the full tables, they cost seconds.
Unique indexes stay: they are rules, not shortcuts. The triggers that keep each contact's
profile counts go too (one per answer written cost more than the rest of the download);
the counts are made again in one pass when the indexes come back.

The indexes' and triggers' SQL, and the recount, are kept in sync_state in the
transaction that drops them, so they come back with the download's last page, or when the
store is next opened if the download stopped before it (a resumed download sets them aside again).
"""

from __future__ import annotations

import json
from importlib import import_module

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from db.store.models import SYNCED_MODELS

DEFERRED = "deferred_indexes"
_TABLES = tuple(model.__tablename__ for model in SYNCED_MODELS)  # type: ignore[attr-defined]
# The profile counts' triggers on answers, and the statement that counts them afresh.
_COUNTS = import_module("db.store.migrations.versions.0016_profile_counts")


def defer_indexes(session: Session) -> None:
    """Drops the synced tables' secondary indexes and the profile counts' answer triggers
    (unless already set aside)."""
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
    marks = ", ".join("?" * len(_COUNTS.ANSWER_TRIGGERS))
    triggers = connection.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",
        tuple(_COUNTS.ANSWER_TRIGGERS),
    ).all()
    # Run in this order when they come back: the indexes, the recount, the triggers.
    later = [sql for _name, sql in plain]
    if triggers:
        later += [_COUNTS.RECOUNT, *(sql for _name, sql in triggers)]
    connection.exec_driver_sql(
        "INSERT INTO sync_state (key, value) VALUES (?, ?)", (DEFERRED, json.dumps(later))
    )
    for name, _sql in plain:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    for name, _sql in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')


def restore_indexes(session: Session) -> None:
    """Builds the indexes set aside again and recounts the profile counts (nothing if none
    are set aside)."""
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
        for kind in ("INDEX", "TRIGGER"):  # a store opened midway may have some already
            sql = sql.replace(f"CREATE {kind} ", f"CREATE {kind} IF NOT EXISTS ", 1)
        connection.exec_driver_sql(sql)
    connection.exec_driver_sql("DELETE FROM sync_state WHERE key = ?", (DEFERRED,))
