"""The briefing on screen: from Today in one click or Ctrl+B, the warning band, timeline
groups that open, PDF export and printing."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from db.store.local_store import Store
from db.store.models import Account
from tests.helpers.factories import add_activity
from tests.helpers.pdf import pdf_text, print_to_file
from tests.ui.conftest import search_to_acme
from ui.briefing_dialog import BriefingDialog
from ui.main_window import TODAY, MainWindow
from ui.today_page import BRIEFING_COLUMN


def acme_id(store: Store) -> uuid.UUID:
    with store.reading() as session:
        return session.scalars(select(Account.id).where(Account.name == "Acme Logistics")).one()


def _loaded(qtbot: QtBot, window: MainWindow) -> BriefingDialog:
    qtbot.waitUntil(lambda: len(window.briefing_dialogs) == 1, timeout=5000)
    dialog = next(iter(window.briefing_dialogs.values()))
    qtbot.waitUntil(lambda: dialog.briefing is not None, timeout=5000)
    return dialog


def test_one_click_on_today_opens_the_briefing_with_its_warning_band(
    qtbot: QtBot, window: MainWindow, territory: Store, tmp_path: Path
) -> None:
    acme = acme_id(territory)
    for days in (5, 6):  # with the webinar's, three emails opened: a group that opens
        add_activity(territory, acme, f"Opened email: winter {days}", days_ago=days)
    page = window.today_page
    window.show_page(TODAY)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    cell = page.table.visualRect(page.model.index(0, BRIEFING_COLUMN)).center()
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    dialog = _loaded(qtbot, window)
    assert dialog.isVisible() and dialog.windowTitle() == "Briefing · Acme Logistics"
    briefing = dialog.briefing
    assert briefing is not None and briefing.meeting is not None
    assert briefing.meeting.purpose == "Quarterly review"
    text = dialog.view.toPlainText()
    assert "STOP: open dispute, do not pitch" in text
    assert "#fde8e6" in dialog.view.toHtml().lower()  # the band, framed in black
    assert "Zoë Núñez" in text and "Sam Lee" in text
    assert "Wants a cold-chain pilot" in text

    # A group opens and closes with a click on it.
    group = next(g for g in briefing.timeline if g.count > 1)
    item = group.items[-1].title  # the oldest: shown only when the group is open
    lines_before = text.count(item)
    dialog.toggle_group(group.key)
    assert dialog.view.toPlainText().count(item) == lines_before + 1
    dialog.toggle_group(group.key)
    assert dialog.view.toPlainText().count(item) == lines_before

    target = tmp_path / "briefing.pdf"
    with qtbot.waitSignal(dialog.exported, timeout=10_000):
        dialog.export_pdf(target)
    printed = pdf_text(target)
    assert printed.startswith("Acme Logistics")
    assert "STOP: open dispute" in printed and "Talking points" in printed
    assert "Quarterly review" in printed and "Zoë Núñez" in printed


def test_ctrl_b_briefs_the_selected_account_and_says_so_when_nothing_is(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.show_page(TODAY)
    window.today_page.table.setCurrentIndex(window.today_page.model.index(-1, -1))
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert "Select a meeting on Today or an account first" in window.statusBar().currentMessage()
    assert window.briefing_dialogs == {}

    search_to_acme(qtbot, window)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    dialog = _loaded(qtbot, window)
    assert dialog.meeting_id is None and dialog.briefing is not None
    assert dialog.briefing.account_name == "Acme Logistics"
    # Asked again, the same window comes back (read again), not a second one.
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert len(window.briefing_dialogs) == 1


def test_ctrl_b_on_today_acts_only_on_a_meeting_the_rep_sees_selected(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.show_page(TODAY)
    table = window.today_page.table
    qtbot.waitUntil(lambda: window.today_page.model.rowCount() > 0)
    table.clearSelection()
    table.setCurrentIndex(window.today_page.model.index(0, 0))  # focus, no selection
    table.selectionModel().clearSelection()
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert window.briefing_dialogs == {}
    assert "Select a meeting on Today or an account first" in window.statusBar().currentMessage()

    table.selectRow(0)
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert _loaded(qtbot, window).meeting_id is not None


def test_print_sends_the_briefing_to_the_chosen_printer(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "printed.pdf"
    print_to_file(monkeypatch, target)
    window.show_page(TODAY)
    qtbot.waitUntil(lambda: window.today_page.model.rowCount() == 1, timeout=5000)
    window.today_page.table.selectRow(0)
    window.open_selected_briefing()
    dialog = _loaded(qtbot, window)
    dialog.ask_print()
    assert "Acme Logistics" in pdf_text(target)


def test_the_account_pane_has_a_briefing_button(qtbot: QtBot, window: MainWindow) -> None:
    search_to_acme(qtbot, window)
    window.accounts_page.pane.briefing_button.click()
    dialog = _loaded(qtbot, window)
    assert dialog.meeting_id is None and dialog.briefing is not None
    assert dialog.briefing.account_name == "Acme Logistics"
