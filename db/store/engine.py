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
# Pages of WAL (4 KiB each) before a checkpoint; SQLite's default, and ours when relaxed. A
# 50k-account download took a fifth less time at 40,000 than at 10,000; the WAL file grows
# to ~160 MB meanwhile.
_CHECKPOINT, _RELAXED_CHECKPOINT = 1_000, 40_000


def relax_durability(connection: Connection) -> None:
    """Until `connection` goes back to the pool: synchronous=NORMAL (then FULL again), and
    the WAL copied back into the database every ~160 MB instead of ~4 MB (pages a download
    rewrites again and again are copied once, not each time). Call it before the
    transaction's first write: SQLite refuses the first inside a transaction."""
    connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
    connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={_RELAXED_CHECKPOINT}")
    connection.info[_RELAXED] = True


def _restore_durability(dbapi_connection: Any, record: Any) -> None:
    if record.info.pop(_RELAXED, False) and dbapi_connection is not None:
        dbapi_connection.execute("PRAGMA synchronous=FULL")
        dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={_CHECKPOINT}")


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
