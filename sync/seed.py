"""Demo data in wire form, so the server can hold the same demo territory the app makes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

from db.demo import demo_rows
from db.edits import LOCAL_COLUMNS, to_wire


def demo_records(
    accounts: int, seed: int, *, today: date, territory: str, owner_rep: str
) -> Iterator[tuple[str, uuid.UUID, dict[str, Any]]]:
    """(entity, id, fields as JSON) for a demo territory, parents first."""
    for table, row in demo_rows(
        accounts, seed, today=today, territory=territory, owner_rep=owner_rep
    ):
        fields = {k: to_wire(v) for k, v in row.items() if k not in LOCAL_COLUMNS}
        yield table, row["id"], fields
