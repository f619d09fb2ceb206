"""The Accounts screen: search-as-you-type list of the territory beside the account pane."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.dto import AccountDetail, AccountQuery
from db.enums import LadderRung
from ui.account_pane import AccountPane
from ui.models.accounts import AccountTableModel
from ui.rungs import rung_icon
from ui.tasks import Runner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.accounts import AccountDirectory
    from db.briefing.warnings import WarningIndex
    from db.field.ladder import Ladder
    from db.field.notes import NoteBook

SEARCH_DEBOUNCE_MS = 150
# Room for "Supporter (100,000)" in the rung filter, so counts arriving never resize it.
RUNG_FILTER_CHARS = 19
NARROW_LIST_WIDTH = 460  # narrower, the search box and rung filter stack
EMPTY_TERRITORY = (
    "Your territory is empty.\n\nSync with your company's server, or load a demo territory:\n"
    "fieldbrief demo --accounts 300 --seed 1"
)


class AccountsPage(QWidget):
    """Account list (lazy, sortable, filtered through FTS5) and the selected account's pane."""

    status_changed = Signal(str)

    def __init__(
        self,
        runner: Runner,
        directory: AccountDirectory,
        parent: QWidget | None = None,
        notes: NoteBook | None = None,
        ladder: Ladder | None = None,
        warnings: WarningIndex | None = None,
    ):
        super().__init__(parent)
        self._runner = runner
        self._ladder = ladder
        self._counts_generation = 0
        self._last_query: AccountQuery | None = None
        # The account to select once the list holds it (opened from another page, or the
        # one on show while the list reloads), and whether the filters are being set for it.
        self._wanted: uuid.UUID | None = None
        self._listing_wanted = False
        self.rung_counts: dict[LadderRung, int] | None = None
        self.model = AccountTableModel(runner, directory, self, warnings)
        self.pane = AccountPane(runner, directory, self, notes, warnings)

        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search accounts, contacts and notes  (Ctrl+F)")
        self.search_box.setClearButtonEnabled(True)
        self.rung_filter = QComboBox()
        self.rung_filter.addItem("All rungs", None)
        for rung in LadderRung:
            self.rung_filter.addItem(rung_icon(rung), rung.label, rung.value)
        self.rung_filter.setToolTip("Show only accounts on one rung of the relationship ladder")
        self.rung_filter.setMinimumContentsLength(RUNG_FILTER_CHARS)
        self.rung_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((220, 130, 105, 95, 85)):
            header.resizeSection(column, width)
        # Set the indicator before enabling sorting: enabling sorts by it at once.
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)

        self._filters = filters = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addWidget(self.search_box, stretch=1)
        filters.addWidget(self.rung_filter)
        left = _ResizeWatched(self._place_filters)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(8, 8, 0, 8)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.table)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.pane)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([760, 500])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.search_box.textChanged.connect(self._on_search_box_text_changed)
        self.search_box.returnPressed.connect(self._on_search_box_return_pressed)
        self._debounce.timeout.connect(self._apply_filters)
        self.rung_filter.currentIndexChanged.connect(self._on_rung_filter_changed)
        self.pane.detail_shown.connect(self._on_pane_detail_shown)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.model.page_loaded.connect(self._on_model_page_loaded)
        self.model.count_loaded.connect(self._on_model_count_loaded)
        self.model.query_started.connect(self._on_model_query_started)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search_box, self.search_box.clear)
        # A window shortcut of this page: it only fires while the Accounts page is shown.
        QShortcut(QKeySequence("Ctrl+L"), self, self._on_ladder_shortcut_activated)
        QShortcut(QKeySequence("Ctrl+Shift+H"), self, self.pane.request_holds)

    def start(self) -> None:
        """Loads the first page and the counts per rung (call once the window is built)."""
        self.model.set_query(self.model.query)
        self._last_query = self.model.query
        self._load_rung_counts(self.model.query.text)

    def _place_filters(self, width: int) -> None:
        """Narrow, the rung filter goes under the search box, which keeps its room."""
        narrow = width < NARROW_LIST_WIDTH
        self._filters.setDirection(
            QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight
        )

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def open_account(self, account_id: uuid.UUID) -> None:
        """Shows an account in the pane and selects it in the list: at once when the list
        holds it, else the list is searched for its name (a filter that hid it goes)."""
        if self._select_loaded(account_id):
            return
        self.table.clearSelection()
        self._wanted = account_id
        self.pane.show_account(account_id)  # detail_shown then lists it by name

    def _select_loaded(self, account_id: uuid.UUID) -> bool:
        for row, account in enumerate(self.model.rows):
            if account.id == account_id:
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
                return True
        return False

    @Slot(object)
    def _on_pane_detail_shown(self, detail: AccountDetail) -> None:
        if detail.id != self._wanted or self._select_loaded(detail.id):
            return
        self._listing_wanted = True
        self.rung_filter.setCurrentIndex(0)
        self.search_box.setText(detail.name)
        self._listing_wanted = False
        self._debounce.stop()
        self._apply_filters()

    @Slot(str)
    def _on_search_box_text_changed(self, _text: str) -> None:
        if not self._listing_wanted:
            self._wanted = None  # the rep's own search: its first account is shown
        self._debounce.start()

    @Slot()
    def _on_rung_filter_changed(self) -> None:
        if not self._listing_wanted:
            self._wanted = None
        self._apply_filters()

    @Slot()
    def _on_search_box_return_pressed(self) -> None:
        self._debounce.stop()
        self._apply_filters()
        self.table.setFocus()

    @Slot()
    def _apply_filters(self) -> None:
        query = replace(
            self.model.query,
            text=self.search_box.text().strip(),
            rung=LadderRung(rung) if (rung := self.rung_filter.currentData()) else None,
        )
        self.model.set_query(query)

    @Slot(QItemSelection, QItemSelection)
    def _on_table_selection_changed(self, _selected: QItemSelection, _old: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._wanted = None  # chosen in the list: that one is shown
            self.pane.show_account(self.model.row_at(rows[0].row()).id)

    @Slot()
    def _on_ladder_shortcut_activated(self) -> None:
        if self.pane.detail is None:
            self.status_changed.emit("Select an account first, then press Ctrl+L.")
            return
        self.pane.request_ladder()

    @Slot()
    def _on_model_query_started(self) -> None:
        self.status_changed.emit("Loading accounts…")
        # Counts follow the search text and the data; a new sort or rung filter keeps them.
        query, last = self.model.query, self._last_query
        self._last_query = query
        if query == last and self._wanted is None:
            # A refresh (after a ladder move, a sync): the pane stays on its account.
            self._wanted = self.pane.account_id
        if last is None or query.text != last.text or query == last:  # equal: a refresh
            # Queued behind the list's first page on the store thread: rows come first.
            QTimer.singleShot(0, self, lambda: self._load_rung_counts(query.text))

    def _load_rung_counts(self, text: str) -> None:
        ladder = self._ladder
        if ladder is None:
            return
        self._counts_generation += 1
        generation = self._counts_generation
        self._runner.read(
            lambda: ladder.counts(text),
            lambda counts: self._on_rung_counts_loaded(generation, counts),
        )

    def _on_rung_counts_loaded(self, generation: int, counts: dict[LadderRung, int]) -> None:
        if generation != self._counts_generation:
            return
        self.rung_counts = counts
        self.rung_filter.setItemText(0, f"All rungs ({sum(counts.values()):,})")
        for index, rung in enumerate(LadderRung, start=1):
            self.rung_filter.setItemText(index, f"{rung.label} ({counts.get(rung, 0):,})")

    @Slot(int)
    def _on_model_page_loaded(self, loaded: int) -> None:
        if self._wanted is not None:
            # Selected when its page is in; the pane shows it meanwhile (and if it is
            # further down the list than has been loaded).
            if self._select_loaded(self._wanted):
                self._wanted = None
        # A fresh list selects its first account, so the pane is never blank by default.
        elif loaded and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        elif not loaded:
            self.pane.show_account(None)
        if self.model.total is None:
            self.status_changed.emit(f"{loaded:,} accounts loaded…")

    @Slot(int)
    def _on_model_count_loaded(self, total: int) -> None:
        query = self.model.query
        noun = "account" if total == 1 else "accounts"
        if query.text or query.rung:
            filters = [
                f"“{query.text}”" if query.text else "",
                query.rung.label if query.rung else "",
            ]
            self.status_changed.emit(
                f"{total:,} {noun} match {' · '.join(f for f in filters if f)}"
            )
        else:
            self.status_changed.emit(f"{total:,} {noun} in your territory")
            if total == 0:
                self.pane.show_empty(EMPTY_TERRITORY)

    def current_index(self) -> QModelIndex:
        return self.table.currentIndex()


class _ResizeWatched(QWidget):
    """A plain container that tells `on_width` its new width whenever it is resized."""

    def __init__(self, on_width: Callable[[int], None]) -> None:
        super().__init__()
        self._on_width = on_width

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._on_width(event.size().width())
        super().resizeEvent(event)
