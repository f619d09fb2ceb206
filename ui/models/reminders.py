"""Birthdays and anniversaries coming up (Today and the Profiles page): read a page of
contacts at a time as the list scrolls, soonest first, with how many there are in all."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal

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

        def read() -> tuple[tuple[list[ProfileReminder], int], int]:
            return book.coming_up_page(0, PAGE_CONTACTS, today, REMINDER_DAYS), (
                book.coming_up_total(today, REMINDER_DAYS)
            )

        self._runner.read(read, lambda got: self._on_first(generation, *got))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Keeps the store's order (soonest first): sorting the rows loaded so far would mix
        an order that the next page does not continue."""

    def _fetch_page(self) -> None:
        # Pages start at a contact, not a row: a contact gives one reminder or more.
        self._fetching = True
        generation, book, today, offset = self._generation, self._book, self._today, self._contacts
        assert book is not None  # a page follows a first one, which needs profiles
        self._runner.read(
            lambda: book.coming_up_page(offset, PAGE_CONTACTS, today, REMINDER_DAYS),
            lambda page: self._on_more(generation, *page),
        )

    def _on_first(
        self, generation: int, page: tuple[list[ProfileReminder], int], total: int
    ) -> None:
        if generation != self._generation:
            return
        reminders, contacts = page
        self._contacts = contacts
        self._exhausted = contacts < PAGE_CONTACTS
        self.total = total
        self.set_rows(reminders)
        self._fetching = False  # only now: a view asking for more starts after these
        self.page_loaded.emit(len(self._rows))
        self.loaded.emit(total)

    def _on_more(self, generation: int, reminders: list[ProfileReminder], contacts: int) -> None:
        if generation != self._generation:
            return
        self._contacts += contacts
        self._on_page(generation, reminders, more=contacts == PAGE_CONTACTS)  # not rows
