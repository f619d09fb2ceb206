"""What a synced row may hold: one schema per entity, built from the specs in sync.entities.

Every door checks rows with it: the server's push, imports and ingestion, and the app
before it stores a pulled row. Types, enums, required fields, lengths, integer ranges that
fit SQLite and PostgreSQL, times and dates that parse and lie in range, no NUL character
anywhere, no unknown fields. The app's tables declare the same fields (a test holds
db.store.models to sync.entities), so there is no second list to keep.
"""

from __future__ import annotations

import functools
import json
import math
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    create_model,
)

from sync.entities import ENTITIES, FieldSpec, Kind, answer_id

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # BIGINT on PostgreSQL, INTEGER on SQLite
TEXT_CHARS = 1_000_000  # an unbounded Text column (a note's body) at most
JSON_CHARS = 20_000  # a JSON value at most, as text: it travels to every laptop
JSON_DEPTH = 12  # nesting of a JSON value at most
EARLIEST = date(1900, 1, 1)  # times and dates outside these years are typing errors
LATEST = date(2199, 12, 31)
UTC_TEXT_CHARS = 40  # '2026-12-05T17:00:00.123456+00:00' and some slack


class RowProblem(ValueError):
    """A row (or some fields of one) the schema refuses; the message says which field and
    why, in plain words."""


# --- value checks ---------------------------------------------------------------------------


def no_nul(text: str) -> str:
    """Text without NUL characters (PostgreSQL cannot store them; SQLite cuts text there)."""
    if "\x00" in text:
        raise ValueError("must not contain a NUL character")
    return text


def _text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be text")
    return no_nul(value)


def _non_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text


def _as_is(text: str) -> str:
    return text


def _within(low: int, high: int) -> Callable[[int], int]:
    def check(number: int) -> int:
        if not low <= number <= high:
            raise ValueError(f"must be a whole number from {low:,} to {high:,}")
        return number

    return check


def _in_range(day: date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must lie between {EARLIEST.year} and {LATEST.year}")


def _utc_time(value: Any) -> str:
    """An ISO 8601 time with its time zone, as text (kept as sent)."""
    if not isinstance(value, str) or len(value) > UTC_TEXT_CHARS:
        raise ValueError("must be a time such as 2026-05-04T09:30:00+00:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a time such as 2026-05-04T09:30:00+00:00") from None
    if moment.tzinfo is None:
        raise ValueError("must say its time zone, e.g. 2026-05-04T09:30:00+00:00")
    _in_range(moment.astimezone(UTC).date())
    return value


def _date(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 10:
        raise ValueError("must be a date such as 2026-05-04")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date such as 2026-05-04") from None
    _in_range(day)
    return value


def _uuid(value: Any) -> str:
    """An id, in the protocol's form (lower case, with dashes)."""
    if not isinstance(value, str) or len(value) > 45:
        raise ValueError("must be an id such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError(f"{value!r} is not an id") from None


def json_problem(value: Any, depth: int = 0) -> str | None:
    """Why a JSON value cannot be stored and sent on (None: it can): nesting, numbers
    past 64 bits or not finite, NUL characters in text or keys."""
    if depth > JSON_DEPTH:
        return f"nested more than {JSON_DEPTH} levels deep"
    if isinstance(value, str):
        return "must not contain a NUL character" if "\x00" in value else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if INT64_MIN <= value <= INT64_MAX else "holds a number past 64 bits"
    if isinstance(value, float):
        return None if math.isfinite(value) else "holds a number that is not finite"
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or "\x00" in key:
                return "has a key that is not text"
            found = json_problem(item, depth + 1)
            if found:
                return found
        return None
    if isinstance(value, list):
        return next((p for item in value if (p := json_problem(item, depth + 1))), None)
    return "is not a JSON value"


def _json(value: Any) -> Any:
    problem = json_problem(value)
    if problem:
        raise ValueError(problem)
    if len(_compact(value)) > JSON_CHARS:  # characters of compact JSON
        raise ValueError(f"at most {JSON_CHARS:,} characters of JSON")
    return value


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _object(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    return _json(value)


# --- the schema, from the specs --------------------------------------------------------------


def _field_type(spec: FieldSpec) -> Any:
    """The pydantic type of one field's values (without None)."""
    match spec.kind:
        case Kind.CHOICE:
            assert spec.choices is not None
            return Literal[tuple(member.value for member in spec.choices)]
        case Kind.ID:
            return Annotated[str, BeforeValidator(_uuid)]
        case Kind.TIME:
            return Annotated[str, BeforeValidator(_utc_time)]
        case Kind.DATE:
            return Annotated[str, BeforeValidator(_date)]
        case Kind.BOOL:
            return Annotated[bool, Strict()]
        case Kind.INT:
            low = INT64_MIN if spec.low is None else max(INT64_MIN, spec.low)
            high = INT64_MAX if spec.high is None else min(INT64_MAX, spec.high)
            return Annotated[int, Strict(), AfterValidator(_within(low, high))]
        case Kind.TEXT:
            blank = _non_blank if spec.non_blank else _as_is
            return Annotated[
                str,
                BeforeValidator(_text),
                Field(max_length=spec.length or TEXT_CHARS),
                AfterValidator(blank),
            ]
        case Kind.OBJECT:
            return Annotated[Any, BeforeValidator(_object)]
        case Kind.JSON:
            return Annotated[Any, BeforeValidator(_json)]
    raise TypeError(f"no schema for a field of kind {spec.kind!r}")


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@functools.cache
def _schema(entity: str, whole: bool) -> type[BaseModel]:
    """The fields of `entity`: all that a new row needs (`whole`), or any of them (an edit:
    those left out stay as they are, but none given may break the rules)."""
    fields: dict[str, Any] = {}
    for name, spec in ENTITIES[entity].items():
        value_type = _field_type(spec)
        if spec.nullable:
            value_type = value_type | None
        needed = whole and not spec.nullable and not spec.defaulted
        # A field left out of an edit is not validated (its default is never checked);
        # one given as null must be nullable.
        fields[name] = (value_type, ...) if needed else (value_type, None)
    model: type[BaseModel] = create_model(
        f"{entity}_{'row' if whole else 'edit'}", __base__=_Fields, **fields
    )
    return model


# Rules over a whole row, after an edit is merged: (entity, rule) -> a problem or None.
def _contact_named(data: dict[str, Any]) -> str | None:
    names = (data.get("first_name"), data.get("last_name"))
    if not any(isinstance(n, str) and n.strip() for n in names):
        return "a contact needs a first or a last name"
    return None


ROW_RULES: dict[str, tuple[Callable[[dict[str, Any]], str | None], ...]] = {
    "contact": (_contact_named,),
}
# Rows whose id every device derives from what they are about (see sync.entities.answer_id).
DERIVED_IDS: dict[str, Callable[[dict[str, Any]], uuid.UUID]] = {
    "profile_answer": lambda data: answer_id(uuid.UUID(data["contact_id"]), data["question_id"]),
}


def checked_fields(entity: str, fields: dict[str, Any], *, whole: bool) -> dict[str, Any]:
    """`fields` of `entity` as the schema allows them (ids in the protocol's form), or
    RowProblem. `whole`: a new row (every required field present), else an edit."""
    if entity not in ENTITIES:
        raise RowProblem(f"unknown kind of record {entity!r}")
    try:
        valid = _schema(entity, whole).model_validate(fields)
    except ValidationError as exc:
        raise RowProblem(describe(exc, entity)) from None
    checked = {name: getattr(valid, name) for name in fields}
    problem = row_problem(entity, checked) if whole else None
    if problem:
        raise RowProblem(problem)
    return checked


def row_problem(entity: str, data: dict[str, Any]) -> str | None:
    """Why a whole row (as merged on the server, or pulled) breaks the rules over several
    fields; None when it does not."""
    problems = [p for rule in ROW_RULES.get(entity, ()) if (p := rule(data))]
    return "; ".join(problems) or None


_MESSAGES = {
    "missing": "required",
    "extra_forbidden": "not a field of this kind of record",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "string_type": "must be text",
}


def describe(exc: ValidationError, entity: str = "") -> str:
    """A validation error in plain words: 'employees: must be a whole number from 0 to …'."""
    problems = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"] if not isinstance(p, int))
        kind = error["type"]
        context = error.get("ctx") or {}
        if kind in _MESSAGES:
            message = _MESSAGES[kind]
            if kind == "extra_forbidden" and entity:
                message = f"not a field of {entity} records"
        elif kind == "literal_error":
            message = f"must be one of {context.get('expected', '').replace(' or ', ', ')}"
        elif kind in ("string_too_long", "too_long"):
            message = f"at most {context.get('max_length'):,} characters"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(dict.fromkeys(problems))
