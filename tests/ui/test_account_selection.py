"""An account opened from another page is the one selected in the account list (a filter
that hid it goes), and the list keeps the pane's account through a reload such as the one
after a ladder move."""

from __future__ import annotations

import uuid

from pytestqt.qtbot import QtBot

from db.enums import LadderRung
from db.field.ladder import Ladder
from db.store.local_store import Store
from tests.helpers.factories import add_account
from ui.main_window import MainWindow


def selected(window: MainWindow) -> uuid.UUID | None:
    page = window.accounts_page
    rows = page.table.selectionModel().selectedRows()
    return page.model.row_at(rows[0].row()).id if rows else None


def test_an_account_far_down_the_list_and_filtered_out_is_selected_when_opened(
    qtbot: QtBot, territory: Store, window: MainWindow
) -> None:
    zeta = add_account(territory, "Zeta Works", ladder_rung=LadderRung.PARTNER)
    page = window.accounts_page
    window.show_page(1)
    page.rung_filter.setCurrentIndex(1)  # prospects only: Zeta is a partner
    qtbot.waitUntil(lambda: page.model.total is not None)

    window.open_account(zeta)  # as Today, Leads and Search do
    qtbot.waitUntil(lambda: selected(window) == zeta, timeout=5000)
    assert page.pane.account_id == zeta
    assert page.rung_filter.currentIndex() == 0 and page.search_box.text() == "Zeta Works"

    page.search_box.clear()  # the rep's own search: its first account, as ever
    qtbot.waitUntil(lambda: selected(window) not in (None, zeta), timeout=5000)


def test_the_pane_stays_on_its_account_when_a_ladder_move_reloads_the_list(
    qtbot: QtBot, territory: Store, window: MainWindow
) -> None:
    page = window.accounts_page
    window.show_page(1)
    qtbot.waitUntil(lambda: len(page.model.rows) > 10, timeout=5000)
    chosen = page.model.rows[7].id
    page.table.selectRow(7)
    qtbot.waitUntil(lambda: page.pane.detail is not None and page.pane.detail.id == chosen)

    changes = Ladder(territory).move(chosen, LadderRung.ADVOCATE, "Spoke at our event")
    window._refresh_for(changes, synced=False)
    qtbot.waitUntil(lambda: page.model.total is not None and len(page.model.rows) > 10)
    qtbot.wait(100)
    assert page.pane.account_id == chosen and selected(window) == chosen
