"""Syncing from the window: sign in, F5, status bar, lists refreshed, against a real server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from db.edits import LocalEditor
from db.store import Store
from desktop.app import build_window
from desktop.runner import TaskRunner
from desktop.sync_service import SyncService
from server.records import ScopedRecords
from tests.helpers.live_server import REP_PASSWORD, rep_server
from ui.main_window import MainWindow

PASSWORD = REP_PASSWORD


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    with rep_server(tmp_path / "server") as server:
        with server.store.session() as session:
            ScopedRecords(session, frozenset({"north"}), server.auth.clock).create(
                "account", uuid.uuid4(), "north", {"name": "Zenith Freight", "territory": "north"}
            )
        yield server.url


@pytest.fixture
def window(qtbot: QtBot, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[MainWindow]:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    runner = TaskRunner()
    main_window = build_window(store, runner, SyncService(store))
    main_window.ask_to_sign_in = False
    qtbot.addWidget(main_window)
    with qtbot.waitSignal(main_window.ready, timeout=10_000):
        main_window.show()
    yield main_window
    main_window.close()
    assert runner.shutdown()


def test_sign_in_sync_and_see_the_territory(
    window: MainWindow, qtbot: QtBot, server_url: str, store: Store
) -> None:
    assert window.sync is not None
    qtbot.waitUntil(lambda: "Not signed in" in window.sync_label.text())
    with qtbot.waitSignal(window.sync.sign_in_needed):
        qtbot.keyClick(window, Qt.Key.Key_F5)

    with qtbot.waitSignal(window.sync.synced, timeout=15_000) as synced:
        window.sync.sign_in(server_url, "ana", PASSWORD)
    assert synced.args[0].pulled == 1
    qtbot.waitUntil(lambda: [r.name for r in window.accounts_page.model.rows] == ["Zenith Freight"])
    qtbot.waitUntil(lambda: window.sync_label.text().startswith("Synced"))

    LocalEditor(store).create("account", name="Aardvark Ltd", territory="north")
    with qtbot.waitSignal(window.sync.synced, timeout=15_000) as again:
        qtbot.keyClick(window, Qt.Key.Key_F5)  # now signed in: the refresh token is enough
    assert again.args[0].pushed == 1
    qtbot.waitUntil(lambda: "waiting" not in window.sync_label.text())


def test_an_unreachable_server_keeps_the_app_working(window: MainWindow, qtbot: QtBot) -> None:
    assert window.sync is not None
    with qtbot.waitSignal(window.sync.failed, timeout=15_000) as failed:
        window.sync.sign_in("http://127.0.0.1:9", "ana", PASSWORD)
    assert "cannot reach the server" in failed.args[0]
    assert window.accounts_page.isEnabled() and not window.sync.running
