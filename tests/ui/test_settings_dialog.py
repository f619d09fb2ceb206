"""File > Settings (Ctrl+,) on a real window: what it saves comes back from the file and
sets the idle lock at once; a CA file that is no PEM certificate is refused in the dialog,
with nothing saved; hand-edited nonsense in the file shows as the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from desktop.app_settings import SETTINGS_FILE, AppSettings
from ui.main_window import MainWindow
from ui.settings_dialog import SettingsDialog


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "settings-folder"


def open_settings(qtbot: QtBot, window: MainWindow, settings: AppSettings) -> SettingsDialog:
    window.set_settings(settings)
    assert window.settings_dialog is None  # never opened by itself
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == [window]
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    dialog = window.settings_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def press_ok(dialog: SettingsDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def test_saved_settings_come_back_and_set_the_idle_lock(
    qtbot: QtBot, window: MainWindow, folder: Path, tmp_path: Path
) -> None:
    dialog = open_settings(qtbot, window, AppSettings(folder))
    assert dialog.minutes.value() == 15 and dialog.ca_file.text() == ""
    assert window.idle_watch.timeout_ms == 15 * 60_000  # the default, from the settings
    pem = tmp_path / "company-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(pem))

    dialog.minutes.setValue(30)
    dialog.ca_file.setText(str(pem))
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        press_ok(dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    again = AppSettings(folder)
    assert (again.idle_lock_minutes, again.ca_file) == (30, str(pem))
    assert window.idle_watch.timeout_ms == 30 * 60_000 and window.idle_watch.active

    qtbot.waitUntil(lambda: window.settings_dialog is None)  # freed once closed
    dialog = open_settings(qtbot, window, again)
    assert dialog.minutes.value() == 30 and dialog.ca_file.text() == str(pem)
    dialog.minutes.setValue(0)
    assert dialog.minutes.text() == "Never"
    dialog.ca_file.clear()
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        press_ok(dialog)
    assert (AppSettings(folder).idle_lock_minutes, AppSettings(folder).ca_file) == (0, None)
    assert not window.idle_watch.active  # never


def test_a_file_that_is_no_certificate_is_refused_in_place_and_nothing_is_saved(
    qtbot: QtBot, window: MainWindow, folder: Path, tmp_path: Path
) -> None:
    dialog = open_settings(qtbot, window, AppSettings(folder))
    not_pem = tmp_path / "minutes-of-the-meeting.txt"
    not_pem.write_text("Not a certificate at all\n")
    dialog.minutes.setValue(5)
    dialog.ca_file.setText(str(not_pem))
    press_ok(dialog)
    qtbot.waitUntil(lambda: "PEM" in dialog.problem.text(), timeout=5000)
    assert dialog.problem.text() == (
        "The file minutes-of-the-meeting.txt holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
    )
    assert dialog.isVisible() and QApplication.activeModalWidget() is dialog  # no message box
    assert not (folder / SETTINGS_FILE).exists()
    assert window.idle_watch.timeout_ms == 15 * 60_000

    dialog.ca_file.setText(str(tmp_path / "gone.pem"))
    press_ok(dialog)
    qtbot.waitUntil(
        lambda: dialog.problem.text() == "The file gone.pem was not found", timeout=5000
    )
    assert not (folder / SETTINGS_FILE).exists()


def test_hand_edited_nonsense_shows_as_the_defaults(
    qtbot: QtBot, window: MainWindow, folder: Path
) -> None:
    folder.mkdir()
    (folder / SETTINGS_FILE).write_text("[lock]\nidle_minutes=forever\n[sync]\nca_file=ca.pem\n")
    dialog = open_settings(qtbot, window, AppSettings(folder))
    assert dialog.minutes.value() == 15 and dialog.ca_file.text() == ""
