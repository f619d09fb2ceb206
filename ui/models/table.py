"""A read-only table model over a list of frozen rows, with columns declared as data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from ui.tasks import Runner

Row = TypeVar("Row")
Index = QModelIndex | QPersistentModelIndex

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the whole frozen row behind a table line


@dataclass(frozen=True)
class Column(Generic[Row]):
    """One column: its header, how to show a row's value, and optional extras."""

    header: str
    text: Callable[[Row], str]
    align_right: bool = False
    tooltip: Callable[[Row], str] | None = None
    decoration: Callable[[Row], Any] | None = None
    # What the column sorts by when its header is clicked (the shown text by default).
    sort_key: Callable[[Row], Any] | None = None


class RowTableModel(QAbstractTableModel, Generic[Row]):
    """Shows a sequence of rows through declared columns; replace the rows to refresh."""

    def __init__(self, columns: Sequence[Column[Row]], parent: Any = None) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._rows: list[Row] = []

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorts the rows in place (a view with sorting enabled calls this).

        Persistent indexes (a view's selection and current row) move with their rows, so
        the record a rep selected stays selected in its new place."""
        declared = self._columns[column]
        key = declared.sort_key or (lambda row: declared.text(row).casefold())
        rows = self._rows
        # Asked for after layoutAboutToBeChanged: its receivers may take persistent indexes.
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        # Stable both ways: equal rows keep their order, as list.sort(reverse=True) does.
        new_order = sorted(
            range(len(rows)),
            key=lambda i: key(rows[i]),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        new_row = {old: new for new, old in enumerate(new_order)}
        self._rows = [rows[i] for i in new_order]
        after = [self.index(new_row[index.row()], index.column()) for index in before]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    @property
    def rows(self) -> list[Row]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section].header
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(row) if column.tooltip else None
        if role == Qt.ItemDataRole.DecorationRole:
            return column.decoration(row) if column.decoration else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ROW_ROLE:
            return row
        return None


class PagedTableModel(RowTableModel[Row]):
    """Rows read a page at a time on the store thread as the view scrolls (canFetchMore,
    fetchMore). A generation number drops the pages of a read already replaced, so fast
    typing or sorting never shows stale rows. Subclasses say how a page is read
    (_page_reader) and start a new read with _restart()."""

    page_loaded = Signal(int)  # rows loaded so far

    def __init__(
        self, runner: Runner, columns: Sequence[Column[Row]], page_size: int, parent: Any = None
    ) -> None:
        super().__init__(columns, parent)
        self._runner = runner
        self._page_size = page_size
        self._generation = 0
        self._fetching = False
        self._exhausted = True

    def _page_reader(self, offset: int) -> Callable[[], list[Row]]:
        """What reads the page at `offset` (on the store thread), with the current query."""
        raise NotImplementedError

    def _restart(self) -> int:
        """A new read from the top: pages of earlier ones are dropped. Returns its
        generation. Marked as fetching already: whoever hears of the reset (a view, Qt's
        model tester) and asks for more must not start a second first page beside the one
        the caller asks for."""
        self._generation += 1
        self._fetching = True
        self._exhausted = False
        return self._generation

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._fetching

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._fetch_page()

    def _fetch_page(self) -> None:
        self._fetching = True
        generation, read = self._generation, self._page_reader(len(self._rows))
        self._runner.read(read, lambda rows: self._on_page(generation, rows))

    def _on_page(self, generation: int, rows: list[Row]) -> None:
        if generation != self._generation:
            return
        self._exhausted = len(rows) < self._page_size
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        # Only once the rows are in: a view (or Qt's model tester) may ask for more while
        # they go in, and that page starts after them, not at the same offset again.
        self._fetching = False
        self.page_loaded.emit(len(self._rows))
        self._page_added(generation, rows)

    def _page_added(self, generation: int, rows: list[Row]) -> None:
        """A page's rows are in (a subclass reads more about them here)."""
