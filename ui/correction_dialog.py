"""Correcting a change the server refused (a territory that is not the rep's, say) before
sending it again."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)


class CorrectionDialog(QDialog):
    """One line per value of the refused change; text stays text, other values are JSON."""

    def __init__(
        self, title: str, reason: str, fields: dict[str, Any], parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle("Correct and send again")
        self._original = fields
        self.editors: dict[str, QLineEdit] = {}
        heading = QLabel(f"<b>{title}</b><br>The server said: {reason}")
        heading.setWordWrap(True)
        form = QFormLayout()
        for name, value in fields.items():
            editor = QLineEdit(_as_text(value))
            editor.setPlaceholderText("empty")
            self.editors[name] = editor
            form.addRow(f"{name.replace('_', ' ').capitalize()}:", editor)
        self.message = QLabel()
        self.message.setObjectName("subtitle")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Send again")
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
        self.corrected: dict[str, Any] = {}

    def _on_buttons_accepted(self) -> None:
        corrected: dict[str, Any] = {}
        for name, editor in self.editors.items():
            original = self._original[name]
            try:
                value = _from_text(editor.text(), original)
            except ValueError:
                self.message.setText(f"{name.replace('_', ' ').capitalize()}: not a valid value.")
                editor.setFocus()
                return
            if value != original:
                corrected[name] = value
        self.corrected = corrected
        self.accept()


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _from_text(text: str, original: Any) -> Any:
    text = text.strip()
    if not text:
        return None
    if original is None or isinstance(original, str):
        return text
    return json.loads(text)  # json.JSONDecodeError is a ValueError
