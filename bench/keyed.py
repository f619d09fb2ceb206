"""Stores as the app opens them: encrypted, their key from the bench's passphrase.

The benchmarks and the soak run the app and the CLI in subprocesses, with no keyring to
rely on: they all take the store's key from FIELDBRIEF_STORE_PASSPHRASE, set here once.
"""

from __future__ import annotations

import os
from pathlib import Path

from db.store.local_store import Store
from desktop.store_key import PASSPHRASE_ENV, store_key

os.environ.setdefault(PASSPHRASE_ENV, "the benchmarks' store passphrase")


def open_store(folder: Path) -> Store:
    """The store in `folder`, opened (and made, or encrypted) as the app would."""
    return Store.open(folder, store_key(folder))
