"""A wheel over an unfocused value field scrolls the page: field by field, or app-wide."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QDate, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateEdit,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from ui import wheel_guard
from ui.wheel_guard import guard_wheel, install_wheel_guard


def wheel_over(widget: QWidget, steps: int) -> None:
    """A mouse wheel turned `steps` notches (negative: towards the rep) over `widget`."""
    at = QPointF(widget.rect().center())
    event = QWheelEvent(
        at,
        QPointF(widget.mapToGlobal(at.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def wheel_turned_over(widget: QWidget, steps: int) -> None:
    """A wheel turned over `widget` as a mouse turns it: to the window under the pointer,
    which hands it to the widget there (a date field's line edit), and on up its parents."""
    window = widget.window()
    handle = window.windowHandle()
    assert handle is not None
    QTest.wheelEvent(handle, widget.mapTo(window, widget.rect().center()), QPoint(0, 120 * steps))


def page_with(qtbot: QtBot, *fields: QWidget) -> QScrollArea:
    """A small scrolling page: a text field with the keyboard's focus, the fields, then a
    tall filler."""
    page = QWidget()
    column = QVBoxLayout(page)
    typing = QLineEdit()
    column.addWidget(typing)
    for field in fields:
        column.addWidget(field)
    filler = QWidget()
    filler.setMinimumHeight(2000)
    column.addWidget(filler)
    scroll = QScrollArea()
    scroll.setWidget(page)
    scroll.resize(300, 200)
    qtbot.addWidget(scroll)
    scroll.show()
    qtbot.waitUntil(lambda: scroll.verticalScrollBar().maximum() > 0)
    scroll.activateWindow()
    typing.setFocus()
    qtbot.waitUntil(typing.hasFocus)
    return scroll


def fields() -> tuple[QComboBox, QDateEdit]:
    combo = QComboBox()
    combo.addItems(["—", "Married", "Single"])
    return combo, QDateEdit(QDate(2001, 6, 9))


@pytest.fixture
def without_the_applications_guard() -> Iterator[None]:
    """The application's guard off while the test runs (another test may have put it on:
    a field guarded on its own must not need it)."""
    app = QApplication.instance()
    guard = wheel_guard._guard
    on = wheel_guard._installed and app is not None and guard is not None
    if on:
        app.removeEventFilter(guard)
    yield
    if on:
        app.installEventFilter(guard)


def test_a_field_guarded_on_its_own_lets_the_page_scroll(
    qtbot: QtBot, without_the_applications_guard: None
) -> None:
    combo, date = fields()
    guard_wheel(combo)
    guard_wheel(date)
    scroll = page_with(qtbot, combo, date)
    bar = scroll.verticalScrollBar()
    for field, value in ((combo, combo.currentText), (date, date.date)):
        before, at = value(), bar.value()
        wheel_over(field, -1)
        assert value() == before
        assert bar.value() > at  # the page scrolled instead
    for field, value in ((combo, combo.currentText), (date, date.date)):
        bar.setValue(0)  # the field in sight, under the pointer
        before, at = value(), bar.value()
        wheel_turned_over(field, -1)  # over a date field's text: its line edit's first
        assert value() == before
        assert bar.value() > at
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    wheel_over(combo, -1)  # the field the rep is in: the wheel is theirs to use
    assert combo.currentText() == "Married"


def test_the_applications_guard_covers_fields_not_guarded_on_their_own(
    qtbot: QtBot,
) -> None:
    install_wheel_guard()
    combo, date = fields()
    scroll = page_with(qtbot, combo, date)
    bar = scroll.verticalScrollBar()
    for turn in (wheel_over, wheel_turned_over):
        for field in (combo, date):
            bar.setValue(0)  # the field in sight, under the pointer
            turn(field, -1)
            assert bar.value() > 0
        assert combo.currentText() == "—" and date.date() == QDate(2001, 6, 9)
