"""In the running app: a copy past the offline limit, or a wiped device, locks the window
for good and is erased; in the last days a standing notice says how long is left."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from db.errors import StoreClosed
from db.store.local_store import STORE_FILENAME, Store
from db.store.replica import LocalReplica
from desktop.app import build_window
from desktop.copy_guard import CopyGuard
from desktop.runner import TaskRunner
from desktop.sync_service import SyncService
from sync.expiry import keep_sync_facts
from sync.outcome import DeviceWiped
from tests.helpers.factories import add_account
from ui.main_window import MainWindow

SYNCED_AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def laptop(data_dir: Path) -> Store:
    store = Store.open(data_dir)
    add_account(store, "Quillfeather Ltd")
    keep_sync_facts(LocalReplica(store), SYNCED_AT, offline_days=7)
    return store


@contextmanager
def open_guarded(
    qtbot: QtBot, store: Store, data_dir: Path, now: datetime
) -> Iterator[tuple[MainWindow, CopyGuard]]:
    runner = TaskRunner()
    sync = SyncService(store, runner.on_store_thread, clock=lambda: now)
    window = build_window(store, runner)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.ready, timeout=10_000):
        window.show()
    guard = CopyGuard(window, runner, data_dir)
    guard.watch(store, sync)
    yield window, guard
    window.close()
    assert runner.shutdown()


def test_in_the_last_days_a_notice_stands_and_nothing_is_locked(
    qtbot: QtBot, laptop: Store, data_dir: Path
) -> None:
    with open_guarded(qtbot, laptop, data_dir, SYNCED_AT + timedelta(days=5)) as (window, _):
        qtbot.waitUntil(window.notice.isVisible, timeout=5000)
        assert "erases its copy in 2 days unless it syncs" in window.notice.text()
        assert not window.is_locked and (data_dir / STORE_FILENAME).exists()
    laptop.close()


def test_past_the_limit_the_window_locks_for_good_and_the_copy_is_erased(
    qtbot: QtBot, laptop: Store, data_dir: Path
) -> None:
    with open_guarded(qtbot, laptop, data_dir, SYNCED_AT + timedelta(days=8)) as (window, _):
        qtbot.waitUntil(lambda: window.is_locked, timeout=5000)
        screen = window.lock_screen
        assert screen is not None
        qtbot.waitUntil(lambda: "You can close Fieldbrief" in screen.message.text(), timeout=10_000)
        assert "had not synced for 7 days" in screen.message.text()
        assert not screen.password.isVisible()
        assert not list(data_dir.glob(f"{STORE_FILENAME}*"))
        with pytest.raises(StoreClosed), laptop.reading():  # no late job makes a new store
            pass
        window.lock()  # the idle lock, later: the lock for good stays
        assert not screen.password.isVisible()


def test_a_wipe_heard_on_the_sync_thread_locks_and_erases(
    qtbot: QtBot, laptop: Store, data_dir: Path
) -> None:
    with open_guarded(qtbot, laptop, data_dir, SYNCED_AT + timedelta(days=1)) as (window, guard):
        wiped = DeviceWiped("your administrator wiped this device on 2026-12-06 (laptop lost)")
        heard = threading.Thread(target=guard.hear_wipe, args=(wiped,))
        heard.start()
        heard.join()
        qtbot.waitUntil(lambda: window.is_locked, timeout=5000)
        screen = window.lock_screen
        assert screen is not None
        qtbot.waitUntil(lambda: "You can close Fieldbrief" in screen.message.text(), timeout=10_000)
        assert "laptop lost" in screen.message.text()
        assert not list(data_dir.glob(f"{STORE_FILENAME}*"))
        assert window.sync is None or not window.sync.running
