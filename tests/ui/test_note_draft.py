"""A new note is written at the first keystroke, not on Ctrl+N: opened and closed untouched
it leaves nothing to sync; check-in writes it too; one window per meeting. And the visit's
check-in and check-out times corrected from the note's window, or refused in words."""

from __future__ import annotations

import uuid
from datetime import timedelta

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from db.field.notes import NoteBook
from db.store.local_store import Store
from db.store.models import OutboxEntry, VisitNote
from db.store.types import utc_now
from desktop.runner import TaskRunner
from tests.helpers.factories import add_account
from ui.main_window import TODAY, MainWindow
from ui.note_dialog import NoteDialog
from ui.visit_times_dialog import VisitTimesDialog, to_qt


def stored_notes(store: Store) -> int:
    with store.reading() as session:
        return session.scalar(select(func.count()).select_from(VisitNote)) or 0


def outbox(store: Store) -> list[OutboxEntry]:
    with store.reading() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))


def settled(qtbot: QtBot, runner: TaskRunner) -> None:
    """Waits until the store thread has done everything asked of it so far (it runs jobs
    one at a time, in order)."""
    with qtbot.waitCallback(timeout=5000) as done:
        runner.read(lambda: None, done)


def todays_meeting(qtbot: QtBot, window: MainWindow) -> tuple[uuid.UUID, uuid.UUID]:
    window.show_page(TODAY)
    qtbot.waitUntil(lambda: window.today_page.model.rowCount() == 1, timeout=5000)
    window.today_page.table.selectRow(0)
    meeting = window.today_page.model.row_at(0)
    return meeting.account_id, meeting.id


def ctrl_n(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=10_000)  # a busy machine is slow to switch
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)


def the_draft(qtbot: QtBot, window: MainWindow) -> NoteDialog:
    qtbot.waitUntil(lambda: len(window.note_drafts) == 1, timeout=5000)
    (dialog,) = window.note_drafts.values()
    # Shown and active before the test goes on: its activation, arriving later, would take
    # the keyboard from the main window the test activates next.
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    return dialog


def test_ctrl_n_then_close_untouched_leaves_no_note_and_nothing_to_sync(
    qtbot: QtBot, window: MainWindow, territory: Store, runner: TaskRunner
) -> None:
    _, meeting_id = todays_meeting(qtbot, window)
    notes_before, outbox_before = stored_notes(territory), len(outbox(territory))
    ctrl_n(qtbot, window)
    dialog = the_draft(qtbot, window)
    assert "Visit report: Acme Logistics" in dialog.editor.toPlainText()  # the template shows
    assert dialog.note_id is None and window.note_dialogs == {}
    freed: list[bool] = []
    dialog.destroyed.connect(lambda: freed.append(True))
    dialog.close()
    qtbot.waitUntil(lambda: bool(freed), timeout=5000)
    settled(qtbot, runner)
    assert window.note_drafts == {} and window.note_dialogs == {}
    assert NoteBook(territory).for_meeting(meeting_id) is None
    assert stored_notes(territory) == notes_before
    assert len(outbox(territory)) == outbox_before


def test_the_first_keystroke_writes_one_note_with_it_and_one_outbox_create(
    qtbot: QtBot, window: MainWindow, territory: Store, runner: TaskRunner
) -> None:
    _, meeting_id = todays_meeting(qtbot, window)
    notes_before, outbox_before = stored_notes(territory), len(outbox(territory))
    ctrl_n(qtbot, window)
    dialog = the_draft(qtbot, window)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.keyClicks(dialog.editor, "Q")
    note_id = dialog.note_id
    assert note_id is not None and NoteBook(territory).for_meeting(meeting_id) == note_id
    assert window.note_dialogs == {note_id: dialog} and window.note_drafts == {}
    assert stored_notes(territory) == notes_before + 1
    view = NoteBook(territory).note(note_id)
    assert view is not None and view.body.rstrip().endswith("Q")
    assert "Zoë Núñez" in view.body  # typed into the template, which is kept
    (created,) = outbox(territory)[outbox_before:]
    assert (created.entity, created.op, created.entity_id) == ("visit_note", "create", note_id)
    assert created.fields["body"] == view.body

    # Typing on saves into the same note; the cursor stays where the rep is typing.
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.keyClicks(dialog.editor, "uote sent")
    assert dialog.editor.toPlainText().rstrip().endswith("Quote sent")
    settled(qtbot, runner)
    assert stored_notes(territory) == notes_before + 1
    ops = [(e.op, e.entity_id) for e in outbox(territory)[outbox_before:]]
    assert ops == [("create", note_id), ("revise", note_id)]


def test_ctrl_n_again_on_the_same_meeting_brings_the_same_window_forward(
    qtbot: QtBot, window: MainWindow, territory: Store, runner: TaskRunner
) -> None:
    account_id, meeting_id = todays_meeting(qtbot, window)
    window.new_note(account_id, meeting_id)
    window.new_note(account_id, meeting_id)  # twice before the first answer came back
    dialog = the_draft(qtbot, window)
    ctrl_n(qtbot, window)  # and once more, while it is still a draft
    settled(qtbot, runner)
    assert window.findChildren(NoteDialog) == [dialog] and dialog.isVisible()

    with qtbot.waitSignal(dialog.created, timeout=5000):
        qtbot.keyClicks(dialog.editor, "Typed")
    ctrl_n(qtbot, window)  # the meeting has its note now: that note's window
    settled(qtbot, runner)
    assert window.findChildren(NoteDialog) == [dialog]
    assert window.note_dialogs == {dialog.note_id: dialog} and window.note_drafts == {}
    assert stored_notes(territory) == 2  # the fixture's and this one


def test_check_in_on_a_draft_writes_the_note_with_the_time(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    _, meeting_id = todays_meeting(qtbot, window)
    ctrl_n(qtbot, window)
    dialog = the_draft(qtbot, window)
    outbox_before = len(outbox(territory))
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog.check_in_button.click()
    assert dialog.view is not None and dialog.view.check_in_at is not None
    assert dialog.view.check_out_at is None
    assert NoteBook(territory).for_meeting(meeting_id) == dialog.note_id
    assert not dialog.check_in_button.isEnabled() and dialog.check_out_button.isEnabled()
    assert dialog._times.text().startswith("in ") and dialog.correct_times_button.isVisible()
    (created,) = outbox(territory)[outbox_before:]  # the note and its time: one write
    assert created.op == "create" and created.fields["check_in_at"] is not None


def test_check_in_while_the_first_keystroke_is_being_written_stamps_that_note(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner
) -> None:
    book = NoteBook(store)
    dialog = NoteDialog(
        runner, book, book.draft(add_account(store, "Acme Logistics")), window_parent
    )
    dialog.show()
    qtbot.keyClicks(dialog.editor, "Met Zoe")
    dialog.save_now()  # the note is on its way to the store
    dialog.check_out_button.click()
    qtbot.waitUntil(
        lambda: dialog.view is not None and dialog.view.check_out_at is not None, timeout=5000
    )
    assert dialog.note_id is not None
    view = book.note(dialog.note_id)
    assert view is not None and "Met Zoe" in view.body and view.check_out_at is not None
    assert [e.op for e in outbox(store)] == ["create", "set_fields"]
    assert runner.shutdown()


def checked_in_and_out(store: Store) -> tuple[NoteBook, uuid.UUID]:
    book = NoteBook(store)
    note_id, _ = book.start(add_account(store, "Acme Logistics"))
    yesterday = (utc_now() - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    book.check_in(note_id, yesterday)
    book.check_out(note_id, yesterday + timedelta(hours=1))
    return book, note_id


def open_times(
    qtbot: QtBot, window_parent: QWidget, book: NoteBook, note_id: uuid.UUID, runner: TaskRunner
) -> tuple[NoteDialog, VisitTimesDialog]:
    dialog = NoteDialog(runner, book, note_id, window_parent)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog.show()
    assert not dialog.check_in_button.isEnabled() and not dialog.check_out_button.isEnabled()
    assert dialog.correct_times_button.isVisible()  # the way to change them now
    dialog.correct_times_button.click()
    editor = dialog.times_dialog
    assert editor is not None and editor.isVisible()
    return dialog, editor


def test_correcting_the_check_in_time_is_stored_and_queued_to_sync(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner
) -> None:
    book, note_id = checked_in_and_out(store)
    before = book.note(note_id)
    assert before is not None and before.check_in_at is not None
    dialog, editor = open_times(qtbot, window_parent, book, note_id, runner)
    outbox_before = len(outbox(store))
    really = before.check_in_at - timedelta(minutes=25)
    editor.check_in.edit.setDateTime(to_qt(really))
    with qtbot.waitSignal(dialog.loaded, timeout=5000):  # saved, and the note read again
        editor.save_button.click()
    after = book.note(note_id)
    assert after is not None and after.check_in_at == really
    assert after.check_out_at == before.check_out_at
    (corrected,) = outbox(store)[outbox_before:]
    assert (corrected.op, corrected.entity_id) == ("set_fields", note_id)
    assert corrected.fields == {"check_in_at": really.isoformat()}
    assert dialog._times.text().startswith(f"in {really.astimezone():%H:%M}")
    qtbot.waitUntil(lambda: not shiboken6.isValid(editor), timeout=5000)  # closed and freed
    assert dialog.times_dialog is None
    assert runner.shutdown()


def test_a_check_out_before_the_check_in_is_refused_in_words_and_nothing_is_written(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner
) -> None:
    book, note_id = checked_in_and_out(store)
    before = book.note(note_id)
    assert before is not None and before.check_in_at is not None
    _, editor = open_times(qtbot, window_parent, book, note_id, runner)
    outbox_before = len(outbox(store))
    editor.check_out.edit.setDateTime(to_qt(before.check_in_at - timedelta(hours=2)))
    editor.save_button.click()
    qtbot.waitUntil(lambda: not editor.error.isHidden(), timeout=5000)
    assert "is before the check-in" in editor.error.text()
    assert editor.isVisible() and editor.save_button.isEnabled()  # to put it right
    settled(qtbot, runner)
    assert book.note(note_id) == before
    assert len(outbox(store)) == outbox_before
    assert runner.shutdown()
