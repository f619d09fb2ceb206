"""Today's and the Profiles page's reminders read a big territory's month of birthdays a
page of contacts at a time as the list scrolls, soonest first, and say how many there are in
all."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

import ui.models.reminders
from db.changes import Changes
from db.dto import ProfileReminder
from db.field.meetings import MeetingCalendar
from db.profiles.book import ProfileBook
from db.store.local_store import Store
from desktop.app import build_window
from desktop.runner import TaskRunner
from tests.helpers.factories import add_account, add_contact
from ui.models.reminders import ReminderTableModel
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


def more_once(qtbot: QtBot, runner: TaskRunner, model: ReminderTableModel) -> bool:
    """Reads the next page, as a view scrolled to the end asks; False at the end. Waits for
    the store first: the view may have asked for that page by itself."""
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    if not model.canFetchMore():
        return False
    model.fetchMore()
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    return True


def giving_nothing(
    book: ProfileBook, contacts: set[uuid.UUID], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Makes `contacts` give no reminder (as if their dates all proved odd): still read,
    and counted in their page's contacts."""
    real = book.coming_up_page

    def leaving_out(*args: Any) -> tuple[list[ProfileReminder], int]:
        found, read = real(*args)
        return [r for r in found if r.contact_id not in contacts], read

    monkeypatch.setattr(book, "coming_up_page", leaving_out)


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
    while more_once(qtbot, runner, model):  # as a view scrolled to the end asks
        pass
    assert [r.contact_name for r in model.rows] == birthdays
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
    giving_nothing(book, {soonest}, monkeypatch)
    page = TodayPage(runner, MeetingCalendar(store), book)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.reminders_loaded, timeout=5000):
        page.refresh_reminders()
    assert [r.contact_name for r in page.reminders.rows] == birthdays[1:3]
    while more_once(qtbot, runner, page.reminders):
        pass
    assert [r.contact_name for r in page.reminders.rows] == birthdays[1:]
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


def test_a_page_of_contacts_with_no_reminder_reads_on(
    qtbot: QtBot,
    store: Store,
    runner: TaskRunner,
    birthdays: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A view asks for more only when rows come in: a page whose contacts all give no
    reminder must not be the last thing read, or the list would stop there."""
    monkeypatch.setattr(ui.models.reminders, "PAGE_CONTACTS", 3)
    book = ProfileBook(store)
    giving_nothing(book, {r.contact_id for r in book.coming_up_page(0, 3)[0]}, monkeypatch)
    page = TodayPage(runner, MeetingCalendar(store), book)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.reminders_loaded, timeout=5000):
        page.refresh_reminders()
    assert [r.contact_name for r in page.reminders.rows] == birthdays[3:6]
    assert page.reminders_view.isVisibleTo(page)
    assert runner.shutdown()


def test_a_later_date_of_a_contact_read_early_stays_below_the_sooner_ones(
    qtbot: QtBot,
    store: Store,
    runner: TaskRunner,
    birthdays: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Contacts are paged by their soonest date and bring their later ones along: the rows
    of the next page go in where their dates fall, so the list stays soonest first."""
    monkeypatch.setattr(ui.models.reminders, "PAGE_CONTACTS", 3)
    book = ProfileBook(store)
    account = add_account(store, "Larkspur Mills")
    early = add_contact(store, account, "Ann", "Early")
    soon, later = (date.today() + timedelta(days=ahead) for ahead in (1, 10))
    book.set_answer(
        early, "birth_date", soon.replace(year=1980 if soon.day != 29 else 1984).isoformat()
    )
    book.set_answer(
        early,
        "spouse_birth_date",
        later.replace(year=1981 if later.day != 29 else 1984).isoformat(),
    )
    page = TodayPage(runner, MeetingCalendar(store), book)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.reminders_loaded, timeout=5000):
        page.refresh_reminders()
    model = page.reminders
    assert later in [r.on for r in model.rows]  # Ann's second date came on the first page
    while more_once(qtbot, runner, model):
        pass
    dates = [r.on for r in model.rows]
    assert dates == sorted(dates)
    assert len(dates) == len(birthdays) + 2
    assert runner.shutdown()
