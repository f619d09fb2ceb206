"""The territory's profile completeness list: fetched a page at a time, sorted in the store."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal

from db.profiles.definition import CompletenessSort, ProfileTier, TerritoryProfileRow, TierRule
from ui.models.table import Column, PagedTableModel
from ui.tasks import Runner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.profiles.book import ProfileBook

PAGE_SIZE = 200


def completeness_columns(
    rule: TierRule,
) -> list[tuple[Column[TerritoryProfileRow], CompletenessSort]]:
    """The list's columns, each with the order its header asks of the store; the counts'
    tooltips say what the tiers mean."""
    explained = rule.explanation()

    def why(row: TerritoryProfileRow) -> str:
        return (
            f"{row.tier.label}: {row.answered} of {row.total} answered, "
            f"{row.key_answered} of {row.key_total} key questions.\n\n{explained}"
        )

    return [
        (Column("Account", lambda r: r.account_name), CompletenessSort.ACCOUNT),
        (
            Column("Contact", lambda r: r.contact_name, tooltip=lambda r: r.title or ""),
            CompletenessSort.CONTACT,
        ),
        (
            Column(
                "Role in deal",
                lambda r: r.deal_role.label if r.deal_role else "",
                tooltip=lambda r: "Key contact" if r.key_contact else "",
            ),
            CompletenessSort.ROLE,
        ),
        (Column("Profile", lambda r: r.tier.label, tooltip=why), CompletenessSort.TIER),
        (
            Column(
                "Key questions",
                lambda r: f"{r.key_answered} of {r.key_total}",
                align_right=True,
                tooltip=why,
            ),
            CompletenessSort.KEY_ANSWERED,
        ),
        (
            Column(
                "Answered", lambda r: f"{r.answered} of {r.total}", align_right=True, tooltip=why
            ),
            CompletenessSort.ANSWERED,
        ),
    ]


class CompletenessModel(PagedTableModel[TerritoryProfileRow]):
    """The list a page at a time as the view scrolls, and the tiers' totals, on the store
    thread; a header's click or the key-contacts filter asks the store again.

    Nothing is read until refresh(): a view sorting it while it is built only sets the
    order."""

    about_to_reset = Signal()  # the rows are about to go (a view's selection with them)
    counts_loaded = Signal(object)  # dict[ProfileTier, int] of the current query

    def __init__(self, runner: Runner, book: ProfileBook, parent: Any = None) -> None:
        columns = completeness_columns(book.tier_rule)
        super().__init__(runner, [column for column, _ in columns], PAGE_SIZE, parent)
        self._sorts = [sort for _, sort in columns]
        self._book = book
        self._key_only = True
        self._sort = CompletenessSort.TIER
        self._descending = False
        self._started = False
        self.counts: dict[ProfileTier, int] | None = None

    @property
    def key_only(self) -> bool:
        return self._key_only

    def set_key_only(self, key_only: bool) -> None:
        """Lists key contacts only, or everyone (read again if the list is shown)."""
        self._key_only = key_only
        if self._started:
            self.refresh()

    def refresh(self) -> None:
        """Reads the list from its first page, and the tiers' totals, again."""
        self._started = True
        generation = self._restart()
        self.counts = None
        self.about_to_reset.emit()
        self.set_rows([])
        self._fetch_page()
        book, key_only = self._book, self._key_only
        self._runner.read(
            lambda: book.completeness_counts(key_only=key_only),
            lambda counts: self._on_counts(generation, counts),
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        sort, descending = self._sorts[column], order == Qt.SortOrder.DescendingOrder
        if (sort, descending) == (self._sort, self._descending):
            return  # asked twice (a view's sortByColumn does): the order is read already
        self._sort, self._descending = sort, descending
        if self._started:
            self.refresh()

    def _page_reader(self, offset: int) -> Callable[[], list[TerritoryProfileRow]]:
        book, key_only, sort, descending = self._book, self._key_only, self._sort, self._descending
        return lambda: book.completeness_page(
            key_only=key_only, sort=sort, descending=descending, offset=offset, limit=PAGE_SIZE
        )

    def _on_counts(self, generation: int, counts: dict[ProfileTier, int]) -> None:
        if generation == self._generation:
            self.counts = counts
            self.counts_loaded.emit(counts)
