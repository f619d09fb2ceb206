"""A hostile network: dropped connections, lost responses, 500s and 429s. Nothing is lost,
nothing is applied twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from db.edits import LocalEditor
from db.store.local_store import Store
from db.store.models import Account, OutboxEntry
from db.store.replica import LocalReplica
from server.models import Record
from server.store import ServerStore
from sync.engine import RetryPolicy, SyncEngine, SyncError
from tests.helpers.live_server import REP_PASSWORD, rep_server

PASSWORD = REP_PASSWORD
FAST = RetryPolicy(attempts=5, base_delay=0.001, max_delay=0.01)


class FaultyTransport(httpx.BaseTransport):
    """Injects planned faults per path, one per request, then behaves."""

    def __init__(self, plan: dict[str, list[str]]) -> None:
        self.inner = httpx.HTTPTransport()
        self.plan = plan
        self.seen: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        queue = self.plan.get(request.url.path, [])
        fault = queue.pop(0) if queue else "ok"
        self.seen.append((request.url.path, fault))
        if fault == "drop":  # the connection dies before the server sees anything
            raise httpx.ConnectError("connection dropped", request=request)
        if fault in ("500", "429"):
            headers = {"Retry-After": "0.002"} if fault == "429" else {}
            body = {"error": "busy", "message": "try again"}
            return httpx.Response(int(fault), json=body, headers=headers, request=request)
        response = self.inner.handle_request(request)
        if fault == "lose":  # the server did the work; the answer never arrives
            response.read()
            raise httpx.ReadError("response lost", request=request)
        if fault in ("cut", "garbage", "shape"):  # the server did the work; the answer...
            body = response.read()
            mangled = {
                "cut": body[: len(body) // 2],  # ...arrives cut off
                "garbage": b"<html>proxy error</html>",  # ...is replaced on the way
                "shape": b'{"results": "not a list"}',  # ...is JSON of another shape
            }[fault]
            return httpx.Response(200, content=mangled, request=request)
        return response


@pytest.fixture
def server(server_database_url: str, tmp_path: Path) -> Iterator[tuple[str, ServerStore]]:
    with rep_server(tmp_path / "server", server_database_url) as running:
        yield running.url, running.store


def sync(store: Store, url: str, plan: dict[str, list[str]], retry: RetryPolicy = FAST):  # type: ignore[no-untyped-def]
    transport = FaultyTransport(plan)
    with httpx.Client(base_url=url, transport=transport, timeout=10) as http:
        outcome = SyncEngine(LocalReplica(store), http, "ana", PASSWORD, retry=retry).run()
    return outcome, transport


def server_names(server_store: ServerStore) -> list[str]:
    with server_store.session() as session:
        return sorted(r.data["name"] for r in session.scalars(select(Record)))


def test_every_edit_lands_exactly_once_through_every_fault(
    tmp_path: Path, server: tuple[str, ServerStore]
) -> None:
    url, server_store = server
    laptop = Store.open(tmp_path / "laptop")
    editor = LocalEditor(laptop)
    for i in range(5):
        editor.create("account", name=f"Account {i}", territory="north")
    plan = {
        "/v1/auth/login": ["drop", "500"],
        "/v1/sync/push": ["lose", "500", "drop", "429"],
        "/v1/sync/snapshot": ["429", "lose"],
        "/v1/sync/changes": ["drop", "500"],
    }
    outcome, transport = sync(laptop, url, plan)
    assert all(not faults for faults in plan.values())  # every planned fault happened
    assert server_names(server_store) == [f"Account {i}" for i in range(5)]  # once each
    with laptop.reading() as session:
        assert list(session.scalars(select(OutboxEntry))) == []
        accounts = list(session.scalars(select(Account)))
        assert len(accounts) == 5 and all(a.server_version for a in accounts)
    assert outcome.pushed == 5 and outcome.rejected == 0
    laptop.close()


def test_a_sync_that_gives_up_loses_nothing_and_the_next_one_finishes(
    tmp_path: Path, server: tuple[str, ServerStore]
) -> None:
    url, server_store = server
    laptop = Store.open(tmp_path / "laptop")
    LocalEditor(laptop).create("account", name="Survivor", territory="north")
    with pytest.raises(SyncError, match="try again"):
        sync(laptop, url, {"/v1/sync/push": ["lose", "500", "500", "500", "500"]})
    with laptop.reading() as session:
        assert len(list(session.scalars(select(OutboxEntry)))) == 1  # still queued
    outcome, _ = sync(laptop, url, {})
    assert outcome.pushed == 1
    assert server_names(server_store) == ["Survivor"]  # the lost first push did not double it
    laptop.close()


def test_pull_resumes_from_the_last_applied_page(
    tmp_path: Path, server: tuple[str, ServerStore]
) -> None:
    url, server_store = server
    writer = Store.open(tmp_path / "writer")
    for i in range(3):
        LocalEditor(writer).create("account", name=f"Shared {i}", territory="north")
    sync(writer, url, {})
    reader = Store.open(tmp_path / "reader")
    with pytest.raises(SyncError):
        sync(reader, url, {"/v1/sync/changes": ["500"] * 5})  # snapshot done, pull fails
    outcome, _ = sync(reader, url, {})
    assert not outcome.snapshot  # the stored cursor is used; no second download
    with reader.reading() as session:
        assert sorted(a.name for a in session.scalars(select(Account))) == [
            "Shared 0",
            "Shared 1",
            "Shared 2",
        ]
    writer.close()
    reader.close()


def test_an_answer_cut_off_or_garbled_is_retried_and_nothing_is_lost(
    tmp_path: Path, server: tuple[str, ServerStore]
) -> None:
    url, server_store = server
    laptop = Store.open(tmp_path / "laptop")
    editor = LocalEditor(laptop)
    for i in range(3):
        editor.create("account", name=f"Account {i}", territory="north")
    plan = {"/v1/sync/push": ["cut", "garbage"], "/v1/sync/snapshot": ["garbage", "cut"]}
    outcome, transport = sync(laptop, url, plan)
    assert outcome.pushed == 3
    assert ("/v1/sync/push", "cut") in transport.seen and ("/v1/sync/push", "ok") in transport.seen
    assert server_names(server_store) == ["Account 0", "Account 1", "Account 2"]
    with laptop.reading() as session:
        assert session.scalars(select(OutboxEntry)).all() == []
    laptop.close()


def test_an_answer_of_the_wrong_shape_is_one_line_with_the_detail_in_the_log(
    tmp_path: Path, server: tuple[str, ServerStore], caplog: pytest.LogCaptureFixture
) -> None:
    url, server_store = server
    laptop = Store.open(tmp_path / "laptop")
    LocalEditor(laptop).create("account", name="Acme", territory="north")
    with pytest.raises(SyncError) as failed:
        sync(laptop, url, {"/v1/sync/push": ["shape"]})
    assert "\n" not in str(failed.value) and "not what this app reads" in str(failed.value)
    logged = [r for r in caplog.records if r.name == "sync.engine" and r.exc_info]
    assert logged and "validation error" in str(logged[-1].exc_info[1]).lower()
    outcome, _ = sync(laptop, url, {})  # the next sync sends it: the push was applied once
    assert server_names(server_store) == ["Acme"]
    with laptop.reading() as session:
        assert session.scalars(select(OutboxEntry)).all() == []
    assert outcome.pushed == 1
    laptop.close()
