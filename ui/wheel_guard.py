"""The mouse wheel scrolls the page; it changes a value only in the field the rep is in.

Qt's combo boxes, spin boxes and date fields take a wheel turned over them even without
focus: scrolling down a profile flipped "Relationship status" on the way and saved it.
Worse, their focus policy lets the turn itself give them the keyboard's focus before any
filter sees it. A guarded field is taken only by Tab or a click, and a filter sends a turn
over it without focus to the page's scroll area instead: on each value field
(guard_wheel), or on the whole application (install_wheel_guard). The application's
filter sees every event of every widget, each a call into Python (about 6 µs; a window
being built sends thousands), so a field that guards itself is the cheaper way.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QWheelEvent, QWindow
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QWidget,
)

_VALUE_FIELDS = (QComboBox, QAbstractSpinBox)


class WheelGuard(QObject):
    """Installed on value fields (guard_wheel) or once on the QApplication
    (install_wheel_guard)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # isinstance, not event.type(): this runs for every event the guard sees, and
        # type() makes a Python enum each time (3 µs against 0.5).
        if not isinstance(event, QWheelEvent):
            return False
        if isinstance(watched, QWindow):
            # A turn as the window system delivers it, before Qt hands it to the widget
            # under the pointer (and gives that the focus, if its policy asks for it).
            _no_focus_from_the_wheel(_widget_under(watched, event))
            return False
        if not isinstance(watched, QWidget):
            return False
        field = _value_field_of(watched)
        if field is None or field.hasFocus():
            return False
        scroller = _scroll_area_around(field)
        if scroller is not None:
            QCoreApplication.sendEvent(scroller.viewport(), event)
        return True  # the field never sees it


def _value_field_of(widget: QWidget) -> QWidget | None:
    """The combo or spin box `widget` is, or is part of (its line edit, say)."""
    for candidate in (widget, widget.parentWidget()):
        if isinstance(candidate, _VALUE_FIELDS):
            return candidate
    return None


def _scroll_area_around(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def _widget_under(window: QWindow, event: QWheelEvent) -> QWidget | None:
    for top in QApplication.topLevelWidgets():
        if top.windowHandle() is window:
            return top.childAt(event.position().toPoint())
    return None


def _no_focus_from_the_wheel(widget: QWidget | None) -> None:
    """A value field is focused by Tab or a click, never by the wheel turned over it."""
    field = _value_field_of(widget) if widget is not None else None
    if field is not None and field.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


_guard: WheelGuard | None = None
_installed = False


def _the_guard() -> WheelGuard | None:
    global _guard
    app = QCoreApplication.instance()
    if _guard is None and app is not None:
        _guard = WheelGuard(app)
    return _guard


def guard_wheel(field: QComboBox | QAbstractSpinBox) -> None:
    """Guards one value field: a wheel turned over it while it has no focus scrolls the
    page around it. Only the field's own events reach Python (a turn over its line edit
    comes on to it, as the line edit does not take it)."""
    _no_focus_from_the_wheel(field)
    guard = _the_guard()
    if guard is not None:
        field.installEventFilter(guard)


def install_wheel_guard() -> None:
    """Guards every value field of the application (once; later calls do nothing)."""
    global _installed
    app = QCoreApplication.instance()
    guard = _the_guard()
    if not _installed and app is not None and guard is not None:
        app.installEventFilter(guard)
        _installed = True
