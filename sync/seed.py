"""Demo data in wire form, so the server can hold the same demo territory the app makes."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from sync.demo.territory import demo_rows
from sync.entities import ENTITIES, to_wire

DEFAULT_TERRITORY = "demo"  # what `fieldbrief demo` and `fieldbrief-server demo` fill


def demo_records(
    accounts: int, seed: int, *, today: date, territory: str, owner_rep: str
) -> Iterator[tuple[str, uuid.UUID, dict[str, Any]]]:
    """(entity, id, fields as JSON) for a demo territory, parents first.

    The rows are the app's (`fieldbrief demo`) for the same seed, with the same ids in
    the default territory (so `make run`'s demo store and demo server hold one territory,
    not two); in any other territory the ids, and the foreign keys naming them, are moved
    by its name, so demo territories of one server never share an id.
    """
    moved = territory_ids(territory)
    for entity, row in demo_rows(
        accounts, seed, today=today, territory=territory, owner_rep=owner_rep
    ):
        fields = {
            k: to_wire(moved(v) if isinstance(v, uuid.UUID) else v)
            for k, v in row.items()
            if k in ENTITIES[entity]  # not the columns the app's store manages itself
        }
        yield entity, moved(row["id"]), fields


def territory_ids(territory: str) -> Callable[[uuid.UUID], uuid.UUID]:
    """A one-to-one map of the demo's (version 4) ids to the ids `territory` gets.

    The random bits are XORed with a key drawn from the territory's name, so two ids of a
    territory never land on the same id, and one territory's ids are another's only by a
    chance of about one in 2**122 per pair.
    """
    if territory == DEFAULT_TERRITORY:
        return lambda value: value
    key = int.from_bytes(hashlib.sha256(f"fieldbrief demo/{territory}".encode()).digest()[:16])

    def moved(value: uuid.UUID) -> uuid.UUID:
        # version=4 sets the version and variant bits back: only random bits are changed.
        return uuid.UUID(int=value.int ^ key, version=4)

    return moved
