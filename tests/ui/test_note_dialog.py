"""The visit-note window: typing is saved within a second, checkboxes tick with a click and
become follow-ups, check-in/out, the merge of two versions; Ctrl+N from Today and Accounts."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from db.field.notes import NoteBook
from db.store.local_store import Store
from db.store.models import RemoteRecord, Task
from desktop.runner import TaskRunner
from tests.helpers.factories import add_account, add_note_conflict
from ui.main_window import ACCOUNTS, TODAY, MainWindow
from ui.note_dialog import SAVE_AFTER_MS, NoteDialog


def open_note(
    qtbot: QtBot, parent: QWidget, store: Store, runner: TaskRunner, note_id: uuid.UUID
) -> NoteDialog:
    dialog = NoteDialog(runner, NoteBook(store), note_id, parent)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog.show()
    return dialog


def stored(store: Store, note_id: uuid.UUID) -> str:
    view = NoteBook(store).note(note_id)
    assert view is not None
    return view.body


def test_typing_is_saved_within_a_second_and_survives_a_reopen(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner
) -> None:
    note_id, _ = NoteBook(store).start(add_account(store, "Acme Logistics"))
    dialog = open_note(qtbot, window_parent, store, runner, note_id)
    assert SAVE_AFTER_MS <= 1000  # the promise: in the store within two seconds of typing
    dialog.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(dialog.editor, "Wants a pilot")
    assert dialog._save_timer.isActive()  # the deadline runs from the first keystroke
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        pass
    assert "Wants a pilot" in stored(store, note_id)
    dialog.close()
    again = open_note(qtbot, window_parent, store, runner, note_id)
    assert "Wants a pilot" in again.editor.toPlainText()
    assert "Visit report: Acme Logistics" in again.editor.toPlainText()
    assert runner.shutdown()


def test_a_checkbox_is_a_follow_up_ticked_with_a_click(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner
) -> None:
    note_id, _ = NoteBook(store).start(add_account(store, "Acme Logistics"))
    dialog = open_note(qtbot, window_parent, store, runner, note_id)
    dialog.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(dialog.editor, "Send the SLA draft")
    dialog.activateWindow()
    qtbot.keyClick(
        dialog.editor,
        Qt.Key.Key_C,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog.save_now()
    qtbot.waitUntil(lambda: "- [ ]" in stored(store, note_id), timeout=5000)

    def task_done() -> bool | None:
        with store.reading() as session:
            task = session.scalars(select(Task).where(Task.note_id == note_id)).first()
            return None if task is None else task.done

    qtbot.waitUntil(lambda: task_done() is False, timeout=5000)
    # A click on the box (left of the line's text) ticks it.
    block = dialog.editor.document().lastBlock()
    line = dialog.editor.cursorRect(QTextCursor(block))
    qtbot.mouseClick(
        dialog.editor.viewport(),
        Qt.MouseButton.LeftButton,
        pos=QPoint(line.left() - 8, line.center().y()),
    )
    assert block.blockFormat().marker() == block.blockFormat().MarkerType.Checked
    qtbot.waitUntil(lambda: task_done() is True, timeout=5000)
    assert "- [x] \u00a0Send the SLA draft" in stored(
        store, note_id
    )  # typed after the template's blank
    assert runner.shutdown()


def test_check_in_and_out(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner
) -> None:
    note_id, _ = NoteBook(store).start(add_account(store, "Acme Logistics"))
    dialog = open_note(qtbot, window_parent, store, runner, note_id)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog.check_in_button.click()
    assert not dialog.check_in_button.isEnabled() and dialog._times.text().startswith("in ")
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog.check_out_button.click()
    assert " · out " in dialog._times.text()
    assert runner.shutdown()


def test_two_versions_side_by_side_and_merged(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner
) -> None:
    note_id, _ = NoteBook(store).start(add_account(store, "Acme Logistics"))
    NoteBook(store).save(note_id, "Laptop: they want a pilot.")
    conflict_id = add_note_conflict(store, note_id, "Tablet: budget approved.")
    dialog = open_note(qtbot, window_parent, store, runner, note_id)
    assert dialog.other.isVisible() and "Tablet: budget approved." in dialog.other.toPlainText()
    assert "Laptop: they want a pilot." in dialog.editor.toPlainText()
    dialog.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(dialog.editor, " Budget approved too.")
    with qtbot.waitSignal(dialog.merged, timeout=5000):
        dialog.finish_merge()
    qtbot.waitUntil(lambda: not dialog.other.isVisible(), timeout=5000)
    assert "Budget approved too." in stored(store, note_id)
    with store.reading() as session:
        conflict = session.get(RemoteRecord, ("conflict", conflict_id))
        assert conflict is not None and conflict.data["resolution"] == "merged"
    assert runner.shutdown()


def ctrl_n_on_todays_meeting(qtbot: QtBot, window: MainWindow) -> NoteDialog:
    """Today's first meeting selected, Ctrl+N: its note's window (a draft, as the meeting of
    the territory fixture has no note yet)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.show_page(TODAY)
    qtbot.waitUntil(lambda: window.today_page.model.rowCount() == 1, timeout=5000)
    window.today_page.table.selectRow(0)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(window.note_drafts) == 1, timeout=5000)
    (dialog,) = window.note_drafts.values()
    return dialog


def type_and_wait_for_the_note(qtbot: QtBot, dialog: NoteDialog, text: str) -> uuid.UUID:
    with qtbot.waitSignal(dialog.created, timeout=5000) as created:
        qtbot.keyClicks(dialog.editor, text)
    note_id = created.args[0] if created.args else None
    assert isinstance(note_id, uuid.UUID) and dialog.note_id == note_id
    return note_id


def test_ctrl_n_opens_the_meetings_note_from_today_and_a_new_one_from_accounts(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = ctrl_n_on_todays_meeting(qtbot, window)
    assert dialog.draft is not None and dialog.draft.meeting_label is not None
    assert "Zoë Núñez" in dialog.editor.toPlainText()  # the meeting's attendee, filled in
    meetings_note = type_and_wait_for_the_note(qtbot, dialog, "Wants a pilot")
    assert window.note_dialogs == {meetings_note: dialog} and window.note_drafts == {}
    freed: list[bool] = []
    dialog.destroyed.connect(lambda: freed.append(True))
    dialog.close()
    qtbot.waitUntil(lambda: bool(freed), timeout=5000)  # closed, its window is freed
    assert window.note_dialogs == {}

    window.show_page(ACCOUNTS)
    window.open_account(window.today_page.model.row_at(0).account_id)
    pane = window.accounts_page.pane
    qtbot.waitUntil(lambda: pane.notes_model.rowCount() >= 2, timeout=5000)  # fixture's + Today's
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(window.note_drafts) == 1, timeout=5000)
    (new_note,) = window.note_drafts.values()
    assert new_note.draft is not None and new_note.draft.meeting_label is None
    assert type_and_wait_for_the_note(qtbot, new_note, "Follow-up call") != meetings_note
    qtbot.waitUntil(lambda: pane.notes_model.rowCount() >= 3, timeout=5000)


def test_ctrl_n_puts_the_keyboard_in_the_text_and_enter_never_checks_in(
    qtbot: QtBot, window: MainWindow, store: Store
) -> None:
    """A rep who presses Ctrl+N and types: the words go into the note, a space or Enter
    presses no button (today they stamped "in 14:19 · out 14:19")."""
    dialog = ctrl_n_on_todays_meeting(qtbot, window)
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.waitUntil(dialog.editor.hasFocus)
    focused = QApplication.focusWidget()
    assert focused is dialog.editor
    for key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Space):
        qtbot.keyClick(QApplication.focusWidget(), key)
    qtbot.keyClicks(QApplication.focusWidget(), "Wants a pilot")
    assert dialog.editor.toPlainText().rstrip().endswith("Wants a pilot")
    assert dialog.check_in_button.isEnabled() and dialog.check_out_button.isEnabled()
    assert not any(
        button.isDefault() or button.autoDefault() for button in dialog.findChildren(QPushButton)
    )
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        pass
    view = NoteBook(store).note(dialog.note_id)
    assert view is not None and view.check_in_at is None and view.check_out_at is None
