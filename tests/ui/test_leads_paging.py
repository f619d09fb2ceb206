"""The Leads page on many leads: its first page only at first, more as the rep scrolls,
never a read of every lead; a decision (and its undo) on a lead far down keeps the list
the store's, the lead selected; a refresh overtaken by another leaves no trace."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from db.field.leads import LeadDesk
from db.store.local_store import Store
from desktop.runner import TaskRunner
from sync.enums import LeadStatus, RejectReason
from tests.helpers.factories import add_account
from tests.helpers.leads import add_leads, statements_run, whole_list_reads
from ui.leads_page import ACCEPT, REJECT, LeadsPage
from ui.models.leads import PAGE_SIZE

NEW = 2 * PAGE_SIZE + 50
OPEN = 3


@pytest.fixture
def many_leads(store: Store) -> Store:
    """Two and a quarter pages of new leads, three accepted ones waiting, two rejected."""
    account = add_account(store, "Brightwater Foods")
    add_leads(store, account, NEW)
    add_leads(store, account, OPEN, status=LeadStatus.ACCEPTED, campaign="Fair")
    add_leads(store, account, 2, status=LeadStatus.REJECTED, campaign="Webinar")
    return store


@pytest.fixture
def page(qtbot: QtBot, many_leads: Store, runner: TaskRunner) -> Iterator[LeadsPage]:
    shown = LeadsPage(runner, LeadDesk(many_leads))
    qtbot.addWidget(shown)
    shown.resize(1000, 600)  # some 20 rows in view: the first page fills it many times
    shown.show()
    yield shown
    assert runner.shutdown()


def ids(page: LeadsPage) -> list[uuid.UUID]:
    return [row.id for row in page.model.rows]


def scroll_to_the_end(qtbot: QtBot, page: LeadsPage) -> None:
    bar = page.table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > bar.value(), timeout=5000)  # rows laid out
    with qtbot.waitSignal(page.model.page_loaded, timeout=5000):
        bar.setValue(bar.maximum())


def test_the_first_page_of_many_then_more_as_the_rep_scrolls(
    qtbot: QtBot, page: LeadsPage, many_leads: Store
) -> None:
    desk = LeadDesk(many_leads)
    whole = desk.leads()
    with statements_run(many_leads) as statements:
        with qtbot.waitSignal(page.loaded, timeout=5000):
            page.refresh()
        assert page.model.rows == whole[:PAGE_SIZE]  # the newest new leads, and no more
        assert page._summary.text() == f"{NEW} new · {OPEN} accepted, waiting for an outcome"
        assert page.selected() == whole[0]
        assert page.model.canFetchMore()

        scroll_to_the_end(qtbot, page)
        assert page.model.rows == whole[: 2 * PAGE_SIZE]
        scroll_to_the_end(qtbot, page)
        assert page.model.rows == whole  # the last, short page: nothing more to fetch
        assert not page.model.canFetchMore()
        assert page.selected() == whole[0]  # scrolling moved no selection
    assert len(set(ids(page))) == NEW + OPEN
    assert whole_list_reads(many_leads, statements) == {}


def test_a_decision_far_down_keeps_the_list_the_stores_and_the_lead_selected(
    qtbot: QtBot, page: LeadsPage, many_leads: Store, runner: TaskRunner
) -> None:
    desk = LeadDesk(many_leads)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    lead = page.model.row_at(5).id
    page.table.selectRow(5)

    # Accepted, it goes after every new lead: past the one page loaded.
    with statements_run(many_leads) as statements:
        page.ask(ACCEPT)
        with qtbot.waitSignal(page.loaded, timeout=5000):
            page.dialog.buttons.button(page.dialog.buttons.StandardButton.Ok).click()
        qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    place = desk.position(lead)
    assert place == NEW - 1  # the newest of the accepted ones
    assert page.model.rows == desk.leads()[: page.model.rowCount()]
    assert page.model.rowCount() > place and len(set(ids(page))) == page.model.rowCount()
    assert page.selected() is not None and page.selected().id == lead
    assert page.selected().status is LeadStatus.ACCEPTED and page.outcome_button.isEnabled()
    assert page._summary.text() == f"{NEW - 1} new · {OPEN + 1} accepted, waiting for an outcome"
    assert whole_list_reads(many_leads, statements) == {}

    # Rejected, it leaves the list; the rep is put on the first lead.
    page.ask(REJECT)
    page.dialog.choice.setCurrentIndex(page.dialog.choice.findData(RejectReason.NO_NEED.value))
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.dialog.buttons.button(page.dialog.buttons.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: lead not in ids(page) and page.undo_bar.isVisible(), timeout=5000)
    assert page.model.rows == desk.leads()[: page.model.rowCount()]
    assert page.model.rowCount() == NEW - 1 + OPEN  # every row loaded before, one fewer
    assert page.selected() == desk.leads()[0]

    # Undone, it is new again, back in its place and selected.
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.undo_bar.undo()
    qtbot.waitUntil(lambda: page.selected() is not None and page.selected().id == lead)
    assert ids(page).index(lead) == 5
    assert page.model.rows == desk.leads()
    assert page._summary.text() == f"{NEW} new · {OPEN} accepted, waiting for an outcome"


def test_a_refresh_overtaken_by_another_leaves_no_trace_under_the_model_tester(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    page: LeadsPage,
    many_leads: Store,
    runner: TaskRunner,
) -> None:
    qtmodeltester.check(page.model)
    reloads: list[int] = []
    page.model.reloaded.connect(reloads.append)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_settled.setChecked(True)
        page.show_settled.setChecked(False)  # before the first one's rows arrive
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    assert len(reloads) == 1
    assert all(row.waiting for row in page.model.rows)

    # Qt's tester fetches more on every change, as a view scrolled to the end does.
    def fetched_all() -> bool:
        page.model.fetchMore()
        return not page.model.canFetchMore() and not runner.busy

    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_settled.setChecked(True)
    qtbot.waitUntil(fetched_all, timeout=10_000)
    assert page.model.rows == LeadDesk(many_leads).leads(include_settled=True)
    assert page.model.rowCount() == NEW + OPEN + 2
