"""Ids another territory cannot claim, and imports as hostile files: outside keys (CRM ids,
event ids) map to random record ids through a table the server owns; an import is checked
by the push's row schema; an account moved by an import takes its rows along."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select, text

from db.store.local_store import Store
from db.store.models import Account, Contact, VisitNote
from db.store.replica import LocalReplica
from server.auth import AuthService
from server.importer import ImportFailed, import_accounts
from server.ingest import ApiKeys
from server.models import OutsideKey, Record
from server.store import ServerStore, database_url_for
from sync.engine import SyncEngine
from tests.server.conftest import PASSWORD

OLD_IMPORT_NAMESPACE = uuid.UUID("6f1c6f52-2b0e-4d55-9a8e-1f3c2b7d9e01")  # before s0008
OLD_INGEST_NAMESPACE = uuid.UUID("0b6d3f1e-5c2a-4f7e-8a91-3e4d5c6b7a80")
WHEN = "2026-11-20T09:00:00+00:00"


def csv_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / f"{uuid.uuid4().hex}.csv"
    path.write_text(body, encoding="utf-8")
    return path


def records(store: ServerStore, entity: str) -> dict[uuid.UUID, Record]:
    with store.session() as session:
        return {r.id: r for r in session.scalars(select(Record).where(Record.entity == entity))}


def sign_in(http: httpx.Client, user: str = "ana") -> tuple[dict[str, str], str]:
    client_id = str(uuid.uuid4())
    body = {"username": user, "password": PASSWORD, "client_id": client_id}
    tokens = http.post("/v1/auth/login", json=body).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}, client_id


def push(http: httpx.Client, *mutations: dict[str, Any], user: str = "ana") -> list[str]:
    headers, client_id = sign_in(http, user)
    numbered = [{"mutation_id": n, **m} for n, m in enumerate(mutations, start=1)]
    response = http.post(
        "/v1/sync/push", json={"client_id": client_id, "mutations": numbered}, headers=headers
    )
    assert response.status_code == 200, response.text
    return [r["status"] for r in response.json()["results"]]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ('A-1,=HYPERLINK("http://x.example"),', "name looks like a spreadsheet formula"),
        ("A-1,@SUM(1),", "name looks like a spreadsheet formula"),
        ("A-1,Acme,99999999999999999999", "employees: a number past 64 bits"),
        ("A-1,Acme,-3", "employees: must be a whole number from 0"),
        (f"A-1,{'x' * 201},", "name: at most 200 characters"),
        (f"{'9' * 201},Acme,", "the id has more than 200 characters"),
    ],
)
def test_a_hostile_cell_refuses_the_file_with_its_row_number(
    server_store: ServerStore, auth: AuthService, tmp_path: Path, row: str, problem: str
) -> None:
    path = csv_file(tmp_path, f"external_id,name,employees\nB-1,Fine GmbH,10\n{row}\n")
    with pytest.raises(ImportFailed) as refused:
        import_accounts(server_store, path, "north", auth.clock)
    assert f"row 3: {problem}" in str(refused.value)
    assert records(server_store, "account") == {}


def test_phone_numbers_and_negative_looking_text_are_no_formulas(
    server_store: ServerStore, auth: AuthService, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, "external_id,name,phone\nA-1,Acme,+49 (0) 221 123\n")
    assert import_accounts(server_store, path, "north", auth.clock).created == 1


def test_a_rep_cannot_claim_the_id_an_import_or_an_event_will_get(
    http: httpx.Client, auth: AuthService, tmp_path: Path
) -> None:
    # The ids the old code derived from outside keys, taken first by ana in north.
    squat = uuid.uuid5(OLD_IMPORT_NAMESPACE, "fieldbrief:A-1")
    assert push(
        http,
        {
            "entity": "account",
            "op": "create",
            "id": str(squat),
            "fields": {"name": "Squatter", "territory": "north"},
        },
    ) == ["applied"]
    result = import_accounts(
        auth.store, csv_file(tmp_path, "external_id,name\nA-1,Acme\n"), "south", auth.clock
    )
    assert result.created == 1
    accounts = records(auth.store, "account")
    [acme] = [r for r in accounts.values() if r.data["name"] == "Acme"]
    assert acme.id != squat and acme.territory == "south"
    assert accounts[squat].data["name"] == "Squatter"  # untouched

    # Re-importing matches on the outside key, never on an id.
    again = import_accounts(
        auth.store, csv_file(tmp_path, "external_id,name\nA-1,Acme AG\n"), "south", auth.clock
    )
    assert (again.created, again.updated) == (0, 1)
    assert records(auth.store, "account")[acme.id].data["name"] == "Acme AG"

    # An event's activity id is random too: a row made with the old derivation changes
    # nothing for billing's dispute, which lands in ben's briefing all the same.
    derived = uuid.uuid5(OLD_INGEST_NAMESPACE, "billing:d-1")
    push(
        http,
        {
            "entity": "activity",
            "op": "create",
            "id": str(derived),
            "fields": {
                "account_id": str(squat),
                "channel": "billing",
                "type": "dispute_resolved",
                "title": "All fine",
                "occurred_at": WHEN,
                "details": {},
            },
        },
    )
    key = ApiKeys(auth.store, auth.clock).add("billing")
    event = {
        "event_id": "d-1",
        "type": "dispute_opened",
        "occurred_at": WHEN,
        "crm_id": "A-1",
        "details": {"dispute": "D-1"},
    }
    response = http.post(
        "/v1/ingest/events", json={"events": [event]}, headers={"Authorization": f"Bearer {key}"}
    )
    [taken] = response.json()["results"]
    assert taken["status"] == "accepted" and taken["activity_id"] != str(derived)
    dispute = records(auth.store, "activity")[uuid.UUID(taken["activity_id"])]
    assert dispute.territory == "south" and dispute.data["type"] == "dispute_opened"

    # Creating a row whose id exists in another territory says nothing of where.
    statuses = push(
        http,
        {
            "entity": "account",
            "op": "create",
            "id": str(acme.id),
            "fields": {"name": "Mine now", "territory": "north"},
        },
    )
    assert statuses == ["rejected"]


def test_an_import_that_moves_an_account_moves_its_rows_and_both_territories_sync(
    http: httpx.Client, auth: AuthService, tmp_path: Path
) -> None:
    auth.grant("ana", "south")  # ana writes in north; ben's devices see south
    import_accounts(
        auth.store, csv_file(tmp_path, "external_id,name\nA-1,Acme\n"), "north", auth.clock
    )
    [acme] = records(auth.store, "account")
    contact, note = uuid.uuid4(), uuid.uuid4()
    assert push(
        http,
        {
            "entity": "contact",
            "op": "create",
            "id": str(contact),
            "fields": {"account_id": str(acme), "first_name": "Ada", "last_name": "Lee"},
        },
        {
            "entity": "visit_note",
            "op": "create",
            "id": str(note),
            "fields": {"account_id": str(acme), "body": "Met Ada."},
        },
    ) == ["applied", "applied"]
    moved = import_accounts(
        auth.store, csv_file(tmp_path, "external_id,name\nA-1,Acme\n"), "south", auth.clock
    )
    assert moved.updated == 1
    for entity in ("account", "contact", "visit_note"):
        assert {r.territory for r in records(auth.store, entity).values()} == {"south"}

    auth.revoke("ana", "south")  # a fresh device of north: nothing of Acme, no broken key
    for user, expected in (("ana", 0), ("ben", 1)):
        store = Store.open(tmp_path / f"fresh-{user}")
        try:
            outcome = SyncEngine(LocalReplica(store), http, user, PASSWORD).run()
            assert outcome.snapshot and outcome.set_aside == 0
            with store.reading() as session:
                for model in (Account, Contact, VisitNote):
                    assert len(session.scalars(select(model.id)).all()) == expected
        finally:
            store.close()


def test_accounts_imported_before_keep_their_crm_ids(tmp_path: Path, auth: AuthService) -> None:
    """Migration s0008 takes over the keys of accounts imported with derived ids."""
    url = database_url_for(tmp_path / "old")
    config = Config()
    config.set_main_option("script_location", "server:migrations")
    engine = create_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "s0007_sign_in_guard")
        old_id = uuid.uuid5(OLD_IMPORT_NAMESPACE, "salesforce:001A")
        data = {"name": "Bauhaus", "territory": "north", "source_system": "salesforce"}
        connection.execute(
            text(
                "INSERT INTO record (entity, id, territory, version, updated_at, data) "
                "VALUES ('account', :id, 'north', 1, '2026-01-01', :data)"
            ),
            {"id": old_id.hex, "data": json.dumps({**data, "source_id": "001A"})},
        )
        command.upgrade(config, "head")
    engine.dispose()
    store = ServerStore.open(url)
    try:
        with store.session() as session:
            key = session.get(OutsideKey, ("salesforce", "001A"))
            assert key is not None and key.record_id == old_id
        path = csv_file(tmp_path, "Account ID,Account Name\n001A,Bauhaus AG\n")
        AuthService(store).add_territory("north")
        result = import_accounts(store, path, "north", auth.clock)
        assert (result.created, result.updated) == (0, 1)
    finally:
        store.close()
