"""The synced entities and what each of their fields may hold: the one source of the row schema.

Both sides share these specs. sync.row_schema builds from them the schema every door
checks (a pushed row, an imported CSV row, an ingested event, a pulled row the app is
about to store); the app's tables (db.store.models) declare the same columns, and
tests/db/test_models_match_entities.py fails when a column and its spec disagree (one
missing, another type, length, nullability or default). Rules a column cannot express
(a range, text that must not be blank) live only here.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum, StrEnum
from typing import Any

from sync.enums import (
    Channel,
    DealRole,
    LadderRung,
    LeadOutcome,
    LeadStatus,
    RejectReason,
    TeamRole,
)


class Kind(StrEnum):
    """What a field holds, as it travels in JSON."""

    ID = "id"  # a UUID, as text in the protocol's form
    TIME = "time"  # a moment with its time zone, as ISO 8601 text
    DATE = "date"  # a day, as ISO 8601 text
    BOOL = "bool"
    INT = "int"  # a whole number within 64 bits (and the spec's own range)
    TEXT = "text"  # text of `length` characters at most (None: a long text, a note's body)
    CHOICE = "choice"  # one of the values of `choices`, stored in `length` characters
    JSON = "json"  # any JSON value
    OBJECT = "object"  # a JSON object


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a synced entity."""

    kind: Kind
    nullable: bool = False
    # A new row may leave the field out: the store fills in its default.
    defaulted: bool = False
    length: int | None = None
    choices: type[StrEnum] | None = None
    low: int | None = None  # whole numbers: the smallest allowed (None: 64 bits' own)
    high: int | None = None
    non_blank: bool = False  # text: more than white space
    # What the store fills in for a defaulted field left out, as JSON carries it (the
    # content check counts a field left out as this value). Not part of equality.
    default: Any = field(default=None, compare=False, hash=False)


def _ident(*, nullable: bool = False) -> FieldSpec:
    return FieldSpec(Kind.ID, nullable)


def _moment(*, nullable: bool = False) -> FieldSpec:
    return FieldSpec(Kind.TIME, nullable)


def _day(*, nullable: bool = False) -> FieldSpec:
    return FieldSpec(Kind.DATE, nullable)


def _flag() -> FieldSpec:
    """A yes or no that starts as no."""
    return FieldSpec(Kind.BOOL, defaulted=True, default=False)


def _number(
    *, nullable: bool = False, low: int | None = None, high: int | None = None
) -> FieldSpec:
    return FieldSpec(Kind.INT, nullable, low=low, high=high)


def _text(length: int | None, *, nullable: bool = False, non_blank: bool = False) -> FieldSpec:
    return FieldSpec(Kind.TEXT, nullable, length=length, non_blank=non_blank)


def _choice(
    choices: type[StrEnum], length: int, *, nullable: bool = False, default: StrEnum | None = None
) -> FieldSpec:
    defaulted = default is not None
    return FieldSpec(
        Kind.CHOICE,
        nullable,
        defaulted,
        length=length,
        choices=choices,
        default=default.value if default is not None else None,
    )


# Entity (table) name -> field -> spec, in foreign-key order: an entity comes after every
# entity it refers to. Fields the store manages itself (id, version, timestamps, the
# tombstone) are not here: they never travel in a row's fields.
ENTITIES: Mapping[str, Mapping[str, FieldSpec]] = {
    "account": {
        "name": _text(200, non_blank=True),
        "industry": _text(100, nullable=True),
        "employees": _number(nullable=True, low=0),
        "street": _text(200, nullable=True),
        "postal_code": _text(20, nullable=True),
        "city": _text(100, nullable=True),
        "country": _text(100, nullable=True),
        "phone": _text(50, nullable=True),
        "website": _text(200, nullable=True),
        "territory": _text(100, non_blank=True),
        "owner_rep": _text(100, nullable=True),
        "ladder_rung": _choice(LadderRung, 32, default=LadderRung.PROSPECT),
    },
    "contact": {
        "account_id": _ident(),
        "first_name": _text(100),
        "last_name": _text(100),
        "title": _text(150, nullable=True),
        "email": _text(200, nullable=True),
        "phone": _text(50, nullable=True),
        "mobile": _text(50, nullable=True),
        "deal_role": _choice(DealRole, 32, nullable=True),
    },
    "meeting": {
        "account_id": _ident(),
        "starts_at": _moment(),
        "ends_at": _moment(),
        "place": _text(200, nullable=True),
        "purpose": _text(300, nullable=True),
        "all_day": _flag(),
    },
    "meeting_attendee": {
        "meeting_id": _ident(),
        "contact_id": _ident(),
    },
    "visit_note": {
        "account_id": _ident(),
        "meeting_id": _ident(nullable=True),
        "body": _text(None),
        "author": _text(100, nullable=True),
        "check_in_at": _moment(nullable=True),
        "check_out_at": _moment(nullable=True),
        "needs_merge": _flag(),
    },
    "task": {
        "account_id": _ident(),
        "contact_id": _ident(nullable=True),
        "note_id": _ident(nullable=True),
        "title": _text(300),
        "due_date": _day(nullable=True),
        "done": _flag(),
        "done_at": _moment(nullable=True),
    },
    "activity": {
        "account_id": _ident(),
        "contact_id": _ident(nullable=True),
        "channel": _choice(Channel, 16),
        "type": _text(64),  # not a choice: ingestion may bring types this version lacks
        "title": _text(300),
        "occurred_at": _moment(),
        "details": FieldSpec(Kind.OBJECT, defaulted=True, default={}),
        "source_system": _text(100, nullable=True),
    },
    "ladder_change": {
        "account_id": _ident(),
        "from_rung": _choice(LadderRung, 32, nullable=True),
        "to_rung": _choice(LadderRung, 32),
        "changed_at": _moment(),
        "reason": _text(None, nullable=True),
        "changed_by": _text(100, nullable=True),
    },
    "team_member": {
        "account_id": _ident(),
        "name": _text(150),
        "email": _text(200, nullable=True),
        "role": _choice(TeamRole, 32),
    },
    "profile_answer": {
        "account_id": _ident(),
        "contact_id": _ident(),
        "question_id": _text(64),
        "value": FieldSpec(Kind.JSON, nullable=True),  # null once cleared
        "sensitive": _flag(),
    },
    "profile_change": {
        "account_id": _ident(),
        "contact_id": _ident(),
        "question_id": _text(64),
        "value": FieldSpec(Kind.JSON, nullable=True),
        "changed_by": _text(100, nullable=True),
        "changed_at": _moment(),
    },
    "lead": {
        "account_id": _ident(),
        "contact_id": _ident(nullable=True),
        "campaign": _text(200),
        "source_system": _text(100, nullable=True),
        "score": _number(nullable=True, low=0, high=100),
        "handed_over_at": _moment(),
        "status": _choice(LeadStatus, 20, default=LeadStatus.NEW),
        "reject_reason": _choice(RejectReason, 40, nullable=True),
        "decision_note": _text(None, nullable=True),
        "decided_at": _moment(nullable=True),
        "decided_by": _text(100, nullable=True),
        "outcome": _choice(LeadOutcome, 20, nullable=True),
        "outcome_reason": _text(None, nullable=True),
        "outcome_at": _moment(nullable=True),
    },
    "contact_hold": {
        "account_id": _ident(),
        "contact_id": _ident(),
        "campaign": _text(200, nullable=True),  # None: every campaign
        "reason": _text(None, nullable=True),
        "expires_on": _day(),
        "requested_by": _text(100, nullable=True),
    },
}

# Stable namespace for answer ids: uuid5(namespace, "<contact id>/<question id>").
ANSWER_NAMESPACE = uuid.UUID("6f1c1a52-5a0e-4f55-9d55-66c0ffee6606")


def answer_id(contact_id: uuid.UUID, question_id: str) -> uuid.UUID:
    """The id of a contact's answer to a question: the same on every device, so two devices
    answering one question offline write one row (which the server merges)."""
    return uuid.uuid5(ANSWER_NAMESPACE, f"{contact_id}/{question_id}")


def to_wire(value: Any) -> Any:
    """A field value as JSON the server stores and compares: text for ids, times, enums."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
