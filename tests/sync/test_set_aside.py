"""The client is the last line: rows the server should never have held (written before it
checked them, or by a bug) are set aside on the device, listed for support, and the sync
completes with everything else, over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from db.attention import AttentionDesk
from db.store.local_store import Store
from db.store.models import Account, Contact, Meeting
from db.store.replica import LocalReplica
from server.models import Record
from server.records import ScopedRecords
from sync.engine import SyncEngine
from sync.outcome import SyncOutcome, describe_outcome
from tests.helpers.live_server import REP_PASSWORD, RunningServer, rep_server

WHEN = "2026-12-01T09:00:00+00:00"
GOOD = uuid.UUID("00000000-0000-4000-8000-000000000001")
BOGUS_RUNG = uuid.UUID("00000000-0000-4000-8000-000000000002")
HUGE = uuid.UUID("00000000-0000-4000-8000-000000000003")
OBJECT_NAME = uuid.UUID("00000000-0000-4000-8000-000000000004")
NOT_A_DATE = uuid.UUID("00000000-0000-4000-8000-000000000005")
ORPHAN = uuid.UUID("00000000-0000-4000-8000-000000000006")


@pytest.fixture
def server(tmp_path: Path, server_database_url: str) -> Iterator[RunningServer]:
    with rep_server(tmp_path / "server", server_database_url) as running:
        yield running


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "laptop")
    yield store
    store.close()


def sync(server: RunningServer, store: Store) -> SyncOutcome:
    with httpx.Client(base_url=server.url, timeout=20) as http:
        return SyncEngine(LocalReplica(store), http, "ana", REP_PASSWORD).run()


def write(server: RunningServer, entity: str, row_id: uuid.UUID, data: dict[str, Any]) -> None:
    """Straight into the server's table, as data from before the server checked it."""
    with server.store.session() as session:
        records = ScopedRecords(session, frozenset({"north"}), server.auth.clock)
        existing = session.get(Record, (entity, row_id))
        if existing is None:
            records.create(entity, row_id, "north", data)
        else:
            existing.data = data
            records.save(existing)


def account(name: Any = "Acme", **extra: Any) -> dict[str, Any]:
    return {"name": name, "territory": "north", "ladder_rung": "prospect", **extra}


def seed_bad_rows(server: RunningServer) -> None:
    write(server, "account", GOOD, account("Good GmbH"))
    write(server, "account", BOGUS_RUNG, account("Bogus AG", ladder_rung="bogus"))
    write(server, "account", HUGE, account("Huge Ltd", employees=10**30))
    write(server, "account", OBJECT_NAME, account({"a": 1}))
    meeting = {"account_id": str(GOOD), "starts_at": "not-a-date", "ends_at": WHEN}
    write(server, "meeting", NOT_A_DATE, meeting)
    # A contact of the account set aside: its foreign key cannot hold here.
    write(
        server,
        "contact",
        ORPHAN,
        {"account_id": str(BOGUS_RUNG), "first_name": "Ida", "last_name": "Orr"},
    )


def names(store: Store) -> set[str]:
    with store.reading() as session:
        return set(session.scalars(select(Account.name)))


def test_a_first_download_sets_bad_rows_aside_and_completes(
    server: RunningServer, laptop: Store
) -> None:
    seed_bad_rows(server)
    outcome = sync(server, laptop)
    assert outcome.snapshot and outcome.set_aside == 5
    assert outcome.repaired == ()
    assert "5 rows set aside (see Needs attention)" in describe_outcome(outcome)
    assert names(laptop) == {"Good GmbH"}
    listed = {item.id: item for item in AttentionDesk(laptop).set_aside()}
    assert set(listed) == {BOGUS_RUNG, HUGE, OBJECT_NAME, NOT_A_DATE, ORPHAN}
    assert "ladder_rung" in listed[BOGUS_RUNG].reason
    assert "employees" in listed[HUGE].reason
    assert "name: must be text" in listed[OBJECT_NAME].reason
    assert "starts_at" in listed[NOT_A_DATE].reason
    assert "names a record" in listed[ORPHAN].reason
    assert listed[BOGUS_RUNG].data["ladder_rung"] == "bogus"  # kept as it came

    # The next sync neither fails nor downloads the territory again to "repair" it.
    again = sync(server, laptop)
    assert (again.repaired, again.set_aside, again.pulled) == ((), 5, 0)


def test_a_bad_row_in_an_incremental_pull_is_set_aside_and_a_fix_replaces_it(
    server: RunningServer, laptop: Store
) -> None:
    write(server, "account", GOOD, account("Good GmbH"))
    sync(server, laptop)
    write(server, "account", GOOD, account("Good GmbH", ladder_rung="bogus"))
    write(server, "account", HUGE, account("Huge Ltd", employees=10**30))
    write(server, "meeting", NOT_A_DATE, {"account_id": str(GOOD), "starts_at": "x"})
    outcome = sync(server, laptop)
    assert not outcome.snapshot and outcome.set_aside == 3 and outcome.repaired == ()
    with laptop.reading() as session:
        kept = session.get(Account, GOOD)
        assert kept is not None and kept.ladder_rung == "prospect"  # the last good version

    # The server's data is mended: the storable versions take the place of those set aside.
    write(server, "account", GOOD, account("Good GmbH", ladder_rung="client"))
    write(server, "account", HUGE, account("Huge Ltd", employees=1200))
    write(
        server, "meeting", NOT_A_DATE, {"account_id": str(GOOD), "starts_at": WHEN, "ends_at": WHEN}
    )
    mended = sync(server, laptop)
    assert (mended.set_aside, mended.repaired) == (0, ())
    assert AttentionDesk(laptop).set_aside() == []
    with laptop.reading() as session:
        assert session.get(Account, GOOD).ladder_rung == "client"  # type: ignore[union-attr]
        assert session.get(Account, HUGE).employees == 1200  # type: ignore[union-attr]
        assert session.get(Meeting, NOT_A_DATE) is not None
        assert session.scalar(select(Contact.id)) is None
