"""How the relationship ladder looks: one colour per rung, a dot icon and a step bar."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPaintEvent, QPen, QPixmap
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


class LadderBar(QWidget):
    """The six rungs side by side, those reached filled in the current rung's colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rung: LadderRung | None = None
        self.setMinimumHeight(34)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rung(self, rung: LadderRung | None) -> None:
        self._rung = rung
        self.setToolTip(f"Relationship ladder: {rung.label}" if rung else "")
        self.update()

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
        for i, rung in enumerate(rungs):
            rect = QRectF(i * (width + gap), 0, width, self.height() - 1)
            filled = i < reached
            painter.setPen(QPen(colour if filled else QColor("#c8cdd3"), 1))
            painter.setBrush(colour if filled else QColor("#f4f5f7"))
            painter.drawRoundedRect(rect, 4, 4)
            font = painter.font()
            font.setBold(rung is self._rung)
            painter.setFont(font)
            painter.setPen(QColor("white") if filled else QColor("#6b7480"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, rung.label)
        painter.end()
