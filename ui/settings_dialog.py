"""File > Settings (Ctrl+,): the minutes without use before the window locks, and a company
CA certificate for the sync server, checked before anything is saved."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from db.errors import in_words
from ui.tasks import Runner
from ui.window_runner import WindowRunner

log = logging.getLogger(__name__)

MAX_IDLE_MINUTES = 240  # desktop.app_settings checks the same bounds when it saves
CHECKING_CA = "Checking the certificate…"
PEM_FILTER = "Certificates (*.pem *.crt *.cer);;All files (*)"


class SettingsBackend(Protocol):
    """What the dialog needs of desktop/ (desktop.app_settings.AppSettings)."""

    @property
    def idle_lock_minutes(self) -> int: ...

    @property
    def ca_file(self) -> str | None: ...

    def ca_file_problem(self, path: str) -> str | None:
        """Why the file cannot be a company CA (None: it can). Reads it: off the GUI thread."""
        ...

    def save(self, idle_lock_minutes: int, ca_file: str | None) -> None: ...


class SettingsDialog(QDialog):
    """The settings as they are; OK checks the CA file (off the GUI thread) and saves both,
    or says on one line why the file was refused and saves nothing."""

    saved = Signal()

    def __init__(
        self, runner: Runner, settings: SettingsBackend, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._runner = WindowRunner(runner, self)
        self.released = self._runner.released
        self._settings = settings
        self._checking = False

        self.minutes = QSpinBox()
        self.minutes.setRange(0, MAX_IDLE_MINUTES)
        self.minutes.setSpecialValueText("Never")  # shown for 0
        self.minutes.setSuffix(" minutes")
        self.minutes.setFixedWidth(140)
        minutes_row = QHBoxLayout()
        minutes_row.addWidget(self.minutes)
        minutes_row.addWidget(QLabel("without use"))
        minutes_row.addStretch(1)
        minutes_hint = QLabel(
            "Unlock with your passphrase or your server password; sync goes on while the "
            "window is locked. 0 minutes: never."
        )
        minutes_hint.setWordWrap(True)
        minutes_hint.setObjectName("subtitle")

        self.ca_file = QLineEdit()
        self.ca_file.setPlaceholderText("None")
        self.ca_file.setClearButtonEnabled(True)
        self.choose_button = QPushButton("Choose…")
        self.choose_button.clicked.connect(self.choose_ca_file)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, stretch=1)
        ca_row.addWidget(self.choose_button)
        ca_hint = QLabel(
            "Only if your company's server has a certificate from its own authority: the "
            "PEM file your IT team gives you."
        )
        ca_hint.setWordWrap(True)
        ca_hint.setObjectName("subtitle")

        self.problem = QLabel()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setStyleSheet("color: #a12a1f;")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(6)
        form.addRow("Lock the window after:", minutes_row)
        form.addRow("", minutes_hint)
        form.addRow(_gap())
        form.addRow("Company CA certificate:", ca_row)
        form.addRow("", ca_hint)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 18, 18, 14)
        layout.addLayout(form)
        layout.addSpacing(6)
        layout.addWidget(self.problem)
        layout.addSpacing(6)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        self.load()

    def load(self) -> None:
        """Shows the settings as saved."""
        self.minutes.setValue(self._settings.idle_lock_minutes)
        self.ca_file.setText(self._settings.ca_file or "")
        self.problem.clear()

    @Slot()
    def choose_ca_file(self) -> None:
        current = self.ca_file.text().strip()
        start = str(Path(current).parent) if current else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Company CA certificate", start, PEM_FILTER)
        if path:
            self.ca_file.setText(path)
            self.problem.clear()

    @Slot()
    def _on_buttons_accepted(self) -> None:
        if self._checking:
            return
        minutes, path = self.minutes.value(), self.ca_file.text().strip()
        if not path:
            self._save(minutes, None)
            return
        self._checking = True
        self._ok_button.setEnabled(False)
        self.problem.setText(CHECKING_CA)
        settings = self._settings
        self._runner.network(
            lambda: settings.ca_file_problem(path),
            lambda problem: self._on_ca_checked(minutes, path, problem),
            self._on_ca_check_failed,
        )

    def _on_ca_checked(self, minutes: int, path: str, problem: str | None) -> None:
        self._checking = False
        self._ok_button.setEnabled(True)
        if problem is not None:
            self.problem.setText(problem[:1].upper() + problem[1:])
            self.ca_file.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self._save(minutes, path)

    def _on_ca_check_failed(self, exc: Exception) -> None:
        self._checking = False
        self._ok_button.setEnabled(True)
        self.problem.setText(f"The certificate could not be checked: {in_words(exc)}")

    def _save(self, minutes: int, ca_file: str | None) -> None:
        try:
            self._settings.save(minutes, ca_file)
        except (OSError, ValueError) as exc:
            log.warning("the settings were not saved", exc_info=True)
            reason = str(exc) if isinstance(exc, ValueError) else in_words(exc)
            self.problem.setText(f"Not saved: {reason}")
            return
        self.problem.clear()
        self.saved.emit()
        self.accept()

    @property
    def _ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)


def _gap() -> QWidget:
    gap = QWidget()
    gap.setFixedHeight(8)
    return gap
