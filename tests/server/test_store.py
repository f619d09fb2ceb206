"""The server's embedded SQLite database is readable by its owner only: folder 0700, files
0600 (with -wal and -shm), also when an older version left them looser."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from server.store import SERVER_DB_FILENAME, ServerStore, create_server_engine, database_url_for

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")

FILES = ("", "-wal", "-shm")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    before = os.umask(0)  # the modes must be ours, not the umask's
    yield
    os.umask(before)


def test_a_new_data_folder_and_database_are_private(tmp_path: Path, open_umask: None) -> None:
    folder = tmp_path / "server"
    store = ServerStore.open(database_url_for(folder))
    try:
        with store.session() as session:  # the -wal and -shm exist while it is open
            session.execute(text("SELECT count(*) FROM territory"))
        assert mode(folder) == 0o700
        for suffix in FILES:
            assert mode(folder / f"{SERVER_DB_FILENAME}{suffix}") == 0o600, suffix
    finally:
        store.close()


def test_an_older_versions_loose_folder_and_files_are_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "server"
    ServerStore.open(database_url_for(folder)).close()
    path = folder / SERVER_DB_FILENAME
    left_open = sqlite3.connect(path)  # keeps its -wal and -shm on disk
    try:
        left_open.execute("INSERT INTO territory (name, created_at) VALUES ('north', '2026-01-01')")
        left_open.commit()
        folder.chmod(0o755)
        for suffix in FILES:
            Path(f"{path}{suffix}").chmod(0o644)
        ServerStore.open(database_url_for(folder)).close()
        assert mode(folder) == 0o700
        for suffix in FILES:
            assert mode(Path(f"{path}{suffix}")) == 0o600, suffix
    finally:
        left_open.close()


def test_a_database_url_of_a_file_is_made_private_but_not_its_folder(
    tmp_path: Path, open_umask: None
) -> None:
    tmp_path.chmod(0o755)  # a folder the admin chose: its mode is theirs
    path = tmp_path / "elsewhere.sqlite3"
    engine = create_server_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            assert mode(path) == 0o600
    finally:
        engine.dispose()
    assert mode(tmp_path) == 0o755
    create_server_engine("sqlite://").dispose()  # in memory: no file to make
    create_server_engine(f"sqlite:///{tmp_path / 'missing' / 'x.sqlite3'}").dispose()
    assert not (tmp_path / "missing").exists()  # SQLite says what is wrong, when it connects


def test_an_existing_folder_without_our_database_keeps_its_mode(tmp_path: Path) -> None:
    """The default data folder is the current one: never lock others out of it."""
    tmp_path.chmod(0o755)
    ServerStore.open(database_url_for(tmp_path)).close()
    assert mode(tmp_path) == 0o755
    assert mode(tmp_path / SERVER_DB_FILENAME) == 0o600
