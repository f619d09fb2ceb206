"""A sync's read-then-write is one transaction: a rep's save can never land between a
pulled page's read of the outbox and its write, where the page would overwrite it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError

from db.edits import LocalEditor
from db.store.local_store import Store
from db.store.models import Account, OutboxEntry
from db.store.replica import LocalReplica, PulledRow

ACME = {"name": "Acme", "territory": "north", "city": "Paris"}


def impatient(store: Store) -> Store:
    """`store`'s connections give up at once when another holds the write lock, so the
    test sees whether the lock was held instead of waiting for it."""
    event.listen(
        store.engine, "connect", lambda conn, _record: conn.execute("PRAGMA busy_timeout=0")
    )
    store.engine.dispose()
    return store


def test_a_save_while_a_page_is_applied_waits_and_survives(tmp_path: Path) -> None:
    sync_side = Store.open(tmp_path)
    rep_side = impatient(Store.open(tmp_path))
    replica, rep = LocalReplica(sync_side), LocalEditor(rep_side)
    account_id = uuid.uuid4()
    replica.apply_page([PulledRow("account", account_id, 1, False, ACME)], "c1")
    attempts: list[str] = []

    def rep_saves() -> None:
        rep.set_fields("account", account_id, city="Köln")

    outbox_read = False

    def between_read_and_write(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The page has read the outbox (no edit pending yet): the rep saves before the
        # page's next statement.
        nonlocal outbox_read
        if attempts:
            return
        if not outbox_read:
            outbox_read = "FROM outbox" in statement
            return
        try:
            rep_saves()
        except OperationalError as exc:
            assert "locked" in str(exc)
            attempts.append("waited")
        else:
            attempts.append("slipped in")

    event.listen(sync_side.engine, "before_cursor_execute", between_read_and_write)
    berlin = PulledRow("account", account_id, 2, False, {**ACME, "city": "Berlin"})
    replica.apply_page([berlin], "c2")
    event.remove(sync_side.engine, "before_cursor_execute", between_read_and_write)
    assert attempts == ["waited"]  # the page held the write lock from its first read
    rep_saves()  # the rep's save, once the page is written

    with sync_side.reading() as session:
        account = session.get(Account, account_id)
        assert account is not None and (account.city, account.server_version) == ("Köln", 2)
        pending = session.scalars(select(OutboxEntry).where(OutboxEntry.entity_id == account_id))
        assert [entry.fields for entry in pending] == [{"city": "Köln"}]
    sync_side.close()
    rep_side.close()


def test_readers_never_wait_for_a_writer(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    other = impatient(Store.open(tmp_path))
    with store.session() as writing:
        writing.execute(text("INSERT INTO sync_state (key, value) VALUES ('k', 'v')"))
        with other.reading() as session:  # the snapshot before the write commits
            assert (
                session.execute(text("SELECT count(*) FROM sync_state WHERE key = 'k'")).scalar()
                == 0
            )
    store.close()
    other.close()
