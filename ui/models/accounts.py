"""The account list: a lazily fetched, sortable, searchable table over the whole territory."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal

from db.dto import AccountMark, AccountQuery, AccountRow, AccountSort
from ui.marks import mark_data
from ui.models.table import Column, Index, PagedTableModel
from ui.rungs import rung_icon
from ui.tasks import Runner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.accounts import AccountDirectory
    from db.briefing.warnings import WarningIndex

PAGE_SIZE = 200
NAME_COLUMN = 0  # where a warning's marker shows

COLUMNS: list[tuple[Column[AccountRow], AccountSort]] = [
    (Column("Name", lambda r: r.name, tooltip=lambda r: r.name), AccountSort.NAME),
    (Column("Industry", lambda r: r.industry or ""), AccountSort.INDUSTRY),
    (Column("City", lambda r: r.city or ""), AccountSort.CITY),
    (
        Column(
            "Rung", lambda r: r.ladder_rung.label, decoration=lambda r: rung_icon(r.ladder_rung)
        ),
        AccountSort.RUNG,
    ),
    (
        Column("Employees", lambda r: f"{r.employees:,}" if r.employees else "", align_right=True),
        AccountSort.EMPLOYEES,
    ),
    (Column("Owner", lambda r: r.owner_rep or ""), AccountSort.OWNER),
]


class AccountTableModel(PagedTableModel[AccountRow]):
    """Accounts a page at a time as the view scrolls, each page's warnings after it."""

    query_started = Signal()  # a new query replaced the rows
    count_loaded = Signal(int)  # how many accounts the current query matches

    def __init__(
        self,
        runner: Runner,
        directory: AccountDirectory,
        parent: Any = None,
        warnings: WarningIndex | None = None,
    ) -> None:
        super().__init__(runner, [c for c, _ in COLUMNS], PAGE_SIZE, parent)
        self._directory = directory
        self._warnings = warnings
        self.marks: dict[uuid.UUID, AccountMark] = {}
        self._query = AccountQuery()
        self.total: int | None = None

    @property
    def query(self) -> AccountQuery:
        return self._query

    def set_query(self, query: AccountQuery, *, force: bool = False) -> None:
        """Shows the accounts `query` selects, from the first page."""
        if query == self._query and not force and self._generation:
            return
        self._query = query
        generation = self._restart()
        self.total = None
        self.marks = {}
        self.set_rows([])
        self.query_started.emit()
        self._fetch_page()
        self._runner.read(
            lambda: self._directory.count(query), lambda n: self._on_count(generation, n)
        )

    def refresh(self) -> None:
        """Reloads the current query (after the data under it changed)."""
        self.set_query(self._query, force=True)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        sort_key = COLUMNS[column][1]
        descending = order == Qt.SortOrder.DescendingOrder
        query = replace(self._query, sort=sort_key, descending=descending)
        if not self._generation:  # the view's first sort, before the page starts: kept
            self._query = query  # for set_query(), so the page on screen reads first
            return
        self.set_query(query)

    def _page_reader(self, offset: int) -> Callable[[], list[AccountRow]]:
        directory, query = self._directory, self._query
        return lambda: directory.page(query, offset, PAGE_SIZE)

    def _page_added(self, generation: int, rows: list[AccountRow]) -> None:
        self._load_marks(generation, [row.id for row in rows])

    def reload_marks(self) -> None:
        """Reads the loaded accounts' warnings again (after new activity arrived)."""
        accounts = [row.id for row in self._rows]
        self._load_marks(self._generation, accounts, settled=set(accounts))

    def _load_marks(
        self, generation: int, accounts: list[uuid.UUID], settled: set[uuid.UUID] | None = None
    ) -> None:
        """`settled`: accounts asked about again, whose marks go when the answer has none."""
        warnings = self._warnings
        if warnings is None or not accounts:
            return
        self._runner.read(
            lambda: warnings.marks(accounts),
            lambda marks: self._on_marks(generation, marks, settled or set()),
        )

    def _on_marks(
        self, generation: int, marks: dict[uuid.UUID, AccountMark], settled: set[uuid.UUID]
    ) -> None:
        if generation != self._generation or not self._rows:
            return
        for account_id in settled - marks.keys():
            self.marks.pop(account_id, None)  # its warning was settled meanwhile
        self.marks.update(marks)
        self.dataChanged.emit(
            self.index(0, NAME_COLUMN),
            self.index(len(self._rows) - 1, NAME_COLUMN),
            [Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole],
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            index.isValid()
            and index.column() == NAME_COLUMN
            and role in (Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole)
            and index.row() < len(self._rows)
        ):
            shown = mark_data(self.marks, self._rows[index.row()].id, role)
            if shown is not None:
                return shown
        return super().data(index, role)

    def _on_count(self, generation: int, total: int) -> None:
        if generation == self._generation:
            self.total = total
            self.count_loaded.emit(total)
