"""Where the store's encryption key comes from: the OS keyring, else a passphrase (Argon2id).

A new store gets a random 256-bit key kept in the keyring. Where no keyring works, its key
is derived from a passphrase the rep types (or, for scripts and CI, FIELDBRIEF_STORE_
PASSPHRASE). Which of the two a store uses, and the passphrase's salt, are written in
`store-key.json` beside it: nothing secret, but the store cannot be opened without it.
The key itself never touches the disk.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from db.errors import StoreUserError
from db.store.cipher import KEY_BYTES, StoreKey, is_encrypted_file
from db.store.probe import STORE_FILENAME, probe_store_file
from desktop.credentials import SERVICE

KEY_RECORD = "store-key.json"
PASSPHRASE_ENV = "FIELDBRIEF_STORE_PASSPHRASE"
MIN_PASSPHRASE = 12  # for one the rep chooses in the app; a script's is its own business

# Argon2id's cost for a passphrase's key: about a quarter of a second on a laptop, paid
# once per start. Kept in the record, so stronger settings later still open older stores.
_TIME_COST, _MEMORY_KIB, _PARALLELISM = 3, 65_536, 2

Kind = Literal["keyring", "passphrase"]


class StoreKeyUnavailable(StoreUserError):
    """The store's key cannot be had: no keyring entry, no passphrase, a broken record."""


class PassphraseNeeded(StoreKeyUnavailable):
    """The key comes from a passphrase and none was given; `new`: one is to be chosen."""

    def __init__(self, message: str, *, new: bool) -> None:
        super().__init__(message)
        self.new = new


@dataclass(frozen=True)
class KeyRecord:
    """How a store's key is found; written beside the store, holds no secret."""

    kind: Kind
    store_id: str
    salt: str = ""  # hex, for a passphrase
    time_cost: int = _TIME_COST
    memory_kib: int = _MEMORY_KIB
    parallelism: int = _PARALLELISM


def key_record(data_dir: Path) -> KeyRecord | None:
    """The data folder's key record; None if there is none yet."""
    path = data_dir / KEY_RECORD
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        record = KeyRecord(**data)
        uuid.UUID(record.store_id)
        if record.kind not in ("keyring", "passphrase"):
            raise ValueError(record.kind)
        if record.kind == "passphrase":
            bytes.fromhex(record.salt)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        raise StoreKeyUnavailable(
            f"the store's key record {path} is damaged; restore it from a backup of the folder"
        ) from exc
    return record


def needs_passphrase(data_dir: Path) -> bool:
    """Whether opening this folder's store needs a passphrase typed by the rep (none in
    the environment, and the store uses one or no keyring can hold a new key)."""
    if os.environ.get(PASSPHRASE_ENV):
        return False
    record = key_record(data_dir)
    if record is not None:
        return record.kind == "passphrase"
    return not _keyring_works()


def is_new(data_dir: Path) -> bool:
    """Whether the folder has no store key yet (a passphrase typed now is a new one)."""
    return key_record(data_dir) is None


def store_key(data_dir: Path, passphrase: str | None = None) -> StoreKey:
    """The key of the store in `data_dir`, made (and recorded) on first use.

    `passphrase` is one the rep typed; FIELDBRIEF_STORE_PASSPHRASE is used when none is
    given. Raises StoreKeyUnavailable, in words the rep can act on, when there is no way to
    the key; never makes a new key for a store that is already encrypted."""
    data_dir = Path(data_dir)
    record = key_record(data_dir)
    if record is None:
        record = _new_record(data_dir, passphrase)
    if record.kind == "keyring":
        return _keyring_key(record)
    typed = passphrase or os.environ.get(PASSPHRASE_ENV)
    if not typed:
        raise PassphraseNeeded(
            f"the store in {data_dir} is locked with a passphrase: type it, or set "
            f"{PASSPHRASE_ENV}",
            new=False,
        )
    return derive_key(typed, record)


def derive_key(passphrase: str, record: KeyRecord) -> StoreKey:
    """The key Argon2id derives from `passphrase` with the record's salt and costs."""
    from argon2.low_level import Type, hash_secret_raw

    raw = hash_secret_raw(
        secret=passphrase.encode("utf-8"),
        salt=bytes.fromhex(record.salt),
        time_cost=record.time_cost,
        memory_cost=record.memory_kib,
        parallelism=record.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )
    return StoreKey(raw)


def passphrase_matches(data_dir: Path, passphrase: str, key: StoreKey) -> bool:
    """Whether `passphrase` is the one this folder's store key comes from (the idle lock)."""
    record = key_record(data_dir)
    if record is None or record.kind != "passphrase" or not passphrase:
        return False
    return derive_key(passphrase, record) == key


def forget_store_key(data_dir: Path) -> None:
    """Deletes the store's key from the keyring and its record (a wiped device: the
    encrypted store, if any copy is left, can never be opened again)."""
    try:
        record = key_record(data_dir)
    except StoreKeyUnavailable:
        record = None
    if record is not None and record.kind == "keyring":
        try:
            import keyring

            keyring.delete_password(SERVICE, _keyring_name(record))
        except Exception:  # already gone, or no keyring left: nothing more to erase
            pass
    (data_dir / KEY_RECORD).unlink(missing_ok=True)


def _new_record(data_dir: Path, passphrase: str | None) -> KeyRecord:
    store = data_dir / STORE_FILENAME
    if is_encrypted_file(store):
        # Never a new key for an existing encrypted store: it would never open again.
        raise StoreKeyUnavailable(
            f"cannot open the store at {store}: it is not a Fieldbrief store, or an "
            f"encrypted one whose key record ({KEY_RECORD}) is missing (restore the whole "
            "folder from its backup)"
        )
    # A plain file that is not our store (another app's database) is refused before a
    # record is written beside it; one of ours is encrypted in place when it opens.
    probe_store_file(store)
    store_id = str(uuid.uuid4())
    if passphrase is None and not os.environ.get(PASSPHRASE_ENV):
        record = KeyRecord(kind="keyring", store_id=store_id)
        if _keep_in_keyring(record, secrets.token_bytes(KEY_BYTES)):
            return _write_record(data_dir, record)
        raise PassphraseNeeded(
            "this computer has no keyring to keep the store's key: choose a passphrase, "
            f"or set {PASSPHRASE_ENV}",
            new=True,
        )
    record = KeyRecord(kind="passphrase", store_id=store_id, salt=secrets.token_hex(16))
    return _write_record(data_dir, record)


def _write_record(data_dir: Path, record: KeyRecord) -> KeyRecord:
    """Writes the record once (O_EXCL); if another process wrote one first, that one holds."""
    from sync.private_files import private_folder

    private_folder(data_dir)
    path = data_dir / KEY_RECORD
    temporary = path.with_name(f".{KEY_RECORD}.{os.getpid()}")
    text = json.dumps(asdict(record), indent=1)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(descriptor, text.encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(temporary, path)  # fails if a record appeared meanwhile: keep that one
    except FileExistsError:
        existing = key_record(data_dir)
        assert existing is not None
        return existing
    finally:
        temporary.unlink(missing_ok=True)
    return record


def _keyring_name(record: KeyRecord) -> str:
    return f"store-key:{record.store_id}"


def _keep_in_keyring(record: KeyRecord, raw: bytes) -> bool:
    """Stores a new key in the keyring; False if no keyring works here."""
    try:
        import keyring

        keyring.set_password(SERVICE, _keyring_name(record), raw.hex())
        return keyring.get_password(SERVICE, _keyring_name(record)) == raw.hex()
    except Exception:  # no backend, a locked or broken one: a passphrase instead
        return False


def _keyring_works() -> bool:
    from desktop.credentials import keyring_available

    return keyring_available()


def _keyring_key(record: KeyRecord) -> StoreKey:
    try:
        import keyring

        stored = keyring.get_password(SERVICE, _keyring_name(record))
    except Exception as exc:
        raise StoreKeyUnavailable(
            "the OS keyring that holds the store's key cannot be read: unlock it and try again"
        ) from exc
    if stored is None:
        raise StoreKeyUnavailable(
            "the store's key is not in this computer's keyring (was the folder copied from "
            "another account or computer?)"
        )
    try:
        return StoreKey(bytes.fromhex(stored))
    except ValueError as exc:
        raise StoreKeyUnavailable("the store's key in the keyring is damaged") from exc
