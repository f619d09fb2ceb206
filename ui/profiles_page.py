"""The Profiles screen: birthdays and anniversaries coming up, and how far each contact's
profile has come (empty, started, useful, rich), key contacts first if the rep likes."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QTableView, QVBoxLayout, QWidget

from db.labels import plural
from db.profiles.definition import ProfileTier, key_contacts_explained
from ui.account_pane import make_table, section_title
from ui.models.profiles import CompletenessModel
from ui.models.reminders import REMINDER_DAYS, ReminderTableModel
from ui.tasks import Runner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.profiles.book import ProfileBook

PROFILE_COLUMN = 3  # the tier's column, sorted emptiest first


def reminders_table(
    runner: Runner, book: ProfileBook | None, parent: QWidget
) -> tuple[ReminderTableModel, QTableView]:
    model = ReminderTableModel(runner, book, parent)
    return model, make_table(model, stretch_column=3)


class ProfilesPage(QWidget):
    """Coming-up dates and territory completeness; Enter or a double-click opens a profile.

    The completeness list is read a page at a time as it scrolls, sorted by the store; the
    title's totals per tier are the store's too. "Key contacts only" keeps its state while
    the app runs (the page lives as long as the window); ticking it reads the list again."""

    profile_requested = Signal(uuid.UUID)
    loaded = Signal()  # the reminders (on refresh), the first page and the totals are in

    def __init__(self, runner: Runner, book: ProfileBook, parent: QWidget | None = None):
        super().__init__(parent)
        self._runner = runner
        self._book = book
        self._waiting: set[str] = set()
        self._reselect: set[uuid.UUID] = set()
        rule = book.tier_rule
        title = QLabel("Customer profiles")
        title.setObjectName("pageTitle")
        self._coming_title = section_title("Coming up in the next 30 days")
        self.reminders, self.reminders_view = reminders_table(runner, book, self)
        self.reminders_view.setMaximumHeight(180)
        self.reminders.loaded.connect(self._on_reminders)
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
        self.completeness = CompletenessModel(runner, book, self)
        self.completeness.about_to_reset.connect(self._on_completeness_about_to_reset)
        self.completeness.page_loaded.connect(self._on_completeness_page_loaded)
        self.completeness.counts_loaded.connect(self._on_completeness_counts_loaded)
        self.completeness_view = make_table(self.completeness, stretch_column=1)
        self.completeness_view.setSortingEnabled(True)  # the model only notes the order
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
        self._waiting.add("reminders")
        # The list first: it fills the page, the reminders above it are a few rows.
        self.completeness.refresh()
        self.reminders.refresh()

    @Slot(int)
    def _on_reminders(self, total: int) -> None:
        self._coming_title.setText(
            f"Coming up in the next {REMINDER_DAYS} days ({total:,})"
            if self.reminders.rowCount()
            else f"Coming up in the next {REMINDER_DAYS} days: nothing"
        )
        self.reminders_view.resizeColumnsToContents()
        self.reminders_view.horizontalHeader().setStretchLastSection(True)
        self._arrived("reminders")

    @Slot(bool)
    def _on_key_only_toggled(self, checked: bool) -> None:
        self.completeness.set_key_only(checked)

    @Slot()
    def _on_completeness_about_to_reset(self) -> None:
        # The rows go and the selection with them: the same contacts are selected again
        # if the new first page holds them (a header's click re-sorts in the store).
        model, selection = self.completeness, self.completeness_view.selectionModel()
        self._reselect = {
            model.row_at(index.row()).contact_id for index in selection.selectedRows()
        }
        self._waiting |= {"page", "counts"}

    @Slot(int)
    def _on_completeness_page_loaded(self, loaded: int) -> None:
        if "page" not in self._waiting:
            return  # a later page, as the list scrolls
        view, model = self.completeness_view, self.completeness
        view.resizeColumnsToContents()
        for row in range(loaded):
            if model.row_at(row).contact_id in self._reselect:
                view.selectRow(row)
        self._reselect = set()
        self._arrived("page")

    @Slot(object)
    def _on_completeness_counts_loaded(self, tiers: dict[ProfileTier, int]) -> None:
        total = sum(tiers.values())
        counts = ", ".join(f"{tiers[tier]:,} {tier.value}" for tier in ProfileTier)
        who = plural(total, "key contact" if self.completeness.key_only else "contact")
        self._completeness_title.setText(f"Profile completeness · {who}: {counts}")
        self._arrived("counts")

    def _arrived(self, part: str) -> None:
        if part in self._waiting:
            self._waiting.discard(part)
            if not self._waiting:
                self.loaded.emit()

    @Slot(QModelIndex)
    def _on_reminder_activated(self, index: QModelIndex) -> None:
        self.profile_requested.emit(self.reminders.row_at(index.row()).contact_id)

    @Slot(QModelIndex)
    def _on_completeness_activated(self, index: QModelIndex) -> None:
        self.profile_requested.emit(self.completeness.row_at(index.row()).contact_id)
