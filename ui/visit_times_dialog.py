"""Correcting a visit's check-in and check-out times (checked in from the car park, forgot to
check out): written as an edit like any other, so the correction syncs."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QDateTime, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from db.dates import QT_DATE_TIME_FORMAT
from db.errors import StoreUserError, in_words
from ui.tasks import Runner
from ui.window_runner import WindowRunner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.changes import Changes
    from db.field.notes import NoteBook

EARLIEST = QDateTime(QDate(2000, 1, 1), QTime(0, 0))  # the store refuses earlier ones too

log = logging.getLogger(__name__)


def to_qt(moment: datetime) -> QDateTime:
    """`moment` as the editors show it: in this computer's time zone."""
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))


def from_qt(shown: QDateTime) -> datetime:
    """What an editor shows, as an aware moment to the minute."""
    return datetime.fromtimestamp(shown.toSecsSinceEpoch(), UTC).replace(second=0)


class VisitTime:
    """One of the two times: a box (ticked: the visit has this time) and its editor."""

    def __init__(self, label: str, moment: datetime | None, fallback: datetime) -> None:
        self.original = moment
        self.box = QCheckBox(label)
        self.box.setChecked(moment is not None)
        self.edit = QDateTimeEdit(to_qt(moment or fallback))
        self.edit.setDisplayFormat(QT_DATE_TIME_FORMAT)
        self.edit.setCalendarPopup(True)
        self.edit.setMinimumDateTime(EARLIEST)
        self.edit.setEnabled(moment is not None)
        self.box.toggled.connect(self.edit.setEnabled)
        self._shown = self.edit.dateTime()

    def value(self) -> datetime | None:
        """The time as corrected; an untouched one is the stored one, to the microsecond
        (so it is not written again)."""
        if not self.box.isChecked():
            return None
        if self.original is not None and self.edit.dateTime() == self._shown:
            return self.original
        return from_qt(self.edit.dateTime())


class VisitTimesDialog(QDialog):
    """The check-in and check-out of one note, corrected; freed once closed. A refusal (out
    before in, a time in the future) is shown here in words, and nothing is written."""

    saved = Signal()

    def __init__(
        self,
        runner: Runner,
        book: NoteBook,
        note_id: uuid.UUID,
        check_in_at: datetime | None,
        check_out_at: datetime | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = WindowRunner(runner, self)
        self.released = self._runner.released
        self._book = book
        self.note_id = note_id
        self.setWindowTitle("Correct visit times")

        now = datetime.now(UTC)
        self.check_in = VisitTime("Checked in", check_in_at, check_out_at or now)
        self.check_out = VisitTime("Checked out", check_out_at, max(check_in_at or now, now))
        explain = QLabel(
            "When the visit really started and ended, in this computer's time zone. "
            "Untick a time the visit should not have."
        )
        explain.setWordWrap(True)
        explain.setObjectName("subtitle")
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        for row, time in enumerate((self.check_in, self.check_out)):
            grid.addWidget(time.box, row, 0)
            grid.addWidget(time.edit, row, 1)
        grid.setColumnStretch(1, 1)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setObjectName("warning")
        self.error.setStyleSheet("color: #b3261e;")
        self.error.hide()
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self._buttons.button(QDialogButtonBox.StandardButton.Save)
        self._buttons.accepted.connect(self.save)
        self._buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(10)
        layout.addWidget(explain)
        layout.addLayout(grid)
        layout.addWidget(self.error)
        layout.addWidget(self._buttons)
        self.setMinimumWidth(420)
        self.check_in.edit.setFocus()

    def save(self) -> None:
        """Writes the corrected times (off the GUI thread); closes once they are stored."""
        check_in_at, check_out_at = self.check_in.value(), self.check_out.value()
        book, note_id = self._book, self.note_id
        self.save_button.setEnabled(False)
        self.error.hide()
        self._runner.write(
            lambda: book.correct_times(note_id, check_in_at, check_out_at),
            self._on_saved,
            self._on_refused,
        )

    def _on_saved(self, _changes: Changes) -> None:
        self.saved.emit()
        self.accept()

    def _on_refused(self, exc: Exception) -> None:
        self.save_button.setEnabled(True)
        if not isinstance(exc, StoreUserError):
            log.error("correcting a visit's times failed", exc_info=exc)
        self.error.setText(in_words(exc, "correcting the times"))
        self.error.show()
        self.show()  # cancelled meanwhile: the refusal is still shown
        self.adjustSize()  # room for the message, the editors keep theirs
