"""The Search screen: one box over accounts, contacts, visit notes and invoice and ticket
numbers, names first, each result saying why it matched."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from db.errors import in_words
from db.labels import plural
from ui.account_pane import make_table
from ui.models.table import ROW_ROLE, Column, RowTableModel
from ui.tasks import Runner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.search import SearchIndex, SearchResult

SEARCH_DEBOUNCE_MS = 150
RESULT_LIMIT = 100
HINT = "Type a name, words from a note, or an invoice or ticket number."
PLACEHOLDER = "Search everything: accounts, contacts, visit notes, invoice and ticket numbers"

HIT_COLUMNS: list[Column[SearchResult]] = [
    Column("Account", lambda r: r.account_name, tooltip=lambda r: r.account_name),
    Column("Why it matched", lambda r: r.reason, tooltip=lambda r: r.reason),
]
REASON_COLUMN = 1
ACCOUNT_COLUMN_ROOM = 16  # px after the longest account name


def summary(count: int, text: str, limit: int = RESULT_LIMIT) -> str:
    """The line above the results: '1 match for “acme”', or what to do when none are."""
    typed = text.strip()
    if not typed:
        return HINT
    if not count:
        return f"Nothing matches “{typed}”. Words match from their start: “hamb” finds Hamburg."
    if count >= limit:  # there may be more: say these are the best, and how to get fewer
        best = plural(count, "best match", "best matches")
        return f"The {best} for “{typed}”; type more to narrow them."
    return f"{plural(count, 'match', 'matches')} for “{typed}”"


def pieces(text: str, marks: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    """`text` cut into runs, each with whether it is a matched word (shown bold)."""
    runs, last = [], 0
    for start, end in sorted(marks):
        start, end = max(start, last), min(end, len(text))
        if start >= end:
            continue
        runs += [(text[last:start], False), (text[start:end], True)]
        last = end
    runs.append((text[last:], False))
    return [(piece, bold) for piece, bold in runs if piece]


class MatchedWordsDelegate(QStyledItemDelegate):
    """Draws a result's reason with the matched words in bold, cut off with "…" if long."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        result: SearchResult | None = index.data(ROW_ROLE)
        if result is None:
            super().paint(painter, option, index)
            return
        shown = QStyleOptionViewItem(option)
        self.initStyleOption(shown, index)
        text, shown.text = shown.text, ""
        widget = shown.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, shown, painter, widget)
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
        area = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, shown, widget)
        area = area.adjusted(margin, 0, -margin, 0)
        selected = bool(shown.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        painter.setClipRect(area)
        painter.setPen(shown.palette.color(role))
        x = area.left()
        for piece, bold in pieces(text, result.marks):
            font = QFont(shown.font)
            font.setBold(bold)
            metrics = QFontMetrics(font)
            room = area.right() - x
            width = metrics.horizontalAdvance(piece)
            if width > room:
                piece = metrics.elidedText(piece, Qt.TextElideMode.ElideRight, room)
                width = room
            painter.setFont(font)
            align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(QRect(x, area.top(), width, area.height()), align, piece)
            x += width
            if x >= area.right():
                break
        painter.restore()


class SearchPage(QWidget):
    """Searches as the rep types; Enter or a double-click opens the result's account."""

    account_requested = Signal(uuid.UUID)
    results_shown = Signal(int)

    def __init__(self, runner: Runner, index: SearchIndex, parent: QWidget | None = None):
        super().__init__(parent)
        self._runner = runner
        self._index = index
        self._generation = 0
        self._shown_text: str | None = None
        self._focus_results = False
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(PLACEHOLDER)
        self.search_box.setClearButtonEnabled(True)
        self.model: RowTableModel[SearchResult] = RowTableModel(HIT_COLUMNS, self)
        self.table = make_table(self.model, stretch_column=REASON_COLUMN)
        self.table.setItemDelegateForColumn(REASON_COLUMN, MatchedWordsDelegate(self.table))
        self.table.setToolTip("Enter or double-click: open the account")
        self._summary = QLabel(HINT)
        self._summary.setObjectName("subtitle")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self.search_box)
        layout.addWidget(self._summary)
        layout.addWidget(self.table, stretch=1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._run_search)
        self.search_box.textChanged.connect(self._debounce.start)
        self.search_box.returnPressed.connect(self._on_search_box_return_pressed)
        self.table.activated.connect(self._on_table_activated)

    @property
    def summary_text(self) -> str:
        return self._summary.text()

    def refresh(self) -> None:
        """Runs the shown search again (the store changed under it)."""
        if self._shown_text and self._shown_text.strip():
            self._run_search()

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    @Slot()
    def _on_search_box_return_pressed(self) -> None:
        if self._debounce.isActive() or self._shown_text != self.search_box.text():
            # Results for what is typed are not in yet: focus them once they are.
            self._debounce.stop()
            self._focus_results = True
            self._run_search()
        else:
            self._focus_first_result()

    def _focus_first_result(self) -> None:
        if self.model.rowCount():
            self.table.setFocus()
            self.table.selectRow(0)

    @Slot()
    def _run_search(self) -> None:
        self._generation += 1
        generation, text = self._generation, self.search_box.text()
        self._runner.read(
            lambda: self._index.search(text, RESULT_LIMIT),
            lambda results: self._on_results(generation, text, results),
            lambda exc: self._on_failure(generation, text, exc),
        )

    def _on_results(self, generation: int, text: str, results: list[SearchResult]) -> None:
        if generation != self._generation:
            return
        self.model.set_rows(results)
        self._shown_text = text
        self._summary.setText(summary(len(results), text))
        # The accounts' names in full (room to spare before the reasons), up to a third.
        self.table.resizeColumnToContents(0)
        wanted = self.table.columnWidth(0) + ACCOUNT_COLUMN_ROOM
        self.table.setColumnWidth(0, min(wanted, max(self.width() // 3, 160)))
        if self._focus_results:
            self._focus_results = False
            self._focus_first_result()
        self.results_shown.emit(len(results))

    def _on_failure(self, generation: int, text: str, exc: Exception) -> None:
        # The runner has logged it with its traceback; the rep gets a sentence, no results.
        if generation != self._generation:
            return
        self.model.set_rows([])
        self._shown_text = text
        self._focus_results = False
        self._summary.setText(in_words(exc, "searching"))
        self.results_shown.emit(0)

    @Slot(QModelIndex)
    def _on_table_activated(self, index: QModelIndex) -> None:
        self.account_requested.emit(self.model.row_at(index.row()).account_id)
