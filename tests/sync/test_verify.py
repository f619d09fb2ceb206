"""The end-of-sync check over real HTTP, now that the server's summary is read from totals
kept by triggers: a row missing on either side is still noticed and repaired."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, func, select, update

from db.edits import LocalEditor
from db.store.local_store import Store
from db.store.models import Account, Contact
from db.store.replica import LocalReplica
from server.models import Record
from sync.engine import SyncEngine
from sync.outcome import SyncOutcome
from tests.helpers.live_server import REP_PASSWORD, RunningServer, rep_server


@pytest.fixture
def server(tmp_path: Path, server_database_url: str) -> Iterator[RunningServer]:
    with rep_server(tmp_path, server_database_url) as running:
        running.auth.add_territory("south")
        yield running


class Device:
    def __init__(self, folder: Path, url: str) -> None:
        self.store = Store.open(folder)
        self.editor = LocalEditor(self.store)
        self.url = url

    def sync(self) -> SyncOutcome:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            return SyncEngine(LocalReplica(self.store), http, "ana", REP_PASSWORD).run()

    def last_names(self) -> set[str]:
        with self.store.reading() as session:
            return set(session.scalars(select(Contact.last_name)))

    def accounts(self) -> int:
        with self.store.reading() as session:
            return int(session.scalar(select(func.count()).select_from(Account)) or 0)


@pytest.fixture
def laptop(tmp_path: Path, server: RunningServer) -> Iterator[Device]:
    device = Device(tmp_path / "laptop", server.url)
    yield device
    device.store.close()


@pytest.fixture
def tablet(tmp_path: Path, server: RunningServer) -> Iterator[Device]:
    device = Device(tmp_path / "tablet", server.url)
    yield device
    device.store.close()


def filled(laptop: Device, tablet: Device) -> None:
    """An account with three contacts, on both devices."""
    account_id, _ = laptop.editor.create("account", name="Acme", territory="north")
    for name in ("Ada", "Bo", "Cy"):
        laptop.editor.create("contact", account_id=account_id, first_name=name, last_name=name)
    laptop.sync()
    tablet.sync()


def test_a_row_missing_on_the_device_is_downloaded_again(laptop: Device, tablet: Device) -> None:
    filled(laptop, tablet)
    with tablet.store.session() as session:  # lost locally, with nothing queued for it
        session.execute(delete(Contact).where(Contact.last_name == "Bo"))
    outcome = tablet.sync()
    assert outcome.repaired == ("contact",)
    assert tablet.last_names() == {"Ada", "Bo", "Cy"}
    assert tablet.sync().repaired == ()


def test_a_row_the_server_lost_is_let_go_of(
    server: RunningServer, laptop: Device, tablet: Device
) -> None:
    filled(laptop, tablet)
    with server.store.session() as session:  # removed by hand in SQL, no tombstone
        gone = session.execute(
            delete(Record).where(
                Record.entity == "contact", Record.data["last_name"].as_string() == "Cy"
            )
        )
        assert gone.rowcount == 1  # type: ignore[attr-defined]
    outcome = tablet.sync()
    assert outcome.repaired == ("contact",)
    assert tablet.last_names() == {"Ada", "Bo"}
    assert tablet.sync().repaired == ()


def test_rows_moved_away_by_hand_are_let_go_of(
    server: RunningServer, laptop: Device, tablet: Device
) -> None:
    filled(laptop, tablet)
    with server.store.session() as session:  # moved without new versions: no pull sees it
        session.execute(update(Record).values(territory="south"))
    outcome = tablet.sync()
    assert set(outcome.repaired) == {"account", "contact"}
    assert tablet.accounts() == 0 and tablet.last_names() == set()
