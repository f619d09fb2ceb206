"""My follow-ups on screen: sorted by due date with overdue ones in red, ticked off with a
click or Space, added by hand, Enter opens the note a promise came from."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from db.field.followups import FollowUps
from db.field.notes import NoteBook
from db.store.local_store import Store
from tests.helpers.factories import add_account
from tests.ui.conftest import search_to_acme
from ui.followups_page import DONE_COLUMN, OVERDUE
from ui.main_window import FOLLOW_UPS, MainWindow


def test_overdue_first_in_red_ticked_off_with_space(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    acme = add_account(territory, "Brightwater Foods")
    follow_ups = FollowUps(territory)
    follow_ups.add(acme, "Send the SLA draft", date.today() - timedelta(days=2))
    follow_ups.add(acme, "Book the plant tour", date.today() + timedelta(days=5))
    page = window.followups_page
    with qtbot.waitSignal(page.loaded, timeout=5000):
        window.show_page(FOLLOW_UPS)
    model = page.model
    assert [r.title for r in model.rows] == ["Send the SLA draft", "Book the plant tour"]
    due = model.index(0, 1)
    assert (
        model.data(due).startswith("Overdue: ")
        and model.data(due, Qt.ItemDataRole.ForegroundRole) == OVERDUE
    )
    assert "1 overdue · 2 open" in page._summary.text()

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    page.table.setFocus()
    page.table.selectRow(0)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        qtbot.keyClick(page.table, Qt.Key.Key_Space)
    assert [r.title for r in model.rows] == ["Book the plant tour"]
    # A click on the box works too; "Show done" brings them back.
    with qtbot.waitSignal(page.loaded, timeout=5000):
        model.setData(
            model.index(0, DONE_COLUMN), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole
        )
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_done.setChecked(True)
    assert all(r.done for r in model.rows) and len(model.rows) == 2


def test_a_follow_up_by_hand_for_the_open_account(qtbot: QtBot, window: MainWindow) -> None:
    search_to_acme(qtbot, window)
    page = window.followups_page
    with qtbot.waitSignal(page.loaded, timeout=5000):
        window.show_page(FOLLOW_UPS)
    page.ask_new()
    dialog = page.dialog
    qtbot.waitUntil(lambda: dialog.contact.count() == 2, timeout=5000)  # nobody + Zoë
    dialog.what.setText("Send the cold-chain case study")
    dialog.contact.setCurrentIndex(1)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    (row,) = page.model.rows
    assert (row.title, row.account_name, row.contact_name) == (
        "Send the cold-chain case study",
        "Acme Logistics",
        "Zoë Núñez",
    )
    assert row.due_date == date.today() + timedelta(days=7)


def test_enter_on_a_promise_opens_its_note(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    book = NoteBook(territory)
    note_id, _ = book.start(add_account(territory, "Brightwater Foods"))
    book.save(note_id, "- [ ] Call IT about single sign-on\n")
    page = window.followups_page
    with qtbot.waitSignal(page.loaded, timeout=5000):
        window.show_page(FOLLOW_UPS)
    page.table.selectRow(0)
    page.table.activated.emit(page.model.index(0, 2))
    qtbot.waitUntil(lambda: note_id in window.note_dialogs, timeout=5000)
