"""A keyring backend that exists but refuses everything (a locked or broken OS keyring)."""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked


class BrokenKeyring(KeyringBackend):
    # Never chosen by itself, only set by a test: with a positive priority, importing this
    # module made it the keyring of whichever later test first asked for one.
    priority = -1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the keyring is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the keyring is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the keyring is locked")
