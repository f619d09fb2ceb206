"""Snapshot, pull and push over real HTTP: scoping, dedupe, merges and conflicts."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from server.auth import AuthService
from server.records import ScopedRecords, encode_cursor
from tests.server.conftest import PASSWORD

START = encode_cursor(0)


class Device:
    """One signed-in installation of the app, talking to the server like the engine will."""

    def __init__(self, http: httpx.Client, user: str) -> None:
        self.http = http
        self.client_id = uuid.uuid4()
        tokens = http.post(
            "/v1/auth/login",
            json={"username": user, "password": PASSWORD, "client_id": str(self.client_id)},
        ).json()
        self.headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        self._ids = itertools.count(1)

    def push(
        self, *mutations: dict[str, Any], mutation_ids: list[int] | None = None
    ) -> list[dict[str, Any]]:
        numbered = []
        for mutation in mutations:
            mutation = {"mutation_id": next(self._ids), **mutation}
            numbered.append(mutation)
        body = {"client_id": str(self.client_id), "mutations": numbered}
        response = self.http.post("/v1/sync/push", json=body, headers=self.headers)
        assert response.status_code == 200, response.text
        return list(response.json()["results"])

    def push_raw(self, body: dict[str, Any]) -> httpx.Response:
        return self.http.post("/v1/sync/push", json=body, headers=self.headers)

    def pull_all(self, cursor: str = START) -> tuple[list[dict[str, Any]], str]:
        rows: list[dict[str, Any]] = []
        while True:
            page = self.http.get(
                "/v1/sync/changes", params={"cursor": cursor}, headers=self.headers
            )
            assert page.status_code == 200, page.text
            body = page.json()
            rows += body["rows"]
            cursor = body["cursor"]
            if not body["more"]:
                return rows, cursor

    def snapshot_all(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        after = None
        while True:
            params = {"after": after} if after else {}
            body = self.http.get("/v1/sync/snapshot", params=params, headers=self.headers).json()
            rows += body["rows"]
            after = body["next_after"]
            if after is None:
                return rows


def new_account(name: str = "Acme", territory: str = "north", **extra: Any) -> dict[str, Any]:
    return {
        "entity": "account",
        "op": "create",
        "id": str(uuid.uuid4()),
        "fields": {"name": name, "territory": territory, "city": "Bonn", **extra},
    }


def current(device: Device, entity: str, record_id: str) -> dict[str, Any]:
    rows, _ = device.pull_all()
    latest = [r for r in rows if r["entity"] == entity and r["id"] == record_id]
    return latest[-1]


@pytest.fixture
def ana(http: httpx.Client) -> Device:
    return Device(http, "ana")


@pytest.fixture
def ben(http: httpx.Client) -> Device:
    return Device(http, "ben")


@pytest.fixture
def ana_laptop(http: httpx.Client, auth: AuthService) -> Device:
    auth.add_user("cara", PASSWORD, ["north"])  # a second rep on the same territory
    return Device(http, "cara")


def test_a_created_account_comes_back_in_pull_and_snapshot(ana: Device) -> None:
    create = new_account()
    [result] = ana.push(create)
    assert result["status"] == "applied" and result["version"] >= 1
    rows, cursor = ana.pull_all()
    assert [(r["entity"], r["id"], r["data"]["name"]) for r in rows] == [
        ("account", create["id"], "Acme")
    ]
    assert ana.pull_all(cursor)[0] == []  # nothing new after the cursor
    assert [r["id"] for r in ana.snapshot_all()] == [create["id"]]


def test_a_retried_push_is_not_applied_twice(ana: Device) -> None:
    create = new_account()
    body = {"client_id": str(ana.client_id), "mutations": [{"mutation_id": 7, **create}]}
    first = ana.push_raw(body).json()["results"][0]
    again = ana.push_raw(body).json()["results"][0]  # the response was lost; the app retries
    assert first["status"] == "applied"
    assert again == {**first, "status": "duplicate", "original_status": "applied"}
    assert len(ana.pull_all()[0]) == 1


def test_edits_to_different_fields_merge(ana: Device, ana_laptop: Device) -> None:
    create = new_account(phone="111")
    ana.push(create)
    version = current(ana, "account", create["id"])["version"]
    edit = {"entity": "account", "op": "set_fields", "id": create["id"], "base_version": version}
    assert (
        ana.push({**edit, "fields": {"phone": "222"}, "base": {"phone": "111"}})[0]["status"]
        == "applied"
    )
    assert (
        ana_laptop.push({**edit, "fields": {"city": "Köln"}, "base": {"city": "Bonn"}})[0]["status"]
        == "applied"
    )
    data = current(ana, "account", create["id"])["data"]
    assert (data["phone"], data["city"]) == ("222", "Köln")


def test_the_same_field_changed_twice_is_a_conflict_with_both_values(
    ana: Device, ana_laptop: Device
) -> None:
    create = new_account()
    ana.push(create)
    edit = {"entity": "account", "op": "set_fields", "id": create["id"], "base": {"city": "Bonn"}}
    ana.push({**edit, "fields": {"city": "Köln"}})
    [result] = ana_laptop.push({**edit, "fields": {"city": "Aachen"}})
    assert result["status"] == "applied_with_conflict"
    rows, _ = ana.pull_all()
    assert current(ana, "account", create["id"])["data"]["city"] == "Köln"  # server policy
    [conflict] = [r["data"] for r in rows if r["entity"] == "conflict"]
    assert conflict["entity_id"] == create["id"] and conflict["field"] == "city"
    assert (conflict["client_value"], conflict["server_value"]) == ("Aachen", "Köln")
    assert conflict["kind"] == "both_changed"


def test_two_revisions_of_a_note_both_survive(ana: Device, ana_laptop: Device) -> None:
    account = new_account()
    note_id = str(uuid.uuid4())
    ana.push(
        account,
        {
            "entity": "visit_note",
            "op": "create",
            "id": note_id,
            "fields": {"account_id": account["id"], "body": "Met Zoë."},
        },
    )
    revise = {"entity": "visit_note", "op": "revise", "id": note_id, "base": {"body": "Met Zoë."}}
    ana.push({**revise, "fields": {"body": "Met Zoë. Wants a pilot."}})
    [result] = ana_laptop.push({**revise, "fields": {"body": "Met Zoë. Price too high."}})
    assert result["status"] == "applied_with_conflict"
    note = current(ana, "visit_note", note_id)["data"]
    assert note["body"] == "Met Zoë. Wants a pilot." and note["needs_merge"] is True
    rows, _ = ana.pull_all()
    assert [r["data"]["client_value"] for r in rows if r["entity"] == "conflict"] == [
        "Met Zoë. Price too high."
    ]


def test_a_note_on_a_deleted_account_brings_it_back(ana: Device, ana_laptop: Device) -> None:
    account = new_account()
    ana.push(account)
    ana.push({"entity": "account", "op": "delete", "id": account["id"]})
    assert current(ana, "account", account["id"])["deleted"] is True
    note = {
        "entity": "visit_note",
        "op": "create",
        "id": str(uuid.uuid4()),
        "fields": {"account_id": account["id"], "body": "Written offline"},
    }
    assert ana_laptop.push(note)[0]["status"] == "applied"
    assert current(ana, "account", account["id"])["deleted"] is False


def test_an_edit_to_a_deleted_contact_becomes_a_conflict(ana: Device, ana_laptop: Device) -> None:
    account = new_account()
    contact_id = str(uuid.uuid4())
    ana.push(
        account,
        {
            "entity": "contact",
            "op": "create",
            "id": contact_id,
            "fields": {"account_id": account["id"], "first_name": "Zoë", "last_name": "Núñez"},
        },
    )
    ana.push({"entity": "contact", "op": "delete", "id": contact_id})
    [result] = ana_laptop.push(
        {
            "entity": "contact",
            "op": "set_fields",
            "id": contact_id,
            "fields": {"title": "CFO"},
            "base": {"title": None},
        }
    )
    assert result["status"] == "applied_with_conflict"
    rows, _ = ana.pull_all()
    [conflict] = [r["data"] for r in rows if r["entity"] == "conflict"]
    assert conflict["kind"] == "edited_after_delete" and conflict["client_value"] == "CFO"


def test_an_all_day_meeting_syncs_and_an_older_apps_meeting_is_timed(
    ana: Device, ana_laptop: Device
) -> None:
    account = new_account()
    ana.push(account)
    times = {"starts_at": "2025-11-03T23:00:00+00:00", "ends_at": "2025-11-05T23:00:00+00:00"}

    def meeting(**extra: Any) -> dict[str, Any]:
        fields = {"account_id": account["id"], **times, **extra}
        return {"entity": "meeting", "op": "create", "id": str(uuid.uuid4()), "fields": fields}

    fair, older, bad = meeting(all_day=True), meeting(), meeting(all_day="yes")
    results = ana.push(fair, older, bad)
    assert [r["status"] for r in results] == ["applied", "applied", "rejected"]
    assert "all_day: must be true or false" in results[2]["reason"]
    assert current(ana_laptop, "meeting", fair["id"])["data"]["all_day"] is True
    # An older app sends no all_day: the row holds none, and reads as timed.
    assert "all_day" not in current(ana_laptop, "meeting", older["id"])["data"]


def test_rejections_carry_a_reason_and_do_not_block_the_queue(ana: Device) -> None:
    results = ana.push(
        {"entity": "gizmo", "op": "create", "id": str(uuid.uuid4()), "fields": {}},
        new_account(territory="south"),
        {**new_account(), "fields": {"name": "X", "territory": "north", "version": 9}},
        new_account("Still applied"),
    )
    assert [r["status"] for r in results] == ["rejected", "rejected", "rejected", "applied"]
    assert "unknown kind" in results[0]["reason"]
    assert "territory" in results[1]["reason"]
    assert "server owns" in results[2]["reason"]


def test_another_territory_is_invisible_and_untouchable(ana: Device, ben: Device) -> None:
    """BOLA: every sync route with another territory's ids leaks and changes nothing."""
    account = new_account("Secret North GmbH")
    contact_id = str(uuid.uuid4())
    ana.push(
        account,
        {
            "entity": "contact",
            "op": "create",
            "id": contact_id,
            "fields": {"account_id": account["id"], "first_name": "A", "last_name": "B"},
        },
    )
    attempts = ben.push(
        {"entity": "account", "op": "set_fields", "id": account["id"], "fields": {"name": "Mine"}},
        {"entity": "account", "op": "delete", "id": account["id"]},
        {"entity": "contact", "op": "set_fields", "id": contact_id, "fields": {"title": "x"}},
        {
            "entity": "contact",
            "op": "create",
            "id": str(uuid.uuid4()),
            "fields": {"account_id": account["id"], "first_name": "Eve", "last_name": "X"},
        },
        {"entity": "account", "op": "set_fields", "id": str(uuid.uuid4()), "fields": {"name": "?"}},
    )
    assert [r["status"] for r in attempts] == ["rejected"] * 5
    # A record of another territory reads exactly like one that does not exist.
    assert attempts[0]["reason"] == attempts[4]["reason"]
    assert ben.pull_all()[0] == [] and ben.snapshot_all() == []
    assert current(ana, "account", account["id"])["data"]["name"] == "Secret North GmbH"


def test_a_push_for_another_device_is_refused(ana: Device, ben: Device) -> None:
    body = {"client_id": str(ben.client_id), "mutations": [{"mutation_id": 1, **new_account()}]}
    response = ana.push_raw(body)
    assert response.status_code == 403 and response.json()["error"] == "forbidden"


def _add_accounts(auth: AuthService, count: int, territory_of: Callable[[int], str]) -> None:
    """`count` accounts named A0, A1, ... written on the server, account i in territory_of(i)."""
    with auth.store.session() as session:
        records = ScopedRecords(session, frozenset({"north", "south"}), auth.clock)
        for i in range(count):
            territory = territory_of(i)
            records.create(
                "account", uuid.uuid4(), territory, {"name": f"A{i}", "territory": territory}
            )


def test_pull_and_snapshot_page_through_large_scopes(
    ana: Device, auth: AuthService, http: httpx.Client
) -> None:
    _add_accounts(auth, 1005, lambda i: "north" if i % 5 else "south")
    first = http.get("/v1/sync/changes", params={"cursor": START}, headers=ana.headers).json()
    assert len(first["rows"]) == 804 and first["more"] is False
    versions = [r["version"] for r in first["rows"]]
    assert versions == sorted(versions)
    assert len(ana.snapshot_all()) == 804
    assert {r["data"]["territory"] for r in ana.snapshot_all()} == {"north"}


def test_pull_pages_hold_at_most_a_thousand_rows(ana: Device, auth: AuthService) -> None:
    _add_accounts(auth, 1003, lambda _i: "north")
    page = ana.http.get("/v1/sync/changes", params={"cursor": START}, headers=ana.headers).json()
    assert len(page["rows"]) == 1000 and page["more"] is True
    rows, _ = ana.pull_all()
    assert len(rows) == 1003 and len({r["id"] for r in rows}) == 1003
    snapshot = ana.snapshot_all()
    assert len(snapshot) == 1003


def test_a_forged_cursor_is_a_plain_400(ana: Device) -> None:
    response = ana.http.get("/v1/sync/changes", params={"cursor": "nonsense"}, headers=ana.headers)
    assert response.status_code == 400 and "cursor" in response.json()["message"]


def test_a_pull_carries_scope_and_summary_only_when_asked(ana: Device, auth: AuthService) -> None:
    _add_accounts(auth, 2003, lambda i: "north" if i % 2 else "south")

    def page(cursor: str, **params: Any) -> dict[str, Any]:
        response = ana.http.get(
            "/v1/sync/changes", params={"cursor": cursor, **params}, headers=ana.headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    plain = page(START)
    assert set(plain) == {"rows", "cursor", "more"}  # what older clients read, and no more

    asked = {"include": ["me", "summary"]}
    rows = pages = 0
    cursor, body = START, {"more": True}
    while body["more"]:
        body = page(cursor, **asked)
        assert body["me"]["territories"] == ["north"]
        assert body["me"]["sensitive_answers"] == "allowed"
        assert ("summary" in body) is (not body["more"])  # on the last page only
        rows += len(body["rows"])
        pages += 1
        cursor = body["cursor"]
    assert rows == 1001 and pages == 2
    # What /sync/summary says at the same cursor.
    summary = ana.http.get("/v1/sync/summary", params={"cursor": cursor}, headers=ana.headers)
    assert (
        body["summary"]
        == summary.json()["entities"]
        == {"account": {"count": 1001, "checksum": body["summary"]["account"]["checksum"]}}
    )

    refused = ana.http.get(
        "/v1/sync/changes", params={"cursor": START, "include": "gossip"}, headers=ana.headers
    )
    assert refused.status_code == 400 and "include" in refused.json()["message"]


def test_a_pull_carries_the_digest_of_the_slice_asked_for_and_refuses_bad_slices(
    ana: Device,
) -> None:
    results = ana.push(*(new_account(f"A{i}") for i in range(3)))
    assert [result["status"] for result in results] == ["applied"] * 3

    def pull(**check: Any) -> httpx.Response:
        params = {"cursor": START, "include": ["digest"], **check}
        return ana.http.get("/v1/sync/changes", params=params, headers=ana.headers)

    whole = pull(check="account", check_field=["name", "city"]).json()
    assert whole["digest"]["count"] == 3 and len(whole["digest"]["digest"]) == 16
    first = min(row["id"] for row in whole["rows"])
    rest = pull(check="account", check_field=["name", "city"], check_after=first).json()
    assert rest["digest"]["count"] == 2 and rest["digest"]["digest"] != whole["digest"]["digest"]
    skipped = pull(check="account", check_field=["name", "city"], check_skip=[first]).json()
    assert skipped["digest"] == rest["digest"]
    assert "digest" not in pull().json()  # nothing named: nothing counted

    for bad, words in (
        ({"check": "gossip"}, "no kind of record"),
        ({"check": "account", "check_field": ["name"] * 1000}, "each field once"),
        ({"check": "account", "check_field": ["password"]}, "no field password"),
        ({"check": "account", "check_skip": [str(uuid.uuid4()) for _ in range(101)]}, "at most"),
        ({"check": "account", "check_after": "not-an-id"}, "check_after"),
    ):
        refused = pull(**bad)
        assert refused.status_code in (400, 422) and words in refused.text, bad
