"""A store that cannot be written says so in one line a rep can act on: a full disk at the
write, a read-only store when it opens."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import event

from db.edits import LocalEditor
from db.errors import DiskFull, StoreReadOnly
from db.store.local_store import STORE_FILENAME, Store


def test_a_full_disk_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    editor = LocalEditor(store)
    editor.create("account", name="Acme", territory="north")
    # SQLite's page limit stands in for the disk: the next pages cannot be had.
    event.listen(
        store.engine,
        "connect",
        lambda conn, _record: conn.execute("PRAGMA max_page_count = 1"),
    )
    store.engine.dispose()
    with pytest.raises(DiskFull) as refused:
        editor.create("account", name="Globex " + "x" * 100_000, territory="north")
    assert str(refused.value) == (
        "the disk is full: free some space and try again (nothing was lost)"
    )
    assert "\n" not in str(refused.value) and "sqlite" not in str(refused.value).lower()
    store.close()
    again = Store.open(tmp_path)
    from db.accounts import AccountDirectory
    from db.dto import AccountQuery

    assert [a.name for a in AccountDirectory(again).page(AccountQuery(), 0, 10)] == ["Acme"]
    again.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anything: permissions say nothing")
def test_a_read_only_store_is_said_when_it_opens(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    (tmp_path / STORE_FILENAME).chmod(0o400)
    try:
        with pytest.raises(StoreReadOnly, match="read-only"):
            Store.open(tmp_path)
    finally:
        (tmp_path / STORE_FILENAME).chmod(0o600)
