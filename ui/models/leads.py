"""The leads list: fetched a page at a time in the store's order, with its counts apart."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal

from db.enums import LeadStatus
from ui.formatting import short_date
from ui.models.table import Column, PagedTableModel
from ui.tasks import Runner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.field.leads import LeadCounts, LeadDesk, LeadRow

PAGE_SIZE = 200


def _state(row: LeadRow) -> str:
    if row.status is LeadStatus.REJECTED:
        reason = row.reject_reason.label if row.reject_reason else ""
        return f"Rejected: {reason}"
    if row.outcome is not None:
        return f"{row.outcome.label}" + (f": {row.outcome_reason}" if row.outcome_reason else "")
    return "Accepted, open" if row.status is LeadStatus.ACCEPTED else "New"


LEAD_COLUMNS: list[Column[LeadRow]] = [
    Column("Handed over", lambda r: short_date(r.handed_over_at)),
    Column("Account", lambda r: r.account_name),
    Column(
        "Contact",
        lambda r: r.contact_name or "",
        tooltip=lambda r: r.contact_title or "",
    ),
    Column("Campaign", lambda r: r.campaign),
    Column("Score", lambda r: "" if r.score is None else str(r.score), align_right=True),
    Column("Where it stands", _state, tooltip=lambda r: r.decision_note or ""),
]


def _whole_pages(rows: int) -> int:
    return -(-rows // PAGE_SIZE) * PAGE_SIZE


class LeadTableModel(PagedTableModel["LeadRow"]):  # a string: LeadRow is not imported at run time
    """Fetches the leads a page at a time as the view scrolls (canFetchMore/fetchMore), and
    their counts, on the store thread, in the one order the store keeps them in.

    A refresh reads again from the top as many rows as were loaded (and down to the lead
    it is asked to keep, so a selection survives a reload); the rows shown stay until the
    new ones are in. A generation number drops what a newer refresh replaced. Nothing is
    read until the first refresh()."""

    reloaded = Signal(int)  # a refresh's rows replaced the old ones (how many now)
    counts_loaded = Signal(object)  # LeadCounts of the current refresh
    loaded = Signal(int)  # a refresh's rows and counts are both in (rows loaded)

    def __init__(self, runner: Runner, desk: LeadDesk, parent: Any = None) -> None:
        super().__init__(runner, LEAD_COLUMNS, PAGE_SIZE, parent)
        self._desk = desk
        self._include_settled = False
        self._rows_in = False
        self.counts: LeadCounts | None = None

    @property
    def include_settled(self) -> bool:
        return self._include_settled

    def set_include_settled(self, include: bool, keep: uuid.UUID | None = None) -> None:
        """Lists rejected and finished leads too, or only those waiting; read again."""
        self._include_settled = include
        self.refresh(keep)

    def refresh(self, keep: uuid.UUID | None = None) -> None:
        """Reads the list from the top again, and the counts; `keep`: a lead to load down
        to, if it is listed."""
        # Fetching already: a view asking for more meanwhile would read past rows that go.
        generation = self._restart()
        desk, include = self._desk, self._include_settled
        self._rows_in = False
        self.counts = None
        wanted = max(PAGE_SIZE, _whole_pages(len(self._rows)))

        def read() -> tuple[list[LeadRow], int]:
            rows = desk.page(0, wanted, include_settled=include)
            if keep is None or len(rows) < wanted or any(row.id == keep for row in rows):
                return rows, wanted
            # The lead to keep moved further down (accepted, it goes after every new one).
            place = desk.position(keep, include_settled=include)
            if place is None or place < wanted:  # gone (rejected, say): the top is enough
                return rows, wanted
            limit = _whole_pages(place + 1)
            return rows + desk.page(wanted, limit - wanted, include_settled=include), limit

        self._runner.read(read, lambda got: self._on_reloaded(generation, *got))
        self._runner.read(desk.counts, lambda counts: self._on_counts(generation, counts))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Keeps the store's order (what waits first, newest first): sorting the rows loaded
        so far would mix an order that the next page does not continue."""

    def _page_reader(self, offset: int) -> Callable[[], list[LeadRow]]:
        desk, include = self._desk, self._include_settled
        return lambda: desk.page(offset, PAGE_SIZE, include_settled=include)

    def row_of(self, lead_id: uuid.UUID | None) -> int | None:
        """The loaded row of a lead, if it is loaded."""
        return next((i for i, row in enumerate(self._rows) if row.id == lead_id), None)

    def _on_reloaded(self, generation: int, rows: list[LeadRow], limit: int) -> None:
        if generation != self._generation:
            return
        self._exhausted = len(rows) < limit
        self.set_rows(rows)
        # Only once the rows are in: a view may ask for more while they go in, and that
        # page starts after them.
        self._fetching = False
        self._rows_in = True
        self.reloaded.emit(len(rows))
        self._maybe_loaded()

    def _on_counts(self, generation: int, counts: LeadCounts) -> None:
        if generation != self._generation:
            return
        self.counts = counts
        self.counts_loaded.emit(counts)
        self._maybe_loaded()

    def _maybe_loaded(self) -> None:
        if self._rows_in and self.counts is not None:
            self.loaded.emit(len(self._rows))
