"""A digest of rows' content that both sides compute alike: the server from the JSON it
stores, the app from its typed columns. The end-of-sync check compares one slice of the
store per sync with it, so content that left the server's without a version change (a
bug, a hand edit, a damaged page) is found and downloaded again.

Each value is brought to one form first (an id as the protocol writes it, a time in UTC,
a choice as its value, JSON with sorted keys), and each row is hashed on its own: the
digest of a slice is the sum of its rows', so the order rows are read in does not matter.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import orjson

from sync.entities import ENTITIES, FieldSpec, Kind

SLICE_ROWS = 2000  # rows compared per sync: a few milliseconds on each side
# The most rows with an edit on their way a slice may leave out (they travel in the URL;
# past it, the slice is passed over: the push sends those rows anyway).
MOST_SKIPPED = 100
_MASK = 2**64 - 1


@dataclass(frozen=True, slots=True)
class SliceCheck:
    """One slice of a client's rows of `entity`: the live ones with ids after `after` up
    to `last` (None: the ends), those in `skip` left out (edits on their way, rows set
    aside), compared over `fields`."""

    entity: str
    after: uuid.UUID | None
    last: uuid.UUID | None
    fields: tuple[str, ...]
    skip: frozenset[uuid.UUID]

    def params(self) -> dict[str, Any]:
        """As /sync/changes takes it (with include=digest)."""
        params: dict[str, Any] = {"check": self.entity, "check_field": list(self.fields)}
        if self.after is not None:
            params["check_after"] = str(self.after)
        if self.last is not None:
            params["check_last"] = str(self.last)
        if self.skip:
            params["check_skip"] = sorted(map(str, self.skip))
        return params


def canonical(spec: FieldSpec, value: Any) -> Any:
    """`value` (as JSON carries it, or as a column holds it) in the one form both hash; a
    defaulted field left out is its default, as the store fills it in."""
    if value is None:
        return spec.default if spec.defaulted else None
    kind = spec.kind
    if kind is Kind.ID:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    if kind is Kind.TIME:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        if moment.tzinfo is None:  # a UTC column read back without its zone
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    if kind is Kind.DATE:
        return (value if isinstance(value, date) else date.fromisoformat(value)).isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def row_digest(
    entity: str,
    row_id: uuid.UUID | str,
    version: int,
    fields: Mapping[str, Any],
    names: Iterable[str],
) -> int:
    """One row's digest over the fields `names` (a field left out counts as None)."""
    specs = ENTITIES[entity]
    try:
        values = [canonical(specs[name], fields.get(name)) for name in names]
        text = orjson.dumps([str(row_id), version, values], option=orjson.OPT_SORT_KEYS)
    except (ValueError, TypeError, orjson.JSONEncodeError):
        # A value no side should hold (a time that does not parse, a number past 64 bits):
        # hashed as it is written, so the slices differ and the repair download follows,
        # instead of one bad row failing the whole pull.
        text = repr((str(row_id), version, [fields.get(name) for name in names])).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def slice_digest(
    entity: str,
    rows: Iterable[tuple[uuid.UUID | str, int, Mapping[str, Any]]],
    names: Sequence[str],
) -> tuple[int, str]:
    """The count and digest of a slice's rows, each (id, version, fields)."""
    count, total = 0, 0
    for row_id, version, fields in rows:
        count += 1
        total = (total + row_digest(entity, row_id, version, fields, names)) & _MASK
    return count, f"{total:016x}"
