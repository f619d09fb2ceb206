"""What a write changed, so each view can decide whether it must refresh."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uuid  # the window imports this module before its first paint; uuid can wait


@dataclass(frozen=True, slots=True)
class Changes:
    """The tables and row ids a write touched; empty when it changed nothing."""

    tables: frozenset[str] = frozenset()
    ids: frozenset[uuid.UUID] = frozenset()

    @classmethod
    def of(cls, table: str, *ids: uuid.UUID) -> Changes:
        return cls(frozenset({table}), frozenset(ids))

    def touches(self, table: str) -> bool:
        return table in self.tables

    def __bool__(self) -> bool:
        return bool(self.tables)

    def __or__(self, other: Changes) -> Changes:
        return Changes(self.tables | other.tables, self.ids | other.ids)
