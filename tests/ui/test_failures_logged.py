"""What failed reaches the log with its traceback (and no personal data in the message),
while the rep still gets the one line in plain words."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from db.changes import Changes
from db.errors import StoreUserError
from db.field.notes import NoteBook
from db.store.local_store import Store
from desktop.runner import TaskRunner
from tests.helpers.factories import add_account
from ui.main_window import MainWindow


class DiskFullNoteBook(NoteBook):
    """Notes that read as usual and cannot be saved."""

    def save(self, note_id: uuid.UUID, body: str) -> Changes:
        raise StoreUserError("the disk is full")


@pytest.fixture
def warnings_shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of each warning box, instead of a modal box nobody closes."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    return shown


def logged(caplog: pytest.LogCaptureFixture, logger: str) -> logging.LogRecord:
    (record,) = [r for r in caplog.records if r.name == logger]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and record.exc_info[1] is not None  # the traceback
    return record


def test_a_note_that_cannot_be_saved_is_logged_and_keeps_its_text(
    qtbot: QtBot,
    window_parent: QWidget,
    store: Store,
    runner: TaskRunner,
    caplog: pytest.LogCaptureFixture,
    warnings_shown: list[str],
) -> None:
    from ui.note_dialog import NoteDialog

    note_id, _ = NoteBook(store).start(add_account(store, "Acme Logistics"))
    dialog = NoteDialog(runner, DiskFullNoteBook(store), note_id, window_parent)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog.show()
    dialog.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(dialog.editor, "Wants a pilot")
    with caplog.at_level(logging.ERROR, logger="ui"):
        dialog.save_now()
        qtbot.waitUntil(lambda: bool(warnings_shown), timeout=5000)
    record = logged(caplog, "ui.note_dialog")
    assert isinstance(record.exc_info[1], StoreUserError)  # type: ignore[index]
    assert "Acme" not in record.getMessage() and "pilot" not in record.getMessage()
    assert warnings_shown == ["The note could not be saved: the disk is full"]

    # Closed while its text is not in the store, the window stays (hidden) with the text.
    dialog.close()
    qtbot.waitUntil(lambda: len(warnings_shown) == 2, timeout=5000)
    assert "Open the note again to keep what you typed." in warnings_shown[1]
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert shiboken6.isValid(dialog) and "Wants a pilot" in dialog.editor.toPlainText()
    assert runner.shutdown()


def test_a_calendar_file_that_cannot_be_read_is_logged(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    window.calendar.show_messages = False
    notes = tmp_path / "notes.ics"
    notes.write_text("Shopping list: milk, eggs")
    with (
        caplog.at_level(logging.ERROR, logger="ui"),
        qtbot.waitSignal(window.calendar.failed, timeout=10_000) as said,
    ):
        window.calendar.import_file(notes)
    assert "notes.ics is not a calendar file" in said.args[0]  # the rep's one line
    record = logged(caplog, "ui.calendar_actions")
    assert record.getMessage() == "importing a calendar file failed"


@pytest.mark.qt_log_ignore(r"^QPainter::begin\(\): Returned false")  # no file to paint on
def test_a_briefing_pdf_that_cannot_be_written_is_logged(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    warnings_shown: list[str],
) -> None:
    pane = window.accounts_page.pane
    qtbot.waitUntil(lambda: pane.detail is not None, timeout=5000)
    assert pane.detail is not None
    dialog = window.open_briefing(pane.detail.id, None)
    qtbot.waitUntil(lambda: dialog.briefing is not None, timeout=5000)
    target = tmp_path / "no such folder" / "briefing.pdf"
    with caplog.at_level(logging.ERROR, logger="ui"):
        dialog.export_pdf(target)
        qtbot.waitUntil(lambda: bool(warnings_shown), timeout=10_000)
    assert warnings_shown[0].startswith(f"Could not write {target}: ")
    record = logged(caplog, "ui.printing")
    assert record.getMessage() == "writing a PDF failed"
