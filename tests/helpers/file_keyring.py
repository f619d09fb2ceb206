"""A keyring backend for tests: secrets in a JSON file named by FIELDBRIEF_TEST_KEYRING."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class FileKeyring(KeyringBackend):
    # Never chosen by itself: a test names it (PYTHON_KEYRING_BACKEND, or set_keyring). With
    # a positive priority, merely importing this module made it every later test's keyring.
    priority = -1  # type: ignore[assignment]

    def _path(self) -> Path:
        return Path(os.environ["FIELDBRIEF_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        secrets = self._load()
        secrets[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(secrets))

    def delete_password(self, service: str, username: str) -> None:
        secrets = self._load()
        secrets.pop(f"{service}/{username}", None)
        self._path().write_text(json.dumps(secrets))
