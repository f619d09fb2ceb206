"""Pulled rows written by the bulk path are stored exactly as an ORM insert stores them."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import JSON, Boolean, Date, Integer, String, Text, Uuid
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from db.edits import LOCAL_COLUMNS
from db.store.local_store import Store
from db.store.models import SYNCED_MODELS, Account, Activity, Meeting, SetAsideRow, Task
from db.store.replica import LocalReplica, PulledRow
from db.store.types import UtcDateTime
from db.store.wire_values import from_wire, row_writer

# Stored columns that differ between two inserts of the same row by design.
_BOOKKEEPING = {"created_at", "updated_at", "version", "server_version"}


def _value(column: Any, parents: dict[str, uuid.UUID], filled: bool) -> Any:
    """A JSON value for `column`, as the server sends it (or None, where allowed)."""
    if column.foreign_keys:
        return str(parents[next(iter(column.foreign_keys)).column.table.name])
    if not filled and column.nullable:
        return None
    kind = column.type
    if isinstance(kind, UtcDateTime):
        # Not UTC, and with microseconds: both must come out as SQLAlchemy stores them.
        return "2026-03-04T05:06:07.000123+02:00" if filled else "2026-03-04T05:06:07+00:00"
    if isinstance(kind, Date):
        return "2026-02-03"
    if isinstance(kind, SAEnum):
        return list(kind.enum_class)[-1].value  # type: ignore[arg-type]
    if isinstance(kind, JSON):
        return {"campaign": "Frühjahr", "clicks": [1, 2]}
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, Integer):
        return 42
    if isinstance(kind, Uuid):
        return str(uuid.uuid4())
    assert isinstance(kind, String | Text), kind
    return "Zoë Ångström, Straße 1"


def _pulled_rows(filled: bool) -> list[PulledRow]:
    """One row of every synced table, each referring to the ones before it."""
    parents: dict[str, uuid.UUID] = {}
    rows = []
    for version, model in enumerate(SYNCED_MODELS, start=1):
        table = model.__table__  # type: ignore[attr-defined]
        data = {
            c.key: _value(c, parents, filled) for c in table.columns if c.key not in LOCAL_COLUMNS
        }
        row_id = uuid.uuid4()
        parents[table.name] = row_id
        rows.append(PulledRow(table.name, row_id, version, False, data))
    return rows


def _stored(path: Path, table: str, row_id: uuid.UUID) -> dict[str, Any]:
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id.hex,)).fetchone()
    assert row is not None, f"{table} row missing"
    return {k: (type(row[k]).__name__, row[k]) for k in row.keys() if k not in _BOOKKEEPING}  # noqa: SIM118 (sqlite3.Row iterates values)


def _orm_insert(store: Store, rows: list[PulledRow]) -> None:
    models = {m.__tablename__: m for m in SYNCED_MODELS}  # type: ignore[attr-defined]
    with store.session() as session:
        for row in rows:
            model = models[row.entity]
            session.add(model(id=row.id, **from_wire(model, row.data)))
            session.flush()


@pytest.mark.parametrize("filled", [True, False], ids=["every-field", "nulls"])
def test_bulk_insert_stores_what_the_orm_stores(tmp_path: Path, filled: bool) -> None:
    rows = _pulled_rows(filled)
    bulk, orm = Store.open(tmp_path / "bulk"), Store.open(tmp_path / "orm")
    try:
        LocalReplica(bulk).apply_page(rows, cursor=None)
        _orm_insert(orm, rows)
        for row in rows:
            assert _stored(bulk.path, row.entity, row.id) == _stored(orm.path, row.entity, row.id)
    finally:
        bulk.close()
        orm.close()


def test_fields_the_server_left_out_get_the_models_defaults(store: Store) -> None:
    account, task, activity = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    LocalReplica(store).apply_page(
        [
            PulledRow("account", account, 1, False, {"name": "Acme", "territory": "north"}),
            PulledRow("task", task, 2, False, {"account_id": str(account), "title": "Call"}),
            PulledRow(
                "activity",
                activity,
                3,
                False,
                {
                    "account_id": str(account),
                    "channel": "sales",
                    "type": "call",
                    "title": "Called",
                    "occurred_at": "2026-01-01T10:00:00+00:00",
                    "unknown_newer_field": "ignored",
                },
            ),
        ],
        cursor=None,
    )
    with store.reading() as session:
        stored_account = session.get(Account, account)
        stored_task = session.get(Task, task)
        stored_activity = session.get(Activity, activity)
        assert stored_account is not None and stored_task is not None
        assert stored_activity is not None
        assert stored_account.ladder_rung.value == "prospect"
        assert stored_task.done is False
        assert stored_activity.details == {}
        assert stored_account.server_version == 1 and stored_account.version == 1


def test_a_meeting_from_an_older_app_is_timed_and_an_all_day_one_stays_all_day(
    store: Store,
) -> None:
    account, older, fair = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    # As an older app pushes a meeting: no all_day field.
    data = {
        "account_id": str(account),
        "starts_at": "2025-11-03T23:00:00+00:00",
        "ends_at": "2025-11-04T23:00:00+00:00",
    }
    replica = LocalReplica(store)
    replica.apply_page(
        [
            PulledRow("account", account, 1, False, {"name": "Acme", "territory": "north"}),
            PulledRow("meeting", older, 2, False, data),
            PulledRow("meeting", fair, 3, False, {**data, "all_day": True}),
        ],
        cursor=None,
    )
    # Later versions: the older app's meeting moved, still without the field.
    replica.apply_page(
        [
            PulledRow("meeting", older, 4, False, {**data, "place": "Bonn"}),
            PulledRow("meeting", fair, 5, False, {**data, "all_day": True, "place": "Köln"}),
        ],
        cursor=None,
    )
    with store.reading() as session:
        meetings = [session.get(Meeting, row_id) for row_id in (older, fair)]
        assert [(m.all_day, m.place) for m in meetings if m is not None] == [
            (False, "Bonn"),
            (True, "Köln"),
        ]


def test_a_bad_value_in_a_page_is_set_aside_and_the_rest_is_written(store: Store) -> None:
    good = PulledRow("account", uuid.uuid4(), 1, False, {"name": "Good", "territory": "n"})
    bad = PulledRow(
        "account", uuid.uuid4(), 2, False, {"name": "Bad", "territory": "n", "ladder_rung": "x"}
    )
    changes = LocalReplica(store).apply_page([good, bad], cursor="c2")
    assert changes.touches("account") and changes.touches("set_aside_row")
    with store.reading() as session:
        assert session.get(Account, good.id) is not None
        assert session.get(Account, bad.id) is None
        aside = session.get(SetAsideRow, ("account", bad.id))
        assert aside is not None and aside.data == bad.data and "ladder_rung" in aside.reason
    assert LocalReplica(store).state("cursor") == "c2"
    assert LocalReplica(store).summary()["account"] == (2, 3)  # as the server counts them


def _stored_occurred_at(text: str) -> Any:
    """What the bulk writer stores for an activity that occurred at `text` (as sent)."""
    writer = row_writer("activity", sqlite_dialect())
    names = [name for name, _default in writer.columns]
    data = dict.fromkeys(names) | {"occurred_at": text}
    stored = writer.values(uuid.uuid4(), 1, False, data, "now")
    return stored[len(stored) - len(names) + names.index("occurred_at")]


@given(st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))])))
def test_times_are_stored_as_sqlalchemy_stores_them(moment: datetime) -> None:
    stores = UtcDateTime().dialect_impl(sqlite_dialect()).bind_processor(sqlite_dialect())
    assert stores is not None
    assert _stored_occurred_at(moment.isoformat()) == stores(moment)


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30T10:00:00+00:00",  # no such day
        "2026-01-01T24:61:00.000000+00:00",
        "2026-01-01T10:00:00",  # no time zone
        "2026-01-01T10:00:0x+00:00",
    ],
)
def test_a_time_that_is_no_utc_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        _stored_occurred_at(text)
