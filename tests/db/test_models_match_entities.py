"""The app's synced tables declare exactly the fields of sync.entities (the row schema's source)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, Integer, MetaData, String, Table, Text, Uuid
from sqlalchemy import Enum as SAEnum

from db.edits import LOCAL_COLUMNS
from db.store.models import SYNCED_MODELS, Account
from db.store.types import UtcDateTime
from sync.entities import ENTITIES, FieldSpec, Kind

SIMPLE_KINDS = (
    (Uuid, Kind.ID),
    (UtcDateTime, Kind.TIME),
    (Date, Kind.DATE),
    (Boolean, Kind.BOOL),
    (Integer, Kind.INT),
)


def declared(column: Column[Any]) -> FieldSpec:
    """What a column declares, as a spec (ranges and blank text are no column's business)."""
    kind = column.type
    default = column.default is not None
    length = getattr(kind, "length", None)
    if isinstance(kind, SAEnum):  # before String: an Enum is a String
        return FieldSpec(Kind.CHOICE, column.nullable, default, length, kind.enum_class)
    if isinstance(kind, String | Text):
        return FieldSpec(Kind.TEXT, column.nullable, default, length)
    if isinstance(kind, JSON):
        made = getattr(column.default, "arg", None)
        holds_object = getattr(made, "__wrapped__", made) is dict  # default=dict: an object
        return FieldSpec(Kind.OBJECT if holds_object else Kind.JSON, column.nullable, default)
    for sa_type, spec_kind in SIMPLE_KINDS:
        if isinstance(kind, sa_type):
            return FieldSpec(spec_kind, column.nullable, default)
    raise TypeError(f"{column}: no kind of field for {kind!r}")


def as_declared(spec: FieldSpec) -> FieldSpec:
    return FieldSpec(spec.kind, spec.nullable, spec.defaulted, spec.length, spec.choices)


def differences(table: Table) -> list[str]:
    """Where `table`'s synced columns and its entity's specs disagree."""
    specs = ENTITIES.get(table.name)
    if specs is None:
        return [f"{table.name}: no entity in sync.entities"]
    found = []
    columns = {c.key: c for c in table.columns if c.key not in LOCAL_COLUMNS}
    for name in columns.keys() - specs.keys():
        found.append(f"{table.name}.{name}: a column without a spec")
    for name in specs.keys() - columns.keys():
        found.append(f"{table.name}.{name}: a spec without a column")
    for name in columns.keys() & specs.keys():
        column, spec = declared(columns[name]), as_declared(specs[name])
        if column != spec:
            found.append(f"{table.name}.{name}: column {column} but spec {spec}")
    return sorted(found)


def test_the_synced_tables_are_the_entities_in_their_order() -> None:
    assert [m.__tablename__ for m in SYNCED_MODELS] == list(ENTITIES)  # type: ignore[attr-defined]


def test_every_synced_column_agrees_with_its_spec() -> None:
    for model in SYNCED_MODELS:
        assert differences(model.__table__) == []  # type: ignore[attr-defined]


def test_a_defaulted_spec_names_the_value_its_column_fills_in() -> None:
    # The content check counts a field a row leaves out as this value, on both sides.
    for model in SYNCED_MODELS:
        table = model.__table__  # type: ignore[attr-defined]
        for name, spec in ENTITIES[table.name].items():
            if not spec.defaulted:
                continue
            made = table.c[name].default.arg
            filled = made({}) if callable(made) else made
            assert spec.default == getattr(filled, "value", filled), f"{table.name}.{name}"


def test_the_store_manages_its_own_columns() -> None:
    for model in SYNCED_MODELS:
        columns = {c.key for c in model.__table__.columns}  # type: ignore[attr-defined]
        assert columns >= LOCAL_COLUMNS
        assert not LOCAL_COLUMNS & ENTITIES[model.__tablename__].keys()  # type: ignore[attr-defined]


def test_a_column_that_strays_from_its_spec_is_caught() -> None:
    def account(*extra: Column[Any], drop: str = "", **changed: Any) -> Table:
        columns = [
            Column(c.key, changed.get(c.key, c.type), nullable=c.nullable, default=c.default)
            for c in Account.__table__.columns
            if c.key != drop
        ]
        return Table("account", MetaData(), *columns, *extra)

    assert differences(account()) == []
    assert differences(account(Column("fax", String(50), nullable=True))) == [
        "account.fax: a column without a spec"
    ]
    assert differences(account(drop="city")) == ["account.city: a spec without a column"]
    assert "account.name: column" in differences(account(name=String(300)))[0]
    nullable = Table(
        "account",
        MetaData(),
        *(
            Column(c.key, c.type, nullable=c.nullable or c.key == "territory", default=c.default)
            for c in Account.__table__.columns
        ),
    )
    assert [d.split(":")[0] for d in differences(nullable)] == ["account.territory"]
