"""The end-of-sync check over real HTTP, now that the server's summary is read from totals
kept by triggers: a row missing on either side is still noticed and repaired."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, func, select, update

import sync.engine
from db.edits import LocalEditor
from db.store.local_store import Store
from db.store.models import Account, Contact, Meeting, SyncState
from db.store.replica import CONTENT_CHECK, LocalReplica
from server.models import Record
from server.records import ScopedRecords
from server.settings import set_sensitive_policy
from sync.engine import _CHECKED, SyncEngine
from sync.outcome import SyncOutcome
from sync.seed import demo_records
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


def synced_round(device: Device) -> list[tuple[str, ...]]:
    """Syncs until the content check has gone once round every entity; what each repaired."""
    repaired = []
    for _sync in range(500):
        repaired.append(device.sync().repaired)
        with device.store.reading() as session:
            at = session.get(SyncState, CONTENT_CHECK)
        if at is not None and at.value == _CHECKED[0] and len(repaired) > 1:
            return repaired
    raise AssertionError("the content check never came round")


def test_content_changed_without_a_new_version_is_downloaded_again(
    laptop: Device, tablet: Device
) -> None:
    filled(laptop, tablet)
    with tablet.store.session() as session:  # counts and versions stay as they were
        session.execute(update(Contact).where(Contact.last_name == "Bo").values(last_name="Bx"))
    repaired = synced_round(tablet)  # one slice a sync: found within one round
    assert repaired.count(("contact",)) == 1 and set(repaired) == {(), ("contact",)}
    assert tablet.last_names() == {"Ada", "Bo", "Cy"}
    assert not any(synced_round(tablet))


@pytest.mark.parametrize("policy", ["allowed", "off_devices"])
def test_a_whole_demo_territory_agrees_by_content_slice_by_slice(
    server: RunningServer, laptop: Device, monkeypatch: pytest.MonkeyPatch, policy: str
) -> None:
    # Every kind of value (times, days, choices, JSON, ids), and a time the server keeps
    # with another offset than the app's UTC, slices of 40 rows and sensitive answers.
    monkeypatch.setattr(sync.engine, "SLICE_ROWS", 40)
    with server.store.session() as session:
        set_sensitive_policy(session, policy)
        records = ScopedRecords(session, frozenset({"north"}), server.auth.clock)
        made = list(demo_records(8, 5, today=date(2026, 3, 2), territory="north", owner_rep="ana"))
        for entity, record_id, fields in made:
            if entity == "meeting":
                fields = {**fields, "starts_at": "2026-03-04T09:30:00.5+02:00"}
            records.create(entity, record_id, "north", fields)
    entities = {entity for entity, _, _ in made}
    assert len(entities) >= 10 and "profile_answer" in entities
    laptop.sync()
    assert not any(synced_round(laptop))
    with server.store.session() as session:  # a row changed on the server alone
        record = session.scalars(select(Record).where(Record.entity == "meeting")).first()
        assert record is not None
        record.data = {**record.data, "place": "Changed behind the counter's back"}
    repaired = synced_round(laptop)
    assert repaired.count(("meeting",)) == 1 and set(repaired) == {(), ("meeting",)}
    with laptop.store.reading() as session:
        places = set(session.scalars(select(Meeting.place)))
    assert "Changed behind the counter's back" in places


def test_a_stored_value_no_side_should_hold_does_not_fail_the_pull(
    server: RunningServer, laptop: Device
) -> None:
    laptop.editor.create("account", name="Acme", territory="north")
    laptop.sync()
    with server.store.session() as session:  # written past every door, by hand
        record = session.scalars(select(Record).where(Record.entity == "account")).one()
        record.data = {**record.data, "employees": 2**70}
    for _sync in range(len(_CHECKED) + 1):
        laptop.sync()  # never a 500: the slice differs, the rest of the sync goes on
