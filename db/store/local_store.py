"""The rep's local store: one SQLite file in the data folder, opened and migrated as a unit."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from db.errors import DiskFull, StoreClosed, StoreReadOnly, StoreUnreadable
from db.store.bulk_indexes import restore_on_open
from db.store.cipher import StoreKey, discard_partial, encrypt_in_place, is_plain_file
from db.store.engine import READING, RELAXED, create_store_engine
from db.store.probe import STORE_FILENAME, probe_store_file
from db.store.schema import migrate
from sync.private_files import private_folder, private_sqlite_file

__all__ = ["STORE_FILENAME", "Store"]


class Store:
    """An open store. Sessions are made per unit of work, on the thread that does it."""

    def __init__(self, engine: Engine, path: Path) -> None:
        self.engine = engine
        self.path = path
        self._closed = False
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._relaxed = sessionmaker(
            engine.execution_options(**{RELAXED: True}), expire_on_commit=False
        )
        self._readers = sessionmaker(
            engine.execution_options(**{READING: True}), expire_on_commit=False
        )

    @classmethod
    def open(cls, data_dir: Path, key: StoreKey | None = None) -> Store:
        """Opens (creating if needed) the store in `data_dir` and migrates it to this app.

        With `key`, the store is encrypted (SQLCipher): a new one from the start, a plain
        one of an older version in place, safely (see encrypt_in_place). A wrong key is
        refused (WrongStoreKey) before anything is written. Without, the store is plain
        (tests and benchmarks of the data layer).

        The folder is left 0700 and the store's files 0600 (tightened if an older version
        left them readable by others)."""
        data_dir = Path(data_dir)
        if data_dir.exists() and not data_dir.is_dir():
            raise StoreUnreadable(f"{data_dir} is a file, not a data folder")
        path = data_dir / STORE_FILENAME
        # Read-only first: a file that is not our store (another app's database, one from
        # a newer Fieldbrief, a wrong key) is refused before anything changes it.
        probe_store_file(path, key)
        try:
            private_folder(data_dir)
        except OSError as exc:
            raise StoreUnreadable(
                f"cannot create the data folder {data_dir}: {exc.strerror}"
            ) from exc
        try:
            private_sqlite_file(path)  # before SQLite: its -wal and -shm take this mode
        except OSError as exc:
            raise StoreUnreadable(f"cannot open the store at {path}: {exc.strerror}") from exc
        _check_writable(path)
        discard_partial(path)
        if key is not None and is_plain_file(path):
            try:
                encrypt_in_place(path, key)
            except OSError as exc:
                raise StoreUnreadable(
                    f"cannot encrypt the store at {path}: {exc.strerror}; it is unchanged"
                ) from exc
        engine = create_store_engine(path, key)
        try:
            restore_on_open(engine)  # before migrations: they expect every index
            migrate(engine)
        except StoreUnreadable as exc:
            engine.dispose()
            raise StoreUnreadable(f"cannot open the store at {path}: {exc}") from exc
        except DatabaseError as exc:
            engine.dispose()
            raise StoreUnreadable(f"cannot open the store at {path}: {exc.orig}") from exc
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, path)

    @contextmanager
    def session(self, *, durable: bool = True) -> Iterator[Session]:
        """A session that commits when the block ends cleanly and rolls back otherwise.

        `durable=False` for writes that can be made again (pages of a first download): its
        commit skips the wait for the disk, so a power cut may undo it, never corrupt it,
        and the WAL is copied back into the database less often (see relax_durability).
        """
        self._check_open()
        try:
            with (self._sessions if durable else self._relaxed).begin() as session:
                yield session
        except OperationalError as exc:
            raise _plain(exc, self.path) from exc

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries only; nothing is committed, and it never waits for the
        write lock (its transaction is a snapshot taken at its first query)."""
        self._check_open()
        with self._readers() as session:
            yield session

    def close(self) -> None:
        """Closes every connection; the store refuses any later unit of work."""
        self._closed = True
        self.engine.dispose()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed(f"the store at {self.path} is closed")


def _check_writable(path: Path) -> None:
    """A store that cannot be written is said when it opens, not at the rep's first save
    (SQLite needs the folder too, for its -wal and -shm files)."""
    for place in (path, path.parent):
        if place.exists() and not os.access(place, os.W_OK):
            raise StoreReadOnly(
                f"the store at {path} is read-only: Fieldbrief needs to write to "
                f"{place} (check its permissions, or whether the disk is read-only)"
            )


def _plain(exc: OperationalError, path: Path) -> Exception:
    """A write SQLite refused because of the disk, in words a rep can act on; anything
    else as it was (a bug, logged with its traceback by whoever catches it)."""
    message = str(exc.orig)
    if "disk is full" in message:
        return DiskFull("the disk is full: free some space and try again (nothing was lost)")
    if "readonly database" in message or "read-only" in message:
        return StoreReadOnly(f"the store at {path} has become read-only: nothing was saved")
    return exc
