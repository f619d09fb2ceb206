"""Folders 0700 and files 0600 on real files, whatever the umask; nothing made looser."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.private_files import private_file, private_folder, private_sqlite_file

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    before = os.umask(0)  # what the helpers make must not depend on the umask
    yield
    os.umask(before)


def test_a_new_folder_and_file_are_private(tmp_path: Path) -> None:
    folder = private_folder(tmp_path / "a" / "data")
    assert mode(folder) == 0o700
    made = private_file(folder / "app.log")
    assert made.read_bytes() == b"" and mode(made) == 0o600


def test_loose_ones_are_tightened_and_their_content_kept(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o777)
    log = folder / "app.log"
    log.write_text("kept")
    log.chmod(0o666)
    private_file(private_folder(folder) / "app.log")
    assert (mode(folder), mode(log), log.read_text()) == (0o700, 0o600, "kept")


def test_stricter_modes_are_left_as_they_are(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o500)
    try:
        assert mode(private_folder(folder)) == 0o500
    finally:
        folder.chmod(0o700)
    read_only = folder / "old.sqlite3"
    read_only.write_bytes(b"")
    read_only.chmod(0o400)
    assert mode(private_file(read_only)) == 0o400


def test_an_sqlite_files_companions_are_tightened_and_a_folder_in_its_place_left_alone(
    tmp_path: Path,
) -> None:
    database = tmp_path / "x.sqlite3"
    for suffix in ("-wal", "-shm"):
        companion = tmp_path / f"x.sqlite3{suffix}"
        companion.write_bytes(b"")
        companion.chmod(0o644)
    private_sqlite_file(database)
    assert [mode(tmp_path / f"x.sqlite3{s}") for s in ("", "-wal", "-shm")] == [0o600] * 3
    assert not (tmp_path / "x.sqlite3-journal").exists()  # only existing ones are touched

    in_the_way = tmp_path / "folder.sqlite3"
    in_the_way.mkdir(mode=0o755)
    private_file(in_the_way)  # whoever opens it reports it; it is not made unusable
    assert mode(in_the_way) == 0o755
