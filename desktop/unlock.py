"""Whether a typed secret unlocks the window: the store's passphrase, or the rep's server
password (the keyring's copy, or an Argon2id hash of the last one that signed in)."""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from desktop.credentials import stored_password
from sync.private_files import private_file, private_folder

log = logging.getLogger(__name__)

UNLOCK_HASH_FILE = "unlock.hash"
FREE_TRIES = 5  # wrong secrets in a row before each further try waits
THROTTLE_S = 30.0
_HASH_MAX_BYTES = 4096  # an Argon2 hash is about a hundred characters

Account = tuple[str, str]  # (server, user name) of the signed-in rep


def remember_password(data_dir: Path, password: str) -> None:
    """Keeps an Argon2id hash of a password that has just signed in (`unlock.hash`, 0600, in
    the data folder), so the idle lock can check it with no network and no keyring. Call it
    after each successful sign-in; it hashes for a tenth of a second: off the GUI thread."""
    from argon2 import PasswordHasher  # loaded when first needed, not at start-up

    hashed = PasswordHasher().hash(password)
    path = private_folder(data_dir) / UNLOCK_HASH_FILE
    partial = private_file(path.with_name(path.name + ".partial"))
    with open(partial, "w", encoding="ascii") as out:
        out.write(hashed)
        out.flush()
        os.fsync(out.fileno())
    # A crash leaves the old hash or the new one, never half of one.
    os.replace(partial, path)


class UnlockCheck:
    """Checks typed secrets against what this computer knows of the rep. `verify` and
    `knows_a_secret` block (Argon2 is slow on purpose, the keyring may ask D-Bus): call
    them off the GUI thread. After FREE_TRIES wrong secrets in a row, each further try
    waits THROTTLE_S seconds after the last wrong one; a right one starts the count again."""

    def __init__(
        self,
        data_dir: Path,
        passphrase_matches: Callable[[str], bool] | None = None,
        *,
        keyring_password: Callable[[str, str], str | None] = stored_password,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hash_file = data_dir / UNLOCK_HASH_FILE
        self._passphrase_matches = passphrase_matches
        self._keyring_password = keyring_password
        self._clock = clock
        self._state = threading.Lock()  # the counts, read from the GUI thread too
        self._one_at_a_time = threading.Lock()
        self._wrong = 0
        self._last_wrong = 0.0

    def set_passphrase_check(self, passphrase_matches: Callable[[str], bool] | None) -> None:
        """The store's passphrase check, once known (the store opens after the window)."""
        self._passphrase_matches = passphrase_matches

    def wait_left(self) -> float:
        """Seconds before the next try is taken (0: now). Quick: fine on the GUI thread."""
        with self._state:
            if self._wrong < FREE_TRIES:
                return 0.0
            return max(0.0, self._last_wrong + THROTTLE_S - self._clock())

    def knows_a_secret(self, account: Account | None) -> bool:
        """Whether anything typed could unlock: a passphrase, a remembered password, or the
        keyring's password for `account`. Blocks."""
        if self._passphrase_matches is not None or self._remembered_hash() is not None:
            return True
        return account is not None and bool(self._keyring_password(*account))

    def verify(self, secret: str, account: Account | None) -> bool:
        """True if `secret` is the store's passphrase or `account`'s password. While a wait
        is running, False without looking. Blocks."""
        with self._one_at_a_time:
            if self.wait_left() > 0:
                return False
            right = self._matches(secret, account)
            with self._state:
                if right:
                    self._wrong = 0
                else:
                    self._wrong += 1
                    self._last_wrong = self._clock()
            return right

    def _matches(self, secret: str, account: Account | None) -> bool:
        if not secret:
            return False
        if self._passphrase_matches is not None:
            try:
                if self._passphrase_matches(secret):
                    return True
            except Exception:  # a bug in the check must not unlock, nor crash the lock
                log.exception("checking the store passphrase failed")
        if account is not None:
            stored = self._keyring_password(*account)
            if stored and hmac.compare_digest(secret.encode(), stored.encode()):
                return True
        hashed = self._remembered_hash()
        return hashed is not None and _hash_matches(hashed, secret)

    def _remembered_hash(self) -> str | None:
        try:
            with open(self._hash_file, "rb") as stored:
                raw = stored.read(_HASH_MAX_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError:
            log.warning("%s cannot be read", UNLOCK_HASH_FILE, exc_info=True)
            return None
        text = raw.decode("ascii", errors="replace").strip()
        if len(raw) > _HASH_MAX_BYTES or not text.startswith("$argon2"):
            log.warning("%s holds no password hash: it is ignored", UNLOCK_HASH_FILE)
            return None
        return text


def _hash_matches(hashed: str, secret: str) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return PasswordHasher().verify(hashed, secret)
    except VerifyMismatchError:
        return False
    except (InvalidHashError, VerificationError):  # a hash spoilt by hand, or by the disk
        log.warning("%s holds no valid password hash: it is ignored", UNLOCK_HASH_FILE)
        return False
