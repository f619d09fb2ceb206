"""How the relationship ladder looks: one colour per rung, a dot icon and a step bar."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QIcon,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from db.enums import LadderRung

RUNG_COLOURS: dict[LadderRung, str] = {
    LadderRung.PROSPECT: "#9aa5b1",
    LadderRung.CUSTOMER: "#4a90d9",
    LadderRung.CLIENT: "#2f9e8f",
    LadderRung.SUPPORTER: "#5fae45",
    LadderRung.ADVOCATE: "#e0a100",
    LadderRung.PARTNER: "#c2581f",
}


def rung_icon(rung: LadderRung) -> QIcon:
    """A filled dot in the rung's colour."""
    return dot_icon(RUNG_COLOURS[rung])


@cache
def dot_icon(colour: str, size: int = 12) -> QIcon:
    """A filled dot of one colour, for table cells."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(QRectF(1, 1, size - 2, size - 2))
    painter.end()
    return QIcon(pixmap)


def step_words(from_rung: LadderRung, to_rung: LadderRung) -> str:
    """'↑ 2 steps up', '↓ 1 step down' or 'current rung'."""
    steps = to_rung.step - from_rung.step
    if steps == 0:
        return "current rung"
    noun = "step" if abs(steps) == 1 else "steps"
    return f"↑ {steps} {noun} up" if steps > 0 else f"↓ {-steps} {noun} down"


class LadderBar(QWidget):
    """The six rungs side by side, those reached filled in the current rung's colour.

    Clickable once `clickable_hint` is set (the account pane opens the ladder dialog)."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None, clickable_hint: str = "") -> None:
        super().__init__(parent)
        self._rung: LadderRung | None = None
        self._hint = clickable_hint
        self.setMinimumHeight(34)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        if clickable_hint:
            self.setCursor(Qt.CursorShape.PointingHandCursor)

    @property
    def rung(self) -> LadderRung | None:
        return self._rung

    def set_rung(self, rung: LadderRung | None) -> None:
        self._rung = rung
        tip = f"Relationship ladder: {rung.label}" if rung else ""
        self.setToolTip(f"{tip}\n{self._hint}" if tip and self._hint else tip)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        inside = self.rect().contains(event.position().toPoint())
        if self._hint and event.button() == Qt.MouseButton.LeftButton and inside:
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def sizeHint(self) -> QSize:
        return QSize(420, 34)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rungs = list(LadderRung)
        gap = 4.0
        width = (self.width() - gap * (len(rungs) - 1)) / len(rungs)
        reached = self._rung.step if self._rung else 0
        colour = QColor(RUNG_COLOURS[self._rung]) if self._rung else QColor("#cccccc")
        plain, bold = self._fitting_fonts(width - 6)
        for i, rung in enumerate(rungs):
            rect = QRectF(i * (width + gap), 0, width, self.height() - 1)
            filled = i < reached
            painter.setPen(QPen(colour if filled else QColor("#c8cdd3"), 1))
            painter.setBrush(colour if filled else QColor("#f4f5f7"))
            painter.drawRoundedRect(rect, 4, 4)
            font = bold if rung is self._rung else plain
            painter.setFont(font)
            painter.setPen(QColor("white") if filled else QColor("#6b7480"))
            label = QFontMetricsF(font).elidedText(
                rung.label, Qt.TextElideMode.ElideRight, rect.width() - 4
            )
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
        painter.end()

    def _fitting_fonts(self, room: float) -> tuple[QFont, QFont]:
        """The widget's font, and its bold, made smaller (down to 7 pt) when the widest
        label does not fit a rung of a narrow bar; beyond that, labels are elided."""
        plain, bold = QFont(self.font()), QFont(self.font())
        bold.setBold(True)
        widest = max(LadderRung, key=lambda r: QFontMetricsF(bold).horizontalAdvance(r.label))
        size = plain.pointSizeF()  # -1 for a font sized in pixels: left as it is
        while size > 7 and QFontMetricsF(bold).horizontalAdvance(widest.label) > room:
            size -= 0.5
            plain.setPointSizeF(size)
            bold.setPointSizeF(size)
        return plain, bold
