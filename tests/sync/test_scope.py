"""Scope and integrity over real HTTP: foreign keys hold whatever order rows changed in,
snapshots are pinned, territories come and go, forgotten deletes force a non-destructive
resync, the end-of-sync check repairs a drifted store, old clients are told to update."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from db.attention import AttentionDesk
from db.edits import LocalEditor
from db.errors import StoreUserError
from db.store.local_store import Store
from db.store.models import Account, Contact, OutboxEntry, VisitNote
from db.store.replica import ENTITY_ORDER, LocalReplica
from server.app import create_app
from server.auth import AuthService
from server.records import ScopedRecords
from sync.engine import SyncEngine
from sync.outcome import ClientTooOld, SyncOutcome
from sync.protocol import API_HEADER, SNAPSHOT_ORDER
from tests.helpers.live_server import REP_PASSWORD, RunningServer, rep_server, serving


@pytest.fixture
def server(tmp_path: Path, server_database_url: str) -> Iterator[RunningServer]:
    with rep_server(tmp_path, server_database_url) as running:
        running.auth.add_territory("south")
        yield running


class Device:
    def __init__(self, folder: Path, url: str, user: str = "ana") -> None:
        self.store = Store.open(folder)
        self.editor = LocalEditor(self.store)
        self.url, self.user = url, user

    def sync(self) -> SyncOutcome:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            return SyncEngine(LocalReplica(self.store), http, self.user, REP_PASSWORD).run()

    def names(self, model: type[Account] | type[Contact] = Account) -> set[str]:
        with self.store.reading() as session:
            column = model.name if model is Account else model.last_name  # type: ignore[union-attr]
            return set(session.scalars(select(column)))

    def count(self, model: type) -> int:  # type: ignore[type-arg]
        with self.store.reading() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)


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


def server_rows(server: RunningServer, territories: set[str], **create: object) -> None:
    """Writes records straight into the server, as an import or another system would."""
    with server.store.session() as session:
        records = ScopedRecords(session, frozenset(territories), server.auth.clock)
        for entity, fields in create.items():
            assert isinstance(fields, list)
            for row in fields:
                records.create(entity, row["id"], row["territory_of"], row["data"])


def test_a_note_pulled_before_its_since_edited_account_still_applies(
    laptop: Device, tablet: Device
) -> None:
    tablet.sync()  # an empty first download: from now on the tablet pulls changes
    account_id, _ = laptop.editor.create("account", name="Acme", territory="north")
    laptop.editor.create("visit_note", account_id=account_id, body="Wants a pilot.")
    laptop.sync()
    laptop.editor.set_fields("account", account_id, city="Bonn")  # account now newer than note
    laptop.sync()
    outcome = tablet.sync()
    assert not outcome.snapshot and outcome.repaired == ()
    assert tablet.names() == {"Acme"} and tablet.count(VisitNote) == 1


def test_pages_carry_the_rows_they_refer_to(server: RunningServer) -> None:
    account_id, note_id = uuid.uuid4(), uuid.uuid4()
    with server.store.session() as session:
        records = ScopedRecords(session, frozenset({"north"}), server.auth.clock)
        records.create("account", account_id, "north", {"name": "Acme", "territory": "north"})
        note = records.create(
            "visit_note", note_id, "north", {"account_id": str(account_id), "body": "hi"}
        )
        known = note.version - 1  # the client has seen everything before the note...
        account = records.get("account", account_id)
        assert account is not None
        account.data = {**account.data, "city": "Bonn"}
        records.save(account)  # ...but the account changed after it
        [sent] = [r for r in records.changes_since(known, note.version, 10) if r.id == note_id]
        assert sent.refs == (("account", str(account_id)),)
        page = records.with_references([sent], known)
        assert [(r.entity, r.id) for r in page] == [
            ("account", account_id),
            ("visit_note", note_id),
        ]
        assert records.with_references([sent], account.version) == [sent]  # already known


def test_a_snapshot_is_pinned_to_its_first_page(server: RunningServer) -> None:
    rows = [
        {
            "id": uuid.uuid4(),
            "territory_of": "north",
            "data": {"name": f"A{i}", "territory": "north"},
        }
        for i in range(1001)
    ]
    server_rows(server, {"north"}, account=rows)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        tokens = http.post(
            "/v1/auth/login",
            json={"username": "ana", "password": REP_PASSWORD, "client_id": str(uuid.uuid4())},
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        first = http.get("/v1/sync/snapshot", headers=headers).json()
        assert first["next_after"] is not None
        # Written between the pages, with the smallest id: no later page can carry it.
        early = uuid.UUID(int=0)
        server_rows(
            server,
            {"north"},
            account=[
                {
                    "id": early,
                    "territory_of": "north",
                    "data": {"name": "Late", "territory": "north"},
                }
            ],
        )
        second = http.get(
            "/v1/sync/snapshot", params={"after": first["next_after"]}, headers=headers
        ).json()
        assert second["pinned_version"] == first["pinned_version"]
        assert second["cursor"] == first["cursor"] and second["next_after"] is None
        pulled = http.get(
            "/v1/sync/changes", params={"cursor": second["cursor"]}, headers=headers
        ).json()
        assert [r["id"] for r in pulled["rows"]] == [str(early)]


def test_a_granted_territory_arrives_and_a_revoked_one_leaves(
    server: RunningServer, laptop: Device
) -> None:
    south = uuid.uuid4()
    server_rows(
        server,
        {"south"},
        account=[
            {
                "id": south,
                "territory_of": "south",
                "data": {"name": "Süd GmbH", "territory": "south"},
            }
        ],
        contact=[
            {
                "id": uuid.uuid4(),
                "territory_of": "south",
                "data": {"account_id": str(south), "first_name": "Jörg", "last_name": "Lang"},
            }
        ],
    )
    kept, _ = laptop.editor.create("account", name="Nord AG", territory="north")
    held, _ = laptop.editor.create("account", name="Nord Zwei", territory="north")
    laptop.sync()
    assert laptop.names() == {"Nord AG", "Nord Zwei"}

    server.auth.grant("ana", "south")
    granted = laptop.sync()
    assert granted.territories_added == ("south",) and not granted.snapshot
    assert laptop.names() == {"Nord AG", "Nord Zwei", "Süd GmbH"}
    assert laptop.names(Contact) == {"Lang"}

    laptop.editor.create("visit_note", account_id=held, body="Written before the revoke")
    server.auth.revoke("ana", "north")
    revoked = laptop.sync()
    assert revoked.territories_removed == ("north",) and revoked.rejected == 1
    # The account with refused work stays (detached) for the rep to settle; the rest left.
    assert laptop.names() == {"Nord Zwei", "Süd GmbH"}
    with laptop.store.reading() as session:
        assert session.get(Account, kept) is None
        assert session.get(Account, held).server_version is None  # type: ignore[union-attr]
        assert [e.status for e in session.scalars(select(OutboxEntry))] == ["rejected"]
    assert laptop.sync().repaired == ()  # and the end-of-sync check agrees


def test_an_account_moved_to_another_territory_takes_its_rows_along(
    server: RunningServer, laptop: Device, tmp_path: Path
) -> None:
    server.auth.add_user("ben", REP_PASSWORD, ["south"])
    server.auth.grant("ana", "south")
    account_id, _ = laptop.editor.create("account", name="Wanderer", territory="north")
    laptop.editor.create("contact", account_id=account_id, first_name="Ida", last_name="Roth")
    laptop.sync()
    ben = Device(tmp_path / "ben", server.url, "ben")
    try:
        ben.sync()
        assert ben.names() == set()
        laptop.editor.set_fields("account", account_id, territory="south")
        laptop.sync()
        ben.sync()
        assert ben.names() == {"Wanderer"} and ben.names(Contact) == {"Roth"}
    finally:
        ben.store.close()


def test_forgotten_deletes_force_a_resync_that_keeps_local_work(
    server: RunningServer, laptop: Device, tablet: Device
) -> None:
    gone, _ = laptop.editor.create("account", name="Gone", territory="north")
    laptop.editor.create("account", name="Stays", territory="north")
    laptop.sync()
    tablet.sync()
    laptop.editor.delete("account", gone)
    laptop.sync()
    with server.store.session() as session:  # half a year later
        records = ScopedRecords(session, frozenset(), server.auth.clock)
        assert records.purge_tombstones(datetime.now(UTC) + timedelta(days=1)) == 1
    tablet.editor.create("account", name="Written offline", territory="north")
    outcome = tablet.sync()
    assert outcome.resynced and outcome.pushed == 1
    assert "account" in outcome.repaired  # the forgotten account is let go of
    assert tablet.names() == {"Stays", "Written offline"}
    assert tablet.sync().repaired == () and laptop.sync().repaired == ()


def test_the_end_of_sync_check_repairs_a_drifted_store(laptop: Device, tablet: Device) -> None:
    account_id, _ = laptop.editor.create("account", name="Acme", territory="north")
    for name in ("Ada", "Bo"):
        laptop.editor.create("contact", account_id=account_id, first_name=name, last_name=name)
    laptop.sync()
    tablet.sync()
    with tablet.store.session() as session:  # a store restored from an old backup, say
        session.execute(update(Contact).values(last_name="stale", server_version=1))
    outcome = tablet.sync()
    assert outcome.repaired == ("contact",)
    assert tablet.names(Contact) == {"Ada", "Bo"}
    assert tablet.sync().repaired == ()


def test_a_client_older_than_the_server_reads_is_told_to_update(
    server: RunningServer, laptop: Device
) -> None:
    with serving(create_app(server.store, server.auth, min_client_api=2)) as url:
        laptop.url = url
        with pytest.raises(ClientTooOld, match="please update"):
            laptop.sync()
        response = httpx.get(f"{url}/v1/me", headers={API_HEADER: "1"})
        assert response.status_code == 426 and response.json()["error"] == "client_too_old"
    assert laptop.count(Account) == 0


def test_a_clock_far_off_is_a_warning_not_a_refusal(server: RunningServer, laptop: Device) -> None:
    ahead = AuthService(server.store, clock=lambda: datetime.now(UTC) + timedelta(minutes=42))
    laptop.editor.create("account", name="Acme", territory="north")
    with serving(create_app(server.store, ahead)) as url:
        laptop.url = url
        outcome = laptop.sync()
    assert outcome.pushed == 1
    [warning] = outcome.warnings
    assert "42 minutes behind" in warning
    laptop.url = server.url
    assert laptop.sync().warnings == ()


def test_a_refused_change_corrected_by_the_rep_lands(laptop: Device) -> None:
    account_id, _ = laptop.editor.create("account", name="Elsewhere", territory="south")
    assert laptop.sync().rejected == 1  # ana sees only north
    desk = AttentionDesk(laptop.store)
    [refused] = desk.rejected()
    with pytest.raises(StoreUserError, match="employees must be a number"):
        desk.retry(refused.seq, {"employees": "many"})
    with pytest.raises(StoreUserError, match="no fields"):
        desk.retry(refused.seq, {"version": 99})
    desk.retry(refused.seq, {"territory": "north", "employees": "40"})
    outcome = laptop.sync()
    assert (outcome.pushed, outcome.rejected) == (1, 0) and desk.rejected() == []
    with laptop.store.reading() as session:
        account = session.get(Account, account_id)
        assert account is not None and account.server_version is not None
        assert (account.territory, account.employees) == ("north", 40)


def test_the_protocol_and_the_store_agree_on_what_comes_first() -> None:
    assert (*ENTITY_ORDER, "conflict") == SNAPSHOT_ORDER


def test_pages_of_long_notes_stay_near_two_megabytes(
    server: RunningServer, laptop: Device, tablet: Device
) -> None:
    account_id, _ = laptop.editor.create("account", name="Verbose", territory="north")
    for n in range(5):
        laptop.editor.create("visit_note", account_id=account_id, body=f"{n}" + "ü" * 600_000)
    laptop.sync()
    sizes: list[int] = []
    with httpx.Client(
        base_url=server.url,
        timeout=10,
        event_hooks={"response": [lambda r: sizes.append(len(r.read()))]},
    ) as http:
        outcome = SyncEngine(LocalReplica(tablet.store), http, "ana", REP_PASSWORD).run()
    assert outcome.snapshot and outcome.pulled == 6
    assert tablet.count(VisitNote) == 5
    assert max(sizes) < 2_600_000  # never all 6 MB in one answer
