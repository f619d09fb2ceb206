"""The store's encryption at rest (SQLCipher): the key, and encrypting a plain store in place."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlcipher3

from db.errors import StoreUnreadable, StoreUserError

KEY_BYTES = 32
# Every plain SQLite file starts with this; an encrypted one starts with random bytes.
_PLAIN_HEADER = b"SQLite format 3\x00"
ENCRYPTING_SUFFIX = ".encrypting"


class WrongStoreKey(StoreUserError):
    """The store is encrypted with another key (a wrong passphrase, another keyring)."""


class StoreKeyMissing(StoreUserError):
    """The store is encrypted and no key was given to open it."""


class StoreKey:
    """A store's raw 256-bit key. Its repr and str never show it, so no log or traceback
    can (SQLAlchemy's URL and connect arguments never see it either: see apply_key)."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes) -> None:
        if len(raw) != KEY_BYTES:
            raise ValueError(f"a store key has {KEY_BYTES} bytes")
        self._raw = bytes(raw)

    def __repr__(self) -> str:
        return "StoreKey(<hidden>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        import hmac

        return isinstance(other, StoreKey) and hmac.compare_digest(self._raw, other._raw)

    def __hash__(self) -> int:
        return hash(type(self))

    @property
    def raw(self) -> bytes:
        return self._raw

    def sql_literal(self) -> str:
        # SQLCipher's raw-key form: the key is used as is, with no key derivation, so
        # opening costs nothing (the random key needs none; a passphrase's is Argon2id).
        return f"\"x'{self._raw.hex()}'\""


def apply_key(dbapi_connection: Any, key: StoreKey) -> None:
    """Keys a new SQLCipher connection; must be its first statement."""
    quiet(dbapi_connection)
    dbapi_connection.execute(f"PRAGMA key = {key.sql_literal()}")


def quiet(dbapi_connection: Any) -> None:
    """SQLCipher writes its own errors (a wrong key's) to stderr: a rep's terminal gets our
    one line instead, and the log our traceback."""
    dbapi_connection.execute("PRAGMA cipher_log_level = NONE")


def is_plain_file(path: Path) -> bool:
    """Whether `path` is an unencrypted SQLite file (False for a missing or empty one)."""
    try:
        with path.open("rb") as file:
            return file.read(len(_PLAIN_HEADER)) == _PLAIN_HEADER
    except FileNotFoundError:
        return False


def is_encrypted_file(path: Path) -> bool:
    """Whether `path` holds data that is not a plain SQLite file (an encrypted store, or
    something else entirely: opening it with the key tells which)."""
    try:
        return path.stat().st_size > 0 and not is_plain_file(path)
    except FileNotFoundError:
        return False


def connect(path: Path, key: StoreKey | None, *, read_only: bool = False) -> Any:
    """A plain SQLCipher connection to `path`, keyed when `key` is given."""
    if read_only:
        connection = sqlcipher3.connect(f"file:{path}?mode=ro", uri=True)
    else:
        connection = sqlcipher3.connect(str(path), timeout=10)
    if key is not None:
        apply_key(connection, key)
    else:
        quiet(connection)
    return connection


def check_key(connection: Any, path: Path) -> None:
    """Raises WrongStoreKey when a keyed connection cannot read its encrypted file."""
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise WrongStoreKey(
                f"cannot open the store at {path}: its key does not match (a wrong "
                "passphrase, or the store was made on another account or computer)"
            ) from exc
        raise


# Called with the name of each step of encrypt_in_place; tests stop the process there.
Step = Callable[[str], None]


def _no_step(_name: str) -> None:
    return None


def encrypt_in_place(path: Path, key: StoreKey, step: Step = _no_step) -> None:
    """Rewrites the plain store at `path` encrypted with `key`.

    Safe against a crash at any moment: the encrypted copy is written beside the store
    and synced, then swapped in with one rename, so the file at `path` is always either
    the old plain store or the whole encrypted one. The plain store's WAL is emptied into
    it first: a stale WAL beside the encrypted file would be applied to it."""
    temporary = path.with_name(path.name + ENCRYPTING_SUFFIX)
    discard_partial(path)
    plain = connect(path, None)
    try:
        busy, _, _ = plain.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise StoreUnreadable(f"cannot encrypt the store at {path}: it is in use")
        step("checkpointed")
        # The copy is born private: SQLite keeps an existing file's mode.
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        plain.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(temporary), _key_text(key)))
        plain.execute("SELECT sqlcipher_export('encrypted')").fetchone()
        (version,) = plain.execute("PRAGMA main.user_version").fetchone()
        plain.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        plain.execute("DETACH DATABASE encrypted")
        step("exported")
    finally:
        plain.close()
    _check_copy(temporary, key, path)
    _fsync(temporary)
    step("synced")
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StoreUnreadable(f"cannot encrypt the store at {path}: it is in use")
    for leftover in (wal, path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    step("cleared")
    os.replace(temporary, path)
    _fsync(path.parent)
    step("replaced")


def discard_partial(path: Path) -> None:
    """Removes what an interrupted encrypt_in_place left beside the store (never the
    store): its half-written copy and that copy's journal."""
    for suffix in (ENCRYPTING_SUFFIX, f"{ENCRYPTING_SUFFIX}-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _key_text(key: StoreKey) -> str:
    return key.sql_literal().strip('"')


def _check_copy(temporary: Path, key: StoreKey, path: Path) -> None:
    """The copy opens with the key and holds the store's tables, or the swap never happens."""
    copy = connect(temporary, key)
    try:
        (tables,) = copy.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        copy.close()
    original = connect(path, None, read_only=True)
    try:
        (expected,) = original.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        original.close()
    if tables != expected:
        raise StoreUnreadable(f"cannot encrypt the store at {path}: the encrypted copy differs")


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
