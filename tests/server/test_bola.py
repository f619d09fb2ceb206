"""BOLA matrix (OWASP API1): every route, called by a rep of another territory with the ids
of ours, leaks nothing and changes nothing. A new route fails this test until it is added."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from server.app import create_app
from server.auth import AuthService
from server.records import ScopedRecords
from sync.protocol import PREFIX, SNAPSHOT_ORDER
from tests.server.conftest import PASSWORD

SECRET = "Geheim Nord GmbH"


def sign_in(http: httpx.Client, user: str) -> dict[str, str]:
    tokens = http.post(
        f"{PREFIX}/auth/login",
        json={"username": user, "password": PASSWORD, "client_id": str(uuid.uuid4())},
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.fixture
def north(auth: AuthService) -> dict[str, uuid.UUID]:
    """One record of every kind in territory north, with a conflict on its account."""
    ids = {entity: uuid.uuid4() for entity in SNAPSHOT_ORDER}
    account = str(ids["account"])
    fields: dict[str, dict[str, Any]] = {
        "account": {"name": SECRET, "territory": "north"},
        "contact": {"account_id": account, "first_name": "Ilse", "last_name": "Nord"},
        "meeting": {"account_id": account, "purpose": SECRET},
        "meeting_attendee": {"meeting_id": str(ids["meeting"]), "contact_id": str(ids["contact"])},
        "visit_note": {"account_id": account, "body": SECRET},
        "task": {"account_id": account, "title": SECRET},
        "activity": {"account_id": account, "title": SECRET},
        "ladder_change": {"account_id": account, "to_rung": "client"},
        "team_member": {"account_id": account, "name": SECRET, "role": "service_rep"},
        "profile_answer": {
            "account_id": account,
            "contact_id": str(ids["contact"]),
            "question_id": "nickname",
            "value": SECRET,
        },
        "profile_change": {
            "account_id": account,
            "contact_id": str(ids["contact"]),
            "question_id": "nickname",
            "value": SECRET,
        },
        "lead": {"account_id": account, "contact_id": str(ids["contact"]), "campaign": SECRET},
        "contact_hold": {
            "account_id": account,
            "contact_id": str(ids["contact"]),
            "reason": SECRET,
            "expires_on": "2027-01-31",
        },
        "conflict": {"entity": "account", "entity_id": account, "field": "name"},
    }
    with auth.store.session() as session:
        records = ScopedRecords(session, frozenset({"north"}), auth.clock)
        for entity in SNAPSHOT_ORDER:
            records.create(entity, ids[entity], "north", fields[entity])
    return ids


def north_state(auth: AuthService) -> list[tuple[str, str, int, Any]]:
    with auth.store.session() as session:
        records = ScopedRecords(session, frozenset({"north"}), auth.clock)
        return sorted(
            (r.entity, str(r.id), r.version, json.loads(r.data))
            for r in records.changes_since(0, 10**9, 10**6)
        )


Attempt = Callable[[httpx.Client, dict[str, str], dict[str, uuid.UUID]], httpx.Response]


def _push(
    http: httpx.Client, headers: dict[str, str], mutations: list[dict[str, Any]]
) -> httpx.Response:
    me = http.get(f"{PREFIX}/me", headers=headers).json()
    numbered = [{"mutation_id": i + 1, **m} for i, m in enumerate(mutations)]
    body = {"client_id": me["client_id"], "mutations": numbered}
    return http.post(f"{PREFIX}/sync/push", json=body, headers=headers)


def every_mutation(ids: dict[str, uuid.UUID]) -> list[dict[str, Any]]:
    """Each op on each of north's records, and new records hung under north's."""
    account = str(ids["account"])
    mutations: list[dict[str, Any]] = []
    for entity, record_id in ids.items():
        mutations += [
            {"entity": entity, "op": "set_fields", "id": str(record_id), "fields": {"x": 1}},
            {"entity": entity, "op": "revise", "id": str(record_id), "fields": {"body": "x"}},
            {"entity": entity, "op": "delete", "id": str(record_id)},
            {"entity": entity, "op": "create", "id": str(record_id), "fields": {}},
        ]
    mutations.append(
        {
            "entity": "conflict",
            "op": "set_fields",
            "id": str(ids["conflict"]),
            "fields": {"resolved": True},
        }  # fmt: skip
    )
    for entity in SNAPSHOT_ORDER[1:-1]:
        mutations.append(
            {
                "entity": entity,
                "op": "create",
                "id": str(uuid.uuid4()),
                "fields": {"account_id": account, "meeting_id": str(ids["meeting"])},
            }  # fmt: skip
        )
    mutations.append(
        {
            "entity": "account",
            "op": "create",
            "id": str(uuid.uuid4()),
            "fields": {"name": "Planted", "territory": "north"},
        }  # fmt: skip
    )
    return mutations


def _north_event(ids: dict[str, uuid.UUID]) -> dict[str, str]:
    return {
        "event_id": "bola-1",
        "type": "nurture_paused",
        "occurred_at": "2026-11-20T10:00:00Z",
        "account_id": str(ids["account"]),
    }


# Every route, and what a rep of territory south tries on it with north's ids.
ATTEMPTS: dict[tuple[str, str], Attempt] = {
    ("GET", "/health"): lambda http, h, ids: http.get(f"{PREFIX}/health"),
    ("POST", "/auth/login"): lambda http, h, ids: http.post(
        f"{PREFIX}/auth/login",
        json={"username": "ana", "password": "guess", "client_id": str(uuid.uuid4())},
    ),
    ("POST", "/auth/refresh"): lambda http, h, ids: http.post(
        f"{PREFIX}/auth/refresh", json={"refresh_token": h["Authorization"][7:]}
    ),
    ("GET", "/me"): lambda http, h, ids: http.get(f"{PREFIX}/me", headers=h),
    ("GET", "/sync/snapshot"): lambda http, h, ids: http.get(
        f"{PREFIX}/sync/snapshot",
        params={"territory": ["north", "south"], "entity": list(SNAPSHOT_ORDER)},
        headers=h,
    ),
    ("GET", "/sync/changes"): lambda http, h, ids: http.get(
        f"{PREFIX}/sync/changes", params={"cursor": "djE6MA=="}, headers=h
    ),
    ("GET", "/sync/summary"): lambda http, h, ids: http.get(f"{PREFIX}/sync/summary", headers=h),
    ("POST", "/sync/push"): lambda http, h, ids: _push(http, h, every_mutation(ids)),
    # Ingestion takes other systems' API keys only: a rep's token is refused outright.
    ("POST", "/ingest/events"): lambda http, h, ids: http.post(
        f"{PREFIX}/ingest/events", json={"events": [_north_event(ids)]}, headers=h
    ),
    ("POST", "/ingest/events.csv"): lambda http, h, ids: http.post(
        f"{PREFIX}/ingest/events.csv",
        content="\n".join(",".join(row) for row in zip(*_north_event(ids).items(), strict=True)),
        headers={**h, "Content-Type": "text/csv"},
    ),
    # Marketing's read-back takes API keys only: a rep's token is refused outright.
    ("GET", "/marketing/lead-feedback"): lambda http, h, ids: http.get(
        f"{PREFIX}/marketing/lead-feedback", headers=h
    ),
    ("GET", "/marketing/lead-feedback.csv"): lambda http, h, ids: http.get(
        f"{PREFIX}/marketing/lead-feedback.csv", headers=h
    ),
    ("GET", "/marketing/suppressions"): lambda http, h, ids: http.get(
        f"{PREFIX}/marketing/suppressions", headers=h
    ),
    ("POST", "/auth/logout"): lambda http, h, ids: http.post(f"{PREFIX}/auth/logout", headers=h),
    # Webhooks take their source's signature only: a rep's token (and no signature) is refused.
    **{
        ("POST", f"/hooks/{source}"): (
            lambda http, h, ids, source=source: http.post(
                f"{PREFIX}/hooks/{source}", json=_north_event(ids), headers=h
            )
        )
        for source in ("stripe", "zendesk", "hubspot")
    },
    # A wipe done names a device, not a record: one not asked to wipe is a 404 either way.
    ("POST", "/device/wiped"): lambda http, h, ids: http.post(
        f"{PREFIX}/device/wiped", json={"client_id": str(ids["account"])}, headers=h
    ),
}


def test_every_route_is_in_the_matrix(auth: AuthService) -> None:
    app = create_app(auth.store, auth)
    routes = {
        (method, route.path.removeprefix(PREFIX))
        for route in app.routes
        if getattr(route, "path", "").startswith(PREFIX)
        for method in getattr(route, "methods", set()) - {"HEAD"}
    }
    assert routes == set(ATTEMPTS)


def test_another_territory_leaks_nothing_on_any_route(
    http: httpx.Client, auth: AuthService, north: dict[str, uuid.UUID]
) -> None:
    before = north_state(auth)
    ben = sign_in(http, "ben")
    secrets = [SECRET, *(str(record_id) for record_id in north.values())]
    leaks = []
    for (method, path), attempt in ATTEMPTS.items():
        response = attempt(http, ben, north)
        assert response.status_code < 500, (method, path, response.text)
        leaks += [(method, path, s) for s in secrets if s in response.text]
    assert leaks == []
    assert north_state(auth) == before  # nothing of north changed either

    # Every pushed mutation was refused, each for a reason that reads like "no such record".
    ben = sign_in(http, "ben")
    results = _push(http, ben, every_mutation(north)).json()["results"]
    assert {r["status"] for r in results} == {"rejected"}
    summary = http.get(f"{PREFIX}/sync/summary", headers=ben).json()
    assert summary["entities"] == {}
