"""The app's door for pulled rows: whether one can be written to the local store.

The rules are the shared row schema's (sync.row_schema), the same the server checks pushes,
imports and ingested events with; a row this store cannot hold is set aside, not written.
"""

from __future__ import annotations

from typing import Any

from sync.entities import ENTITIES
from sync.row_schema import RowProblem, checked_fields


def pulled_problem(entity: str, data: dict[str, Any]) -> str | None:
    """Why a pulled row cannot be written to the local store (None: it can). Fields this
    app does not know (a newer server's) are no problem: they are left out when stored."""
    if entity not in ENTITIES:
        return None  # kept as a remote record, whatever it holds
    if not isinstance(data, dict):
        return "its data is not a JSON object"
    fields = ENTITIES[entity]
    known = {name: value for name, value in data.items() if name in fields}
    try:
        checked_fields(entity, known, whole=True)
    except RowProblem as exc:
        return str(exc)
    return None
