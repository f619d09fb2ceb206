"""A server store, its auth service with a movable clock, and the app served on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from server.app import create_app
from server.auth import AuthService
from server.store import ServerStore
from tests.helpers.live_server import serving

PASSWORD = "correct horse battery"


class Clock:
    """A clock tests move forward by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server_store(server_database_url: str) -> Iterator[ServerStore]:
    store = ServerStore.open(server_database_url)
    yield store
    store.close()


@pytest.fixture
def auth(server_store: ServerStore, clock: Clock) -> AuthService:
    service = AuthService(server_store, clock)
    for territory in ("north", "south"):
        service.add_territory(territory)
    service.add_user("ana", PASSWORD, ["north"])
    service.add_user("ben", PASSWORD, ["south"])
    return service


@pytest.fixture
def base_url(auth: AuthService) -> Iterator[str]:
    with serving(create_app(auth.store, auth)) as url:
        yield url


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        yield client
