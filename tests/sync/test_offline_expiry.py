"""Offline expiry: the company's limit reaches the laptop with each sync, and a copy that
went unsynced past it is warned about in the last days, then erased (injected clocks)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from db.edits import LocalEditor
from db.store.local_store import STORE_FILENAME, Store
from db.store.replica import LocalReplica
from desktop.store_key import KEY_RECORD, store_key
from desktop.sync_service import SyncService
from server.app import create_app
from server.auth import AuthService
from server.devices import set_offline_days
from server.store import ServerStore, database_url_for
from sync.engine import SyncEngine, http_client
from sync.expiry import LAST_SYNC_AT, OFFLINE_DAYS, expiry_state, stored_expiry
from sync.outcome import CopyExpired
from tests.helpers.live_server import REP_PASSWORD, RunningServer, rep_server, serving
from tests.server.conftest import Clock

ROOT = Path(__file__).resolve().parents[2]
SYNCED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def days(n: float) -> datetime:
    return SYNCED + timedelta(days=n)


@pytest.mark.parametrize(
    ("limit", "after", "verdict", "left"),
    [
        (None, 400, "fine", None),  # no limit
        (30, 26.9, "fine", None),  # 3.1 days left: not yet
        (30, 27.0, "warn", 3),  # the last three days
        (30, 28.5, "warn", 2),
        (30, 29.99, "warn", 1),
        (30, 30, "expired", 0),
        (30, 45, "expired", 0),
        (3, 1.9, "fine", None),  # a short limit warns in its last third only
        (3, 2.1, "warn", 1),
        (1, 0.5, "fine", None),
        (1, 0.8, "warn", 1),
        (1, 1, "expired", 0),
        (30, -2, "fine", None),  # a clock set back: nothing to say
    ],
)
def test_the_verdict_with_an_injected_clock(
    limit: int | None, after: float, verdict: str, left: int | None
) -> None:
    state = expiry_state(SYNCED, limit, days(after))
    assert (state.verdict, state.days_left) == (verdict, left)
    if verdict == "warn":
        assert f"erases its copy in {left} day" in state.message()
    if verdict == "expired":
        assert f"had not synced for {limit} days" in state.message()


def test_a_copy_never_synced_is_never_expired() -> None:
    assert expiry_state(None, 1, days(1000)).verdict == "fine"


class Facts(dict[str, str]):
    def state(self, key: str) -> str | None:
        return self.get(key)

    def set_state(self, key: str, value: str | None) -> None:
        if value is None:
            self.pop(key, None)
        else:
            self[key] = value


def test_facts_that_do_not_read_count_as_absent() -> None:
    for last, limit in (("yesterday", "5"), (SYNCED.isoformat(), "five"), ("2026-11-23", "5")):
        assert stored_expiry(
            Facts({LAST_SYNC_AT: last, OFFLINE_DAYS: limit}), days(99)
        ).verdict == ("fine")
    kept = Facts({LAST_SYNC_AT: SYNCED.isoformat(), OFFLINE_DAYS: "5"})
    assert stored_expiry(kept, days(5)).verdict == "expired"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, AuthService, Clock]]:
    clock = Clock()  # 2026-11-23 09:00 UTC, on the server and the laptop alike
    store = ServerStore.open(database_url_for(tmp_path / "server"))
    auth = AuthService(store, clock)
    auth.add_territory("north")
    auth.add_user("ana", REP_PASSWORD, ["north"])
    try:
        with serving(create_app(store, auth)) as url:
            yield url, auth, clock
    finally:
        store.close()


def sync(store: Store, url: str, clock: Clock) -> None:
    with http_client(url) as http:
        SyncEngine(LocalReplica(store), http, "ana", REP_PASSWORD, clock=clock).run()


def test_the_limit_reaches_the_laptop_and_counts_from_its_last_sync(
    served: tuple[str, AuthService, Clock], tmp_path: Path
) -> None:
    url, auth, clock = served
    with auth.store.session() as session:
        set_offline_days(session, 14)
    store = Store.open(tmp_path / "laptop")
    try:
        replica = LocalReplica(store)
        sync(store, url, clock)
        assert replica.state(OFFLINE_DAYS) == "14"
        assert replica.state(LAST_SYNC_AT) == clock.now.isoformat()
        assert stored_expiry(replica, clock.now + timedelta(days=11)).verdict == "warn"
        assert stored_expiry(replica, clock.now + timedelta(days=14)).verdict == "expired"

        clock.advance(days=13)  # a sync in time starts the count again
        with auth.store.session() as session:
            set_offline_days(session, 7)  # and a new limit arrives with it
        sync(store, url, clock)
        assert replica.state(OFFLINE_DAYS) == "7"
        assert stored_expiry(replica, clock.now + timedelta(days=4)).verdict == "fine"
        assert stored_expiry(replica, clock.now + timedelta(days=7)).verdict == "expired"

        with auth.store.session() as session:
            set_offline_days(session, None)
        sync(store, url, clock)
        assert replica.state(OFFLINE_DAYS) is None
        assert stored_expiry(replica, clock.now + timedelta(days=400)).verdict == "fine"
    finally:
        store.close()


def test_the_app_hears_the_state_and_an_expired_copy_never_syncs(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "laptop")
    try:
        clock = Clock()
        replica = LocalReplica(store)
        replica.set_state(LAST_SYNC_AT, (clock.now - timedelta(days=8)).isoformat())
        replica.set_state(OFFLINE_DAYS, "10")
        service = SyncService(store, clock=clock)
        state = service.expiry_state()
        assert (state.verdict, state.days_left) == ("warn", 2)
        clock.advance(days=2)
        assert service.expiry_state().verdict == "expired"
        # Refused before any network: this address answers nothing.
        with pytest.raises(CopyExpired, match="had not synced for 10 days"):
            service.sign_in("http://127.0.0.1:9", "ana", REP_PASSWORD)
        with pytest.raises(CopyExpired):
            service.sync()
    finally:
        store.close()


# -- `fieldbrief sync`, a real subprocess ------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    with rep_server(tmp_path / "server") as running:
        with running.store.session() as session:
            set_offline_days(session, 5)
        yield running


def fieldbrief_sync(server: str, data_dir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "FIELDBRIEF_PASSWORD": REP_PASSWORD, "PYTHONPATH": str(ROOT)}
    environment["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    command = ["sync", "--server", server, "--user", "ana", "--data-dir", str(data_dir)]
    return subprocess.run(
        [sys.executable, "-m", "desktop", *command, *options],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
    )


def last_synced(data_dir: Path, ago: timedelta) -> None:
    """Moves the laptop's last sync back (what days offline would do to its clock)."""
    store = Store.open(data_dir, store_key(data_dir))
    try:
        LocalReplica(store).set_state(LAST_SYNC_AT, (datetime.now(UTC) - ago).isoformat())
    finally:
        store.close()


@pytest.mark.slow
def test_the_cli_warns_then_erases_an_expired_copy_even_offline(
    server: RunningServer, tmp_path: Path
) -> None:
    laptop = tmp_path / "laptop"
    store = Store.open(laptop)
    LocalEditor(store).create("account", name="Acme Corp", territory="north")
    store.close()
    first = fieldbrief_sync(server.url, laptop)
    assert first.returncode == 0, first.stderr
    store = Store.open(laptop, store_key(laptop))
    try:
        assert LocalReplica(store).state(OFFLINE_DAYS) == "5"  # the policy reached it
    finally:
        store.close()
    offline = "http://127.0.0.1:9"  # nothing answers there

    last_synced(laptop, timedelta(days=4, hours=12))
    warned = fieldbrief_sync(offline, laptop, "--retries", "1")
    assert warned.returncode == 1, warned.stderr
    (line,) = warned.stderr.strip().splitlines()
    assert line.startswith("fieldbrief: sync failed: cannot reach the server")
    assert line.endswith(
        "your company erases its copy in 1 day unless it syncs (after 5 days offline))"
    )
    assert (laptop / STORE_FILENAME).exists()

    last_synced(laptop, timedelta(days=5, minutes=1))
    erased = fieldbrief_sync(offline, laptop, "--retries", "1")
    assert erased.returncode == 3, erased.stderr
    assert erased.stderr.strip().splitlines() == [
        "fieldbrief: this laptop's copy was erased: it had not synced for 5 days, your "
        "company's limit; sign in and sync to download it again"
    ]
    assert sorted(p.name for p in laptop.iterdir()) == ["crash.log", "fieldbrief.log"]
    assert not (laptop / KEY_RECORD).exists()
    assert "Acme" not in (laptop / "fieldbrief.log").read_text()

    # Signed in again, the laptop downloads its territory afresh.
    again = fieldbrief_sync(server.url, laptop)
    assert again.returncode == 0, again.stderr
    assert "pulled 1 row (first download)" in again.stdout
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/v1/health").status_code == 200
