"""The undo bar: a strip in the window that says what just happened, with Undo (or Ctrl+Z)
for a few seconds; never a dialog, and it never takes the keyboard focus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QEnterEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsDropShadowEffect,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QWidget,
)

TIMEOUT_MS = 8_000  # long enough to read a sentence and reach for Undo
FLOAT_MARGIN = 16  # a floating bar's distance from its host's bottom edge
NAME_LIMIT = 60  # a long follow-up or name is cut so the sentence stays one short line

STYLE = """
QFrame#undoBar { background: #e6eef8; border: 1px solid #b7cbe3; border-radius: 6px; }
QFrame#undoBar QLabel { color: #1f2d3d; }
QFrame#undoBar QPushButton { color: #1d5fa8; font-weight: 600; background: transparent;
    border: none; border-radius: 4px; padding: 3px 10px; }
QFrame#undoBar QPushButton:hover { background: #d3e2f3; }
QFrame#undoBar QToolButton { color: #5b6877; border: none; border-radius: 4px; padding: 2px 6px; }
QFrame#undoBar QToolButton:hover { background: #d3e2f3; }
"""


def shorten(text: str, limit: int = NAME_LIMIT) -> str:
    """The text on one line, cut with an ellipsis past `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class UndoOffer:
    """What just happened, as a sentence, and how to take it back: `undo` runs on the GUI
    thread and only starts the write (through the runner)."""

    text: str
    undo: Callable[[], None]


class UndoBar(QFrame):
    """Shows one `UndoOffer` at a time until Undo is pressed, it is dismissed, or its time
    runs out. Ctrl+Z undoes while the focus is in `shortcut_scope` (by default the bar's
    parent, usually the page it sits on).

    One offer per window: a new offer anywhere in the window withdraws the others, so only
    the latest action can be undone and Ctrl+Z is never ambiguous.
    """

    undo_requested = Signal(object)  # UndoOffer: Undo was pressed and its undo started
    expired = Signal()  # the offer ran out and the bar hid itself

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        timeout_ms: int = TIMEOUT_MS,
        shortcut_scope: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("undoBar")
        self.setStyleSheet(STYLE)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._offer: UndoOffer | None = None
        self._floating = False  # over its parent, not in a layout (see `over`)

        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Take it back (Ctrl+Z)")
        self.undo_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.undo_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.undo_button.clicked.connect(self.undo)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.close_button.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 5, 6, 5)
        layout.setSpacing(8)
        layout.addWidget(self.message)
        layout.addWidget(self.undo_button)  # beside the sentence: read, then act
        layout.addStretch(1)
        layout.addWidget(self.close_button)

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(timeout_ms)
        self.timer.timeout.connect(self._on_timer_timeout)

        scope = shortcut_scope if shortcut_scope is not None else parent
        self.shortcut: QShortcut | None = None
        if scope is not None:
            self.shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), scope)
            self.shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.shortcut.setEnabled(False)
            self.shortcut.activated.connect(self.undo)
        self.hide()

    @classmethod
    def over(cls, host: QWidget) -> UndoBar:
        """The undo bar floating over the bottom of `host` (made on first use, then the
        same one): for what a window that closes did, like the ladder dialog's move.
        Ctrl+Z undoes anywhere in host's window."""
        for child in host.findChildren(UndoBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if child._floating:
                return child
        bar = cls(host, shortcut_scope=host.window())
        bar._floating = True
        shadow = QGraphicsDropShadowEffect(bar)  # lifts it off the list it floats over
        shadow.setBlurRadius(18)
        shadow.setOffset(0, 2)
        shadow.setColor(QColor(31, 45, 61, 70))
        bar.setGraphicsEffect(shadow)
        host.installEventFilter(bar)
        return bar

    @property
    def offered(self) -> UndoOffer | None:
        """The offer on show; None once it was taken, dismissed or ran out."""
        return self._offer

    @Slot(object)
    def offer(self, offer: UndoOffer) -> None:
        """Shows what happened with Undo, and starts the countdown again."""
        for other in self.window().findChildren(UndoBar):
            if other is not self:
                other.dismiss()
        self._offer = offer
        self.message.setText(offer.text)
        if self.shortcut is not None:
            self.shortcut.setEnabled(True)
        if self._floating:
            self._place()
            self.raise_()
        self.show()
        self.timer.start()

    @Slot()
    def undo(self) -> None:
        """Takes the offered action back; nothing once the bar has gone."""
        offer = self._offer
        if offer is None:
            return
        self.dismiss()
        offer.undo()
        self.undo_requested.emit(offer)

    @Slot()
    def dismiss(self) -> None:
        """Hides the bar; what happened stays done."""
        self.timer.stop()
        self._offer = None
        if self.shortcut is not None:
            self.shortcut.setEnabled(False)
        self.hide()

    @Slot()
    def _on_timer_timeout(self) -> None:
        if self._offer is None:
            return
        self.dismiss()
        self.expired.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._floating and watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        """Floating: centred near the bottom of the host, as wide as the sentence needs."""
        host = self.parentWidget()
        if host is None:
            return
        hint = self.sizeHint()
        width = max(min(max(hint.width(), 360), host.width() - 2 * FLOAT_MARGIN), 0)
        top = host.height() - hint.height() - FLOAT_MARGIN
        self.setGeometry((host.width() - width) // 2, top, width, hint.height())

    # The countdown waits while the pointer rests on the bar (someone reading or aiming).
    def enterEvent(self, event: QEnterEvent) -> None:
        self.timer.stop()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        if self._offer is not None:
            self.timer.start()
        super().leaveEvent(event)
