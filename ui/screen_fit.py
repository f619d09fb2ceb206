"""Windows that open within the screen they are on: a 1366x768 laptop shows about 1366x728
once the task bar is left out, and a window taller than that hides its buttons."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QSize
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

# What the window manager adds around a window (title bar, borders): not known before the
# window is first shown, so this much is kept free.
FRAME = QSize(16, 40)


def available_area(widget: QWidget) -> QRect:
    """The usable part of the screen `widget` (or its parent) is on."""
    screen = (widget.parentWidget() or widget).screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fit_to_screen(widget: QWidget, size: QSize, area: QRect | None = None) -> QSize:
    """Resizes `widget` to `size`, or smaller to fit `area` (the screen's available area)
    with its frame, and returns the size given."""
    area = area or available_area(widget)
    fitted = size.boundedTo(area.size() - FRAME).expandedTo(widget.minimumSizeHint())
    fitted = fitted.boundedTo(area.size() - FRAME)  # a minimum larger than the screen loses
    widget.resize(fitted)
    return fitted


def place_on_screen(widget: QWidget, size: QSize, area: QRect | None = None) -> None:
    """A top-level window at `size` (fitted) in the middle of `area`."""
    area = area or available_area(widget)
    fitted = fit_to_screen(widget, size, area)
    widget.move(area.center().x() - fitted.width() // 2, area.center().y() - fitted.height() // 2)


def restore_or_place(
    widget: QWidget, saved: QByteArray | bytes | None, size: QSize, area: QRect | None = None
) -> bool:
    """The window where the rep left it (`saved`: QWidget.saveGeometry's bytes), if that
    still lies within a screen; otherwise placed afresh. Says whether it was restored."""
    if saved and widget.restoreGeometry(QByteArray(saved)):
        frame = widget.geometry()
        screens = [area] if area is not None else [s.availableGeometry() for s in _all_screens()]
        # On a screen still there (a laptop undocked from its big monitor), and not larger.
        if any(screen.contains(frame) for screen in screens):
            return True
    place_on_screen(widget, size, area)
    return False


def _all_screens() -> list[QScreen]:
    return list(QGuiApplication.screens())
