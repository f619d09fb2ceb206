"""Windows open within the screen: a 1366x768 laptop (1366x728 without its task bar) sees
the whole main window, its status bar and the account pane's buttons; the window comes
back where the rep left it, unless that place is off every screen now."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSettings
from pytestqt.qtbot import QtBot

from desktop.app import GEOMETRY_KEY, _saved_geometry
from tests.ui.conftest import search_to_acme
from ui import screen_fit
from ui.account_pane import NARROW_WIDTH
from ui.main_window import PREFERRED_SIZE, MainWindow
from ui.screen_fit import FRAME, place_on_screen, restore_or_place

LAPTOP = QRect(0, 0, 1366, 728)
DESKTOP = QRect(0, 0, 1920, 1040)


def within(window: MainWindow, area: QRect) -> bool:
    return area.contains(window.frameGeometry())


def test_the_main_window_fits_a_laptop_screen_and_fills_a_big_one(window: MainWindow) -> None:
    place_on_screen(window, PREFERRED_SIZE, LAPTOP)
    assert within(window, LAPTOP)
    assert window.width() >= 1300 and window.height() >= 660  # fitted, not shrunk to nothing
    place_on_screen(window, PREFERRED_SIZE, DESKTOP)
    assert window.size() == PREFERRED_SIZE and within(window, DESKTOP)


def test_the_window_comes_back_where_it_was_left_unless_that_is_off_screen(
    tmp_path: Path, window: MainWindow
) -> None:
    window.setGeometry(100, 80, 1000, 600)
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    settings.setValue(GEOMETRY_KEY, window.saveGeometry())
    settings.sync()
    saved = _saved_geometry(QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat))

    window.setGeometry(0, 0, 900, 560)
    assert restore_or_place(window, saved, PREFERRED_SIZE, DESKTOP)
    assert window.geometry() == QRect(100, 80, 1000, 600)
    # Left on a second monitor that is gone: placed afresh on the laptop's screen.
    window.setGeometry(1500, 80, 1200, 700)
    elsewhere = window.saveGeometry().data()
    assert not restore_or_place(window, elsewhere, PREFERRED_SIZE, LAPTOP)
    assert within(window, LAPTOP)
    assert not restore_or_place(window, b"not a geometry", PREFERRED_SIZE, LAPTOP)
    assert within(window, LAPTOP)


def test_the_account_pane_reflows_when_narrow(qtbot: QtBot, window: MainWindow) -> None:
    search_to_acme(qtbot, window)
    pane = window.accounts_page.pane
    facts_right = pane._facts["Account team"]  # the last fact

    window.resize(1440, 860)
    qtbot.waitUntil(lambda: pane.width() >= NARROW_WIDTH)
    qtbot.wait(50)
    beside = pane.ladder_button.mapTo(pane, pane.ladder_button.rect().topLeft())
    team = facts_right.mapTo(pane, facts_right.rect().topLeft())
    assert beside.y() < team.y()  # beside the facts, at their top

    window.resize(900, 560)  # the smallest window
    qtbot.waitUntil(lambda: pane.width() < NARROW_WIDTH)
    qtbot.wait(50)
    under = pane.ladder_button.mapTo(pane, pane.ladder_button.rect().topLeft())
    team = facts_right.mapTo(pane, facts_right.rect().topLeft())
    assert under.y() > team.y()  # under them: the facts keep the width
    # Nothing overlaps: each fact's row lies below the one before.
    tops = [
        pane._facts[key].mapTo(pane, pane._facts[key].rect().topLeft()).y() for key in pane._facts
    ]
    heights = [pane._facts[key].height() for key in pane._facts]
    assert all(tops[i] + heights[i] <= tops[i + 1] for i in range(len(tops) - 1))
    assert window.accounts_page.search_box.width() >= 200  # the filter went under it


def test_every_dialog_keeps_its_buttons_on_a_laptop_screen(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(screen_fit, "available_area", lambda _widget: LAPTOP)
    search_to_acme(qtbot, window)
    pane = window.accounts_page.pane
    assert pane.detail is not None
    acme, contact = pane.detail.id, pane.detail.contacts[0].id
    window.new_note(acme, None)
    qtbot.waitUntil(lambda: bool(window.note_drafts), timeout=5000)
    window._show_shortcuts()
    window.open_holds(acme)
    opened = [
        window.open_briefing(acme, None),
        window.open_profile(contact),
        window.open_ladder(acme),
        *window.note_drafts.values(),
        window.shortcuts_dialog,
        window.hold_dialog,
    ]
    for dialog in opened:
        assert dialog is not None
        frame = dialog.size() + FRAME
        assert frame.width() <= LAPTOP.width() and frame.height() <= LAPTOP.height(), dialog
