"""Warnings show where the rep looks first: a marker with its one-line reason on Today's
meeting rows, in the account list and at the top of the account pane, from the briefing's
rules (Acme Logistics has an open dispute; the filler accounts have nothing)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from pytestqt.qtbot import QtBot

from db.briefing.warnings import WarningIndex
from db.store.local_store import Store
from tests.ui.conftest import search_to_acme
from ui.main_window import MainWindow
from ui.models.accounts import NAME_COLUMN
from ui.today_page import ACCOUNT_COLUMN

TIP = Qt.ItemDataRole.ToolTipRole
ICON = Qt.ItemDataRole.DecorationRole


def test_todays_meeting_row_carries_the_accounts_warning(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    today = window.today_page
    with qtbot.waitSignal(today.marks_loaded, timeout=5000):
        today.refresh()
    model = today.model
    (row,) = [
        r for r in range(model.rowCount()) if model.row_at(r).account_name == "Acme Logistics"
    ]
    tip = model.data(model.index(row, ACCOUNT_COLUMN), TIP)
    assert tip.startswith("Do not pitch: ") and "dispute" in tip.lower()
    assert isinstance(model.data(model.index(row, ACCOUNT_COLUMN), ICON), QIcon)
    (acme,) = WarningIndex(territory).marks([model.row_at(row).account_id]).values()
    assert acme.stop and acme.text in tip  # the briefing's own line
    if today.card.meeting is not None and today.card.meeting.account_name == "Acme Logistics":
        assert today.card.warning.isVisibleTo(today) and "dispute" in today.card.warning.text()


def test_the_account_list_and_pane_show_it_and_quiet_accounts_show_none(
    qtbot: QtBot, window: MainWindow
) -> None:
    model = window.accounts_page.model
    qtbot.waitUntil(lambda: len(model.marks) == 1, timeout=5000)
    acme = next(r for r in range(model.rowCount()) if model.row_at(r).name == "Acme Logistics")
    quiet = next(r for r in range(model.rowCount()) if model.row_at(r).name != "Acme Logistics")
    assert "dispute" in model.data(model.index(acme, NAME_COLUMN), TIP).lower()
    assert model.data(model.index(quiet, NAME_COLUMN), ICON) is None
    assert model.data(model.index(quiet, NAME_COLUMN), TIP) == model.row_at(quiet).name

    search_to_acme(qtbot, window)
    pane = window.accounts_page.pane
    qtbot.waitUntil(lambda: pane.warning.isVisibleTo(pane), timeout=5000)
    assert "Do not pitch" in pane.warning.text() and "dispute" in pane.warning.text().lower()
    window.accounts_page.search_box.clear()
    window.accounts_page.open_account(model.row_at(quiet).id)
    qtbot.waitUntil(lambda: pane.detail is not None and pane.detail.name != "Acme Logistics")
    qtbot.waitUntil(lambda: not pane.warning.isVisibleTo(pane), timeout=5000)
