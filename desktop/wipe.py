"""Erasing this laptop's copy: after an administrator's wipe, or when it was offline too long."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from db.store.probe import STORE_FILENAME
from desktop.credentials import SERVICE, keyring_available, keyring_key
from sync.outcome import DeviceWiped

log = logging.getLogger(__name__)

# Beside the store in the data folder: what goes with it. The log (no customer data, and
# what support needs to see what happened) and the app's settings (no personal data)
# stay.
KEY_RECORD = "store-key.json"  # desktop.store_key.KEY_RECORD: how the store's key is found
WINDOW_SETTINGS = "window.ini"  # desktop.app.WINDOW_SETTINGS (which imports Qt)
UNLOCK_HASH = "unlock.hash"  # desktop.unlock.UNLOCK_HASH_FILE: a hash of the password
EXPORTS = "exports"  # a folder of files the app wrote for the rep
REFRESH_SUFFIX = "#refresh"  # the keyring entry of the kept sign-in (desktop.sync_service)


@dataclass(frozen=True)
class Erased:
    """What erase_local_copy removed, and what it could not (each in words)."""

    files: tuple[str, ...]
    keyring_entries: int  # the sync password and kept sign-in (the store's key apart)
    problems: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.problems


def erase_local_copy(
    data_dir: Path, *, server: str | None = None, username: str | None = None
) -> Erased:
    """Erases this laptop's copy from `data_dir`: the store with its WAL, SHM and any
    half-made copies (so its outbox too), the store's key (keyring entry and record),
    exports, the window settings, the unlock hash, and, for `server` and `username`, the
    sync password and kept sign-in in the keyring. Close the store first.

    Goes on past what cannot be removed, and says what (Erased.problems)."""
    problems: list[str] = []
    _forget_store_key(data_dir, problems)  # before its record goes: it names the entry
    entries = 0
    if server is not None and username is not None:
        entries = _forget_sign_in(server, username, problems)
    removed: list[str] = []
    candidates = [
        *sorted(data_dir.glob(f"{STORE_FILENAME}*")),  # -wal, -shm, -journal, partial copies
        data_dir / KEY_RECORD,
        data_dir / WINDOW_SETTINGS,
        data_dir / UNLOCK_HASH,
        data_dir / f"{UNLOCK_HASH}.partial",
        data_dir / EXPORTS,
    ]
    for path in candidates:
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
            else:
                continue
        except OSError as exc:
            problems.append(f"{path.name}: {exc.strerror or exc}")
            continue
        removed.append(path.name)
    erased = Erased(tuple(removed), entries, tuple(problems))
    # Names of our own files and a count: nothing about the rep or their customers.
    log.warning(
        "erased this laptop's copy: %d file(s), %d keyring entr(ies)%s",
        len(erased.files),
        erased.keyring_entries,
        f"; could not remove {len(problems)}" if problems else "",
    )
    return erased


def erase_wiped_device(
    data_dir: Path,
    wiped: DeviceWiped,
    *,
    server: str,
    username: str,
    ca_file: str | None = None,
) -> str:
    """Erases the copy of a device an admin wiped, then tells the server (who records the
    wipe as done); the line to show the rep. Erased first: the copy goes even when the
    server cannot be told (its answer is only the admin's record)."""
    from sync.engine import SyncError, confirm_wiped, http_client

    erased = erase_local_copy(data_dir, server=server, username=username)
    told = False
    if wiped.client_id is not None:
        try:
            with http_client(server, timeout=10, ca_file=ca_file) as http:
                told = confirm_wiped(http, wiped.client_id)
        except SyncError:
            told = False
    line = f"this laptop's copy was erased: {wiped}"
    if not erased.complete:
        line += f" (but {', '.join(erased.problems)} could not be removed)"
    if not told:
        line += "; the server could not be told, so your administrator may still see it pending"
    return line


def _forget_store_key(data_dir: Path, problems: list[str]) -> None:
    # Imported here, and looked for: written alongside this module (store encryption).
    try:
        import desktop.store_key as store_key
    except ImportError:
        return
    forget = getattr(store_key, "forget_store_key", None)
    if forget is None:
        return
    try:
        forget(data_dir)
    except Exception as exc:  # the files go anyway; the rest of the erase goes on
        log.warning("the store's key could not be forgotten", exc_info=True)
        problems.append(f"the store's key ({exc.__class__.__name__})")


def _forget_sign_in(server: str, username: str, problems: list[str]) -> int:
    if not keyring_available():
        return 0  # no keyring here: nothing was kept in one
    import keyring
    from keyring.errors import PasswordDeleteError

    forgotten = 0
    key = keyring_key(server, username)
    for name, what in ((key, "the sync password"), (key + REFRESH_SUFFIX, "the kept sign-in")):
        try:
            keyring.delete_password(SERVICE, name)
        except PasswordDeleteError:
            continue  # none was kept
        except Exception as exc:
            log.warning("the keyring refused to forget %s", what, exc_info=True)
            problems.append(f"{what} in the keyring ({exc.__class__.__name__})")
            continue
        forgotten += 1
    return forgotten
