"""The Profiles screen: birthdays and anniversaries coming up, and whose profiles are thin."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QTableView, QVBoxLayout, QWidget

from db.dto import ProfileCompletenessRow, ProfileReminder
from ui.account_pane import make_table, section_title
from ui.models.table import Column, RowTableModel
from ui.tasks import Runner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.profiles.book import ProfileBook

THIN_BELOW = 0.25  # a profile under a quarter answered counts as thin


def _when(reminder: ProfileReminder) -> str:
    if reminder.days_away == 0:
        return "Today"
    if reminder.days_away == 1:
        return "Tomorrow"
    return f"{reminder.on:%a %d %b} (in {reminder.days_away} days)"


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

COMPLETENESS_COLUMNS: list[Column[ProfileCompletenessRow]] = [
    Column("Account", lambda r: r.account_name),
    Column("Contact", lambda r: r.contact_name, tooltip=lambda r: r.title or ""),
    Column("Role in deal", lambda r: r.deal_role.label if r.deal_role else ""),
    Column(
        "Answered",
        lambda r: f"{r.answered} of {r.total}",
        align_right=True,
        sort_key=lambda r: r.answered,
    ),
    Column(
        "Profile",
        lambda r: f"{r.fraction:.0%}" + ("  · thin" if r.fraction < THIN_BELOW else ""),
        align_right=True,
        sort_key=lambda r: r.fraction,
    ),
]


def reminders_table(parent: QWidget) -> tuple[RowTableModel[ProfileReminder], QTableView]:
    model: RowTableModel[ProfileReminder] = RowTableModel(REMINDER_COLUMNS, parent)
    return model, make_table(model, stretch_column=3)


class ProfilesPage(QWidget):
    """Coming-up dates and territory completeness; Enter or a double-click opens a profile."""

    profile_requested = Signal(uuid.UUID)
    loaded = Signal()

    def __init__(self, runner: Runner, book: ProfileBook, parent: QWidget | None = None):
        super().__init__(parent)
        self._runner = runner
        self._book = book
        self._all: list[ProfileCompletenessRow] = []
        title = QLabel("Customer profiles")
        title.setObjectName("pageTitle")
        self._coming_title = section_title("Coming up in the next 30 days")
        self.reminders, self.reminders_view = reminders_table(self)
        self.reminders_view.setMaximumHeight(180)
        self._completeness_title = section_title("Profile completeness")
        self.key_only = QCheckBox("Key contacts only (with a role in the deal)")
        self.key_only.setChecked(True)
        self.key_only.toggled.connect(self._show_completeness)
        self.completeness: RowTableModel[ProfileCompletenessRow] = RowTableModel(
            COMPLETENESS_COLUMNS, self
        )
        self.completeness_view = make_table(self.completeness, stretch_column=1)
        self.completeness_view.setSortingEnabled(True)
        self.completeness_view.sortByColumn(4, Qt.SortOrder.AscendingOrder)  # thinnest first
        header = QHBoxLayout()
        header.addWidget(self._completeness_title)
        header.addStretch(1)
        header.addWidget(self.key_only)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(title)
        layout.addWidget(self._coming_title)
        layout.addWidget(self.reminders_view)
        layout.addLayout(header)
        layout.addWidget(self.completeness_view, stretch=1)
        self.reminders_view.activated.connect(self._on_reminder_activated)
        self.completeness_view.activated.connect(self._on_completeness_activated)

    def refresh(self) -> None:
        self._runner.read(
            lambda: (self._book.coming_up(), self._book.territory_completeness()), self._on_loaded
        )

    def _on_loaded(
        self, loaded: tuple[list[ProfileReminder], list[ProfileCompletenessRow]]
    ) -> None:
        reminders, self._all = loaded
        self.reminders.set_rows(reminders)
        self._coming_title.setText(
            f"Coming up in the next 30 days ({len(reminders)})"
            if reminders
            else "Coming up in the next 30 days: nothing"
        )
        self.reminders_view.resizeColumnsToContents()
        self.reminders_view.horizontalHeader().setStretchLastSection(True)
        self._show_completeness()
        self.loaded.emit()

    def _show_completeness(self) -> None:
        rows = [r for r in self._all if r.deal_role] if self.key_only.isChecked() else self._all
        self.completeness.set_rows(rows)
        header = self.completeness_view.horizontalHeader()
        self.completeness.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        thin = sum(1 for r in rows if r.fraction < THIN_BELOW)
        self._completeness_title.setText(
            f"Profile completeness · {len(rows):,} contacts, {thin:,} thin"
        )
        self.completeness_view.resizeColumnsToContents()

    @Slot(QModelIndex)
    def _on_reminder_activated(self, index: QModelIndex) -> None:
        self.profile_requested.emit(self.reminders.row_at(index.row()).contact_id)

    @Slot(QModelIndex)
    def _on_completeness_activated(self, index: QModelIndex) -> None:
        self.profile_requested.emit(self.completeness.row_at(index.row()).contact_id)
