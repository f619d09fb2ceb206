"""The one place SQLite engines are made, so every connection gets the same pragmas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event


def create_store_engine(path: Path) -> Engine:
    """An engine on the SQLite file at `path`: WAL, synchronous=FULL, foreign keys on.

    FULL (not NORMAL) because a laptop battery dying mid-visit is a power loss, and WAL
    with NORMAL may lose the last commits then. Later work adds encryption here.
    """
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        # Connections are opened on the GUI thread at start-up and used by the store worker.
        connect_args={"check_same_thread": False, "timeout": 10},
    )
    event.listen(engine, "connect", _set_pragmas)
    event.listen(engine, "checkin", _restore_durability)
    return engine


_RELAXED = "fieldbrief_relaxed"


def relax_durability(connection: Connection) -> None:
    """synchronous=NORMAL on `connection` until it goes back to the pool (then FULL again).
    Call it before the transaction's first write: SQLite refuses it inside a transaction."""
    connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
    connection.info[_RELAXED] = True


def _restore_durability(dbapi_connection: Any, record: Any) -> None:
    if record.info.pop(_RELAXED, False) and dbapi_connection is not None:
        dbapi_connection.execute("PRAGMA synchronous=FULL")


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Reads of a 100k-account territory jump around the file: map it and cache more.
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.execute("PRAGMA cache_size=-32000")
        cursor.execute("PRAGMA temp_store=MEMORY")
    finally:
        cursor.close()
