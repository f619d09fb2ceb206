"""Pages of a download: read ahead and written several at a time when the device is the
slower side, rows read as the protocol's Row reads them, a broken-off first download going
on where it stopped; over real HTTP where a server takes part."""

from __future__ import annotations

import gc
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import event, func, select, text

from db.attention import AttentionDesk
from db.store.bulk_indexes import DEFERRED
from db.store.local_store import Store
from db.store.models import Account, Activity, RemoteRecord
from db.store.replica import STORED_WHOLE, LocalReplica, PulledRow
from server.app import create_app
from server.auth import AuthService
from server.cli import main as server_main
from server.store import ServerStore, database_url_for
from sync.engine import READ_AHEAD, SNAPSHOT_AFTER, RetryPolicy, SyncEngine, SyncError
from sync.engine import _json_of as json_of
from sync.engine import _read_ahead as read_ahead
from sync.engine import _row as read_row
from sync.protocol import Row
from tests.helpers.live_server import serving
from tests.helpers.profile_counts import kept, recounted, tier_totals, tiers_counted

# --- reading ahead --------------------------------------------------------------------


class Pages:
    """Numbered pages 0..last-1; page n downloads once let through (`let_through`), and
    `fetched` says how many did so far."""

    def __init__(self, last: int, failing: int | None = None, gated: bool = True) -> None:
        self.last, self.failing = last, failing
        self.allowed = 0 if gated else last
        self.fetched = 0
        self.changed = threading.Condition()

    def fetch(self, number: int) -> int:
        with self.changed:
            assert self.changed.wait_for(lambda: number < self.allowed, timeout=20)
            if number == self.failing:
                raise OSError(f"page {number} lost")
            self.fetched += 1
            self.changed.notify_all()
        return number

    def following(self, number: int) -> int | None:
        return number + 1 if number + 1 < self.last else None

    def let_through(self, pages: int) -> None:
        with self.changed:
            self.allowed = pages
            self.changed.notify_all()

    def wait_for(self, fetched: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.fetched >= fetched, timeout=20)


def test_pages_that_arrived_meanwhile_come_as_one_batch() -> None:
    pages = Pages(last=10)
    ahead = read_ahead(pages.fetch, 0, pages.following)
    pages.let_through(1)
    assert next(ahead) == [0]
    pages.let_through(10)
    pages.wait_for(1 + READ_AHEAD)  # the writer was slow: the next ones are all in
    assert next(ahead) == list(range(1, 1 + READ_AHEAD))
    seen = [n for batch in ahead for n in batch]
    assert seen == list(range(1 + READ_AHEAD, 10))
    assert pages.fetched == 10  # each page once


def test_pages_before_a_failure_are_handed_over_then_the_failure() -> None:
    pages = Pages(last=10, failing=3, gated=False)
    handed: list[int] = []
    with pytest.raises(OSError, match="page 3 lost"):
        for batch in read_ahead(pages.fetch, 0, pages.following):
            handed += batch
    assert handed == [0, 1, 2]


def test_closing_early_stops_the_downloads() -> None:
    pages = Pages(last=1000, gated=False)
    ahead = read_ahead(pages.fetch, 0, pages.following)
    assert next(ahead)[0] == 0
    ahead.close()
    assert pages.fetched <= 2 * READ_AHEAD + 1  # no more than were let ahead


# --- reading rows ---------------------------------------------------------------------

ROW_ID = uuid.uuid4()
GOOD: dict[str, Any] = {"entity": "account", "id": str(ROW_ID), "version": 7, "data": {"a": 1}}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"deleted": True},
        {"id": str(ROW_ID).upper()},
        {"id": ROW_ID.hex},
        {"id": "{" + str(ROW_ID) + "}"},
        {"id": "-" * 4 + ROW_ID.hex},
        {"id": "not an id"},
        {"id": 7},
        {"version": "7"},
        {"version": 7.0},
        {"version": True},
        {"deleted": 1},
        {"deleted": "yes"},
        {"data": None},
        {"data": [1]},
        {"data": {}},
        {"entity": 5},
        {"extra": 1},
        {"entity": None},
    ],
)
def test_a_row_is_read_as_the_protocol_reads_it(changes: dict[str, Any]) -> None:
    raw = {**GOOD, **changes}
    try:
        row = Row.model_validate(raw)
    except ValidationError:
        with pytest.raises(ValidationError):
            read_row(raw)
        return
    assert read_row(raw) == PulledRow(row.entity, row.id, row.version, row.deleted, row.data)


@pytest.mark.parametrize("missing", ["entity", "id", "version", "data"])
def test_a_row_missing_a_field_is_refused(missing: str) -> None:
    with pytest.raises(ValidationError):
        read_row({k: v for k, v in GOOD.items() if k != missing})


# --- a whole first download -----------------------------------------------------------


def test_several_pages_written_at_once_hold_each_row_at_its_newest(tmp_path: Path) -> None:
    """What a batch of pages can hold: a row again, newer, on a later page."""
    store = Store.open(tmp_path / "device")
    replica = LocalReplica(store)
    account_id, conflict_id = uuid.uuid4(), uuid.uuid4()
    data = {"name": "Acme", "territory": "north"}
    conflict = {"entity": "account", "field": "city"}
    rows = [
        PulledRow("account", account_id, 3, False, data),
        PulledRow("conflict", conflict_id, 4, False, conflict),
        PulledRow("account", account_id, 9, False, {**data, "name": "Globex"}),
        PulledRow("conflict", conflict_id, 8, True, conflict),
        PulledRow("account", account_id, 5, True, data),  # older: loses
    ]
    replica.apply_page(rows, "cursor")
    with store.reading() as session:
        account = session.get(Account, account_id)
        assert account is not None
        assert (account.name, account.server_version, account.deleted_at) == ("Globex", 9, None)
        remote = session.get(RemoteRecord, ("conflict", conflict_id))
        assert remote is not None and (remote.server_version, remote.deleted) == (8, True)
    store.close()


class BreaksOff(httpx.HTTPTransport):
    """Lets `pages` snapshot pages through, then loses the connection for good."""

    def __init__(self, pages: int) -> None:
        super().__init__()
        self.pages = pages
        self.snapshots: list[httpx.URL] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/sync/snapshot"):
            self.snapshots.append(request.url)
            if len(self.snapshots) > self.pages:
                raise httpx.ConnectError("connection lost", request=request)
        return super().handle_request(request)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("server")
    assert server_main(["--data-dir", str(folder), "demo", "--accounts", "150"]) == 0
    store = ServerStore.open(database_url_for(folder))
    try:
        with serving(create_app(store, AuthService(store))) as url:
            yield url
    finally:
        store.close()


def _sync(store: Store, url: str, transport: httpx.BaseTransport | None = None) -> Any:
    retry = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.01)
    with httpx.Client(base_url=url, transport=transport, timeout=30) as http:
        engine = SyncEngine(LocalReplica(store), http, "demo", "demo-password", retry=retry)
        return engine.run()


def _tally(store: Store) -> dict[str, int]:
    with store.reading() as session:
        assert session.execute(text("PRAGMA foreign_key_check")).fetchall() == []
        return {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Account, Activity)
        }


def test_a_broken_off_first_download_goes_on_where_it_stopped(
    tmp_path: Path, demo_server: str
) -> None:
    whole = Store.open(tmp_path / "whole")
    first = _sync(whole, demo_server)
    assert first.snapshot and first.pulled > 3000  # several pages
    assert gc.isenabled()
    _assert_counted(whole)
    assert any(answered for answered, *_ in kept(whole).values())

    fresh = Store.open(tmp_path / "fresh")
    every_index = _indexes(fresh)
    assert _indexes(whole) == every_index and "ix_activity_contact_id" in every_index
    fresh.close()

    device = Store.open(tmp_path / "device")
    broken = BreaksOff(pages=2)
    with pytest.raises(SyncError, match="cannot reach the server"):
        _sync(device, demo_server, broken)
    assert gc.isenabled()  # paused for the download (sync.collector), and back
    replica = LocalReplica(device)
    assert replica.state(SNAPSHOT_AFTER) is not None  # where it stopped, with its rows
    assert _tally(device)["account"] + _tally(device)["activity"] > 0
    # Set aside while the download writes; back as soon as the store is opened again.
    assert "ix_activity_contact_id" not in _indexes(device)
    assert "profile_count_ai" not in _triggers(device)
    assert replica.state(DEFERRED) is not None
    device.close()
    device = Store.open(tmp_path / "device")
    replica = LocalReplica(device)
    assert _indexes(device) == every_index and replica.state(DEFERRED) is None
    assert _triggers(device) == _triggers(whole)
    _assert_counted(device)

    again = BreaksOff(pages=1000)
    outcome = _sync(device, demo_server, again)
    assert outcome.snapshot and outcome.repaired == ()
    assert "after=" in str(again.snapshots[0])  # went on; did not start over
    assert _tally(device) == _tally(whole)
    assert replica.summary() == LocalReplica(whole).summary()
    assert replica.state(SNAPSHOT_AFTER) is None
    assert _indexes(device) == every_index and replica.state(DEFERRED) is None
    assert _triggers(device) == _triggers(whole)
    assert kept(device) == kept(whole)
    device.close()
    whole.close()


def _assert_counted(store: Store) -> None:
    """The profile counts (set aside during the download) hold every answer pulled."""
    assert kept(store) == recounted(store)
    assert tier_totals(store) == tiers_counted(store)


def _triggers(store: Store) -> set[str]:
    with store.reading() as session:
        names = session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        return set(names.scalars())


def _indexes(store: Store) -> set[str]:
    with store.reading() as session:
        names = session.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
        return set(names.scalars())


def test_a_snapshot_page_carries_rows_named_by_it_that_came_after_the_pin(
    tmp_path: Path,
) -> None:
    """A contact written mid-download under an account written mid-download (with an id
    the account pages have passed): its page brings the account along, first."""
    from server.records import ScopedRecords
    from tests.helpers.live_server import REP_PASSWORD, rep_server

    with rep_server(tmp_path) as server:

        def write(entity: str, record_id: uuid.UUID, data: dict[str, Any]) -> None:
            with server.store.session() as session:
                records = ScopedRecords(session, frozenset({"north"}), server.auth.clock)
                records.create(entity, record_id, "north", data)

        for number in range(1001):  # two pages of accounts
            write("account", uuid.uuid4(), {"name": f"A{number}", "territory": "north"})
        with httpx.Client(base_url=server.url, timeout=10) as http:
            login = {"username": "ana", "password": REP_PASSWORD, "client_id": str(uuid.uuid4())}
            token = http.post("/v1/auth/login", json=login).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            first = http.get("/v1/sync/snapshot", headers=headers).json()
            early, contact = uuid.UUID(int=0), uuid.uuid4()
            write("account", early, {"name": "Late", "territory": "north"})
            write("contact", contact, {"account_id": str(early), "last_name": "Late"})
            second = http.get(
                "/v1/sync/snapshot", params={"after": first["next_after"]}, headers=headers
            ).json()
    sent = [(row["entity"], row["id"]) for row in second["rows"]]
    assert ("contact", str(contact)) in sent
    assert sent.index(("account", str(early))) < sent.index(("contact", str(contact)))


def test_pages_are_read_whatever_numbers_they_hold() -> None:
    body = b'{"rows": [{"data": {"units": 123456789012345678901234567890, "name": "Zo\xc3\xab"}}]}'
    [row] = json_of(httpx.Response(200, content=body))["rows"]
    assert row["data"] == {"units": 123456789012345678901234567890, "name": "Zoë"}
    assert json_of(httpx.Response(200, content=b'{"n": NaN}'))["n"] != 0  # NaN, as json reads it
    assert json_of(httpx.Response(200, content=b'{"n": -9223372036854775807}'))["n"] == -(2**63) + 1
    with pytest.raises(ValueError):
        json_of(httpx.Response(200, content=b"<html>a proxy's page</html>"))


def test_a_bad_row_holds_up_only_the_run_it_is_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A page is written in runs of STORED_WHOLE rows, each under a savepoint of its own
    (a long one makes every row dearer than the last): a row that cannot be stored sends
    its own run row by row and is set aside, and every other row is stored."""
    store = Store.open(tmp_path / "device")
    replica = LocalReplica(store)
    ids = [uuid.uuid4() for _ in range(2 * STORED_WHOLE + 50)]
    bad = ids[STORED_WHOLE + 7]  # in the second run
    rows = [
        PulledRow(
            "account",
            row_id,
            1,
            False,
            {
                "name": f"Firm {n:04}",
                "territory": "north",
                "employees": 10**30 if row_id == bad else n,
            },
        )
        for n, row_id in enumerate(ids)
    ]
    savepoints: list[int] = []  # the rows written under each savepoint

    @event.listens_for(store.engine, "before_cursor_execute")
    def count(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        if statement.startswith("SAVEPOINT"):
            savepoints.append(0)
        elif statement.startswith("INSERT INTO account") and savepoints:
            savepoints[-1] += len(params) if many else 1

    with caplog.at_level("WARNING", logger="db.store.replica"):
        replica.apply_page(rows, "cursor")
    assert max(savepoints) == STORED_WHOLE and sum(savepoints) >= len(ids)
    with store.reading() as session:
        stored = set(session.scalars(select(Account.id)))
    assert stored == set(ids) - {bad}
    whole_failed = [r for r in caplog.records if "could not be stored whole" in r.getMessage()]
    assert len(whole_failed) == 1  # the second run only
    assert [item.id for item in AttentionDesk(store).set_aside()] == [bad]
    store.close()
