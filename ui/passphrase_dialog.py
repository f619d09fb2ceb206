"""The store's passphrase, asked at start where no keyring can keep its key."""

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

from ui.icons import icon


class PassphraseDialog(QDialog):
    """Asks for the passphrase that unlocks the store; a new one is typed twice."""

    def __init__(
        self, *, new: bool, min_length: int, message: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Unlock your territory" if not new else "Protect your territory")
        self.setWindowIcon(icon("lock"))
        self._new, self._min_length = new, min_length
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow("Passphrase:", self.passphrase)
        if new:
            form.addRow("Again:", self.again)
        self.message = QLabel(message[:1].upper() + message[1:])
        self.message.setWordWrap(True)
        self.message.setObjectName("subtitle")
        intro = QLabel(
            f"Choose a passphrase of at least {min_length} characters. Your territory is "
            "encrypted on this laptop with it, because this computer has no keyring to keep "
            "a key. Nobody can recover it: without it, the territory must be downloaded again "
            "and unsent changes are lost."
            if new
            else "Your territory on this laptop is encrypted. Type its passphrase to open it."
        )
        intro.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Open")
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)
        self.passphrase.setFocus(Qt.FocusReason.OtherFocusReason)

    def value(self) -> str:
        return self.passphrase.text()

    def _on_buttons_accepted(self) -> None:
        typed = self.passphrase.text()
        if not typed:
            self.message.setText("Type the passphrase.")
        elif self._new and len(typed) < self._min_length:
            self.message.setText(f"A passphrase needs at least {self._min_length} characters.")
        elif self._new and self.again.text() != typed:
            self.message.setText("The two passphrases differ: type the same one twice.")
        else:
            self.accept()
