"""The store the app or the CLI made in a data folder, opened with its key (as raw SQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from db.store.cipher import connect
from db.store.probe import STORE_FILENAME
from desktop.store_key import store_key


def open_app_store(data_dir: Path) -> Any:
    """An SQLCipher connection to the folder's encrypted store (a `with` block commits)."""
    return connect(data_dir / STORE_FILENAME, store_key(data_dir))
