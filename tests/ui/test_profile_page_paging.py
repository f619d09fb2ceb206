"""The Profiles page's completeness list is read a page at a time: it opens with the first
page and the store's totals, scrolling fetches the next pages, and a header's click or the
key-contacts filter asks the store again."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from db.profiles.book import ProfileBook
from db.profiles.tiers import KEY_DEAL_ROLES, CompletenessSort, key
from db.store.local_store import Store
from db.store.models import Contact, ProfileAnswer
from desktop.runner import TaskRunner
from sync.entities import answer_id
from sync.enums import DealRole
from tests.helpers.factories import add_account
from ui.models.profiles import PAGE_SIZE
from ui.profiles_page import PROFILE_COLUMN, ProfilesPage

PEOPLE = 2 * PAGE_SIZE + 50
ROLES = list(DealRole)


def _territory(store: Store) -> list[uuid.UUID]:
    """PEOPLE contacts over ten accounts, every third with a few key answers."""
    book = ProfileBook(store)
    key_ids = [q.id for q in key(book.definition)]
    accounts = [add_account(store, f"Account {n:02}") for n in range(10)]
    contacts = [
        Contact(
            account_id=accounts[n % 10],
            first_name="Person",
            last_name=f"N{n:04}",
            deal_role=ROLES[n % len(ROLES)],
        )
        for n in range(PEOPLE)
    ]
    with store.session() as session:
        session.add_all(contacts)
        session.flush()
        for n, contact in enumerate(contacts):
            for question_id in key_ids[: (n % 3) * 4]:
                session.add(
                    ProfileAnswer(
                        id=answer_id(contact.id, question_id),
                        account_id=contact.account_id,
                        contact_id=contact.id,
                        question_id=question_id,
                        value="said",
                    )
                )
        return [contact.id for contact in contacts]


def test_the_list_opens_with_a_page_and_scrolls_for_more(
    qtbot: QtBot, store: Store, runner: TaskRunner, qtmodeltester: ModelTester
) -> None:
    contacts = _territory(store)
    keys = sum(ROLES[n % len(ROLES)] in KEY_DEAL_ROLES for n in range(PEOPLE))
    page = ProfilesPage(runner, ProfileBook(store))
    qtbot.addWidget(page)
    page.resize(900, 700)
    page.show()
    model, view = page.completeness, page.completeness_view
    qtmodeltester.check(model)
    with qtbot.waitSignal(page.loaded, timeout=10000):
        page.refresh()
    assert len(model.rows) == min(PAGE_SIZE, keys)
    assert page._completeness_title.text().startswith(f"Profile completeness · {keys} key")

    with qtbot.waitSignal(page.loaded, timeout=10000):
        page.key_only.setChecked(False)  # everyone: more than two pages
    assert len(model.rows) == PAGE_SIZE
    assert page._completeness_title.text().startswith(f"Profile completeness · {PEOPLE} contacts")
    while model.canFetchMore():
        with qtbot.waitSignal(model.page_loaded, timeout=10000):
            view.scrollToBottom()  # the view asks for the next page
    assert len(model.rows) == PEOPLE
    assert {r.contact_id for r in model.rows} == set(contacts)  # each once
    ranks = [(r.tier.rank, r.key_answered, r.answered) for r in model.rows]
    assert ranks == sorted(ranks)  # emptiest first, across the pages

    with qtbot.waitSignal(page.loaded, timeout=10000):  # sorted by the store
        view.sortByColumn(PROFILE_COLUMN, Qt.SortOrder.DescendingOrder)
    assert len(model.rows) == PAGE_SIZE
    assert model.rows[0].tier.rank == max(ranks)[0]
    with qtbot.waitSignal(page.loaded, timeout=10000):
        view.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # by account
    assert [r.account_name for r in model.rows[:2]] == ["Account 00", "Account 00"]
    assert model._sort is CompletenessSort.ACCOUNT
    assert runner.shutdown()
