"""Today's and the Profiles page's reminders list the soonest few of a big territory's
month of birthdays, and say how many there are in all."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pytestqt.qtbot import QtBot

import ui.profiles_page
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


def test_today_lists_the_soonest_and_counts_them_all(
    qtbot: QtBot,
    store: Store,
    runner: TaskRunner,
    birthdays: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ui.profiles_page, "REMINDERS_SHOWN", 3)
    page = TodayPage(runner, MeetingCalendar(store), ProfileBook(store))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.reminders_loaded, timeout=5000):
        page.refresh_reminders()
    assert [r.contact_name for r in page.reminders.rows] == birthdays[:3]
    assert page._coming_title.text().endswith("(7; the soonest 3 listed)")
    assert runner.shutdown()


def test_profiles_page_says_the_same(
    qtbot: QtBot,
    store: Store,
    runner: TaskRunner,
    birthdays: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ui.profiles_page, "REMINDERS_SHOWN", 10)
    page = ProfilesPage(runner, ProfileBook(store))
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.reminders.rowCount() == 7, timeout=5000)
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
