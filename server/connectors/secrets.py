"""The connector key: the webhook secrets are kept encrypted under it, outside the database.

Stripe, Zendesk and HubSpot sign with an HMAC, so the server must hold each signing secret
itself (a hash would not do). The database holds them encrypted (Fernet: AES-128-CBC and an
HMAC-SHA256) under a key that is never in the database: FIELDBRIEF_CONNECTOR_KEY if set,
else the file `connector.key` (0600) in the server's data folder, made by the first
`connector add`. A copy of the database alone (a backup, a dump) reveals no secret.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from server.errors import ServerError
from sync.private_files import FILE_MODE

KEY_VARIABLE = "FIELDBRIEF_CONNECTOR_KEY"  # the key itself (Fernet's urlsafe base64)
# Where `serve` tells its worker processes the key file is (its --data-dir's).
KEY_FILE_VARIABLE = "FIELDBRIEF_CONNECTOR_KEY_FILE"
KEY_FILENAME = "connector.key"


class NoConnectorKey(ServerError):
    """The connector key cannot be had or does not open the secrets: the server is set up
    wrong, nothing the sender can change (503, and an error in the log)."""

    status = 503
    code = "connector_key"


@dataclass(frozen=True)
class KeySource:
    """Where the connector key comes from: the variable, or a file."""

    key: bytes | None = None
    file: Path | None = None

    @classmethod
    def of(cls, data_dir: Path | None = None) -> KeySource:
        """FIELDBRIEF_CONNECTOR_KEY, else FIELDBRIEF_CONNECTOR_KEY_FILE, else the data
        folder's connector.key (with no data folder: the current one)."""
        given = os.environ.get(KEY_VARIABLE, "").strip()
        if given:
            return cls(key=given.encode())
        named = os.environ.get(KEY_FILE_VARIABLE, "").strip()
        if named:
            return cls(file=Path(named))
        return cls(file=(data_dir or Path(".")) / KEY_FILENAME)

    def describe(self) -> str:
        return KEY_VARIABLE if self.file is None else str(self.file)

    def box(self, create: bool = False) -> SecretBox:
        """The box this key opens; `create`: make the key file if there is none."""
        if self.key is not None:
            return SecretBox.of(self.key, KEY_VARIABLE)
        assert self.file is not None
        if create and not self.file.exists():
            _write_new_key(self.file)
        try:
            key = self.file.read_bytes().strip()
        except FileNotFoundError:
            raise NoConnectorKey(
                f"no connector key: {self.file} does not exist (the first 'fieldbrief-server "
                f"connector add' makes it), and {KEY_VARIABLE} is not set"
            ) from None
        except OSError as exc:
            raise NoConnectorKey(
                f"cannot read the connector key {self.file}: {exc.strerror}"
            ) from None
        return SecretBox.of(key, str(self.file))


def _write_new_key(path: Path) -> None:
    """A new random key in a new file only its owner may read (never over another)."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return  # another command made it a moment ago: use that one
    except OSError as exc:
        raise NoConnectorKey(f"cannot make the connector key {path}: {exc.strerror}") from None
    with os.fdopen(handle, "wb") as file:
        file.write(Fernet.generate_key() + b"\n")


class SecretBox:
    """Seals secrets for the database and opens them again."""

    def __init__(self, fernet: Fernet, where: str) -> None:
        self._fernet = fernet
        self._where = where

    @classmethod
    def of(cls, key: bytes, where: str) -> SecretBox:
        try:
            return cls(Fernet(key), where)
        except ValueError:
            raise NoConnectorKey(
                f"the connector key in {where} is not a key (32 bytes, urlsafe base64); "
                "restore the one the secrets were stored with"
            ) from None

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise NoConnectorKey(
                f"the connector key in {self._where} does not open the stored secrets: it is "
                "not the key they were stored with (restore that key, or add the connectors "
                "again with --replace)"
            ) from None
