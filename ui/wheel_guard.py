"""The mouse wheel scrolls the page; it changes a value only in the field the rep is in.

Qt's combo boxes, spin boxes and date fields take a wheel turned over them even without
focus: scrolling down a profile flipped "Relationship status" on the way and saved it.
One filter on the application sends such a turn to the page's scroll area instead.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QComboBox, QWidget

_VALUE_FIELDS = (QComboBox, QAbstractSpinBox)


class WheelGuard(QObject):
    """Install once on the QApplication (install_wheel_guard)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget):
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


_installed: WheelGuard | None = None


def install_wheel_guard() -> None:
    """Guards every value field of the application (once; later calls do nothing)."""
    global _installed
    app = QCoreApplication.instance()
    if _installed is None and app is not None:
        _installed = WheelGuard(app)
        app.installEventFilter(_installed)
