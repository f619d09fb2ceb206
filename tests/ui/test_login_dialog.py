"""The sign-in dialog: nothing a developer left in it, plain words, the keyboard where the
rep starts, and no address taken that is not one."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from ui.login_dialog import LoginDialog


def test_a_first_sign_in_is_not_prefilled_and_speaks_plainly(
    qtbot: QtBot, window_parent: QWidget
) -> None:
    dialog = LoginDialog(None, None, "", window_parent)
    dialog.show()
    qtbot.waitUntil(dialog.server.hasFocus)
    assert dialog.server.text() == "" and "127.0.0.1" not in dialog.server.placeholderText()
    words = " ".join(label.text() for label in dialog.findChildren(QLabel)).lower()
    assert "token" not in words and "keyring" not in words
    dialog.username.setText("ana")
    dialog.password.setText("a long secret")
    dialog.buttons.accepted.emit()
    assert dialog.isVisible() and "server address" in dialog.message.text()
    dialog.server.setText("https://sync.example.com")
    dialog.buttons.accepted.emit()
    assert not dialog.isVisible()
    assert dialog.values() == ("https://sync.example.com", "ana", "a long secret")


def test_signing_in_again_starts_at_the_password(qtbot: QtBot, window_parent: QWidget) -> None:
    dialog = LoginDialog("https://sync.example.com", "ana", "please sign in again", window_parent)
    dialog.show()
    qtbot.waitUntil(dialog.password.hasFocus)
    assert dialog.message.text() == "Please sign in again"
