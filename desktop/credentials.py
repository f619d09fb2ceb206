"""Where a sync password comes from: the OS keyring, else FIELDBRIEF_PASSWORD, else a prompt.

Never a file: where no keyring backend exists, the secret is asked for each time rather
than written down in plain text.
"""

from __future__ import annotations

import getpass
import os
import sys

SERVICE = "Fieldbrief"
PASSWORD_ENV = "FIELDBRIEF_PASSWORD"


class NoPassword(Exception):
    """No password could be found or asked for."""


def keyring_key(server: str, user: str) -> str:
    return f"{user}@{server.rstrip('/')}"


def stored_password(server: str, user: str) -> str | None:
    """The keyring's password for this user and server; None if none or no keyring."""
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(SERVICE, keyring_key(server, user))
        except KeyringError:
            return None
    except Exception:  # a broken backend must not stop an offline-first app
        return None


def keyring_available() -> bool:
    """Whether the OS offers a keyring that really stores secrets."""
    try:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
        return not isinstance(backend, fail.Keyring | null.Keyring)
    except Exception:
        return False


def password_for(server: str, user: str) -> str:
    password = stored_password(server, user) or os.environ.get(PASSWORD_ENV)
    if password:
        return password
    if not sys.stdin.isatty():
        raise NoPassword(
            f"no password for {user}: store it in the keyring, set {PASSWORD_ENV}, "
            "or run this in a terminal to be asked"
        )
    return getpass.getpass(f"Password for {user} at {server}: ")
