"""Local edits that will sync: each writes its row and an outbox entry in one transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.changes import Changes
from db.errors import StoreUserError
from db.store.local_store import Store
from db.store.models import SYNCED_MODELS, OutboxEntry, SyncedRow
from db.store.types import utc_now
from sync.entities import to_wire

# Columns the store manages itself; they never travel in a mutation (nor are they in
# sync.entities).
LOCAL_COLUMNS = frozenset(
    {"id", "version", "server_version", "created_at", "updated_at", "deleted_at"}
)
_MODELS = {model.__tablename__: model for model in SYNCED_MODELS}  # type: ignore[attr-defined]


class LocalEditor:
    """Creates, changes and deletes synced rows on this device. Call off the GUI thread."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(self, entity: str, **fields: Any) -> tuple[uuid.UUID, Changes]:
        with self._store.session() as session:
            row_id = create_row(session, entity, fields)
        return row_id, Changes.of(entity, row_id)

    def set_fields(self, entity: str, row_id: uuid.UUID, **fields: Any) -> Changes:
        """Changes fields; the outbox keeps the values they replaced for a three-way merge."""
        with self._store.session() as session:
            changed = change_row(session, entity, row_id, fields)
        return Changes.of(entity, row_id) if changed else Changes()

    def delete(self, entity: str, row_id: uuid.UUID) -> Changes:
        """Soft-deletes (a tombstone that syncs); deleting twice changes nothing."""
        with self._store.session() as session:
            deleted = delete_row(session, entity, row_id)
        return Changes.of(entity, row_id) if deleted else Changes()


def delete_row(session: Session, entity: str, row_id: uuid.UUID) -> bool:
    """Soft-deletes a row and queues the delete in the caller's transaction; False if it
    was already gone."""
    row = session.get(_model(entity), row_id)
    if row is None or row.deleted_at is not None:
        return False
    row.deleted_at = utc_now()
    session.flush()
    _queue(session, entity, "delete", row)
    return True


def create_row(
    session: Session, entity: str, fields: dict[str, Any], row_id: uuid.UUID | None = None
) -> uuid.UUID:
    """Adds a row and its outbox entry in the caller's transaction; returns its id.

    `row_id` for rows whose id is derived from what they are about (profile answers)."""
    model = _model(entity)
    _check_fields(model, fields)
    row = model(**fields) if row_id is None else model(id=row_id, **fields)
    session.add(row)
    session.flush()
    wire = {name: to_wire(getattr(row, name)) for name in _synced_columns(model)}
    _queue(session, entity, "create", row, fields=wire)
    return row.id  # type: ignore[no-any-return]


def change_row(session: Session, entity: str, row_id: uuid.UUID, fields: dict[str, Any]) -> bool:
    """Changes fields of a live row in the caller's transaction, queueing the values they
    replaced (for the server's three-way merge). False when nothing changed."""
    model = _model(entity)
    _check_fields(model, fields)
    row = _live(session, model, row_id)
    changed = {k: v for k, v in fields.items() if getattr(row, k) != v}
    if not changed:
        return False
    base = {k: to_wire(getattr(row, k)) for k in changed}
    for name, value in changed.items():
        setattr(row, name, value)
    session.flush()
    wire = {k: to_wire(getattr(row, k)) for k in changed}
    op = "revise" if entity == "visit_note" and "body" in changed else "set_fields"
    _queue(session, entity, op, row, fields=wire, base=base)
    if entity == "contact" and "account_id" in changed:
        _follow_contact(session, row_id, changed["account_id"])
    return True


# Rows about a contact that are filed under its account (and synced in its territory).
_CONTACT_ROWS = ("profile_answer", "profile_change")


def _follow_contact(session: Session, contact_id: uuid.UUID, account_id: uuid.UUID) -> None:
    """A contact moved to another account: its profile answers and history go with it."""
    for entity in _CONTACT_ROWS:
        model = _model(entity)
        stmt = select(model.id).where(model.contact_id == contact_id, model.deleted_at.is_(None))
        for row_id in session.scalars(stmt).all():
            change_row(session, entity, row_id, {"account_id": account_id})


def _model(entity: str) -> type[Any]:
    try:
        return _MODELS[entity]
    except KeyError:
        raise ValueError(f"{entity!r} is not a synced table") from None


def _synced_columns(model: type[Any]) -> list[str]:
    return [c.key for c in model.__table__.columns if c.key not in LOCAL_COLUMNS]


def _check_fields(model: type[Any], fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(_synced_columns(model))
    if unknown:
        raise ValueError(f"{model.__tablename__} has no editable fields {sorted(unknown)}")


def _live(session: Session, model: type[Any], row_id: uuid.UUID) -> Any:
    row = session.get(model, row_id)
    if row is None or row.deleted_at is not None:
        raise StoreUserError("this record was deleted; it can no longer be changed")
    return row


def _queue(
    session: Session,
    entity: str,
    op: str,
    row: SyncedRow,
    fields: dict[str, Any] | None = None,
    base: dict[str, Any] | None = None,
) -> None:
    session.add(
        OutboxEntry(
            entity=entity,
            op=op,
            entity_id=row.id,
            fields=fields or {},
            base=base or {},
            base_version=row.server_version,
        )
    )
