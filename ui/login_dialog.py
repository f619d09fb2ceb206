"""Signing in to the company's sync server."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

SERVER_HINT = "https://sync.example.com"


class LoginDialog(QDialog):
    """Server address, user name and password; checks them before it closes."""

    def __init__(
        self,
        server: str | None,
        username: str | None,
        message: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to sync")
        self.server = QLineEdit(server or "")
        self.server.setPlaceholderText(SERVER_HINT)
        self.server.setToolTip("Your company's sync server: your sales operations team knows it")
        self.username = QLineEdit(username or "")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel(message[:1].upper() + message[1:])
        self.message.setWordWrap(True)
        self.message.setObjectName("subtitle")
        form = QFormLayout()
        form.addRow("Server:", self.server)
        form.addRow("User name:", self.username)
        form.addRow("Password:", self.password)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in and sync")
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Sign in with the user name and password your company gave you, to send your "
            "changes and receive your territory's."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        first_empty = next(
            (box for box in (self.server, self.username) if not box.text()), self.password
        )
        first_empty.setFocus(Qt.FocusReason.OtherFocusReason)

    def values(self) -> tuple[str, str, str]:
        return self.server.text().strip(), self.username.text().strip(), self.password.text()

    def _on_buttons_accepted(self) -> None:
        server, username, password = self.values()
        if not server:
            self.message.setText(
                "Enter your company's server address (your sales operations team knows it)."
            )
        elif not server.startswith(("http://", "https://")):
            self.message.setText("The server address starts with http:// or https://.")
        elif not username or not password:
            self.message.setText("Enter your user name and password.")
        else:
            self.accept()
