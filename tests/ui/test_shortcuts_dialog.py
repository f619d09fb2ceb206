"""F1 lists every shortcut of the main window and its pages, grouped, in a window that fits
the screen."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from pytestqt.qtbot import QtBot

from ui.main_window import MainWindow
from ui.screen_fit import available_area
from ui.shortcuts_dialog import SHORTCUT_GROUPS


def test_f1_lists_every_shortcut_of_the_window_grouped_in_a_window_that_fits(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    dialog = window.shortcuts_dialog
    assert dialog is not None and dialog.isVisible()
    text = dialog.text.toPlainText()

    fmt = QKeySequence.SequenceFormat.PortableText
    keys = {a.shortcut().toString(fmt) for a in window.findChildren(QAction)}
    keys |= {s.key().toString(fmt) for s in window.findChildren(QShortcut)}
    keys.discard("")
    missing = sorted(k for k in keys if k not in text)
    assert missing == []
    assert {"Today", "Accounts", "Follow-ups", "Leads", "Visit note"} <= {
        g for g, _ in SHORTCUT_GROUPS
    }
    area = available_area(dialog)
    assert dialog.height() <= area.height() and dialog.width() <= area.width()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
