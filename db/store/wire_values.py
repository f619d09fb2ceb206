"""Pulled JSON values as the local store keeps them: typed values for ORM writes, and the
stored values themselves for the bulk inserts of a first download."""

from __future__ import annotations

import functools
import operator
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
from db.store.models import SYNCED_MODELS
from db.store.types import UtcDateTime

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
    # The fields in column order, each with its default for a row that leaves it out.
    columns: tuple[tuple[str, Callable[[], Any] | None], ...]
    # (position, store, keeps_none): the fields not stored as they come; None stays NULL
    # without a call where `keeps_none`.
    converted: tuple[tuple[int, Store, bool], ...]
    # The fields taken in one C call when the row has them all (rows from our server do).
    take: Callable[[dict[str, Any]], tuple[Any, ...]]
    stored_id: Store
    stored_time: Store

    def values(
        self, row_id: uuid.UUID, version: int, deleted: bool, data: dict[str, Any], stamp: Any
    ) -> tuple[Any, ...]:
        """A new row's parameters; `stamp` (from `stored_time`) is its created/updated time."""
        try:
            fields = list(self.take(data))
        except KeyError:
            fields = [_given(data, name, default) for name, default in self.columns]
        for at, store, keeps_none in self.converted:
            raw = fields[at]
            if raw is not None or not keeps_none:
                fields[at] = store(raw)
        deleted_at = stamp if deleted else None
        # A pulled row's local version is the server's (see LocalReplica.mark_diverged).
        return (self.stored_id(row_id), stamp, stamp, version, deleted_at, version, *fields)


def _given(data: dict[str, Any], name: str, default: Callable[[], Any] | None) -> Any:
    """The row's field, or the model's default for it (None if it has none)."""
    raw = data.get(name, _MISSING)
    if raw is not _MISSING:
        return raw
    return default() if default is not None else None


_MISSING = object()


@functools.cache
def row_writer(entity: str, dialect: Dialect) -> RowWriter:
    """The bulk writer of one synced table."""
    table = _MODELS[entity].__table__
    columns: list[tuple[str, Callable[[], Any] | None]] = []
    converted: list[tuple[int, Store, bool]] = []
    for column in table.columns:
        if column.key in LOCAL_COLUMNS:
            continue
        default = column.default
        make: Callable[[], Any] | None = None
        if default is not None and default.is_scalar:
            make = _constant(default.arg)
        elif default is not None and default.is_callable:
            make = functools.partial(default.arg, None)  # SQLAlchemy passes a context
        store, keeps_none = _storer(column.type, dialect)
        if store is not None:
            converted.append((len(columns), store, keeps_none))
        columns.append((column.key, make))
    names = [*_ROW_HEAD, *(name for name, _ in columns)]
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    assert isinstance(table.c.id.type, Uuid) and isinstance(table.c.created_at.type, UtcDateTime)
    getter = operator.itemgetter(*(name for name, _ in columns))
    take = getter if len(columns) > 1 else lambda data: (getter(data),)
    return RowWriter(sql, tuple(columns), tuple(converted), take, _stored_uuid, _stored_utc)


def _storer(column_type: Any, dialect: Dialect) -> tuple[Store | None, bool]:
    """JSON value -> stored value for one column type (None: stored as it comes), and
    whether None is stored as NULL without a call. The types most rows are made of get a
    direct conversion; the rest go through SQLAlchemy's own bind processing."""
    if isinstance(column_type, Uuid):
        return _stored_uuid, True
    if isinstance(column_type, UtcDateTime):
        return _stored_utc, True
    if isinstance(column_type, Date):
        return _stored_date, True
    if isinstance(column_type, SAEnum) and column_type.enum_class is not None:
        return _enum_storer(column_type.enum_class), True
    bind = column_type.dialect_impl(dialect).bind_processor(dialect)
    if bind is None:
        return None, True
    # Also decides what None becomes: NULL, or JSON's 'null'.
    none = bind(None) if column_type.should_evaluate_none else None

    def store(raw: Any) -> Any:
        return none if raw is None else bind(convert(column_type, raw))

    return store, False


# How the server writes ids: for these, the stored hex is the text without its dashes.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _stored_uuid(raw: Any) -> str:
    if isinstance(raw, str) and _CANONICAL_UUID.fullmatch(raw):
        return raw.replace("-", "")  # what uuid.UUID(raw).hex gives, a tenth of the time
    if isinstance(raw, uuid.UUID):
        return raw.hex
    return uuid.UUID(str(raw)).hex


def _stored_utc(raw: Any) -> str:
    if type(raw) is str and _is_utc_text(raw):
        datetime.fromisoformat(raw)  # refuses a date or time that does not exist
        fraction = raw[19:26] if len(raw) == 32 else ".000000"
        return f"{raw[:10]} {raw[11:19]}{fraction}"
    value = raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)
    if value.tzinfo is None:
        raise ValueError(f"a time without a time zone: {raw}")
    # SQLAlchemy's SQLite format: naive UTC, always with microseconds.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _is_utc_text(raw: str) -> bool:
    """Whether `raw` is a UTC time as the server writes them (isoformat, seconds or
    microseconds): those are stored by cutting and pasting, a third of the time of the
    general way."""
    return (
        (len(raw) == 25 or (len(raw) == 32 and raw[19] == "."))
        and raw.endswith("+00:00")
        and raw[4] == raw[7] == "-"
        and raw[13] == raw[16] == ":"
    )


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
