"""The server's demo records: the app's demo rows, with ids of the territory's own."""

from __future__ import annotations

import uuid
from datetime import date

from sync.demo.territory import demo_rows
from sync.seed import demo_records

TODAY = date(2026, 3, 2)
FOREIGN_KEYS = {"account_id", "contact_id", "meeting_id", "note_id"}


def records(territory: str) -> list[tuple[str, uuid.UUID, dict[str, object]]]:
    return list(demo_records(12, 3, today=TODAY, territory=territory, owner_rep="demo"))


def test_each_territory_gets_its_own_ids_with_foreign_keys_that_follow() -> None:
    north, south = records("north"), records("south")
    assert len(north) == len(south)
    for made in (north, south):
        ids = {record_id for _, record_id, _ in made}
        assert len(ids) == len(made)
        assert all(record_id.version == 4 for record_id in ids)
        for _, _, fields in made:
            for name in FOREIGN_KEYS & fields.keys():
                if fields[name] is not None:
                    assert uuid.UUID(str(fields[name])) in ids, name
    assert not {r for _, r, _ in north} & {r for _, r, _ in south}


def test_the_rows_are_the_apps_demo_rows_apart_from_ids() -> None:
    app = list(demo_rows(12, 3, today=TODAY, territory="north", owner_rep="demo"))
    server = records("north")
    assert [entity for entity, _, _ in server] == [table for table, _ in app]
    assert records("north") == server  # the same every time
    account = next(fields for entity, _, fields in server if entity == "account")
    first = next(row for table, row in app if table == "account")
    assert account["name"] == first["name"] and account["territory"] == "north"


def test_the_default_territory_keeps_the_apps_ids() -> None:
    """`make run` fills a demo store and a demo server: one territory, not two after F5."""
    app = [row["id"] for _, row in demo_rows(12, 3, today=TODAY, owner_rep="demo")]
    assert [record_id for _, record_id, _ in records("demo")] == app
