"""My follow-ups: every promise, soonest due first, overdue ones in red; tick them off here,
add one by hand, open the account or the note it came from."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.dates import QT_DATE_FORMAT, day
from db.errors import in_words
from ui.account_pane import TableOrEmpty, make_table, section_title
from ui.models.table import Column, Index, RowTableModel
from ui.tasks import Runner
from ui.undo_bar import UndoBar, UndoOffer, shorten
from ui.window_runner import WindowRunner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.changes import Changes
    from db.field.followups import FollowUpRow, FollowUps

log = logging.getLogger(__name__)

OVERDUE = QColor("#b3261e")
DONE_COLUMN = 0


def _due(row: FollowUpRow) -> str:
    if row.due_date is None:
        return "—"
    text = day(row.due_date)
    return f"Overdue: {text}" if row.overdue else text


FOLLOW_UP_COLUMNS: list[Column[FollowUpRow]] = [
    Column("Done", lambda r: ""),
    Column("Due", _due, sort_key=lambda r: (r.due_date is None, r.due_date or date.min)),
    Column("Follow-up", lambda r: r.title, tooltip=lambda r: r.title),
    Column("Account", lambda r: r.account_name),
    Column("For", lambda r: r.contact_name or ""),
    Column("From", lambda r: "visit note" if r.note_id else "added by hand"),
]


class FollowUpModel(RowTableModel["FollowUpRow"]):
    """Follow-ups with a checkbox to tick them off and overdue dates in red."""

    done_toggled = Signal(uuid.UUID, bool)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        if index.column() == DONE_COLUMN and role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if row.done else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ForegroundRole and row.overdue and index.column() == 1:
            return OVERDUE
        return super().data(index, role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == DONE_COLUMN:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if index.column() != DONE_COLUMN or role != Qt.ItemDataRole.CheckStateRole:
            return False
        done = Qt.CheckState(value) == Qt.CheckState.Checked
        self.done_toggled.emit(self.row_at(index.row()).id, done)
        return True  # the store's answer refreshes the row


class FollowUpsPage(QWidget):
    """The rep's follow-ups; Enter opens the note it came from, or its account."""

    account_requested = Signal(uuid.UUID)
    note_requested = Signal(uuid.UUID)
    loaded = Signal(int)

    def __init__(self, runner: Runner, follow_ups: FollowUps, parent: QWidget | None = None):
        super().__init__(parent)
        self._runner = runner
        self._follow_ups = follow_ups
        self.account_for_new: uuid.UUID | None = None  # the window keeps this current
        self.model = FollowUpModel(FOLLOW_UP_COLUMNS, self)
        self.model.done_toggled.connect(self.set_done)
        title = QLabel("My follow-ups")
        title.setObjectName("pageTitle")
        self._summary = section_title("")
        self.show_done = QCheckBox("Show done")
        self.show_done.toggled.connect(self.refresh)
        add = QPushButton("New follow-up…")
        add.setToolTip("Promise something to a customer by a date (Ctrl+Shift+N)")
        add.clicked.connect(self.ask_new)
        header = QHBoxLayout()
        header.addWidget(self._summary, stretch=1)
        header.addWidget(self.show_done)
        header.addWidget(add)

        self.table = make_table(self.model, stretch_column=2)
        self.table.setToolTip("Space ticks off; Enter opens the note or the account")
        self.table.activated.connect(self._on_activated)
        self._body = TableOrEmpty(
            self.table, "Nothing promised. Checkboxes in visit notes land here."
        )
        self.undo_bar = UndoBar(self)  # a follow-up just ticked off, for a few seconds

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(title)
        layout.addLayout(header)
        layout.addWidget(self._body, stretch=1)
        layout.addWidget(self.undo_bar)
        QShortcut(QKeySequence("Space"), self.table, self.toggle_selected)
        QShortcut(QKeySequence("Ctrl+Shift+N"), self, self.ask_new)

    def refresh(self) -> None:
        include_done = self.show_done.isChecked()
        self._runner.read(lambda: self._follow_ups.mine(include_done=include_done), self._loaded)

    def _loaded(self, rows: list[FollowUpRow]) -> None:
        self.model.set_rows(rows)
        open_rows = [r for r in rows if not r.done]
        overdue = sum(1 for r in open_rows if r.overdue)
        said = f"{len(open_rows)} open"
        if overdue:
            said = f"{overdue} overdue · {said}"
        self._summary.setText(said)
        self._body.show_rows(bool(rows))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.loaded.emit(len(rows))

    @Slot(uuid.UUID, bool)
    def set_done(self, task_id: uuid.UUID, done: bool) -> None:
        """Ticks a follow-up off (then offers to undo it) or reopens it."""
        follow_ups = self._follow_ups
        title = next((r.title for r in self.model.rows if r.id == task_id), None)

        def written(changes: Changes) -> None:
            if done and changes and title is not None:
                self.undo_bar.offer(
                    UndoOffer(
                        f"Follow-up “{shorten(title)}” marked done",
                        lambda: self.set_done(task_id, False),
                    )
                )

        self._runner.write(lambda: follow_ups.set_done(task_id, done), written)

    def toggle_selected(self) -> None:
        current = self.table.currentIndex()
        if current.isValid():
            row = self.model.row_at(current.row())
            self.set_done(row.id, not row.done)

    @Slot(QModelIndex)
    def _on_activated(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row.note_id is not None:
            self.note_requested.emit(row.note_id)
        else:
            self.account_requested.emit(row.account_id)

    def ask_new(self) -> None:
        """A follow-up by hand, for the selected row's account or the open account."""
        current = self.table.currentIndex()
        account_id = (
            self.model.row_at(current.row()).account_id
            if current.isValid()
            else self.account_for_new
        )
        if account_id is None:
            QMessageBox.information(
                self, "New follow-up", "Open an account first (Accounts, Ctrl+2), then add it."
            )
            return
        self.dialog = FollowUpDialog(self._runner, self._follow_ups, account_id, self)
        self.dialog.open()


class FollowUpDialog(QDialog):
    """What, for whom, by when; written with its outbox entry when OK is pressed. Freed
    once closed."""

    added = Signal()

    def __init__(
        self, runner: Runner, follow_ups: FollowUps, account_id: uuid.UUID, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self._runner = WindowRunner(runner, self)
        self._follow_ups = follow_ups
        self.account_id = account_id
        self.setWindowTitle("New follow-up")
        self.resize(480, 220)
        self.what = QLineEdit()
        self.what.setPlaceholderText("e.g. Send the SLA draft")
        self.contact = QComboBox()
        self.contact.addItem("Nobody in particular", None)
        self.has_due = QCheckBox("Due")
        self.has_due.setChecked(True)
        self.due = QDateEdit(QDate.currentDate().addDays(7))
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat(QT_DATE_FORMAT)
        self.has_due.toggled.connect(self.due.setEnabled)
        due_row = QHBoxLayout()
        due_row.addWidget(self.has_due)
        due_row.addWidget(self.due, stretch=1)
        form = QFormLayout()
        form.addRow("What:", self.what)
        form.addRow("For:", self.contact)
        form.addRow("When:", due_row)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(False)
        self.what.textChanged.connect(lambda text: ok.setEnabled(bool(text.strip())))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._runner.read(lambda: follow_ups.contacts(account_id), self._set_contacts)

    def _set_contacts(self, contacts: list[tuple[uuid.UUID, str]]) -> None:
        for contact_id, name in contacts:
            self.contact.addItem(name, contact_id)

    def save(self) -> None:
        title = self.what.text()
        day = self.due.date()
        due = date(day.year(), day.month(), day.day()) if self.has_due.isChecked() else None
        contact_id = self.contact.currentData()
        follow_ups, account_id = self._follow_ups, self.account_id

        def write() -> Changes:
            return follow_ups.add(account_id, title, due, contact_id)[1]

        def done(_changes: Changes) -> None:
            self.added.emit()
            self.accept()

        self._runner.write(write, done, self._on_save_failed)

    def _on_save_failed(self, exc: Exception) -> None:
        log.error("adding a follow-up failed", exc_info=exc)
        QMessageBox.warning(self, "New follow-up", in_words(exc, "adding the follow-up"))
