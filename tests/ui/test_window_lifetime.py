"""Windows are freed once closed: notes, briefings, profiles, holds and follow-ups leave
nothing behind, yet a closed window still sees its own writes through (what was typed
reaches the store; a refused answer brings its profile back)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QDialog, QWidget
from pytestqt.qtbot import QtBot

from db.field.notes import NoteBook
from db.profiles.book import ProfileBook
from db.store.local_store import Store
from desktop.runner import TaskRunner
from tests.helpers.factories import add_account, add_contact
from ui.followups_page import FollowUpDialog
from ui.hold_dialog import HoldDialog
from ui.main_window import MainWindow
from ui.note_dialog import NoteDialog
from ui.profile_dialog import ProfileDialog


def acme_and_zoe(qtbot: QtBot, window: MainWindow) -> tuple[uuid.UUID, uuid.UUID]:
    pane = window.accounts_page.pane
    qtbot.waitUntil(lambda: pane.detail is not None, timeout=5000)
    assert pane.detail is not None and pane.detail.name == "Acme Logistics"
    return pane.detail.id, pane.detail.contacts[0].id


def free_deleted_later() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def closed_and_freed(qtbot: QtBot, dialog: QDialog, close: Callable[[], object]) -> None:
    """Closes the dialog as `close` does and waits until Qt has freed it."""
    destroyed: list[bool] = []
    dialog.destroyed.connect(lambda: destroyed.append(True))
    close()
    qtbot.waitUntil(lambda: bool(destroyed), timeout=5000)
    assert not shiboken6.isValid(dialog)


def test_note_briefing_and_profile_windows_are_freed_once_closed(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    acme, zoe = acme_and_zoe(qtbot, window)
    (note,) = NoteBook(territory).for_account(acme)
    note_window = window.open_note(note.id)
    qtbot.waitUntil(lambda: note_window.view is not None, timeout=5000)
    assert window.open_note(note.id) is note_window  # asked again: the open one, forward
    briefing = window.open_briefing(acme, None)
    qtbot.waitUntil(lambda: briefing.briefing is not None, timeout=5000)
    profile = window.open_profile(zoe)
    qtbot.waitUntil(lambda: profile.profile is not None, timeout=5000)
    assert window.open_profile(zoe) is profile

    for dialog, still_open in (
        (note_window, window.note_dialogs),
        (briefing, window.briefing_dialogs),
        (profile, window.profile_dialogs),
    ):
        closed_and_freed(qtbot, dialog, dialog.close)
        assert still_open == {}
    assert window.findChildren(NoteDialog) == window.findChildren(ProfileDialog) == []

    again = window.open_note(note.id)  # a fresh window, the note read again
    qtbot.waitUntil(lambda: again.view is not None, timeout=5000)
    assert "cold-chain pilot" in again.editor.toPlainText()
    assert window.note_dialogs == {note.id: again}


def test_hold_and_follow_up_dialogs_are_freed_once_closed(qtbot: QtBot, window: MainWindow) -> None:
    acme, _ = acme_and_zoe(qtbot, window)
    for close in (HoldDialog.accept, HoldDialog.reject):  # the Close button, Esc
        window.open_holds(acme)
        holds = window.hold_dialog
        assert holds is not None
        qtbot.waitUntil(lambda: holds.contact.count() == 1, timeout=5000)  # noqa: B023
        closed_and_freed(qtbot, holds, lambda: close(holds))  # noqa: B023
        assert window.hold_dialog is None
    assert window.findChildren(HoldDialog) == []

    page = window.followups_page
    page.account_for_new = acme
    page.ask_new()
    follow_up = page.dialog
    qtbot.waitUntil(lambda: follow_up.contact.count() == 2, timeout=5000)
    closed_and_freed(qtbot, follow_up, follow_up.reject)
    assert page.findChildren(FollowUpDialog) == []


def test_a_note_closed_while_typing_is_freed_only_once_the_text_is_stored(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner
) -> None:
    book = NoteBook(store)
    note_id, _ = book.start(add_account(store, "Acme Logistics"))
    dialog = NoteDialog(runner, book, note_id, window_parent)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog.show()
    dialog.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(dialog.editor, "Wants a pilot")
    dialog.save_now()  # on its way to the store
    qtbot.keyClicks(dialog.editor, " before March")  # typed meanwhile: waits its turn
    closed_and_freed(qtbot, dialog, dialog.close)
    view = book.note(note_id)
    assert view is not None and "Wants a pilot before March" in view.body
    assert runner.shutdown()


def test_a_profile_answer_refused_after_closing_brings_the_window_back(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner
) -> None:
    contact = add_contact(store, add_account(store, "Acme Logistics"), "Robert", "Stone")
    dialog = ProfileDialog(runner, ProfileBook(store), contact, window_parent)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog.show()
    children = dialog.editors["children"]
    children.add_person()  # type: ignore[attr-defined]
    children.table.item(0, 0).setText("Ada")  # type: ignore[attr-defined]
    children.table.item(0, 2).setText("two hundred")  # type: ignore[attr-defined]
    dialog.close()  # flushes the answer, which the store refuses after the window closed
    error = dialog._errors["children"]
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    assert not error.isHidden() and "age" in error.text().lower()
    assert dialog.pages.currentWidget().isAncestorOf(children.widget)  # at its question
    free_deleted_later()
    assert shiboken6.isValid(dialog)

    children.table.item(0, 2).setText("")  # put right, then closed for good
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        children.changed_now()
    closed_and_freed(qtbot, dialog, dialog.close)
    assert runner.shutdown()
