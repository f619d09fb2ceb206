"""Syncing from the window: sign in, F5, status bar, lists refreshed, against a real server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from db.edits import LocalEditor
from db.store.local_store import Store
from db.store.replica import LocalReplica
from desktop.app import build_window
from desktop.runner import TaskRunner
from desktop.sync_service import SERVER_KEY, USER_KEY, SyncService
from server.records import ScopedRecords
from sync.engine import RetryPolicy
from tests.helpers.live_server import REP_PASSWORD, rep_server
from ui.main_window import FOLLOW_UPS, SEARCH, MainWindow, about_text

PASSWORD = REP_PASSWORD
# Retries that do not make a test wait through real back-off for a server that is gone.
FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01)


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    with rep_server(tmp_path / "server") as server:
        with server.store.session() as session:
            ScopedRecords(session, frozenset({"north"}), server.auth.clock).create(
                "account", uuid.uuid4(), "north", {"name": "Zenith Freight", "territory": "north"}
            )
        yield server.url


@pytest.fixture
def runner() -> TaskRunner:
    return TaskRunner()


@pytest.fixture
def window(
    qtbot: QtBot, store: Store, runner: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    main_window = build_window(store, runner, SyncService(store, runner.on_store_thread, FAST))
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
    qtbot.waitUntil(lambda: window.sync_label.text().startswith("Online · Synced"))

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


def signed_in(window: MainWindow, qtbot: QtBot, server_url: str) -> None:
    assert window.sync is not None
    with qtbot.waitSignal(window.sync.synced, timeout=15_000):
        window.sync.sign_in(server_url, "ana", PASSWORD)
    qtbot.waitUntil(lambda: window.sync_label.text().startswith("Online"))


def test_a_save_is_sent_shortly_after_without_pressing_f5(
    window: MainWindow, qtbot: QtBot, server_url: str, store: Store, runner: TaskRunner
) -> None:
    signed_in(window, qtbot, server_url)
    assert window.sync is not None
    window.sync.set_after_save_delay(50)
    with qtbot.waitSignal(window.sync.synced, timeout=15_000) as synced:
        runner.write(
            lambda: LocalEditor(store).create("account", name="Typed offline", territory="north")[1]
        )
    assert synced.args[0].pushed == 1


def test_the_status_bar_says_offline_and_why_the_password_is_asked_again(
    window: MainWindow, qtbot: QtBot, server_url: str, store: Store
) -> None:
    signed_in(window, qtbot, server_url)
    # The test keyring is the null backend: nothing can be kept safely, and the app says so.
    assert "no keyring: password asked after each restart" in window.sync_label.text()
    LocalReplica(store).set_state(SERVER_KEY, "http://127.0.0.1:9")  # the server went away
    assert window.sync is not None
    with qtbot.waitSignal(window.sync.failed, timeout=15_000):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.sync_label.text().startswith("Offline"))


def test_a_large_first_download_shows_a_real_progress_bar(window: MainWindow) -> None:
    window._on_sync_started()
    window._on_sync_progressed("snapshot", 250, 1000)
    assert (window.sync_progress.maximum(), window.sync_progress.value()) == (1000, 250)
    assert window.sync_label.text() == "Syncing: downloading 250 of 1,000…"
    window._on_sync_progressed("pull", 3, None)
    assert window.sync_progress.maximum() == 0  # busy again: a pull's size is not known


def test_an_open_briefing_shows_what_a_sync_brought(
    qtbot: QtBot, tmp_path: Path, store: Store, runner: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    account = uuid.uuid4()
    with rep_server(tmp_path / "server") as server:
        with server.store.session() as session:
            records = ScopedRecords(session, frozenset({"north"}), server.auth.clock)
            records.create("account", account, "north", {"name": "Zenith", "territory": "north"})
        window = build_window(store, runner, SyncService(store, runner.on_store_thread, FAST))
        window.ask_to_sign_in = False
        qtbot.addWidget(window)
        with qtbot.waitSignal(window.ready, timeout=10_000):
            window.show()
        assert window.sync is not None
        with qtbot.waitSignal(window.sync.synced, timeout=15_000):
            window.sync.sign_in(server.url, "ana", PASSWORD)
        briefing = window.open_briefing(account, None)
        qtbot.waitUntil(lambda: "Zenith" in briefing.view.toPlainText())
        assert "Greta Lind" not in briefing.view.toPlainText()

        with server.store.session() as session:
            records = ScopedRecords(session, frozenset({"north"}), server.auth.clock)
            member = {"account_id": str(account), "name": "Greta Lind", "role": "service_rep"}
            records.create("team_member", uuid.uuid4(), "north", member)
        with qtbot.waitSignal(window.sync.synced, timeout=15_000) as synced:
            window.sync_now()  # the briefing has the focus: F5 there is its own
        assert synced.args[0].pulled == 1
        qtbot.waitUntil(lambda: "Greta Lind" in briefing.view.toPlainText())
        window.close()
    assert runner.shutdown()


def test_what_a_sync_brings_shows_on_the_open_pages(
    qtbot: QtBot, tmp_path: Path, store: Store, runner: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Follow-ups and search were not refreshed after a pull: each page now reloads what
    the sync's changes touched."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    with rep_server(tmp_path / "office") as server:
        account_id = uuid.uuid4()

        def office(entity: str, row_id: uuid.UUID, data: dict[str, object]) -> None:
            with server.store.session() as session:
                ScopedRecords(session, frozenset({"north"}), server.auth.clock).create(
                    entity, row_id, "north", data
                )

        office("account", account_id, {"name": "Harbour Mills", "territory": "north"})
        window = build_window(store, runner, SyncService(store, runner.on_store_thread, FAST))
        window.ask_to_sign_in = False
        qtbot.addWidget(window)
        with qtbot.waitSignal(window.ready, timeout=10_000):
            window.show()
        try:
            signed_in(window, qtbot, server.url)
            assert window.sync is not None
            window.show_page(FOLLOW_UPS)
            window.search_page.search_box.setText("Quayside")
            qtbot.waitUntil(lambda: window.followups_page.model.rowCount() == 0)

            office("task", uuid.uuid4(), {"account_id": str(account_id), "title": "Call back"})
            with qtbot.waitSignal(window.sync.synced, timeout=15_000) as synced:
                window.sync.sync_now()
            assert "task" in synced.args[0].changes.tables
            qtbot.waitUntil(
                lambda: [r.title for r in window.followups_page.model.rows] == ["Call back"]
            )

            window.show_page(SEARCH)
            qtbot.waitUntil(lambda: "Nothing matches" in window.search_page._summary.text())
            office("account", uuid.uuid4(), {"name": "Quayside Ltd", "territory": "north"})
            with qtbot.waitSignal(window.sync.synced, timeout=15_000):
                window.sync.sync_now()
            qtbot.waitUntil(
                lambda: [h.title for h in window.search_page.model.rows] == ["Quayside Ltd"]
            )
        finally:
            window.close()
            assert runner.shutdown()


def test_an_automatic_sync_never_opens_a_dialog_or_takes_what_is_typed(
    window: MainWindow, qtbot: QtBot, server_url: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rep typing while a timer's sync finds it must sign in keeps typing where they
    were: a bar offers the sign-in; only F5 (or a click on the bar) asks for it."""
    assert window.sync is not None
    asked: list[str] = []
    window.ask_to_sign_in = True
    monkeypatch.setattr(window, "show_sign_in", lambda message="": asked.append(message))
    replica = LocalReplica(store)
    replica.set_state(SERVER_KEY, server_url)  # signed in before a restart; no keyring
    replica.set_state(USER_KEY, "ana")
    LocalEditor(store).create("account", name="Typed offline", territory="north")
    window.activateWindow()
    box = window.accounts_page.search_box
    box.setFocus()
    qtbot.keyClicks(box, "Acme")

    with qtbot.waitSignal(window.sync.sign_in_needed) as needed:
        window.sync._sync_automatically()  # as the 5-minute timer and the save timer do
    assert needed.args[1] is False and asked == []
    assert QApplication.activeModalWidget() is None
    qtbot.keyClicks(box, " Logistics")
    assert box.text() == "Acme Logistics"  # every key went where the rep was typing
    qtbot.waitUntil(lambda: window.sign_in_bar.text() == "Sign in to send 1 change…")
    assert window.sign_in_bar.isVisible()
    assert not window.sync_label.text().startswith("Online")
    assert window.sync_label.text().startswith("Sign-in needed")

    window.sign_in_bar.click()  # the rep chooses to sign in now
    assert len(asked) == 1
    with qtbot.waitSignal(window.sync.sign_in_needed) as needed:
        qtbot.keyClick(window, Qt.Key.Key_F5)  # asked for: the sign-in is asked at once
    assert needed.args[1] is True
    qtbot.waitUntil(lambda: len(asked) == 2)

    with qtbot.waitSignal(window.sync.synced, timeout=15_000):
        window.sync.sign_in(server_url, "ana", PASSWORD)
    assert not window.sign_in_bar.isVisible()
    qtbot.waitUntil(lambda: window.sync_label.text().startswith("Online"))


def test_help_about_names_the_version(window: MainWindow, qtbot: QtBot) -> None:
    shown: list[str] = []

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        shown.append(box.text())
        box.accept()

    before = QApplication.applicationVersion()
    QApplication.setApplicationVersion("1.2.3")  # as desktop/app.py sets the installed one
    try:
        QTimer.singleShot(0, read_and_close)
        window._about_action.trigger()
    finally:
        QApplication.setApplicationVersion(before)
    assert len(shown) == 1 and "Fieldbrief 1.2.3" in shown[0]
    assert "Fieldbrief dev" in about_text("")
