"""The scoped data-access layer: every read and write of synced records goes through here.

Scoping lives here, not in the routes (OWASP API1: broken object level authorization):
a record outside the caller's territories is invisible, and looks exactly like one that
does not exist.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.errors import BadRequest
from server.models import Record, SyncCounter
from sync.protocol import ENTITY_PARENT, PARENT_ENTITY, SNAPSHOT_ORDER, Row

Clock = Callable[[], datetime]


def encode_cursor(version: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{version}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "v1":
            raise ValueError(kind)
        return int(number)
    except ValueError:
        raise BadRequest("the sync cursor is not one this server issued; sync again") from None


def to_row(record: Record) -> Row:
    return Row(
        entity=record.entity,
        id=record.id,
        version=record.version,
        deleted=record.deleted_at is not None,
        data=record.data,
    )


class ScopedRecords:
    """Synced records limited to `territories`, in one session (one transaction)."""

    def __init__(self, session: Session, territories: frozenset[str], clock: Clock) -> None:
        self.session = session
        self.territories = territories
        self.clock = clock

    # -- reads -------------------------------------------------------------------------

    def current_version(self) -> int:
        return int(self.session.scalar(select(SyncCounter.value).where(SyncCounter.id == 1)) or 0)

    def get(self, entity: str, record_id: uuid.UUID) -> Record | None:
        """The record if it is in scope (deleted or not); None otherwise."""
        record = self.session.get(Record, (entity, record_id))
        if record is None or record.territory not in self.territories:
            return None
        return record

    def exists_anywhere(self, entity: str, record_id: uuid.UUID) -> bool:
        return self.session.get(Record, (entity, record_id)) is not None

    def snapshot(self, after: tuple[str, uuid.UUID] | None, limit: int) -> list[Record]:
        """Records in scope after the keyset position `after`: entity by entity, parents
        before children (so a client can apply each page as it comes), then by id.

        Tombstones are included: a deleted account can still hold notes written before
        its delete, and the notes need their account row on the device too.
        """
        order = list(SNAPSHOT_ORDER)
        start = 0
        if after is not None:
            if after[0] not in order:
                return []
            start = order.index(after[0])
        rows: list[Record] = []
        for entity in order[start:]:
            stmt = select(Record).where(
                Record.entity == entity, Record.territory.in_(self.territories)
            )
            if after is not None and entity == after[0]:
                stmt = stmt.where(Record.id > after[1])
            rows += self.session.scalars(stmt.order_by(Record.id).limit(limit - len(rows)))
            if len(rows) >= limit:
                break
        return rows

    def changes_since(self, version: int, limit: int) -> list[Record]:
        """Records in scope changed after `version`, oldest change first, tombstones too."""
        stmt = (
            select(Record)
            .where(Record.territory.in_(self.territories), Record.version > version)
            .order_by(Record.version)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def count_and_checksum(self) -> dict[str, tuple[int, int]]:
        """Per entity: live-or-deleted row count and a sum of versions, for a quick compare."""
        stmt = (
            select(Record.entity, func.count(), func.sum(Record.version))
            .where(Record.territory.in_(self.territories))
            .group_by(Record.entity)
        )
        return {e: (int(n), int(s or 0)) for e, n, s in self.session.execute(stmt)}

    # -- territory ------------------------------------------------------------------------

    def territory_for(self, entity: str, data: dict[str, Any]) -> str | None:
        """The territory a new record of `entity` belongs to, if it is in scope."""
        parent_field = ENTITY_PARENT.get(entity)
        if parent_field is None:
            territory = data.get("territory")
            return territory if territory in self.territories else None
        parent_id = data.get(parent_field)
        try:
            parent = self.get(PARENT_ENTITY[parent_field], uuid.UUID(str(parent_id)))
        except ValueError:
            return None
        return parent.territory if parent is not None else None

    def parent_of(self, entity: str, data: dict[str, Any]) -> Record | None:
        parent_field = ENTITY_PARENT.get(entity)
        if parent_field is None:
            return None
        try:
            return self.get(PARENT_ENTITY[parent_field], uuid.UUID(str(data.get(parent_field))))
        except ValueError:
            return None

    # -- writes ----------------------------------------------------------------------------

    def next_version(self) -> int:
        """A new version, taken inside this transaction (see SyncCounter)."""
        stmt = (
            update(SyncCounter)
            .where(SyncCounter.id == 1)
            .values(value=SyncCounter.value + 1)
            .returning(SyncCounter.value)
        )
        return int(self.session.execute(stmt).scalar_one())

    def save(self, record: Record) -> int:
        """Stamps the record with a new version and time, and adds it if new."""
        record.version = self.next_version()
        record.updated_at = self.clock()
        self.session.add(record)
        self.session.flush()
        return record.version

    def create(
        self, entity: str, record_id: uuid.UUID, territory: str, data: dict[str, Any]
    ) -> Record:
        record = Record(entity=entity, id=record_id, territory=territory, data=dict(data))
        self.save(record)
        return record
