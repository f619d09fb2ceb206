"""Birthdays and anniversaries coming up (Today and the Profiles page): read a page of
contacts at a time as the list scrolls, soonest first, with how many there are in all."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal

from db.dates import weekday
from db.dto import ProfileReminder
from ui.models.table import Column, PagedTableModel
from ui.tasks import Runner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.profiles.book import ProfileBook

# Over the next month (db.profiles.book.REMINDER_DAYS, which the GUI does not import): a
# big territory has thousands, and the lists show a handful of rows.
REMINDER_DAYS = 30
PAGE_CONTACTS = 25


def _when(reminder: ProfileReminder) -> str:
    if reminder.days_away == 0:
        return "Today"
    if reminder.days_away == 1:
        return "Tomorrow"
    return f"{weekday(reminder.on)} (in {reminder.days_away} days)"


def _what(reminder: ProfileReminder) -> str:
    if reminder.years is None:
        return reminder.label
    if reminder.kind == "birthday":
        return f"{reminder.label} (turns {reminder.years})"
    return f"{reminder.label} ({reminder.years} years)"


REMINDER_COLUMNS: list[Column[ProfileReminder]] = [
    Column("When", _when, sort_key=lambda r: r.on),
    Column("Who", lambda r: r.contact_name),
    Column("Account", lambda r: r.account_name),
    Column("What", _what, tooltip=_what),
]


class ReminderTableModel(PagedTableModel[ProfileReminder]):
    """The reminders of PAGE_CONTACTS contacts at a time (a contact may have several: a
    birthday and a child's), in the store's order. A refresh reads the first page and the
    total again; the rows shown stay until the new ones are in. Nothing is read until the
    first refresh()."""

    loaded = Signal(int)  # a refresh's first page and total are in (the total)

    def __init__(self, runner: Runner, book: ProfileBook | None, parent: Any = None) -> None:
        super().__init__(runner, REMINDER_COLUMNS, PAGE_CONTACTS, parent)
        self._book = book
        self._today = date.today()
        self._contacts = 0  # read so far: where the next page starts
        self.total = 0

    def refresh(self) -> None:
        """Reads the soonest page again, from today, and how many there are in all (with
        no profiles to read, nothing)."""
        book, today = self._book, date.today()
        if book is None:
            return
        generation = self._restart()
        self._today = today

        def read() -> tuple[_Page, int]:
            return _read_page(book, 0, today), book.coming_up_total(today, REMINDER_DAYS)

        self._runner.read(read, lambda got: self._on_first(generation, *got))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Keeps the soonest first: a page's rows go in at their dates' places."""

    def _fetch_page(self) -> None:
        # Pages start at a contact, not a row: a contact gives one reminder or more.
        self._fetching = True
        generation, book, today, offset = self._generation, self._book, self._today, self._contacts
        assert book is not None  # a page follows a first one, which needs profiles
        self._runner.read(
            lambda: _read_page(book, offset, today),
            lambda page: self._on_more(generation, page),
        )

    def _on_first(self, generation: int, page: _Page, total: int) -> None:
        if generation != self._generation:
            return
        self._contacts, self._exhausted = page.contacts, not page.more
        self.total = total
        self.set_rows(page.reminders)
        self._fetching = False  # only now: a view asking for more starts after these
        self.page_loaded.emit(len(self._rows))
        self.loaded.emit(total)

    def _on_more(self, generation: int, page: _Page) -> None:
        if generation != self._generation:
            return
        self._contacts += page.contacts
        self._exhausted = not page.more
        # A contact is paged by its soonest date, and brings its later ones along: a page's
        # rows go in where their dates fall, not all at the end, so the list stays soonest
        # first (rows shown keep their places relative to each other).
        for reminder in page.reminders:
            place = bisect.bisect_right(self._rows, _order(reminder), key=_order)
            self.beginInsertRows(QModelIndex(), place, place)
            self._rows.insert(place, reminder)
            self.endInsertRows()
        self._fetching = False  # only once the rows are in, as in PagedTableModel
        self.page_loaded.emit(len(self._rows))


@dataclass(frozen=True, slots=True)
class _Page:
    reminders: list[ProfileReminder]
    contacts: int  # read: where the next page starts
    more: bool  # whether contacts may follow


def _order(reminder: ProfileReminder) -> tuple[date, str, str]:
    return reminder.on, reminder.contact_name, reminder.label


def _read_page(book: ProfileBook, offset: int, today: date) -> _Page:
    """The reminders of the PAGE_CONTACTS contacts from `offset` on (on the store thread),
    reading on while a page gives none (contacts whose dates all prove odd): a page with no
    row would end the list, as a view asks for more only when rows come in."""
    found: list[ProfileReminder] = []
    read = 0
    while True:
        reminders, contacts = book.coming_up_page(
            offset + read, PAGE_CONTACTS, today, REMINDER_DAYS
        )
        found += reminders
        read += contacts
        if found or contacts < PAGE_CONTACTS:
            return _Page(found, read, more=contacts == PAGE_CONTACTS)
