"""How a sync signs in (the kept access token while it lasts, the refresh token after, the
password the first time) and how few requests it makes; over real HTTP, counting what
goes over the wire."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from db.edits import LocalEditor
from db.store.local_store import Store
from db.store.replica import LocalReplica
from server.app import create_app
from server.auth import AuthService
from server.store import ServerStore
from sync.engine import AccessToken, NeedsSignIn, SyncEngine, SyncOutcome, http_client
from sync.protocol import SERVER_TIME_HEADER
from tests.helpers.live_server import REP_PASSWORD, serving
from tests.server.conftest import Clock


class Paths(httpx.HTTPTransport):
    """Remembers the path of every request sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.url.path)
        return super().handle_request(request)


class OlderServer(Paths):
    """Answers as a server of the previous version would: pulls without scope or summary."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if not request.url.path.endswith("/sync/changes") or response.status_code != 200:
            return response
        body = json.loads(response.read())
        body.pop("me", None)
        body.pop("summary", None)
        return httpx.Response(200, json=body, request=request)


class Laptop:
    """A device that keeps its tokens between syncs as the app does."""

    def __init__(self, folder: Path, url: str) -> None:
        self.store = Store.open(folder)
        self.url = url
        self.refresh: str | None = None
        self.access: AccessToken | None = None
        self.paths = Paths()

    def sync(self, older_server: bool = False) -> SyncOutcome:
        self.paths = OlderServer() if older_server else Paths()
        with http_client(self.url, transport=self.paths) as http:
            engine = SyncEngine(
                LocalReplica(self.store),
                http,
                "ana",
                password=REP_PASSWORD if self.refresh is None else None,
                refresh_token=self.refresh,
                on_refresh_token=self._keep_refresh,
                access=self.access,
                on_access=self._keep_access,
            )
            return engine.run()

    def _keep_refresh(self, token: str) -> None:
        self.refresh = token

    def _keep_access(self, access: AccessToken) -> None:
        self.access = access

    @property
    def signed_in_with(self) -> list[str]:
        return [p.removeprefix("/v1/auth/") for p in self.paths.sent if "/auth/" in p]


@pytest.fixture
def clock() -> Clock:
    now = Clock()
    now.now = datetime.now(UTC)
    return now


@pytest.fixture
def auth(server_database_url: str, clock: Clock) -> Iterator[AuthService]:
    store = ServerStore.open(server_database_url)
    service = AuthService(store, clock)
    service.add_territory("north")
    service.add_user("ana", REP_PASSWORD, ["north"])
    yield service
    store.close()


@pytest.fixture
def laptop(tmp_path: Path, auth: AuthService) -> Iterator[Laptop]:
    with serving(create_app(auth.store, auth)) as url:
        device = Laptop(tmp_path / "laptop", url)
        yield device
        device.store.close()


def test_syncs_within_the_access_tokens_life_go_straight_to_work(laptop: Laptop) -> None:
    first = laptop.sync()
    assert laptop.signed_in_with == ["login"] and first.warnings == ()
    LocalEditor(laptop.store).create("account", name="Acme", territory="north")
    second = laptop.sync()
    assert second.pushed == 1
    assert laptop.signed_in_with == []  # the kept access token, no sign-in request
    assert not any(p.endswith("/health") for p in laptop.paths.sent)
    assert laptop.paths.sent[0] == "/v1/sync/push"


def test_an_expired_access_token_is_replaced_with_the_refresh_token(
    laptop: Laptop, clock: Clock
) -> None:
    laptop.sync()
    kept = laptop.access
    clock.advance(minutes=16)  # the server's clock: our copy still looks usable
    LocalEditor(laptop.store).create("account", name="Acme", territory="north")
    outcome = laptop.sync()
    assert outcome.pushed == 1
    assert laptop.signed_in_with == ["refresh"]
    assert laptop.access is not None and laptop.access != kept
    assert laptop.paths.sent.count("/v1/sync/push") == 2  # refused once, then sent again


def test_a_disabled_rep_with_a_kept_access_token_must_sign_in(
    laptop: Laptop, auth: AuthService
) -> None:
    laptop.sync()
    auth.set_disabled("ana")
    with pytest.raises(NeedsSignIn):
        laptop.sync()
    assert laptop.signed_in_with == ["refresh"]


def test_every_answer_says_the_servers_time(laptop: Laptop, clock: Clock) -> None:
    with httpx.Client(base_url=laptop.url) as http:
        stamped = http.get("/v1/me").headers[SERVER_TIME_HEADER]  # an error answer too
    assert datetime.fromisoformat(stamped) == clock.now


def test_a_sync_with_nothing_to_push_is_one_request(laptop: Laptop, auth: AuthService) -> None:
    laptop.sync()
    auth.add_territory("south")
    auth.grant("ana", "south")
    granted = laptop.sync()  # the pull says the scope grew: the new territory comes first
    assert granted.territories_added == ("south",)
    LocalEditor(laptop.store).create("account", name="Acme", territory="south")
    laptop.sync()
    quiet = laptop.sync()
    assert quiet.pulled == 0 and quiet.repaired == ()
    assert laptop.paths.sent == ["/v1/sync/changes"]


def test_a_server_of_the_previous_version_is_asked_separately(laptop: Laptop) -> None:
    laptop.sync()
    LocalEditor(laptop.store).create("account", name="Acme", territory="north")
    outcome = laptop.sync(older_server=True)
    assert outcome.pushed == 1 and outcome.repaired == ()
    assert laptop.paths.sent == [
        "/v1/sync/push",
        "/v1/sync/changes",
        "/v1/me",
        "/v1/sync/summary",
    ]
