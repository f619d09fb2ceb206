"""Help > Copy diagnostics: facts and the log's tail on the clipboard, no customer data."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from db.store.local_store import Store
from db.store.models import Account
from db.store.probe import HEAD_REVISION
from db.store.replica import LocalReplica
from desktop.diagnostics import app_version
from desktop.logs import LOG_FILENAME
from desktop.runner import TaskRunner
from desktop.sync_service import SERVER_KEY, USER_KEY
from ui.main_window import DIAGNOSTICS_COPIED, MainWindow

# A log as the app writes it, with what a library's error message may drag in: bound
# parameters holding an account's name, a contact's address.
LOG = """\
2026-11-23 09:00:01 INFO sync.engine: pushed 3 changes
2026-11-23 09:00:02 ERROR desktop.runner: background task failed
Traceback (most recent call last):
sqlalchemy.exc.IntegrityError: (sqlite3.IntegrityError) NOT NULL constraint failed: account.city
[SQL: INSERT INTO account (name, city) VALUES (?, ?)]
[parameters: ('Acme Logistics', None)]
2026-11-23 09:00:03 WARNING sync.engine: bounce from zoe@acme.example
2026-11-23 09:00:04 INFO desktop.app: the last line
"""


def test_copy_diagnostics_puts_facts_and_the_log_tail_on_the_clipboard(
    window: MainWindow, territory: Store, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    replica = LocalReplica(territory)
    replica.set_state(SERVER_KEY, "https://sync.example.com")
    replica.set_state(USER_KEY, "ana.rep")
    (territory.path.parent / LOG_FILENAME).write_text(LOG, encoding="utf-8")
    with territory.reading() as session:
        names = set(session.scalars(select(Account.name)))
    assert "Acme Logistics" in names and len(names) > 400
    QGuiApplication.clipboard().clear()

    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    action = next(a for a in help_menu.actions() if a.text() == "Copy &diagnostics")
    assert action.isEnabled()
    action.trigger()
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage() == DIAGNOSTICS_COPIED, timeout=10_000
    )

    copied = QGuiApplication.clipboard().text()
    assert f"Version: {app_version()}\n" in copied
    assert f"Store schema revision: {HEAD_REVISION}\n" in copied
    assert "Sync server: sync.example.com\n" in copied
    assert copied.rstrip().endswith("2026-11-23 09:00:04 INFO desktop.app: the last line")
    assert "[SQL: INSERT INTO account (name, city) VALUES (?, ?)]" in copied
    assert [name for name in names if name in copied] == []
    assert "zoe@acme.example" not in copied
    assert "ana.rep" not in copied


def test_diagnostics_wait_for_the_store(qtbot: QtBot) -> None:
    runner = TaskRunner()
    window = MainWindow(runner, store_label="store.sqlite")
    qtbot.addWidget(window)
    assert not window._diagnostics_action.isEnabled()
    window.copy_diagnostics()  # a shortcut pressed early does nothing
    assert window.statusBar().currentMessage() == ""
    runner.shutdown()
