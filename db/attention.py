"""What needs the rep: conflicts to resolve and changes the server refused; and, for
support, pulled rows this device could not store."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.changes import Changes
from db.dates import day
from db.edits import LocalEditor
from db.errors import StoreUserError
from db.labels import entity_label
from db.store.local_store import Store
from db.store.models import (
    SYNCED_MODELS,
    Account,
    Contact,
    OutboxEntry,
    RemoteRecord,
    SetAsideRow,
)
from db.store.wire_values import from_wire
from sync.entities import to_wire

_MODELS: dict[str, type[Any]] = {
    model.__tablename__: model  # type: ignore[attr-defined]
    for model in SYNCED_MODELS
}


@dataclass(frozen=True, slots=True)
class ConflictItem:
    """Both sides changed one field: the server kept its value; the rep's is here."""

    id: uuid.UUID
    entity: str
    entity_id: uuid.UUID
    field: str
    mine: Any
    theirs: Any
    kind: str
    by_user: str | None
    record: str = ""  # the record in words: 'Lead: Matteo Bruno, Romano Electronics'


@dataclass(frozen=True, slots=True)
class RejectedItem:
    """A local change the server refused, parked with its reason."""

    seq: int
    entity: str
    op: str
    entity_id: uuid.UUID
    fields: dict[str, Any]
    reason: str
    record: str = ""  # as ConflictItem.record


@dataclass(frozen=True, slots=True)
class SetAsideItem:
    """A pulled row this device could not store, as it came, with why (for support)."""

    entity: str
    id: uuid.UUID
    version: int
    reason: str
    data: Any


class AttentionDesk:
    """Lists and settles what needs attention. Call off the GUI thread."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def conflicts(self) -> list[ConflictItem]:
        with self._store.reading() as session:
            records = session.scalars(
                select(RemoteRecord)
                .where(RemoteRecord.entity == "conflict", RemoteRecord.deleted.is_(False))
                .order_by(RemoteRecord.server_version)
            )
            return [
                ConflictItem(
                    id=r.id,
                    entity=r.data.get("entity", "?"),
                    entity_id=uuid.UUID(r.data["entity_id"]),
                    field=r.data.get("field", "?"),
                    mine=r.data.get("client_value"),
                    theirs=r.data.get("server_value"),
                    kind=r.data.get("kind", ""),
                    by_user=r.data.get("by_user"),
                    record=record_name(
                        session, r.data.get("entity", "?"), uuid.UUID(r.data["entity_id"])
                    ),
                )
                for r in list(records)
                if not r.data.get("resolved")
            ]

    def rejected(self) -> list[RejectedItem]:
        with self._store.reading() as session:
            entries = session.scalars(
                select(OutboxEntry)
                .where(OutboxEntry.status == "rejected")
                .order_by(OutboxEntry.seq)
            )
            return [
                RejectedItem(
                    e.seq,
                    e.entity,
                    e.op,
                    e.entity_id,
                    e.fields,
                    e.reason or "",
                    record_name(session, e.entity, e.entity_id, e.fields),
                )
                for e in list(entries)
            ]

    def set_aside(self) -> list[SetAsideItem]:
        """Pulled rows kept aside, newest first; the sync goes on without them and a
        storable version from the server takes their place."""
        with self._store.reading() as session:
            rows = session.scalars(
                select(SetAsideRow).order_by(SetAsideRow.set_aside_at.desc(), SetAsideRow.id)
            )
            return [SetAsideItem(r.entity, r.id, r.server_version, r.reason, r.data) for r in rows]

    def retry(self, seq: int, fields: dict[str, Any] | None = None) -> Changes:
        """Queues a refused change again, as a new mutation: the server decides afresh
        (the same mutation id would only get its first answer back).

        With `fields`, the rep corrected the values first (a territory that is theirs, say):
        the local row takes them too, in the same transaction.
        """
        with self._store.session() as session:
            entry = session.get(OutboxEntry, seq)
            if entry is None or entry.status != "rejected":
                return Changes()
            changes = Changes.of("outbox")
            sent = entry.fields
            if fields is not None:
                sent = self._corrected(session, entry, fields)
                changes = changes | Changes.of(entry.entity, entry.entity_id)
            session.add(
                OutboxEntry(
                    entity=entry.entity,
                    op=entry.op,
                    entity_id=entry.entity_id,
                    fields=sent,
                    base=entry.base,
                    base_version=entry.base_version,
                )
            )
            session.delete(entry)
        return changes

    def _corrected(
        self, session: Session, entry: OutboxEntry, fields: dict[str, Any]
    ) -> dict[str, Any]:
        unknown = sorted(set(fields) - set(entry.fields))
        if unknown:
            raise StoreUserError(f"this change has no fields {', '.join(unknown)}")
        model = _MODELS.get(entry.entity)
        sent = {**entry.fields, **fields}
        if model is None:
            return sent
        try:
            values = from_wire(model, {k: _typed(model, k, v) for k, v in fields.items()})
        except (ValueError, TypeError) as exc:
            raise StoreUserError(f"a corrected value is not valid: {exc}") from exc
        row = session.get(model, entry.entity_id)
        if row is not None and row.deleted_at is None:
            for name, value in values.items():
                setattr(row, name, value)
            try:
                session.flush()
            except IntegrityError as exc:
                raise StoreUserError("a value this record needs is missing or not valid") from exc
            sent.update({name: to_wire(getattr(row, name)) for name in values})
        return sent

    def discard(self, seq: int) -> Changes:
        """Drops a refused change for good; the rep chose to."""
        with self._store.session() as session:
            entry = session.get(OutboxEntry, seq)
            if entry is None or entry.status != "rejected":
                return Changes()
            session.delete(entry)
        return Changes.of("outbox")

    def resolve(self, conflict_id: uuid.UUID, use_mine: bool) -> Changes:
        """Settles a conflict: keep the server's value, or send the rep's value again."""
        changes = Changes.of("conflict", conflict_id)
        with self._store.reading() as session:
            record = session.get(RemoteRecord, ("conflict", conflict_id))
            if record is None:
                return Changes()
            data = dict(record.data)
        model = _MODELS.get(data.get("entity", ""))
        if use_mine and model is not None and data.get("kind") == "both_changed":
            field = data["field"]
            value = from_wire(model, {field: data.get("client_value")}).get(field)
            changes = changes | LocalEditor(self._store).set_fields(
                data["entity"], uuid.UUID(data["entity_id"]), **{field: value}
            )
        with self._store.session() as session:
            mark_resolved(session, conflict_id, "mine" if use_mine else "theirs")
        return changes


def mark_resolved(session: Session, conflict_id: uuid.UUID, resolution: str) -> None:
    """Marks a conflict settled here and queues that for the server (and the rep's other
    devices), in the caller's transaction."""
    record = session.get(RemoteRecord, ("conflict", conflict_id))
    if record is None:
        return
    record.data = {**record.data, "resolved": True, "resolution": resolution}
    session.add(
        OutboxEntry(
            entity="conflict",
            op="set_fields",
            entity_id=conflict_id,
            fields={"resolved": True, "resolution": resolution},
            base={"resolved": None, "resolution": None},
            base_version=record.server_version,
        )
    )


def _typed(model: type[Any], name: str, value: Any) -> Any:
    """A value typed as text, as the column's kind (a number column gets a number)."""
    if not isinstance(value, str):
        return value
    try:
        kind = model.__table__.columns[name].type.python_type
    except (KeyError, NotImplementedError):
        return value
    if kind is bool:
        if value.lower() in ("yes", "true", "1"):
            return True
        if value.lower() in ("no", "false", "0"):
            return False
        raise ValueError(f"{name} is yes or no, not {value!r}")
    if kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"{name} must be a number, not {value!r}") from None
    return value


def record_name(
    session: Session, entity: str, entity_id: uuid.UUID, fields: dict[str, Any] | None = None
) -> str:
    """The record in words, as the rep knows it ('Lead: Matteo Bruno, Romano Electronics');
    for a record this device no longer holds, from the change's own values if they name it."""
    kind = entity_label(entity)
    model = _MODELS.get(entity)
    row = session.get(model, entity_id) if model is not None else None
    values = fields or {}
    name = _named(session, entity, row) if row is not None else None
    name = name or next((str(values[k]) for k in _NAMING if values.get(k)), None)
    return f"{kind}: {name}" if name else kind


# The fields that name a record, in the order they are tried.
_NAMING = ("name", "title", "purpose", "campaign", "last_name")


def _named(session: Session, entity: str, row: Any) -> str | None:
    account = session.get(Account, row.account_id) if hasattr(row, "account_id") else None
    where = account.name if account is not None else None
    contact = None
    if getattr(row, "contact_id", None) is not None:
        contact = session.get(Contact, row.contact_id)
    if entity == "account":
        return str(row.name)
    if entity == "contact":
        person = f"{row.first_name} {row.last_name}".strip()
        return ", ".join(p for p in (person, where) if p)
    if entity == "lead":
        who = f"{contact.first_name} {contact.last_name}" if contact is not None else None
        return ", ".join(p for p in (who or row.campaign, where) if p)
    if entity == "visit_note":
        return ", ".join(p for p in (f"of {day(row.created_at)}", where) if p)
    if entity == "meeting":
        return ", ".join(p for p in (row.purpose, day(row.starts_at), where) if p)
    own = next((getattr(row, k) for k in _NAMING if getattr(row, k, None)), None)
    return ", ".join(str(p) for p in (own, where) if p) or None
