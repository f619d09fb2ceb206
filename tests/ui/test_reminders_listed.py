"""Today's and the Profiles page's reminders read a big territory's month of birthdays a
page of contacts at a time as the list scrolls, soonest first, and say how many there are in
all."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pytestqt.qtbot import QtBot

import ui.models.reminders
from db.changes import Changes
from db.field.meetings import MeetingCalendar
from db.profiles.book import ProfileBook
from db.store.local_store import Store
from desktop.app import build_window
from desktop.runner import TaskRunner
from tests.helpers.factories import add_account, add_contact
from ui.profiles_page import ProfilesPage
from ui.today_page import TodayPage


@pytest.fixture
def birthdays(store: Store) -> list[str]:
    """Seven contacts whose birthdays fall on the next seven days, soonest first."""
    book = ProfileBook(store)
    account = add_account(store, "Brightwater Foods")
    names = []
    for ahead in range(1, 8):
        day = date.today() + timedelta(days=ahead)
        contact = add_contact(store, account, f"Person{ahead}", "Soon")
        book.set_answer(
            contact, "birth_date", day.replace(year=1980 if day.day != 29 else 1984).isoformat()
        )
        names.append(f"Person{ahead} Soon")
    return names


def test_today_lists_the_soonest_page_and_reads_on_as_the_list_scrolls(
    qtbot: QtBot,
    store: Store,
    runner: TaskRunner,
    birthdays: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ui.models.reminders, "PAGE_CONTACTS", 3)
    page = TodayPage(runner, MeetingCalendar(store), ProfileBook(store))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.reminders_loaded, timeout=5000):
        page.refresh_reminders()
    model = page.reminders
    assert [r.contact_name for r in model.rows] == birthdays[:3]
    assert page._coming_title.text().endswith("days (7)")
    for shown in (6, 7):  # as a view scrolled to the end would ask
        assert model.canFetchMore()
        with qtbot.waitSignal(model.page_loaded, timeout=5000):
            model.fetchMore()
        assert [r.contact_name for r in model.rows] == birthdays[:shown]
    assert not model.canFetchMore()
    with qtbot.waitSignal(page.reminders_loaded, timeout=5000):  # read again from the top
        page.refresh_reminders()
    assert [r.contact_name for r in model.rows] == birthdays[:3]
    assert runner.shutdown()


def test_a_contact_with_no_reminder_does_not_end_the_list(
    qtbot: QtBot,
    store: Store,
    runner: TaskRunner,
    birthdays: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pages are counted in contacts read: a page that gives fewer reminders (a contact
    whose date is out of the window once settled) is not taken for the last one."""
    monkeypatch.setattr(ui.models.reminders, "PAGE_CONTACTS", 3)
    book = ProfileBook(store)
    soonest = book.coming_up_page(0, 3)[0][0].contact_id
    real = book.coming_up_page

    def one_gives_nothing(offset: int, limit: int, *args: object) -> tuple[list, int]:
        found, contacts = real(offset, limit, *args)  # type: ignore[arg-type]
        return [r for r in found if r.contact_id != soonest], contacts

    monkeypatch.setattr(book, "coming_up_page", one_gives_nothing)
    page = TodayPage(runner, MeetingCalendar(store), book)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.reminders_loaded, timeout=5000):
        page.refresh_reminders()
    assert [r.contact_name for r in page.reminders.rows] == birthdays[1:3]
    assert page.reminders.canFetchMore()
    with qtbot.waitSignal(page.reminders.page_loaded, timeout=5000):
        page.reminders.fetchMore()
    assert [r.contact_name for r in page.reminders.rows] == birthdays[1:6]
    assert runner.shutdown()


def test_profiles_page_says_the_same(
    qtbot: QtBot,
    store: Store,
    runner: TaskRunner,
    birthdays: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ui.models.reminders, "PAGE_CONTACTS", 5)
    page = ProfilesPage(runner, ProfileBook(store))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.reminders.loaded, timeout=5000):
        page.refresh()
    assert [r.contact_name for r in page.reminders.rows] == birthdays[:5]
    assert page._coming_title.text() == "Coming up in the next 30 days (7)"
    assert runner.shutdown()


def test_today_reads_the_reminders_again_only_when_a_profile_or_name_changed(
    qtbot: QtBot, store: Store, birthdays: list[str]
) -> None:
    """A sync that brought meetings or activity reloads the week and its marks, not the
    month's birthdays (tens of ms on a big territory); one that brought answers does."""
    runner = TaskRunner()
    window = build_window(store, runner)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.ready, timeout=10_000):
        window.show()
    qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)
    today = window.today_page
    for touched in ("meeting", "activity", "task"):
        with qtbot.assertNotEmitted(today.reminders_loaded, wait=300):
            window._refresh_for(Changes.of(touched), synced=True)
            qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)
    with qtbot.waitSignal(today.meetings_loaded, timeout=5000):
        window._refresh_for(Changes.of("meeting"), synced=True)
    for touched, synced in (("profile_answer", True), ("profile_answer", False), ("contact", True)):
        with qtbot.waitSignal(today.reminders_loaded, timeout=5000):
            window._refresh_for(Changes.of(touched), synced=synced)
    window.close()
    assert runner.shutdown()
