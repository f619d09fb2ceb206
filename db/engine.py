"""The one place SQLite engines are made, so every connection gets the same pragmas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event


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
    return engine


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
