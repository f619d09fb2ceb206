"""A store restored from a backup, one that lost its -wal, or one copied to a second laptop
numbers its new edits with numbers the server has seen: every later edit still reaches the
server and the other devices (never answered "duplicate" and dropped)."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, func, select

from db.edits import LocalEditor
from db.store.local_store import STORE_FILENAME, Store
from db.store.models import Account, OutboxEntry, Task
from db.store.replica import LocalReplica
from sync.engine import SyncEngine
from sync.outcome import SyncOutcome
from tests.helpers.live_server import REP_PASSWORD, RunningServer, rep_server


@pytest.fixture
def server(tmp_path: Path, server_database_url: str) -> Iterator[RunningServer]:
    with rep_server(tmp_path / "server", server_database_url) as running:
        yield running


class Laptop:
    def __init__(self, folder: Path, url: str) -> None:
        self.folder, self.url = folder, url
        self.store = Store.open(folder)

    def sync(self) -> SyncOutcome:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            return SyncEngine(LocalReplica(self.store), http, "ana", REP_PASSWORD).run()

    def add(self, name: str) -> uuid.UUID:
        account_id, _ = LocalEditor(self.store).create("account", name=name, territory="north")
        return account_id

    def names(self) -> set[str]:
        with self.store.reading() as session:
            return set(session.scalars(select(Account.name).where(Account.deleted_at.is_(None))))

    def unsent(self) -> int:
        with self.store.reading() as session:
            return int(session.scalar(select(func.count()).select_from(OutboxEntry)) or 0)

    def reopen(self) -> None:
        self.store.close()
        self.store = Store.open(self.folder)

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def laptop(tmp_path: Path, server: RunningServer) -> Iterator[Laptop]:
    device = Laptop(tmp_path / "laptop", server.url)
    yield device
    device.close()


@pytest.fixture
def tablet(tmp_path: Path, server: RunningServer) -> Iterator[Laptop]:
    device = Laptop(tmp_path / "tablet", server.url)
    yield device
    device.close()


def backup_of(laptop: Laptop, into: Path) -> Path:
    """A consistent copy of the store file as a backup tool would take it (SQLite's own
    backup), taken while the app runs."""
    into.mkdir()
    with (
        sqlite3.connect(laptop.folder / STORE_FILENAME) as live,
        sqlite3.connect(into / STORE_FILENAME) as copy,
    ):
        live.backup(copy)
    return into / STORE_FILENAME


def put_back(laptop: Laptop, backup: Path) -> None:
    """The folder restored from `backup` (the -wal and -shm of the lost day go too)."""
    laptop.store.close()
    for suffix in ("", "-wal", "-shm"):
        (laptop.folder / f"{STORE_FILENAME}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, laptop.folder / STORE_FILENAME)
    laptop.store = Store.open(laptop.folder)


def test_edits_after_a_restore_from_yesterdays_backup_reach_everyone(
    tmp_path: Path, laptop: Laptop, tablet: Laptop
) -> None:
    laptop.add("Acme")
    laptop.sync()
    backup = backup_of(laptop, tmp_path / "backup")
    laptop.add("Lost with the disk")  # pushed under numbers the backup will reuse
    laptop.add("Also lost")
    assert laptop.sync().pushed == 2

    put_back(laptop, backup)
    made = laptop.add("Made after the restore")
    laptop.add("And another")
    # Edits that must land in their order: a follow-up on the new account, a city twice.
    editor = LocalEditor(laptop.store)
    editor.create("task", account_id=made, title="Send the quote")
    editor.set_fields("account", made, city="Bonn")
    editor.set_fields("account", made, city="Köln")
    outcome = laptop.sync()
    assert outcome.pushed == 5 and outcome.rejected == 0 and laptop.unsent() == 0

    tablet.sync()
    assert {"Made after the restore", "And another"} <= tablet.names()
    with tablet.store.reading() as session:
        account = session.get(Account, made)
        assert account is not None and account.city == "Köln"  # the last edit, not the first
        assert session.scalars(select(Task.title).where(Task.account_id == made)).all() == [
            "Send the quote"
        ]
    # The two pushed before the restore came back from the server too.
    assert (
        laptop.names()
        == tablet.names()
        == {
            "Acme",
            "Lost with the disk",
            "Also lost",
            "Made after the restore",
            "And another",
        }
    )
    laptop.add("The day after")  # numbered above the server's mark from now on
    assert laptop.sync().pushed == 1
    tablet.sync()
    assert "The day after" in tablet.names()


def test_edits_after_the_wal_was_lost_reach_everyone(
    tmp_path: Path, laptop: Laptop, tablet: Laptop
) -> None:
    laptop.add("Acme")
    laptop.sync()
    raw = laptop.store.engine.raw_connection()  # outside a transaction, as SQLite asks
    try:  # the main file holds everything so far
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    finally:
        raw.close()
    snapshot = tmp_path / "main-file-only"
    shutil.copyfile(laptop.folder / STORE_FILENAME, snapshot)
    laptop.add("Only in the wal")
    assert laptop.sync().pushed == 1  # its outbox number is now the server's
    put_back(laptop, snapshot)  # the crash took the -wal with it

    laptop.add("After the crash")
    assert laptop.sync().pushed == 1
    tablet.sync()
    assert {"Acme", "Only in the wal", "After the crash"} <= tablet.names()


def test_a_store_copied_to_a_second_laptop_syncs_as_a_new_device(
    tmp_path: Path, laptop: Laptop, tablet: Laptop, server: RunningServer
) -> None:
    laptop.add("Acme")
    laptop.sync()
    original_id = LocalReplica(laptop.store).client_id()
    laptop.store.close()
    shutil.copytree(laptop.folder, tmp_path / "second-laptop")
    laptop.reopen()
    second = Laptop(tmp_path / "second-laptop", server.url)
    try:
        assert LocalReplica(laptop.store).client_id() == original_id
        assert LocalReplica(second.store).client_id() != original_id  # it found it is a copy
        laptop.add("From the first laptop")
        second.add("From the second laptop")
        assert second.sync().pushed == 1
        assert laptop.sync().pushed == 1
        second.sync()
        tablet.sync()
        expected = {"Acme", "From the first laptop", "From the second laptop"}
        assert tablet.names() == laptop.names() == second.names() == expected
    finally:
        second.close()


def test_an_older_app_is_refused_a_reused_number_instead_of_losing_the_edit(
    laptop: Laptop,
) -> None:
    """An app that does not renumber is told why; its edit waits in Needs attention."""
    laptop.add("Acme")
    laptop.sync()
    client_id = LocalReplica(laptop.store).client_id()
    with httpx.Client(base_url=laptop.url, timeout=10) as http:
        token = http.post(
            "/v1/auth/login",
            json={"username": "ana", "password": REP_PASSWORD, "client_id": str(client_id)},
        ).json()["access_token"]
        other = {
            "mutation_id": 1,
            "entity": "account",
            "op": "create",
            "id": str(uuid.uuid4()),
            "fields": {"name": "Globex", "territory": "north"},
        }
        answer = http.post(
            "/v1/sync/push",
            json={"client_id": str(client_id), "mutations": [other]},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 200
    body = answer.json()
    assert "last_applied" not in body  # an older app's models refuse fields they do not know
    [result] = body["results"]
    assert result["status"] == "rejected" and "reused the number" in result["reason"]


def test_an_edit_dropped_on_its_way_is_found_and_the_row_repaired(
    laptop: Laptop, tablet: Laptop
) -> None:
    """What an older app did when the server wrongly said "duplicate": the outbox entry
    went, the edit stayed on the laptop alone. The end-of-sync check finds the row apart
    from the server with nothing queued and puts the server's content back."""
    account_id = laptop.add("Acme")
    laptop.sync()
    tablet.sync()
    LocalEditor(laptop.store).set_fields("account", account_id, city="Köln")
    with laptop.store.session() as session:  # dropped on its way, as "duplicate" did
        session.execute(delete(OutboxEntry))
    outcome = laptop.sync()
    assert outcome.repaired == ("account",)
    with laptop.store.reading() as session:
        account = session.get(Account, account_id)
        assert account is not None and account.city is None  # the server's, as everyone's
    assert laptop.sync().repaired == () and tablet.sync().repaired == ()
