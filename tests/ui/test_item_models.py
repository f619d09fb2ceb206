"""Every list's item model under Qt's model tester while it is driven (loaded from a real
store, reloaded, sorted, fetched more), and a sort that keeps the rep's selection."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from db.attention import AttentionDesk
from db.dto import ProfileCompletenessRow
from db.edits import LocalEditor
from db.field.followups import FollowUps
from db.field.leads import LeadDesk
from db.field.meetings import MeetingCalendar
from db.profiles.book import ProfileBook
from db.store.local_store import Store
from db.store.models import OutboxEntry, RemoteRecord, SetAsideRow
from desktop.runner import TaskRunner
from tests.helpers.factories import add_account, add_contact, add_meeting
from ui.attention_page import AttentionPage
from ui.followups_page import DONE_COLUMN, FollowUpsPage
from ui.leads_page import LeadsPage
from ui.main_window import MainWindow
from ui.models.accounts import PAGE_SIZE
from ui.models.table import RowTableModel
from ui.profiles_page import ProfilesPage
from ui.today_page import TodayPage

CheckModel = Callable[[QAbstractItemModel], None]


@pytest.fixture
def model_tester(request: pytest.FixtureRequest) -> Iterator[CheckModel]:
    """pytest-qt's qtmodeltester for each model a test drives (one tester per model): Qt's
    QAbstractItemModelTester checks the model at once and again on every change it
    signals, until the test ends. What it finds is a Qt warning, which fails the test."""
    testers: list[ModelTester] = []

    def check(model: QAbstractItemModel) -> None:
        tester = ModelTester(request.config)
        tester.check(model)
        testers.append(tester)

    yield check
    for tester in testers:
        tester._cleanup()


def sort_every_way(model: QAbstractItemModel) -> None:
    for column in range(model.columnCount()):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            model.sort(column, order)


def selected_contacts(view: QTableView, model: RowTableModel[ProfileCompletenessRow]) -> list[str]:
    return [
        model.row_at(index.row()).contact_name for index in view.selectionModel().selectedRows()
    ]


@pytest.fixture
def brightwater(store: Store) -> dict[str, uuid.UUID]:
    """An account whose three key contacts have profiles of 2, 0 and 1 answers."""
    account = add_account(store, "Brightwater Foods")
    contacts = {
        name: add_contact(store, account, *name.split())
        for name in ("Ada Archer", "Bob Baker", "Cem Cakir")
    }
    book = ProfileBook(store)
    soon = date.today() + timedelta(days=10)
    book.set_answer(contacts["Ada Archer"], "nickname", "Ada")
    book.set_answer(contacts["Ada Archer"], "birth_date", soon.replace(year=1980))
    book.set_answer(contacts["Cem Cakir"], "nickname", "Cem")
    return {"account": account, **contacts}


def test_sorting_keeps_the_selected_record_selected(
    qtbot: QtBot,
    store: Store,
    runner: TaskRunner,
    brightwater: dict[str, uuid.UUID],
    model_tester: CheckModel,
) -> None:
    page = ProfilesPage(runner, ProfileBook(store))
    qtbot.addWidget(page)
    model, view = page.completeness, page.completeness_view
    model_tester(model)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    names = [r.contact_name for r in model.rows]
    assert names == ["Bob Baker", "Cem Cakir", "Ada Archer"]  # thinnest profile first
    view.selectRow(names.index("Cem Cakir"))

    with qtbot.waitSignal(page.loaded, timeout=5000):  # sorted by the store
        view.sortByColumn(1, Qt.SortOrder.DescendingOrder)  # by contact: Cem moves to the top
    assert [r.contact_name for r in model.rows] == ["Cem Cakir", "Bob Baker", "Ada Archer"]
    assert selected_contacts(view, model) == ["Cem Cakir"]
    assert model.row_at(view.currentIndex().row()).contact_name == "Cem Cakir"

    with qtbot.waitSignal(page.loaded, timeout=5000):
        view.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # and to the bottom
    assert model.row_at(2).contact_name == "Cem Cakir"
    assert selected_contacts(view, model) == ["Cem Cakir"]
    assert model.row_at(view.currentIndex().row()).contact_name == "Cem Cakir"
    assert runner.shutdown()


def test_today_models_under_the_model_tester(
    qtbot: QtBot,
    store: Store,
    runner: TaskRunner,
    brightwater: dict[str, uuid.UUID],
    model_tester: CheckModel,
) -> None:
    account = brightwater["account"]
    today_at_3pm = datetime.combine(date.today(), time(15)).astimezone()
    add_meeting(store, account, today_at_3pm, "Quarterly review", (brightwater["Ada Archer"],))
    add_meeting(store, account, today_at_3pm + timedelta(days=2), "Plant tour")
    page = TodayPage(runner, MeetingCalendar(store), ProfileBook(store))
    qtbot.addWidget(page)
    model_tester(page.model)
    model_tester(page.reminders)
    for _ in range(2):  # the first load, then a reload over rows already shown
        with qtbot.waitSignals([page.meetings_loaded, page.reminders_loaded], timeout=5000):
            page.refresh()
    assert [m.purpose for m in page.model.rows] == ["Quarterly review", "Plant tour"]
    assert [r.contact_name for r in page.reminders.rows] == ["Ada Archer"]
    sort_every_way(page.model)
    sort_every_way(page.reminders)
    assert runner.shutdown()


def test_follow_ups_model_under_the_model_tester(
    qtbot: QtBot, store: Store, runner: TaskRunner, model_tester: CheckModel
) -> None:
    account = add_account(store, "Brightwater Foods")
    follow_ups = FollowUps(store)
    follow_ups.add(account, "Send the SLA draft", date.today() - timedelta(days=2))
    follow_ups.add(account, "Book the plant tour", date.today() + timedelta(days=5))
    follow_ups.add(account, "Ask about the budget", None)
    page = FollowUpsPage(runner, follow_ups)
    qtbot.addWidget(page)
    model = page.model
    model_tester(model)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    assert len(model.rows) == 3
    sort_every_way(model)
    # Ticked off through the model, as a click on the box does; then shown with the done.
    with qtbot.waitSignal(runner.data_changed, timeout=5000):
        model.setData(
            model.index(0, DONE_COLUMN), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole
        )
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    assert len(model.rows) == 2
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.show_done.setChecked(True)
    assert len(model.rows) == 3 and sum(r.done for r in model.rows) == 1
    assert runner.shutdown()


def test_leads_model_under_the_model_tester(
    qtbot: QtBot, store: Store, runner: TaskRunner, model_tester: CheckModel
) -> None:
    account = add_account(store, "Brightwater Foods")
    editor = LocalEditor(store)
    for day, campaign, score in ((1, "webinar-warehouse", 60), (2, "ebook-cold-chain", 45)):
        editor.create(
            "lead", account_id=account, campaign=campaign, score=score,
            handed_over_at=datetime(2026, 11, day, tzinfo=UTC),
        )  # fmt: skip
    page = LeadsPage(runner, LeadDesk(store))
    qtbot.addWidget(page)
    model = page.model
    model_tester(model)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    assert len(model.rows) == 2
    sort_every_way(model)
    lead = model.rows[0].id
    with qtbot.waitSignal(runner.data_changed, timeout=5000):
        runner.write(lambda: LeadDesk(store).accept(lead, "on it"))
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    assert [r.id for r in model.rows if r.id == lead]  # accepted, still waiting for an outcome
    assert runner.shutdown()


def test_profiles_models_under_the_model_tester(
    qtbot: QtBot,
    store: Store,
    runner: TaskRunner,
    brightwater: dict[str, uuid.UUID],
    model_tester: CheckModel,
) -> None:
    add_contact(store, brightwater["account"], "Dan", "Noname", deal_role=None)
    page = ProfilesPage(runner, ProfileBook(store))
    qtbot.addWidget(page)
    model_tester(page.reminders)
    model_tester(page.completeness)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    assert [r.contact_name for r in page.reminders.rows] == ["Ada Archer"]
    assert len(page.completeness.rows) == 3  # key contacts only
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.key_only.setChecked(False)  # read again
    assert len(page.completeness.rows) == 4
    sort_every_way(page.reminders)
    sort_every_way(page.completeness)  # each asks the store; the last query's rows stay
    qtbot.waitUntil(lambda: len(page.completeness.rows) == 4, timeout=5000)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    assert runner.shutdown()


def test_attention_models_under_the_model_tester(
    qtbot: QtBot, store: Store, runner: TaskRunner, model_tester: CheckModel
) -> None:
    account = add_account(store, "Acme Logistics", city="Hamburg")
    LocalEditor(store).create("account", name="Elsewhere", territory="south")
    conflict_id = uuid.uuid4()
    with store.session() as session:
        for entry in session.scalars(select(OutboxEntry)):
            entry.status, entry.reason = "rejected", "the account's territory is not one of yours"
        session.add(
            RemoteRecord(
                entity="conflict",
                id=conflict_id,
                server_version=7,
                data={
                    "entity": "account",
                    "entity_id": str(account),
                    "field": "city",
                    "client_value": "Lübeck",
                    "server_value": "Hamburg",
                    "kind": "both_changed",
                },
            )
        )
        session.add(
            SetAsideRow(
                entity="account",
                id=uuid.uuid4(),
                server_version=41,
                data={"name": "Bogus AG", "ladder_rung": "bogus"},
                reason="ladder_rung: must be one of 'prospect', 'customer'",
            )
        )
    page = AttentionPage(runner, AttentionDesk(store))
    qtbot.addWidget(page)
    for model in (page.conflicts, page.rejected, page.set_aside):
        model_tester(model)
    with qtbot.waitSignal(page.count_changed, timeout=5000) as counted:
        page.refresh()
    assert counted.args == [2] and page.set_aside.rowCount() == 1
    for model in (page.conflicts, page.rejected, page.set_aside):
        sort_every_way(model)
    # Settled: the runner's data_changed reloads the lists (rows go away under the tester).
    page.conflict_table.selectRow(0)
    with qtbot.waitSignal(page.count_changed, timeout=5000) as counted:
        page.use_mine.click()
    assert counted.args == [1] and page.conflicts.rowCount() == 0
    assert AttentionDesk(store).conflicts() == []
    assert runner.shutdown()


def test_accounts_model_under_the_model_tester_while_fetched_sorted_and_searched(
    qtbot: QtBot, window: MainWindow, model_tester: CheckModel
) -> None:
    model = window.accounts_page.model
    model_tester(model)  # Qt's tester asks for more rows itself, as a scrolling view does
    qtbot.waitUntil(lambda: model.total is not None, timeout=5000)

    def fetched_all() -> bool:
        model.fetchMore()  # nothing while a page is on its way
        return model.rowCount() == model.total

    qtbot.waitUntil(fetched_all, timeout=10_000)
    assert model.rowCount() > 2 * PAGE_SIZE and not model.canFetchMore()
    assert len({r.id for r in model.rows}) == model.rowCount()  # no page loaded twice
    model.sort(4, Qt.SortOrder.DescendingOrder)  # employees, most first
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=5000)
    employees = [r.employees or 0 for r in model.rows]
    assert employees == sorted(employees, reverse=True)
    assert len({r.id for r in model.rows}) == model.rowCount()  # no page loaded twice
    window.accounts_page.search_box.setText("Acme")
    qtbot.waitUntil(lambda: [r.name for r in model.rows] == ["Acme Logistics"], timeout=5000)
    with qtbot.waitSignal(model.page_loaded, timeout=5000):
        model.refresh()
    assert [r.name for r in model.rows] == ["Acme Logistics"]
