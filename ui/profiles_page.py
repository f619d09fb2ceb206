"""The Profiles screen: birthdays and anniversaries coming up, and how far each contact's
profile has come (empty, started, useful, rich), key contacts first if the rep likes."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QTableView, QVBoxLayout, QWidget

from db.dates import weekday
from db.dto import ProfileReminder
from db.labels import plural
from db.profiles.definition import (
    ProfileTier,
    TerritoryProfileRow,
    TierRule,
    key_contacts_explained,
)
from ui.account_pane import make_table, section_title
from ui.models.table import Column, RowTableModel
from ui.tasks import Runner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.profiles.book import ProfileBook

PROFILE_COLUMN = 3  # the tier's column, sorted emptiest first


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


def completeness_columns(rule: TierRule) -> list[Column[TerritoryProfileRow]]:
    """The territory list's columns; the tier's tooltip says what the tiers mean."""
    explained = rule.explanation()

    def why(row: TerritoryProfileRow) -> str:
        return (
            f"{row.tier.label}: {row.answered} of {row.total} answered, "
            f"{row.key_answered} of {row.key_total} key questions.\n\n{explained}"
        )

    return [
        Column("Account", lambda r: r.account_name),
        Column("Contact", lambda r: r.contact_name, tooltip=lambda r: r.title or ""),
        Column(
            "Role in deal",
            lambda r: r.deal_role.label if r.deal_role else "",
            tooltip=lambda r: "Key contact" if r.key_contact else "",
        ),
        Column(
            "Profile",
            lambda r: r.tier.label,
            sort_key=lambda r: (r.tier.rank, r.key_answered, r.answered),
            tooltip=why,
        ),
        Column(
            "Key questions",
            lambda r: f"{r.key_answered} of {r.key_total}",
            align_right=True,
            sort_key=lambda r: r.key_answered,
            tooltip=why,
        ),
        Column(
            "Answered",
            lambda r: f"{r.answered} of {r.total}",
            align_right=True,
            sort_key=lambda r: r.answered,
            tooltip=why,
        ),
    ]


def reminders_table(parent: QWidget) -> tuple[RowTableModel[ProfileReminder], QTableView]:
    model: RowTableModel[ProfileReminder] = RowTableModel(REMINDER_COLUMNS, parent)
    return model, make_table(model, stretch_column=3)


class ProfilesPage(QWidget):
    """Coming-up dates and territory completeness; Enter or a double-click opens a profile.

    "Key contacts only" keeps its state while the app runs (the page lives as long as the
    window); the list is filtered in memory, so ticking it reads nothing again."""

    profile_requested = Signal(uuid.UUID)
    loaded = Signal()

    def __init__(self, runner: Runner, book: ProfileBook, parent: QWidget | None = None):
        super().__init__(parent)
        self._runner = runner
        self._book = book
        self._all: list[TerritoryProfileRow] = []
        rule = book.tier_rule
        title = QLabel("Customer profiles")
        title.setObjectName("pageTitle")
        self._coming_title = section_title("Coming up in the next 30 days")
        self.reminders, self.reminders_view = reminders_table(self)
        self.reminders_view.setMaximumHeight(180)
        self._completeness_title = section_title("Profile completeness")
        self.tiers_legend = QLabel(
            f"Started: some answers · Useful: {rule.useful_key} of the {rule.key_total} key "
            f"questions answered · Rich: {rule.rich_key} key and {rule.rich_all} of "
            f"{rule.total} in all"
        )
        self.tiers_legend.setObjectName("subtitle")
        self.tiers_legend.setToolTip(rule.explanation())
        self.key_only = QCheckBox("Key contacts only")
        self.key_only.setToolTip(key_contacts_explained())
        self.key_only.setChecked(True)
        self.key_only.toggled.connect(self._on_key_only_toggled)
        self.completeness: RowTableModel[TerritoryProfileRow] = RowTableModel(
            completeness_columns(rule), self
        )
        self.completeness_view = make_table(self.completeness, stretch_column=1)
        self.completeness_view.setSortingEnabled(True)
        self.completeness_view.sortByColumn(PROFILE_COLUMN, Qt.SortOrder.AscendingOrder)
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
        layout.addWidget(self.tiers_legend)
        layout.addWidget(self.completeness_view, stretch=1)
        self.reminders_view.activated.connect(self._on_reminder_activated)
        self.completeness_view.activated.connect(self._on_completeness_activated)

    def refresh(self) -> None:
        self._runner.read(
            lambda: (self._book.coming_up(), self._book.territory_completeness()), self._on_loaded
        )

    def _on_loaded(self, loaded: tuple[list[ProfileReminder], list[TerritoryProfileRow]]) -> None:
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

    @Slot(bool)
    def _on_key_only_toggled(self, _checked: bool) -> None:
        self._show_completeness()

    def _show_completeness(self) -> None:
        key_only = self.key_only.isChecked()
        rows = [r for r in self._all if r.key_contact] if key_only else self._all
        self.completeness.set_rows(rows)
        header = self.completeness_view.horizontalHeader()
        self.completeness.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        tiers = Counter(r.tier for r in rows)
        counts = ", ".join(f"{tiers[tier]:,} {tier.value}" for tier in ProfileTier)
        who = plural(len(rows), "key contact" if key_only else "contact")
        self._completeness_title.setText(f"Profile completeness · {who}: {counts}")
        self.completeness_view.resizeColumnsToContents()

    @Slot(QModelIndex)
    def _on_reminder_activated(self, index: QModelIndex) -> None:
        self.profile_requested.emit(self.reminders.row_at(index.row()).contact_id)

    @Slot(QModelIndex)
    def _on_completeness_activated(self, index: QModelIndex) -> None:
        self.profile_requested.emit(self.completeness.row_at(index.row()).contact_id)
