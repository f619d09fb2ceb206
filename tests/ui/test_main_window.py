"""The main window as a rep uses it: browse, search, sort, select, navigate, close."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from db.changes import Changes
from db.enums import LadderRung
from db.store.local_store import Store
from tests.helpers.factories import add_numbered_accounts
from tests.ui.conftest import FILLER_ACCOUNTS
from ui.main_window import ACCOUNTS, SEARCH, TODAY, MainWindow
from ui.models.accounts import PAGE_SIZE

TOTAL = FILLER_ACCOUNTS + 1


def names(window: MainWindow) -> list[str]:
    return [row.name for row in window.accounts_page.model.rows]


def test_opens_on_today_with_the_accounts_ready_behind_it(window: MainWindow) -> None:
    assert window.pages.currentIndex() == TODAY
    page = window.accounts_page
    assert page.model.rowCount() == PAGE_SIZE
    assert names(window)[0] == "Acme Logistics"
    assert page.pane.detail is not None and page.pane.detail.name == "Acme Logistics"
    assert [c.name for c in page.pane.detail.contacts] == ["Zoë Núñez"]


def test_status_bar_counts_the_territory(window: MainWindow, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: window.accounts_page.model.total == TOTAL)
    assert window.status_label.text() == f"{TOTAL} accounts in your territory"


def test_scrolling_fetches_more_pages_lazily(window: MainWindow, qtbot: QtBot) -> None:
    model = window.accounts_page.model
    assert model.canFetchMore()
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() == 2 * PAGE_SIZE)
    window.accounts_page.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == TOTAL)
    assert not model.canFetchMore()
    assert len(set(names(window))) == TOTAL


def test_typing_filters_through_search(window: MainWindow, qtbot: QtBot) -> None:
    page = window.accounts_page
    qtbot.keyClicks(page.search_box, "nunez")
    qtbot.waitUntil(lambda: names(window) == ["Acme Logistics"])
    qtbot.waitUntil(lambda: "1 account match" in window.status_label.text())
    page.search_box.clear()
    qtbot.waitUntil(lambda: len(names(window)) == PAGE_SIZE)


def test_a_search_with_no_hits_empties_the_list_and_the_pane(
    window: MainWindow, qtbot: QtBot
) -> None:
    page = window.accounts_page
    qtbot.keyClicks(page.search_box, "xylophone")
    qtbot.keyClick(page.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.model.total == 0)
    assert page.model.rowCount() == 0
    assert page.pane.detail is None
    assert "0 accounts match" in window.status_label.text()


def test_selecting_an_account_shows_it(window: MainWindow, qtbot: QtBot) -> None:
    page = window.accounts_page
    with qtbot.waitSignal(page.pane.detail_shown) as shown:
        page.table.selectRow(3)
    assert shown.args[0].name == names(window)[3] == "Company 0002"


def test_keyboard_moves_the_selection(window: MainWindow, qtbot: QtBot) -> None:
    page = window.accounts_page
    page.table.setFocus()
    page.table.setCurrentIndex(page.model.index(0, 0))
    with qtbot.waitSignal(page.pane.detail_shown) as shown:
        qtbot.keyClick(page.table, Qt.Key.Key_Down)
    assert shown.args[0].name == "Company 0000"


def test_sorting_by_a_column_reloads_in_that_order(window: MainWindow, qtbot: QtBot) -> None:
    page = window.accounts_page
    page.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)  # employees
    qtbot.waitUntil(lambda: bool(names(window)) and names(window)[0] == "Company 0449")
    employees = [r.employees for r in page.model.rows]
    assert employees == sorted(employees, key=lambda e: e or 0, reverse=True)


def test_rung_filter(window: MainWindow, qtbot: QtBot) -> None:
    page = window.accounts_page
    page.rung_filter.setCurrentIndex(page.rung_filter.findData(LadderRung.PARTNER.value))
    qtbot.waitUntil(lambda: page.model.total == FILLER_ACCOUNTS // 6)
    assert {r.ladder_rung for r in page.model.rows} == {LadderRung.PARTNER}


def test_ctrl_f_focuses_the_account_search(window: MainWindow, qtbot: QtBot) -> None:
    window.show_page(TODAY)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentIndex() == ACCOUNTS
    qtbot.waitUntil(lambda: window.accounts_page.search_box.hasFocus())


def test_today_lists_the_meeting_and_opens_its_account(window: MainWindow, qtbot: QtBot) -> None:
    today = window.today_page
    qtbot.waitUntil(lambda: today.model.rowCount() == 1)
    meeting = today.model.row_at(0)
    assert (meeting.account_name, meeting.attendees) == ("Acme Logistics", ("Zoë Núñez",))
    window.accounts_page.table.selectRow(5)
    qtbot.waitUntil(lambda: window.accounts_page.pane.detail.name == "Company 0004")
    window.show_page(TODAY)
    with qtbot.waitSignal(window.accounts_page.pane.detail_shown) as shown:
        today.table.activated.emit(today.model.index(0, 0))
    assert window.pages.currentIndex() == ACCOUNTS
    assert shown.args[0].name == "Acme Logistics"


def test_global_search_finds_a_note_and_opens_its_account(window: MainWindow, qtbot: QtBot) -> None:
    window.accounts_page.table.selectRow(5)
    qtbot.waitUntil(lambda: window.accounts_page.pane.detail.name == "Company 0004")
    window.search_everything()
    assert window.pages.currentIndex() == SEARCH
    search = window.search_page
    with qtbot.waitSignal(search.results_shown):
        qtbot.keyClicks(search.search_box, "cold chain")
    assert [h.account_name for h in search.model.rows] == ["Acme Logistics"]
    qtbot.keyClick(search.search_box, Qt.Key.Key_Return)  # to the first result
    with qtbot.waitSignal(window.accounts_page.pane.detail_shown) as shown:
        qtbot.keyClick(search.table, Qt.Key.Key_Return)  # open it
    assert window.pages.currentIndex() == ACCOUNTS
    assert shown.args[0].name == "Acme Logistics"


def test_the_account_model_passes_qt_model_tester(window: MainWindow, qtmodeltester) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    qtmodeltester.check(window.accounts_page.model, force_py=True)


def test_an_empty_territory_says_how_to_fill_it(qtbot: QtBot, store: Store) -> None:
    from desktop.app import build_window
    from desktop.runner import TaskRunner

    runner = TaskRunner()
    empty = build_window(store, runner)
    qtbot.addWidget(empty)
    with qtbot.waitSignal(empty.ready):
        empty.show()
    qtbot.waitUntil(lambda: empty.accounts_page.model.total == 0)
    assert "fieldbrief demo" in empty.accounts_page.pane._empty.text()
    empty.close()
    runner.shutdown()


def test_new_accounts_appear_after_a_write_is_announced(
    window: MainWindow, qtbot: QtBot, territory: Store
) -> None:
    from db.changes import Changes

    add_numbered_accounts(territory, 3, prefix="Aardvark")
    window._runner.write(lambda: Changes.of("account"))
    qtbot.waitUntil(
        lambda: names(window)[:3] == ["Aardvark 0000", "Aardvark 0001", "Aardvark 0002"]
    )


def test_ctrl_q_closes_the_window_cleanly(window: MainWindow, qtbot: QtBot) -> None:
    window.activateWindow()
    with qtbot.waitSignal(window.closing):
        qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible()
    assert not window._runner.busy or window._runner.shutdown()


def test_pages_out_of_sight_are_built_when_first_shown(window: MainWindow, qtbot: QtBot) -> None:
    """Start builds the pages a rep sees first (Today, Accounts, and Needs attention for its
    count); the others come with the first visit, in their place, and a change that would
    refresh one on screen builds none."""
    from ui.search_page import SearchPage

    later = {"SearchPage", "ProfilesPage", "FollowUpsPage", "LeadsPage"}

    def built() -> set[str]:
        return {type(window.pages.widget(i)).__name__ for i in range(window.pages.count())}

    assert {"TodayPage", "AccountsPage", "AttentionPage"} <= built()
    assert built().isdisjoint(later)
    everything = Changes.of("task") | Changes.of("lead") | Changes.of("profile_answer")
    window._refresh_for(everything | Changes.of("contact"), synced=True)
    assert built().isdisjoint(later)
    window.navigation.setCurrentRow(SEARCH)
    assert isinstance(window.pages.currentWidget(), SearchPage)
    assert window.pages.currentIndex() == SEARCH and window.pages.count() == 7
    assert window.search_page is window.pages.currentWidget()  # built once
    qtbot.keyClicks(window.search_page.search_box, "Acme")
    window.navigation.setCurrentRow(TODAY)
    assert window.pages.currentIndex() == TODAY
