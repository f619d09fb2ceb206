"""Marketing holds for one account: ask marketing to leave a contact alone (one campaign or
all) until a date, see the holds that run, lift one early. They reach marketing's
suppression list with the next sync."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.dates import QT_DATE_FORMAT
from db.errors import in_words
from ui.account_pane import section_title
from ui.screen_fit import fit_to_screen
from ui.tasks import Runner
from ui.window_runner import WindowRunner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.changes import Changes
    from db.field.holds import ContactHolds, HoldRow

DEFAULT_DAYS = 60

log = logging.getLogger(__name__)


class HoldDialog(QDialog):
    """Places and lifts one account's holds; freed once closed (and its writes are done)."""

    changed = Signal()

    def __init__(
        self, runner: Runner, holds: ContactHolds, account_id: uuid.UUID, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self._runner = WindowRunner(runner, self)
        self.released = self._runner.released
        self._holds = holds
        self.account_id = account_id
        self.setWindowTitle("Marketing holds")
        fit_to_screen(self, QSize(560, 420))
        self.running = QListWidget()
        self.lift_button = QPushButton("Lift hold")
        self.lift_button.setToolTip("Marketing may write to them again")
        self.lift_button.clicked.connect(self.lift_selected)
        self.contact = QComboBox()
        self.campaign = QLineEdit()
        self.campaign.setPlaceholderText("Empty: all campaigns")
        self.until = QDateEdit(QDate.currentDate().addDays(DEFAULT_DAYS))
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat(QT_DATE_FORMAT)
        self.until.setMinimumDate(QDate.currentDate().addDays(1))
        self.until.setMaximumDate(QDate.currentDate().addDays(365))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("e.g. in final negotiation; please pause the nurture")
        self.place_button = QPushButton("Ask marketing to hold off")
        self.place_button.clicked.connect(self.place)
        self._said = QLabel()
        self._said.setObjectName("subtitle")
        form = QFormLayout()
        form.addRow("Contact:", self.contact)
        form.addRow("Campaign:", self.campaign)
        form.addRow("Until:", self.until)
        form.addRow("Why:", self.reason)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        footer = QHBoxLayout()
        footer.addWidget(self._said, stretch=1)
        footer.addWidget(close)
        lift_row = QHBoxLayout()
        lift_row.addStretch(1)
        lift_row.addWidget(self.lift_button)
        layout = QVBoxLayout(self)
        layout.addWidget(section_title("Holds running now"))
        layout.addWidget(self.running, stretch=1)
        layout.addLayout(lift_row)
        layout.addWidget(section_title("New hold"))
        layout.addLayout(form)
        layout.addWidget(self.place_button)
        layout.addLayout(footer)
        self._runner.read(lambda: holds.contacts(account_id), self._set_contacts)
        self.reload()

    def _set_contacts(self, contacts: list[tuple[uuid.UUID, str]]) -> None:
        for contact_id, name in contacts:
            self.contact.addItem(name, contact_id)
        self.place_button.setEnabled(bool(contacts))

    def reload(self) -> None:
        holds, account_id = self._holds, self.account_id
        self._runner.read(lambda: holds.active(account_id), self._show)

    def _show(self, rows: list[HoldRow]) -> None:
        self.running.clear()
        for row in rows:
            item = QListWidgetItem(row.describe + (f" — {row.reason}" if row.reason else ""))
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.running.addItem(item)
        if not rows:
            self.running.addItem("None: marketing may write to everyone here.")
        self.lift_button.setEnabled(bool(rows))

    def place(self) -> None:
        contact_id = self.contact.currentData()
        if contact_id is None:
            return
        day = self.until.date()
        until = date(day.year(), day.month(), day.day())
        campaign, reason = self.campaign.text(), self.reason.text()
        holds = self._holds
        self._write(lambda: holds.place(contact_id, until, campaign, reason)[1], "Placed.")

    def lift_selected(self) -> None:
        item = self.running.currentItem()
        hold_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if hold_id is not None:
            holds = self._holds
            self._write(lambda: holds.lift(hold_id), "Lifted.")

    def _write(self, write: Callable[[], Changes], said: str) -> None:
        def done(_changes: Changes) -> None:
            self._said.setText(f"{said} Marketing hears of it at the next sync.")
            self.campaign.clear()
            self.reason.clear()
            self.changed.emit()
            self.reload()

        self._runner.write(write, done, self._on_write_failed)

    def _on_write_failed(self, exc: Exception) -> None:
        log.error("placing or lifting a marketing hold failed", exc_info=exc)
        QMessageBox.warning(self, "Marketing holds", in_words(exc, "changing the hold"))
