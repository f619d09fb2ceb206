"""The store's passphrase dialog: a new passphrase typed twice and long enough, inline."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from db.store.cipher import WrongStoreKey
from desktop.app import _passphrase_would_help
from desktop.store_key import PassphraseNeeded, StoreKeyUnavailable
from ui.passphrase_dialog import PassphraseDialog


def test_a_new_passphrase_is_checked_inline(qtbot: QtBot) -> None:
    dialog = PassphraseDialog(new=True, min_length=12)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.passphrase.hasFocus() or dialog.focusWidget() is dialog.passphrase
    dialog.passphrase.setText("short")
    dialog._on_buttons_accepted()
    assert "at least 12" in dialog.message.text() and dialog.result() == 0
    dialog.passphrase.setText("a long enough one")
    dialog.again.setText("a long enough on")
    dialog._on_buttons_accepted()
    assert "differ" in dialog.message.text() and dialog.result() == 0
    dialog.again.setText("a long enough one")
    with qtbot.wait_signal(dialog.accepted):
        dialog._on_buttons_accepted()
    assert dialog.value() == "a long enough one"


def test_an_existing_passphrase_is_asked_once_and_a_wrong_one_said(qtbot: QtBot) -> None:
    dialog = PassphraseDialog(new=False, min_length=12, message="that passphrase is wrong")
    qtbot.addWidget(dialog)
    assert not dialog.again.isVisibleTo(dialog)
    assert dialog.message.text().startswith("That passphrase is wrong")
    dialog.passphrase.setText("x")  # an old one may be shorter than today's minimum
    with qtbot.wait_signal(dialog.accepted):
        dialog._on_buttons_accepted()


def test_the_app_asks_again_only_when_a_passphrase_can_help() -> None:
    assert _passphrase_would_help(PassphraseNeeded("locked", new=False), typed=False)
    assert _passphrase_would_help(WrongStoreKey("wrong"), typed=True)
    assert not _passphrase_would_help(WrongStoreKey("wrong"), typed=False)  # keyring's key
    assert not _passphrase_would_help(StoreKeyUnavailable("no key"), typed=False)
