"""Data folders and files only their owner can read: folders 0700, files 0600.

A territory is customers' personal data; on a shared machine (or a server with other
accounts) the default umask would let every local user read it. Modes are set when a
folder or file is made and tightened when one from an older version is found looser.
SQLite gives the -wal and -shm files it makes the mode of the database file, so the
database file is made 0600 before SQLite opens it. The app's store and the server's
database both use these.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_folder(path: Path) -> Path:
    """Makes `path` (and missing parents) if needed, and leaves it 0700; returns it.

    A folder owned by someone else is left as it is (only its owner may change its
    mode); the files made in it are private all the same.
    """
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    _tighten(path, FOLDER_MODE)
    return path


def private_file(path: Path) -> Path:
    """Makes `path` empty if missing, and leaves it 0600; returns it. The folder must exist."""
    try:
        # Made with its mode: never a moment where a new file is readable by others.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        if not path.is_file():
            return path  # a folder, say: whoever opens it says what is wrong
    _tighten(path, FILE_MODE)
    return path


def private_sqlite_file(path: Path) -> Path:
    """The SQLite database at `path` made (if missing) and tightened to 0600, with its
    -wal, -shm and -journal files where they exist, before SQLite opens it."""
    private_file(path)
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            _tighten(companion, FILE_MODE)
    return path


def _tighten(path: Path, mode: int) -> None:
    status = path.stat()
    if stat.S_IMODE(status.st_mode) & ~mode == 0:
        return  # already as private (or more)
    if hasattr(os, "getuid") and status.st_uid != os.getuid():
        return  # not ours to change
    os.chmod(path, stat.S_IMODE(status.st_mode) & mode)
