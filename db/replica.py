"""The local side of sync: pending mutations out, pulled rows in, the cursor kept with them."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Date, Uuid, delete, func, insert, select, update
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Session

from db.changes import Changes
from db.edits import LOCAL_COLUMNS
from db.models import SYNCED_MODELS, OutboxEntry, RemoteRecord, SyncState
from db.store import Store
from db.types import UtcDateTime, utc_now

_MODELS: dict[str, type[Any]] = {
    model.__tablename__: model  # type: ignore[attr-defined]
    for model in SYNCED_MODELS
}
CURSOR = "cursor"
CLIENT_ID = "client_id"


@dataclass(frozen=True, slots=True)
class PendingMutation:
    mutation_id: int
    entity: str
    op: str
    entity_id: uuid.UUID
    fields: dict[str, Any]
    base: dict[str, Any]
    base_version: int | None


@dataclass(frozen=True, slots=True)
class PulledRow:
    entity: str
    id: uuid.UUID
    version: int
    deleted: bool
    data: dict[str, Any]


class LocalReplica:
    """What the sync engine reads from and writes to the local store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def state(self, key: str) -> str | None:
        with self._store.reading() as session:
            row = session.get(SyncState, key)
            return row.value if row else None

    def set_state(self, key: str, value: str) -> None:
        with self._store.session() as session:
            session.merge(SyncState(key=key, value=value))

    def client_id(self) -> uuid.UUID:
        """This device's id, made once and kept."""
        known = self.state(CLIENT_ID)
        if known is None:
            known = str(uuid.uuid4())
            self.set_state(CLIENT_ID, known)
        return uuid.UUID(known)

    def pending(self, limit: int = 500) -> list[PendingMutation]:
        """Mutations waiting to be pushed, oldest first (rejected ones are parked apart)."""
        with self._store.reading() as session:
            entries = session.scalars(
                select(OutboxEntry)
                .where(OutboxEntry.status == "pending")
                .order_by(OutboxEntry.seq)
                .limit(limit)
            )
            return [
                PendingMutation(
                    e.seq, e.entity, e.op, e.entity_id, e.fields, e.base, e.base_version
                )
                for e in entries
            ]

    def pending_count(self) -> int:
        with self._store.reading() as session:
            stmt = (
                select(func.count()).select_from(OutboxEntry).where(OutboxEntry.status == "pending")
            )
            return int(session.execute(stmt).scalar_one())

    def rejected_count(self) -> int:
        """Mutations the server refused, waiting for the rep (needs attention)."""
        with self._store.reading() as session:
            stmt = select(func.count()).select_from(OutboxEntry)
            stmt = stmt.where(OutboxEntry.status == "rejected")
            return int(session.execute(stmt).scalar_one())

    def record_results(self, results: list[tuple[int, str, str | None, int | None]]) -> int:
        """Settles pushed mutations: done ones leave the outbox, rejected ones wait for the
        rep with their reason. Returns how many were rejected."""
        rejected = 0
        with self._store.session() as session:
            for seq, status, reason, _version in results:
                if status == "rejected":
                    rejected += 1
                    entry = session.get(OutboxEntry, seq)
                    if entry is not None:
                        entry.status, entry.reason = "rejected", reason
                else:
                    session.execute(delete(OutboxEntry).where(OutboxEntry.seq == seq))
        return rejected

    def apply_page(self, rows: list[PulledRow], cursor: str | None) -> Changes:
        """Applies pulled rows and stores the cursor in the same transaction.

        Rows come parents first; each run of one entity is written with a few bulk
        statements (Core executemany), which keeps a first download of a big territory fast.
        """
        tables: set[str] = set()
        with self._store.session() as session:
            pending = {
                (e.entity, e.entity_id): set(e.fields)
                for e in session.scalars(select(OutboxEntry).where(OutboxEntry.status == "pending"))
            }
            for entity, run in itertools.groupby(rows, key=lambda r: r.entity):
                group = list(run)
                model = _MODELS.get(entity)
                if model is None:
                    changed = _apply_remote(session, group)
                else:
                    changed = _apply_synced(session, model, group, pending)
                if changed:
                    tables.add(entity)
            if cursor is not None:
                session.merge(SyncState(key=CURSOR, value=cursor))
        return Changes(frozenset(tables))


def _apply_remote(session: Session, group: list[PulledRow]) -> bool:
    changed = False
    for row in group:
        known = session.get(RemoteRecord, (row.entity, row.id))
        if known is not None and known.server_version >= row.version:
            continue
        session.merge(
            RemoteRecord(
                entity=row.entity,
                id=row.id,
                server_version=row.version,
                deleted=row.deleted,
                data=row.data,
            )
        )
        changed = True
    session.flush()
    return changed


def _apply_synced(
    session: Session,
    model: type[Any],
    group: list[PulledRow],
    pending: dict[tuple[str, uuid.UUID], set[str]],
) -> bool:
    table = model.__table__
    known: dict[uuid.UUID, tuple[int | None, datetime | None]] = {}
    ids = [row.id for row in group]
    for chunk in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        stmt = select(table.c.id, table.c.server_version, table.c.deleted_at)
        for row_id, server_version, deleted_at in session.execute(
            stmt.where(table.c.id.in_(ids[chunk : chunk + 500]))
        ):
            known[row_id] = (server_version, deleted_at)
    now = utc_now()
    inserts: dict[frozenset[str], list[dict[str, Any]]] = {}
    changed = False
    for row in group:
        values = _from_wire(model, row.data)
        for name in pending.get((row.entity, row.id), set()):
            values.pop(name, None)  # an unpushed local edit stays until it is pushed
        values["server_version"] = row.version
        if row.id not in known:
            values.update(id=row.id, created_at=now, updated_at=now, version=1)
            values["deleted_at"] = now if row.deleted else None
            inserts.setdefault(frozenset(values), []).append(values)
            changed = True
            continue
        server_version, deleted_at = known[row.id]
        if (server_version or 0) >= row.version:
            continue  # already have this version or newer (snapshot, then pull)
        values["deleted_at"] = (deleted_at or now) if row.deleted else None
        values["updated_at"] = now
        session.execute(
            update(table).where(table.c.id == row.id).values(**values, version=table.c.version + 1)
        )
        changed = True
    for batch in inserts.values():  # rows with the same columns go in one executemany
        session.execute(insert(table), batch)
    return changed


def _from_wire(model: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    """Column values from the server's JSON; unknown fields (a newer app's) are left out."""
    values: dict[str, Any] = {}
    for column in model.__table__.columns:
        if column.key in LOCAL_COLUMNS or column.key not in data:
            continue
        raw = data[column.key]
        values[column.key] = None if raw is None else _convert(column.type, raw)
    return values


def _convert(column_type: Any, raw: Any) -> Any:
    if isinstance(column_type, Uuid):
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    if isinstance(column_type, UtcDateTime):
        return raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)
    if isinstance(column_type, Date):
        return raw if isinstance(raw, date) else date.fromisoformat(raw)
    if isinstance(column_type, SAEnum) and column_type.enum_class is not None:
        enum_class: type[Enum] = column_type.enum_class
        return enum_class(raw)
    return raw
