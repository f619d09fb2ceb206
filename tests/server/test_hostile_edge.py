"""The server's doors as an attacker or a buggy system knocks, over real HTTP: bodies too
large, NUL characters, numbers past 64 bits in URLs and bodies, forged tokens, deep JSON,
one bad event in a batch. Each is a 4xx with the usual error body, never a 500, nothing is
written that should not be, and the territory still syncs."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from server.app import create_app
from server.auth import AuthService
from server.door import BodyLimits
from server.ingest import ApiKeys
from server.models import IngestedEvent, Record
from server.records import ScopedRecords, encode_cursor
from tests.helpers.live_server import serving
from tests.server.conftest import PASSWORD

ACME = uuid.UUID("00000000-0000-4000-8000-0000000000ac")
WHEN = "2026-11-20T09:00:00+00:00"


@pytest.fixture
def small_doors(auth: AuthService) -> Iterator[str]:
    """The app with small caps, so sizes are cheap to exceed."""
    limits = BodyLimits(data=64 * 1024, sign_in=2048, other=4096)
    with serving(create_app(auth.store, auth, limits=limits)) as url:
        yield url


@pytest.fixture
def acme(auth: AuthService) -> uuid.UUID:
    with auth.store.session() as session:
        records = ScopedRecords(session, frozenset({"north"}), auth.clock)
        data = {"name": "Acme", "territory": "north", "website": "https://acme.example"}
        records.create("account", ACME, "north", data)
    return ACME


def sign_in(http: httpx.Client, user: str = "ana") -> tuple[dict[str, str], str]:
    client_id = str(uuid.uuid4())
    body = {"username": user, "password": PASSWORD, "client_id": client_id}
    tokens = http.post("/v1/auth/login", json=body).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}, client_id


def assert_refused(response: httpx.Response, status: int, words: str = "") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"} and words in body["message"]


def record_count(auth: AuthService) -> int:
    with auth.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Record)) or 0)


def test_a_body_over_the_cap_is_refused_before_it_is_read(small_doors: str) -> None:
    with httpx.Client(base_url=small_doors, timeout=20) as http:
        huge = {"username": "ana", "password": "x" * 100_000, "client_id": str(uuid.uuid4())}
        assert_refused(http.post("/v1/auth/login", json=huge), 413, "KiB")

        # Without a Content-Length (chunked), it is counted as it comes.
        def chunks() -> Iterator[bytes]:
            yield b'{"username": "ana", "password": "'
            for _ in range(100):
                yield b"x" * 1000
            yield b'", "client_id": "' + str(uuid.uuid4()).encode() + b'"}'

        chunked = http.post(
            "/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
        )
        assert_refused(chunked, 413)
        headers, client_id = sign_in(http)
        note = {"entity": "account", "op": "create", "id": str(uuid.uuid4())}
        mutations = [
            {"mutation_id": 1, **note, "fields": {"name": "x" * 70_000, "territory": "north"}}
        ]
        push = http.post(
            "/v1/sync/push",
            json={"client_id": client_id, "mutations": mutations},
            headers=headers,
        )
        assert_refused(push, 413, "larger than this server takes")
        # A body under the cap still goes through.
        assert http.post("/v1/auth/login", json={**huge, "password": "wrong"}).status_code in (
            401,
            429,
        )


def test_nul_characters_are_refused_at_the_door(http: httpx.Client, auth: AuthService) -> None:
    headers, client_id = sign_in(http)
    assert_refused(http.get("/v1/sync/snapshot?entity=acc%00ount", headers=headers), 400, "NUL")
    contact = {
        "mutation_id": 1,
        "entity": "account",
        "op": "create",
        "id": str(uuid.uuid4()),
        "fields": {"name": "Acme", "territory": "north", "phone": "0\u0000"},
    }
    body = {"client_id": client_id, "mutations": [contact]}
    assert_refused(http.post("/v1/sync/push", json=body, headers=headers), 400, "NUL")
    raw = b'{"username": "ana\x00", "password": "p", "client_id": "x"}'
    login = http.post("/v1/auth/login", content=raw, headers={"content-type": "application/json"})
    assert_refused(login, 400, "NUL")
    # A browser's form writes a NUL as %00 (the console's sign-in, say).
    form = http.post("/console/login", data={"username": "ana\x00", "password": "p"})
    assert_refused(form, 400, "NUL")
    # A backslash followed by "u0000" is text, not a NUL: it passes the door.
    text = {**contact, "fields": {"name": "Back\\u0000slash", "territory": "north"}}
    pushed = http.post(
        "/v1/sync/push", json={"client_id": client_id, "mutations": [text]}, headers=headers
    )
    assert pushed.status_code == 200 and pushed.json()["results"][0]["status"] == "applied"
    assert record_count(auth) == 1


def _token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


BIG = 2**63
BAD_TOKENS = [
    ("/v1/sync/changes", "cursor", _token(f"v1:{BIG}")),
    ("/v1/sync/changes", "cursor", _token("v1:-5")),
    ("/v1/sync/changes", "cursor", _token("v1:1e9")),
    ("/v1/sync/changes", "cursor", "%%%"),
    ("/v1/sync/summary", "cursor", _token(f"v1:{10**40}")),
    ("/v1/sync/snapshot", "after", _token(f"s1:{BIG}:account:{uuid.uuid4()}")),
    ("/v1/sync/snapshot", "after", _token(f"s1:1:wallet:{uuid.uuid4()}")),
    ("/v1/sync/snapshot", "after", _token("s1:1:account:not-an-id")),
]


@pytest.mark.parametrize(("path", "name", "value"), BAD_TOKENS)
def test_forged_tokens_and_numbers_past_64_bits_are_400s(
    http: httpx.Client, path: str, name: str, value: str
) -> None:
    headers, _ = sign_in(http)
    assert_refused(http.get(path, params={name: value}, headers=headers), 400, "not one")


@pytest.mark.parametrize(
    "mutation",
    [
        {"mutation_id": BIG},
        {"mutation_id": 0},
        {"mutation_id": 10**40},
        {"mutation_id": 1, "base_version": BIG},
        {"mutation_id": 1, "base_version": -1},
        {"mutation_id": 1, "id": "not-an-id"},
        {"mutation_id": 1, "op": "explode"},
    ],
)
def test_malformed_mutations_are_422s_and_write_nothing(
    http: httpx.Client, auth: AuthService, mutation: dict[str, Any]
) -> None:
    headers, client_id = sign_in(http)
    full = {"entity": "account", "op": "delete", "id": str(uuid.uuid4()), **mutation}
    response = http.post(
        "/v1/sync/push", json={"client_id": client_id, "mutations": [full]}, headers=headers
    )
    assert_refused(response, 422)
    assert record_count(auth) == 0


def test_deep_json_is_refused_without_a_500(http: httpx.Client) -> None:
    headers, client_id = sign_in(http)
    deep = b"[" * 100_000 + b"]" * 100_000
    body = (
        b'{"client_id": "' + client_id.encode() + b'", "mutations": [{"mutation_id": 1, '
        b'"entity": "account", "op": "create", "id": "' + str(uuid.uuid4()).encode() + b'", '
        b'"fields": {"name": ' + deep + b"}}]}"
    )
    response = http.post(
        "/v1/sync/push", content=body, headers={**headers, "content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()) == {"error", "message"}


def test_one_bad_event_is_rejected_on_its_own(
    http: httpx.Client, auth: AuthService, acme: uuid.UUID
) -> None:
    key = ApiKeys(auth.store, auth.clock).add("billing")
    headers = {"Authorization": f"Bearer {key}", "content-type": "application/json"}

    def event(event_id: str, details: str) -> bytes:
        return (
            b'{"event_id": "' + event_id.encode() + b'", "type": "invoice_paid", '
            b'"occurred_at": "' + WHEN.encode() + b'", "account_id": "' + str(acme).encode()
            + b'", "details": ' + details.encode() + b"}"
        )  # fmt: skip

    events = [
        event("ok-1", '{"invoice": "INV-1", "amount": 120}'),
        event("huge", '{"invoice": "INV-2", "amount": ' + "9" * 400 + "}"),
        event("deep", '{"invoice": "INV-3", "x": ' + "[" * 40 + "]" * 40 + "}"),
        event("ok-2", '{"invoice": "INV-4", "amount": 99.5}'),
    ]
    body = b'{"events": [' + b", ".join(events) + b"]}"
    response = http.post("/v1/ingest/events", content=body, headers=headers)
    assert response.status_code == 200, response.text
    results = {r["event_id"]: r for r in response.json()["results"]}
    assert [results[e]["status"] for e in ("ok-1", "huge", "deep", "ok-2")] == [
        "accepted",
        "rejected",
        "rejected",
        "accepted",
    ]
    assert "64 bits" in results["huge"]["error"] and "nested" in results["deep"]["error"]

    csv = (
        "event_id,type,occurred_at,account_id,invoice,amount\n"
        f"c-1,invoice_paid,{WHEN},{acme},INV-5,{'9' * 400}\n"
        f"c-2,invoice_paid,1000-01-01T00:00:00+00:00,{acme},INV-6,1\n"
        f"c-3,invoice_paid,{WHEN},{acme},INV-7,15\n"
    )
    response = http.post(
        "/v1/ingest/events.csv",
        content=csv.encode(),
        headers={**headers, "content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    results = {r["event_id"]: r for r in response.json()["results"]}
    assert results["c-1"]["status"] == "rejected" and "row 2" in results["c-1"]["error"]
    assert results["c-2"]["status"] == "rejected" and "occurred_at" in results["c-2"]["error"]
    assert results["c-3"]["status"] == "accepted"
    with auth.store.session() as session:
        taken = set(session.scalars(select(IngestedEvent.event_id)))
    assert taken == {"ok-1", "ok-2", "c-3"}


def test_the_territory_still_syncs_after_the_knocking(http: httpx.Client, acme: uuid.UUID) -> None:
    headers, _ = sign_in(http)
    page = http.get("/v1/sync/changes", params={"cursor": encode_cursor(0)}, headers=headers)
    assert page.status_code == 200
    assert [row["id"] for row in page.json()["rows"]] == [str(acme)]
