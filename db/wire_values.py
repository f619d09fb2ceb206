"""Pulled JSON values as the local store keeps them: typed values for ORM writes, and the
stored values themselves for the bulk inserts of a first download."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Date, Dialect, Uuid
from sqlalchemy import Enum as SAEnum

from db.edits import LOCAL_COLUMNS
from db.models import SYNCED_MODELS
from db.types import UtcDateTime

_MODELS: dict[str, type[Any]] = {
    model.__tablename__: model  # type: ignore[attr-defined]
    for model in SYNCED_MODELS
}
# The columns a bulk insert writes before the pulled fields, in this order.
_ROW_HEAD = ("id", "created_at", "updated_at", "version", "deleted_at", "server_version")


def from_wire(model: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    """Column values from the server's JSON; unknown fields (a newer app's) are left out."""
    values: dict[str, Any] = {}
    for column in model.__table__.columns:
        if column.key in LOCAL_COLUMNS or column.key not in data:
            continue
        raw = data[column.key]
        values[column.key] = None if raw is None else convert(column.type, raw)
    return values


def convert(column_type: Any, raw: Any) -> Any:
    """One JSON value as the Python value of a column of `column_type`."""
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


Store = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class RowWriter:
    """Turns pulled rows of one table straight into the values SQLite stores, for one
    executemany. A first download writes hundreds of thousands of rows, and SQLAlchemy's
    per-parameter processing was most of its time; tests hold these values equal to the
    ones an ORM insert stores."""

    sql: str
    # (name, store, default): `store` None where the value is stored as it is.
    columns: tuple[tuple[str, Store | None, Callable[[], Any] | None], ...]
    stored_id: Store
    stored_time: Store

    def values(
        self, row_id: uuid.UUID, version: int, deleted: bool, data: dict[str, Any], stamp: Any
    ) -> tuple[Any, ...]:
        """A new row's parameters; `stamp` (from `stored_time`) is its created/updated time."""
        get = data.get
        fields = []
        for name, store, default in self.columns:
            raw = get(name, _MISSING)
            if raw is _MISSING:
                raw = default() if default is not None else None
            fields.append(raw if store is None else store(raw))
        deleted_at = stamp if deleted else None
        return (self.stored_id(row_id), stamp, stamp, 1, deleted_at, version, *fields)


_MISSING = object()


@functools.cache
def row_writer(entity: str, dialect: Dialect) -> RowWriter:
    """The bulk writer of one synced table."""
    table = _MODELS[entity].__table__
    columns = []
    for column in table.columns:
        if column.key in LOCAL_COLUMNS:
            continue
        default = column.default
        make: Callable[[], Any] | None = None
        if default is not None and default.is_scalar:
            make = _constant(default.arg)
        elif default is not None and default.is_callable:
            make = functools.partial(default.arg, None)  # SQLAlchemy passes a context
        columns.append((column.key, _storer(column.type, dialect), make))
    names = [*_ROW_HEAD, *(name for name, _, _ in columns)]
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    stored_id = _storer(table.c.id.type, dialect)
    stored_time = _storer(table.c.created_at.type, dialect)
    assert stored_id is not None and stored_time is not None  # a Uuid and a UtcDateTime
    return RowWriter(sql, tuple(columns), stored_id, stored_time)


def _storer(column_type: Any, dialect: Dialect) -> Store | None:
    """JSON value -> stored value for one column type (None: stored as it comes). The
    types most rows are made of get a direct conversion; the rest go through SQLAlchemy's
    own bind processing."""
    if isinstance(column_type, Uuid):
        return _nullable(_stored_uuid)
    if isinstance(column_type, UtcDateTime):
        return _nullable(_stored_utc)
    if isinstance(column_type, Date):
        return _nullable(_stored_date)
    if isinstance(column_type, SAEnum) and column_type.enum_class is not None:
        return _nullable(_enum_storer(column_type.enum_class))
    bind = column_type.dialect_impl(dialect).bind_processor(dialect)
    if bind is None:
        return None
    # Also decides what None becomes: NULL, or JSON's 'null'.
    none = bind(None) if column_type.should_evaluate_none else None

    def store(raw: Any) -> Any:
        return none if raw is None else bind(convert(column_type, raw))

    return store


def _nullable(store: Store) -> Store:
    def nullable(raw: Any) -> Any:
        return None if raw is None else store(raw)

    return nullable


# How the server writes ids: for these, the stored hex is the text without its dashes.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _stored_uuid(raw: Any) -> str:
    if isinstance(raw, uuid.UUID):
        return raw.hex
    if isinstance(raw, str) and _CANONICAL_UUID.fullmatch(raw):
        return raw.replace("-", "")  # what uuid.UUID(raw).hex gives, a tenth of the time
    return uuid.UUID(str(raw)).hex


def _stored_utc(raw: Any) -> str:
    value = raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)
    if value.tzinfo is None:
        raise ValueError(f"a time without a time zone: {raw}")
    # SQLAlchemy's SQLite format: naive UTC, always with microseconds.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _stored_date(raw: Any) -> str:
    return (raw if isinstance(raw, date) else date.fromisoformat(raw)).isoformat()


def _enum_storer(enum_class: type[Enum]) -> Store:
    """enum_class(raw).value, from a dict for the values there are (Enum's own lookup by
    value is a Python call); anything else still goes to enum_class, which refuses it."""
    stored = {member.value: member.value for member in enum_class}

    def store(raw: Any) -> Any:
        try:
            return stored[raw]
        except (KeyError, TypeError):
            return enum_class(raw).value

    return store


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value
