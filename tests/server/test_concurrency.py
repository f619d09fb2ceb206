"""Writers at the same moment, on SQLite and on PostgreSQL: versions are handed out in
commit order (a reader never skips a row), no edit is lost, a refresh token works once."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import event

from server.auth import AuthService, Caller
from server.errors import Unauthorized
from server.push import apply_push
from server.records import ScopedRecords, encode_cursor
from server.store import ServerStore
from sync.protocol import Mutation, PushRequest
from tests.server.conftest import PASSWORD, Clock

NORTH = frozenset({"north"})
WAIT = 20  # seconds: the bound on every wait below; each normally takes milliseconds


def sign_in(http: httpx.Client) -> tuple[uuid.UUID, dict[str, str]]:
    """A new device of ana's: its client id and the header that authorises it."""
    client_id = uuid.uuid4()
    body = {"username": "ana", "password": PASSWORD, "client_id": str(client_id)}
    tokens = http.post("/v1/auth/login", json=body).json()
    return client_id, {"Authorization": f"Bearer {tokens['access_token']}"}


def pull(http: httpx.Client, headers: dict[str, str], cursor: str) -> tuple[dict[str, int], str]:
    """Every change after `cursor`, as id -> version, and the cursor to go on from."""
    seen: dict[str, int] = {}
    while True:
        response = http.get("/v1/sync/changes", params={"cursor": cursor}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        seen.update({row["id"]: row["version"] for row in body["rows"]})
        cursor = body["cursor"]
        if not body["more"]:
            return seen, cursor


def account(name: str) -> dict[str, Any]:
    return {"name": name, "territory": "north", "city": "Bonn"}


def push_retried(
    http: httpx.Client, body: dict[str, Any], headers: dict[str, str]
) -> httpx.Response | None:
    """Pushes again after a 5xx or a broken connection, as the sync engine does (the server
    deduplicates by mutation id); SQLite may refuse a writer that arrives mid-write."""
    response = None
    for attempt in range(10):
        try:
            response = http.post("/v1/sync/push", json=body, headers=headers)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code < 500:
            return response
        time.sleep(0.01 * 2**attempt)
    return response


def in_thread(target: Callable[..., None], *args: Any) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def test_a_second_writer_waits_and_readers_stop_below_the_open_version(
    server_store: ServerStore, auth: AuthService, http: httpx.Client
) -> None:
    _, headers = sign_in(http)
    first, second = uuid.uuid4(), uuid.uuid4()
    taken: dict[str, int] = {}

    def second_writer() -> None:
        with server_store.session() as session:
            record = ScopedRecords(session, NORTH, auth.clock).create(
                "account", second, "north", account("Second")
            )
            taken["second"] = record.version

    with server_store.session() as session:  # the first writer, holding its version open
        records = ScopedRecords(session, NORTH, auth.clock)
        taken["first"] = records.create("account", first, "north", account("First")).version
        writer = in_thread(second_writer)
        writer.join(timeout=0.5)
        assert writer.is_alive(), "the second writer took a version while the first was open"
        seen, cursor = pull(http, headers, encode_cursor(0))
        assert seen == {}  # and the cursor stays below the open version
    writer.join(timeout=WAIT)
    assert not writer.is_alive()
    assert taken["second"] == taken["first"] + 1
    seen, _ = pull(http, headers, cursor)
    assert seen == {str(first): taken["first"], str(second): taken["second"]}


def test_parallel_pushes_get_distinct_gap_free_versions_and_a_reader_misses_none(
    http: httpx.Client, base_url: str
) -> None:
    devices = [sign_in(http) for _ in range(2)]
    _, reader_headers = sign_in(http)
    per_device = 25
    start = threading.Barrier(len(devices) + 1)
    done = threading.Event()
    pushed: dict[str, int] = {}
    pulled: dict[str, int] = {}
    failures: list[str] = []

    def push_all(client_id: uuid.UUID, headers: dict[str, str]) -> None:
        with httpx.Client(base_url=base_url, timeout=WAIT) as own:
            start.wait(timeout=WAIT)
            for n in range(1, per_device + 1):
                record_id = str(uuid.uuid4())
                mutation = {"mutation_id": n, "entity": "account", "op": "create"}
                mutation |= {"id": record_id, "fields": account(f"{client_id} {n}")}
                body = {"client_id": str(client_id), "mutations": [mutation]}
                response = push_retried(own, body, headers)
                if response is None or response.status_code != 200:
                    failures.append(response.text if response else "no answer")
                    return
                [result] = response.json()["results"]
                if result["status"] not in ("applied", "duplicate"):
                    failures.append(str(result))
                pushed[record_id] = result["version"]

    def read_along() -> None:
        cursor = encode_cursor(0)
        with httpx.Client(base_url=base_url, timeout=WAIT) as own:
            start.wait(timeout=WAIT)
            while not done.is_set():
                seen, cursor = pull(own, reader_headers, cursor)
                pulled.update(seen)
            seen, _ = pull(own, reader_headers, cursor)  # after the last commit
            pulled.update(seen)

    writers = [in_thread(push_all, *device) for device in devices]
    reader = in_thread(read_along)
    for writer in writers:
        writer.join(timeout=WAIT * 3)
    done.set()
    reader.join(timeout=WAIT)
    assert not reader.is_alive() and not any(w.is_alive() for w in writers)
    assert failures == []
    versions = sorted(pushed.values())
    assert len(versions) == len(devices) * per_device
    assert versions == list(range(versions[0], versions[0] + len(versions)))  # distinct, no gap
    # The reader moved its cursor along while they committed, and still got every row:
    # no version at or below a cursor it was given committed after it was given.
    assert pulled == pushed


class _Gate:
    """A clock that stops one named thread the first time it asks, until let go."""

    def __init__(self, clock: Clock, thread_name: str) -> None:
        self.clock, self.thread_name = clock, thread_name
        self.stopped, self.go = threading.Event(), threading.Event()

    def __call__(self) -> datetime:
        if threading.current_thread().name == self.thread_name and not self.stopped.is_set():
            self.stopped.set()
            assert self.go.wait(timeout=WAIT)
        return self.clock()


def test_two_devices_editing_one_account_at_once_lose_nothing(
    server_store: ServerStore, clock: Clock
) -> None:
    record_id = uuid.uuid4()
    with server_store.session() as session:
        records = ScopedRecords(session, NORTH, clock)
        base = records.create("account", record_id, "north", account("Acme")).version
    gate = _Gate(clock, "first")
    outcomes: dict[str, Any] = {}

    def edit(name: str, field: str, value: str) -> None:
        caller = Caller(1, "ana", uuid.uuid4(), NORTH)  # a push needs only its scope
        mutation = Mutation(
            mutation_id=1,
            entity="account",
            op="set_fields",
            id=record_id,
            base_version=base,
            fields={field: value},
            base={field: account("Acme").get(field)},
        )
        request = PushRequest(client_id=caller.client_id, mutations=[mutation])
        try:
            outcomes[name] = apply_push(server_store, caller, request, gate).results[0].status
        except Exception as exc:  # reported below, with the other outcome
            outcomes[name] = repr(exc)

    # The second writer's first lock on the counter: before it reads, or for its version.
    second_at_counter = threading.Event()

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        locks = statement.startswith("UPDATE") or "FOR UPDATE" in statement
        if threading.current_thread().name == "second" and locks and "sync_counter" in statement:
            second_at_counter.set()

    event.listen(server_store.engine, "before_cursor_execute", watch)
    try:
        first = threading.Thread(target=edit, args=("first", "city", "Köln"), name="first")
        first.start()
        assert gate.stopped.wait(timeout=WAIT)  # inside its transaction, version taken
        second = threading.Thread(target=edit, args=("second", "phone", "+49 2"), name="second")
        second.start()
        second_at_counter.wait(timeout=2)
        gate.go.set()
        first.join(timeout=WAIT)
        second.join(timeout=WAIT)
    finally:
        event.remove(server_store.engine, "before_cursor_execute", watch)
    assert outcomes == {"first": "applied", "second": "applied"}
    with server_store.session() as session:
        saved = ScopedRecords(session, NORTH, clock).get("account", record_id)
        assert saved is not None
        assert (saved.data["city"], saved.data.get("phone")) == ("Köln", "+49 2")


def test_a_refresh_token_works_once_even_when_two_refreshes_race(
    server_store: ServerStore, auth: AuthService, clock: Clock
) -> None:
    tokens = auth.login("ana", PASSWORD, uuid.uuid4())
    gate = _Gate(clock, "first")
    racing = AuthService(server_store, gate)
    outcomes: dict[str, str] = {}

    def refresh(name: str) -> None:
        try:
            racing.refresh(tokens.refresh_token)
            outcomes[name] = "refreshed"
        except Unauthorized:
            outcomes[name] = "refused"

    first = threading.Thread(target=refresh, args=("first",), name="first")
    first.start()
    assert gate.stopped.wait(timeout=WAIT)  # it has found the token valid, not spent it yet
    second = threading.Thread(target=refresh, args=("second",), name="second")
    second.start()
    second.join(timeout=WAIT)
    gate.go.set()
    first.join(timeout=WAIT)
    assert sorted(outcomes.values()) == ["refreshed", "refused"]
