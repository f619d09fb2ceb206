"""The Search screen: one box over accounts, contacts and visit notes, best match first."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from db.dto import HitKind, SearchHit
from ui.account_pane import make_table
from ui.models.table import Column, RowTableModel
from ui.tasks import Runner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.search import SearchIndex

SEARCH_DEBOUNCE_MS = 150
RESULT_LIMIT = 100

HIT_COLUMNS: list[Column[SearchHit]] = [
    Column("Type", lambda h: h.kind.label),
    Column("Title", lambda h: h.title if h.kind is not HitKind.NOTE else "Visit note"),
    Column("Account", lambda h: h.account_name),
    Column("Matched text", lambda h: h.snippet, tooltip=lambda h: h.snippet),
]


class SearchPage(QWidget):
    """Searches as the rep types; Enter or a double-click opens the hit's account."""

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
        self.search_box.setPlaceholderText("Search everything: accounts, contacts, visit notes")
        self.search_box.setClearButtonEnabled(True)
        self.model: RowTableModel[SearchHit] = RowTableModel(HIT_COLUMNS, self)
        self.table = make_table(self.model, stretch_column=3)
        self._summary = QLabel("Type at least one word; every word counts as a prefix.")
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
            lambda hits: self._on_results(generation, text, hits),
        )

    def _on_results(self, generation: int, text: str, hits: list[SearchHit]) -> None:
        if generation != self._generation:
            return
        self.model.set_rows(hits)
        self._shown_text = text
        if not text.strip():
            self._summary.setText("Type at least one word; every word counts as a prefix.")
        elif hits:
            best = "best " if len(hits) >= RESULT_LIMIT else ""
            self._summary.setText(f"{len(hits)} {best}matches for “{text.strip()}”")
        else:
            self._summary.setText(f"Nothing matches “{text.strip()}”.")
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)
        self.table.resizeColumnToContents(2)
        if self._focus_results:
            self._focus_results = False
            self._focus_first_result()
        self.results_shown.emit(len(hits))

    @Slot(QModelIndex)
    def _on_table_activated(self, index: QModelIndex) -> None:
        self.account_requested.emit(self.model.row_at(index.row()).account_id)
