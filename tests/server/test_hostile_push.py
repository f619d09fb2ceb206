# ruff: noqa: E501 - the table of bad mutations reads best a row a line
"""Pushed mutations as a buggy or hostile client sends them, over real HTTP: each is refused
with a reason naming the field, writes nothing, and a fresh device of the territory still
syncs afterwards. (NUL characters never get this far: tests/server/test_hostile_edge.py.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from db.store.local_store import Store
from db.store.replica import LocalReplica
from server.models import Record
from sync.engine import SyncEngine
from sync.entities import answer_id
from tests.helpers.live_server import REP_PASSWORD, RunningServer, rep_server

ACCOUNT = uuid.UUID("00000000-0000-4000-8000-00000000000a")
CONTACT = uuid.UUID("00000000-0000-4000-8000-00000000000c")
WHEN = "2026-12-01T09:00:00+00:00"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_server_database: str
) -> Iterator[RunningServer]:
    with rep_server(tmp_path_factory.mktemp("hostile"), module_server_database) as running:
        running.auth.add_territory("south")
        yield running


class Rep:
    """A signed-in device that pushes whatever it is given."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=20)
        self.client_id = uuid.uuid4()
        tokens = self.http.post(
            "/v1/auth/login",
            json={"username": "ana", "password": REP_PASSWORD, "client_id": str(self.client_id)},
        ).json()
        self.http.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        self.next_id = 1

    def push(self, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
        numbered = []
        for mutation in mutations:
            numbered.append({"mutation_id": self.next_id, **mutation})
            self.next_id += 1
        response = self.http.post(
            "/v1/sync/push", json={"client_id": str(self.client_id), "mutations": numbered}
        )
        assert response.status_code == 200, response.text
        return list(response.json()["results"])


@pytest.fixture(scope="module")
def rep(server: RunningServer) -> Iterator[Rep]:
    device = Rep(server.url)
    seeded = device.push(
        create("account", ACCOUNT, name="Acme", territory="north"),
        create("contact", CONTACT, account_id=str(ACCOUNT), first_name="Ada", last_name="Lee"),
    )
    assert [r["status"] for r in seeded] == ["applied", "applied"]
    yield device
    device.http.close()


def create(entity: str, row_id: uuid.UUID | None = None, **fields: Any) -> dict[str, Any]:
    return {"entity": entity, "op": "create", "id": str(row_id or uuid.uuid4()), "fields": fields}


def edit(entity: str, row_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    return {"entity": entity, "op": "set_fields", "id": str(row_id), "fields": fields}


def meeting(**fields: Any) -> dict[str, Any]:
    return create(
        "meeting", account_id=str(ACCOUNT), **{"starts_at": WHEN, "ends_at": WHEN, **fields}
    )


def contact(**fields: Any) -> dict[str, Any]:
    names = {"first_name": "Bo", "last_name": "Ek", **fields}
    return create("contact", account_id=str(ACCOUNT), **names)


DEEP: dict[str, Any] = {"a": 1}
for _level in range(14):
    DEEP = {"a": DEEP}
NOT_DERIVED = uuid.UUID("00000000-0000-4000-8000-0000000000ff")

# (what is wrong, the mutation, words the reason must hold)
BAD: list[tuple[str, dict[str, Any], str]] = [
    ("unknown rung", create("account", name="X", territory="north", ladder_rung="bogus"), "ladder_rung"),
    ("name is an object", create("account", name={"a": 1}, territory="north"), "name: must be text"),
    ("name too long", create("account", name="x" * 201, territory="north"), "at most 200"),
    ("blank name", create("account", name="  ", territory="north"), "name: must not be empty"),
    ("employees past 64 bits", create("account", name="X", territory="north", employees=10**30), "employees"),
    ("employees negative", create("account", name="X", territory="north", employees=-1), "employees"),
    ("employees a float", create("account", name="X", territory="north", employees=1.5), "employees"),
    ("employees a bool", create("account", name="X", territory="north", employees=True), "employees"),
    ("unknown field", create("account", name="X", territory="north", evil=1), "evil: not a field"),
    ("no territory", create("account", name="X"), "territory: required"),
    ("not a date", meeting(starts_at="not-a-date"), "starts_at"),
    ("no time zone", meeting(starts_at="2026-12-01T09:00:00"), "time zone"),
    ("year 9999", meeting(ends_at="9999-12-01T09:00:00+00:00"), "between 1900"),
    ("no names", contact(first_name="", last_name=" "), "first or a last name"),
    ("names missing", create("contact", account_id=str(ACCOUNT)), "first_name: required"),
    ("details not an object", create("activity", account_id=str(ACCOUNT), channel="sales", type="call_logged", title="t", occurred_at=WHEN, details=[1]), "details: must be a JSON object"),
    ("deep JSON", create("activity", account_id=str(ACCOUNT), channel="sales", type="call_logged", title="t", occurred_at=WHEN, details=DEEP), "nested"),
    ("unknown contact", create("task", account_id=str(ACCOUNT), contact_id=str(uuid.uuid4()), title="Call"), "contact_id: no contact"),
    ("account id not an id", create("task", account_id="acme", title="Call"), "account_id"),
    ("bad due date", create("task", account_id=str(ACCOUNT), title="Call", due_date="2026-02-30"), "due_date"),
    ("answer id not derived", create("profile_answer", NOT_DERIVED, account_id=str(ACCOUNT), contact_id=str(CONTACT), question_id="hobbies", value="golf"), "id does not match"),
    ("edit to a bogus rung", edit("account", ACCOUNT, ladder_rung="bogus"), "ladder_rung"),
    ("edit that nulls a name", edit("account", ACCOUNT, name=None), "name"),
    ("edit that blanks a contact", edit("contact", CONTACT, first_name="", last_name=""), "first or a last name"),
    ("edit moving to no account", edit("contact", CONTACT, account_id=str(uuid.uuid4())), "account_id: no account"),
    ("unknown entity", create("wallet", name="X"), "unknown kind"),
    ("conflict marked 'yes'", edit("conflict", uuid.uuid4(), resolved="yes"), "resolved"),
]  # fmt: skip


def _server_rows(server: RunningServer) -> list[tuple[str, str, int, Any]]:
    with server.store.session() as session:
        rows = session.execute(
            select(Record.entity, Record.id, Record.version, Record.data).order_by(Record.version)
        )
        return [(e, str(i), v, d) for e, i, v, d in rows]


@pytest.mark.parametrize(("case", "mutation", "reason"), BAD, ids=[case for case, _, _ in BAD])
def test_a_bad_mutation_is_refused_with_its_reason_and_writes_nothing(
    server: RunningServer, rep: Rep, case: str, mutation: dict[str, Any], reason: str
) -> None:
    before = _server_rows(server)
    [result] = rep.push(mutation)
    assert result["status"] == "rejected", case
    assert reason in result["reason"], result["reason"]
    assert _server_rows(server) == before


def test_good_mutations_around_a_bad_one_land(server: RunningServer, rep: Rep) -> None:
    results = rep.push(
        create("account", name="Good one", territory="north", employees=12),
        create("account", name="Bad one", territory="north", ladder_rung="bogus"),
        {**edit("account", ACCOUNT, city="Köln"), "base": {"city": None}},
    )
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]


def test_a_valid_derived_answer_and_a_good_edit_are_applied(rep: Rep) -> None:
    answer = answer_id(CONTACT, "hobbies")
    [created, edited] = rep.push(
        create(
            "profile_answer",
            answer,
            account_id=str(ACCOUNT),
            contact_id=str(CONTACT),
            question_id="hobbies",
            value={"list": ["golf"]},
        ),
        {
            **edit("account", ACCOUNT, employees=250, ladder_rung="client"),
            "base": {"employees": None, "ladder_rung": None},
        },
    )
    assert (created["status"], edited["status"]) == ("applied", "applied")


def test_a_fresh_device_still_syncs_after_every_refusal(
    server: RunningServer, rep: Rep, tmp_path: Path
) -> None:
    for _case, mutation, _reason in BAD:
        rep.push(mutation)
    store = Store.open(tmp_path / "fresh")
    try:
        with httpx.Client(base_url=server.url, timeout=20) as http:
            outcome = SyncEngine(LocalReplica(store), http, "ana", REP_PASSWORD).run()
        assert outcome.snapshot and outcome.pulled >= 2
    finally:
        store.close()
