"""What a trial checks afterwards: SQLite's integrity_check, every row paired with its
outbox entries, an empty outbox, and the rows the server holds (read from its store)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import select

import bench.keyed  # noqa: F401  (sets the soak's store passphrase, as the processes have it)
from db.edits import LOCAL_COLUMNS
from db.errors import StoreUserError
from db.store.cipher import connect
from db.store.local_store import STORE_FILENAME, Store
from db.store.models import SYNCED_MODELS, OutboxEntry, RemoteRecord
from desktop.store_key import store_key
from sync.entities import to_wire

_MODELS = {model.__tablename__: model for model in SYNCED_MODELS}  # type: ignore[attr-defined]


def integrity(path: Path) -> str | None:
    """None when SQLite's integrity_check says ok; else what it says. A laptop's store is
    read with its key (the soak's passphrase, bench.keyed), the server's as it is."""
    if path.is_dir():
        path = path / STORE_FILENAME
    try:
        if path.name == STORE_FILENAME:
            connection = connect(path, store_key(path.parent))
        else:
            connection = sqlcipher3.connect(path, timeout=30)
        try:
            said = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        finally:
            connection.close()
    except (sqlite3.Error, sqlcipher3.Error, StoreUserError) as exc:
        return f"{path.name}: cannot check: {exc}"
    return None if said == ["ok"] else f"{path.name}: integrity_check: {'; '.join(said[:3])}"


def wire_row(row: Any) -> dict[str, Any]:
    """A local row's synced columns as JSON values, as an outbox entry carries them."""
    return {
        c.key: to_wire(getattr(row, c.key))
        for c in row.__table__.columns
        if c.key not in LOCAL_COLUMNS
    }


def unpaired(store: Store) -> list[str]:
    """Rows and outbox entries that do not match, on a device that never synced: every row
    is what its outbox entries say (create, changes, delete, replayed in order), and every
    entry names a row."""
    problems: list[str] = []
    with store.reading() as session:
        replayed: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
        deleted: set[tuple[str, uuid.UUID]] = set()
        for entry in session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)):
            key = (entry.entity, entry.entity_id)
            if entry.op == "create":
                if key in replayed:
                    problems.append(f"{entry.entity} {entry.entity_id} created twice")
                replayed[key] = dict(entry.fields)
            elif key not in replayed:
                problems.append(f"outbox {entry.op} #{entry.seq} before its create")
            elif entry.op == "delete":
                deleted.add(key)
            else:
                replayed[key].update(entry.fields)
        seen: set[tuple[str, uuid.UUID]] = set()
        for entity, model in _MODELS.items():
            for row in session.scalars(select(model)):
                key = (entity, row.id)
                seen.add(key)
                if key not in replayed:
                    problems.append(f"{entity} {row.id} has no outbox entry")
                    continue
                wire = wire_row(row)
                differ = sorted(k for k in wire if wire[k] != replayed[key].get(k))
                if differ:
                    problems.append(
                        f"{entity} {row.id}: {differ[0]} is {wire[differ[0]]!r} but its outbox "
                        f"says {replayed[key].get(differ[0])!r}"
                    )
                if (row.deleted_at is not None) != (key in deleted):
                    problems.append(f"{entity} {row.id}: deleted without its outbox entry")
        problems += [f"outbox entries for a missing {e} {i}" for e, i in replayed.keys() - seen]
    return problems


def outbox_left(store: Store) -> str | None:
    """None when the outbox is empty; else what is in it."""
    with store.reading() as session:
        entries = list(session.scalars(select(OutboxEntry)))
    if not entries:
        return None
    rejected = [e for e in entries if e.status == "rejected"]
    said = f"outbox holds {len(entries)} entries ({len(rejected)} rejected)"
    if rejected:
        said += f", e.g. {rejected[0].entity}.{rejected[0].op}: {rejected[0].reason}"
    return said


def device_rows(store: Store, entity: str) -> dict[uuid.UUID, dict[str, Any]]:
    """A device's rows of `entity`: synced columns as JSON values, and `deleted`."""
    model = _MODELS[entity]
    with store.reading() as session:
        return {
            row.id: {**wire_row(row), "deleted": row.deleted_at is not None}
            for row in session.scalars(select(model))
        }


def device_conflicts(store: Store) -> set[uuid.UUID]:
    with store.reading() as session:
        return set(
            session.scalars(
                select(RemoteRecord.id).where(
                    RemoteRecord.entity == "conflict", RemoteRecord.deleted.is_(False)
                )
            )
        )


@dataclass(frozen=True)
class ServerRow:
    entity: str
    id: uuid.UUID
    version: int
    deleted: bool
    data: dict[str, Any]


class ServerView:
    """The server's records of some territories, read from its SQLite file (never through
    the app's own code: this is the other side's word)."""

    def __init__(self, database_file: Path, territories: set[str]) -> None:
        with sqlite3.connect(database_file, timeout=30) as connection:
            marks = ",".join("?" * len(territories))
            found = connection.execute(
                "SELECT entity, id, version, deleted_at, data FROM record "
                f"WHERE territory IN ({marks})",
                sorted(territories),
            ).fetchall()
        connection.close()
        self.rows = {}
        for entity, row_id, version, deleted_at, data in found:
            key = (entity, uuid.UUID(str(row_id)))
            self.rows[key] = ServerRow(
                entity, key[1], int(version), deleted_at is not None, json.loads(data)
            )

    def of(self, entity: str) -> dict[uuid.UUID, ServerRow]:
        return {row.id: row for row in self.rows.values() if row.entity == entity}

    def conflicts(self) -> list[ServerRow]:
        return [row for row in self.rows.values() if row.entity == "conflict" and not row.deleted]

    def get(self, entity: str, row_id: uuid.UUID) -> ServerRow | None:
        return self.rows.get((entity, row_id))


def conflict_line(row: ServerRow) -> str:
    data = row.data
    return (
        f"{data.get('entity')}.{data.get('field')}: {data.get('kind')}, client "
        f"{_short(data.get('client_value'))} vs server {_short(data.get('server_value'))}"
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
