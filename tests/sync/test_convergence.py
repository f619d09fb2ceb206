"""Property: random offline edits, deletes and syncs on three devices converge, nothing lost.

Hypothesis drives a state machine against one real server on 127.0.0.1; each example gets
its own territory, user and fresh device stores.
"""

from __future__ import annotations

import contextlib
import itertools
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from db.edits import LocalEditor
from db.errors import StoreUserError
from db.store.local_store import Store
from db.store.models import Account, RemoteRecord, VisitNote
from db.store.replica import LocalReplica
from server.app import create_app
from server.auth import AuthService
from server.store import ServerStore
from sync.engine import SyncEngine
from tests.helpers.live_server import serving

PASSWORD = "correct horse battery"
DEVICES = 3
CITIES = st.sampled_from(["Bonn", "Köln", "Aachen", "Lübeck", "Zürich"])
_examples = itertools.count()


@pytest.fixture(scope="module")
def live(module_server_database: str) -> Iterator[tuple[str, AuthService]]:
    store = ServerStore.open(module_server_database)
    auth = AuthService(store)
    with serving(create_app(store, auth)) as url:
        yield url, auth
    store.close()


class Devices(RuleBasedStateMachine):
    """Three devices of one rep, editing offline and syncing in any order."""

    url: str
    auth: AuthService

    @initialize()
    def start(self) -> None:
        n = next(_examples)
        self.user, territory = f"rep{n}", f"territory{n}"
        self.territory = territory
        self.auth.add_territory(territory)
        self.auth.add_user(self.user, PASSWORD, [territory])
        self.folder = tempfile.TemporaryDirectory()
        self.stores = [Store.open(Path(self.folder.name) / f"d{i}") for i in range(DEVICES)]
        self.http = httpx.Client(base_url=self.url, timeout=10)
        self.accounts: list[uuid.UUID] = []  # every account any device created
        self.notes: dict[uuid.UUID, str] = {}  # every note written, with its text

    def teardown(self) -> None:
        if hasattr(self, "stores"):
            for store in self.stores:
                store.close()
            self.http.close()
            self.folder.cleanup()

    def sync(self, device: int) -> None:
        SyncEngine(LocalReplica(self.stores[device]), self.http, self.user, PASSWORD).run()

    def known_on(self, device: int) -> list[uuid.UUID]:
        with self.stores[device].reading() as session:
            return list(session.scalars(select(Account.id).where(Account.deleted_at.is_(None))))

    @rule(device=st.integers(0, DEVICES - 1), city=CITIES)
    def create_account(self, device: int, city: str) -> None:
        name = f"Account {len(self.accounts)}"
        account_id, _ = LocalEditor(self.stores[device]).create(
            "account", name=name, territory=self.territory, city=city
        )
        self.accounts.append(account_id)

    @precondition(lambda self: self.accounts)
    @rule(device=st.integers(0, DEVICES - 1), pick=st.integers(0, 50), city=CITIES)
    def edit_city(self, device: int, pick: int, city: str) -> None:
        known = self.known_on(device)
        if known:
            with contextlib.suppress(StoreUserError):  # deleted meanwhile by a pull
                LocalEditor(self.stores[device]).set_fields(
                    "account", known[pick % len(known)], city=city
                )

    @precondition(lambda self: self.accounts)
    @rule(device=st.integers(0, DEVICES - 1), pick=st.integers(0, 50))
    def delete_account(self, device: int, pick: int) -> None:
        known = self.known_on(device)
        if known:
            LocalEditor(self.stores[device]).delete("account", known[pick % len(known)])

    @precondition(lambda self: self.accounts)
    @rule(device=st.integers(0, DEVICES - 1), pick=st.integers(0, 50))
    def write_note(self, device: int, pick: int) -> None:
        with self.stores[device].reading() as session:
            known = list(session.scalars(select(Account.id)))  # deleted ones too
        if known:
            body = f"note {len(self.notes)} from device {device}"
            note_id, _ = LocalEditor(self.stores[device]).create(
                "visit_note", account_id=known[pick % len(known)], body=body
            )
            self.notes[note_id] = body

    @rule(device=st.integers(0, DEVICES - 1))
    def sync_one(self, device: int) -> None:
        self.sync(device)

    @invariant()
    def outboxes_only_hold_unsynced_work(self) -> None:
        for store in getattr(self, "stores", []):
            assert LocalReplica(store).rejected_count() == 0

    def check_converged(self) -> None:
        for _ in range(2):  # twice round: everyone pushes, then everyone hears everything
            for device in range(DEVICES):
                self.sync(device)
        snapshots = []
        for store in self.stores:
            with store.reading() as session:
                accounts = {
                    (a.id, a.name, a.city, a.deleted_at is None)
                    for a in session.scalars(select(Account))
                }
                notes = {n.id: n.body for n in session.scalars(select(VisitNote))}
                conflicts = {r.id for r in session.scalars(select(RemoteRecord))}
            snapshots.append((accounts, notes, conflicts))
            assert {a[0] for a in accounts} == set(self.accounts)  # no account lost
            assert notes == self.notes  # every note, with its text, everywhere
        assert all(s == snapshots[0] for s in snapshots)  # all devices agree


@pytest.mark.slow
def test_devices_converge_without_losing_work(live: tuple[str, AuthService]) -> None:
    Devices.url, Devices.auth = live

    class Checked(Devices):
        def teardown(self) -> None:
            try:
                if hasattr(self, "stores"):
                    self.check_converged()
            finally:
                super().teardown()

    run_state_machine_as_test(
        Checked,
        settings=settings(
            max_examples=8,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
