"""The one place SQLite engines are made, so every connection gets the same pragmas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2
from sqlalchemy import Connection, Engine, create_engine, event

from db.store.cipher import StoreKey, apply_key


def create_store_engine(path: Path, key: StoreKey | None = None) -> Engine:
    """An engine on the SQLite file at `path`: WAL, synchronous=FULL, foreign keys on,
    encrypted with `key` (SQLCipher) when one is given.

    FULL (not NORMAL) because a laptop battery dying mid-visit is a power loss, and WAL
    with NORMAL may lose the last commits then.
    """
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        # SQLCipher's build of SQLite (with FTS5) for every store, keyed or not: one driver.
        module=sqlcipher3.dbapi2,
        # Connections are opened on the GUI thread at start-up and used by the store worker.
        connect_args={"check_same_thread": False, "timeout": 10},
    )
    if key is not None:
        # First of all, before the dialect's own first query: nothing reads an encrypted
        # file unkeyed. The key is applied here, never put in the URL, so no repr shows it.
        event.listen(
            engine, "connect", lambda connection, _record: apply_key(connection, key), insert=True
        )
    event.listen(engine, "connect", _set_pragmas)
    event.listen(engine, "begin", _begin)
    event.listen(engine, "checkin", _restore_durability)
    return engine


# Execution options a unit of work's engine carries (see Store.session and Store.reading).
READING = "fieldbrief_reading"  # queries only: BEGIN (deferred), never the write lock
RELAXED = "fieldbrief_relaxed"  # a write that can be made again: see relax_durability


def _begin(connection: Connection) -> None:
    """Every transaction begins where it starts, and a writer's holds the write lock from
    its first statement: a read-then-write (the outbox read before a pulled row's UPDATE)
    is one transaction no other writer can slip into. pysqlite alone would begin only at
    the first write, after the reads (SQLAlchemy's documented pysqlite recipe)."""
    options = connection.get_execution_options()
    if options.get(RELAXED):
        relax_durability(connection)
    connection.exec_driver_sql("BEGIN" if options.get(READING) else "BEGIN IMMEDIATE")


_RESTORE_AT_CHECKIN = "fieldbrief_restore_durability"
# Pages of WAL (4 KiB each) before a checkpoint; SQLite's default, and ours when relaxed. A
# 50k-account download took a fifth less time at 40,000 than at 10,000; the WAL file grows
# to ~160 MB meanwhile.
_CHECKPOINT, _RELAXED_CHECKPOINT = 1_000, 40_000


def relax_durability(connection: Connection) -> None:
    """Until `connection` goes back to the pool: synchronous=NORMAL (then FULL again), and
    the WAL copied back into the database every ~160 MB instead of ~4 MB (pages a download
    rewrites again and again are copied once, not each time). Runs before BEGIN (from
    _begin): SQLite refuses to change the first inside a transaction."""
    driver = connection.connection.dbapi_connection
    assert driver is not None
    driver.execute("PRAGMA synchronous=NORMAL")
    driver.execute(f"PRAGMA wal_autocheckpoint={_RELAXED_CHECKPOINT}")
    connection.info[_RESTORE_AT_CHECKIN] = True


def _restore_durability(dbapi_connection: Any, record: Any) -> None:
    if record.info.pop(_RESTORE_AT_CHECKIN, False) and dbapi_connection is not None:
        dbapi_connection.execute("PRAGMA synchronous=FULL")
        dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={_CHECKPOINT}")


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver leaves transactions to us (_begin emits BEGIN): pysqlite's own would start
    # late and cannot be told to take the write lock.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # A deleted row's bytes are overwritten, not left in a free page: an erased
        # person (GDPR) is gone from the file, not merely unlinked.
        cursor.execute("PRAGMA secure_delete=ON")
        # Reads of a 100k-account territory jump around the file: map it and cache more.
        # SQLCipher maps no encrypted file, so its page cache is all there is between a
        # search and decrypting pages again: 128 MiB keeps the search index's hot pages
        # (search p95 on 100k accounts: 74 ms at 32 MiB, 19.5 ms at 128, as plain SQLite).
        # Pages fill it as they are read, so a start that reads little stays small.
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.execute("PRAGMA cache_size=-131072")
        cursor.execute("PRAGMA temp_store=MEMORY")
    finally:
        cursor.close()
