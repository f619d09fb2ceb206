"""Console users of each role on the test server, and the console served on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.app import create_app
from server.auth import AuthService
from tests.helpers.console import ConsoleBrowser
from tests.helpers.live_server import serving
from tests.server.conftest import PASSWORD

# Besides the reps ana (north) and ben (south) of tests/server/conftest.py.
MANAGER, MARKETING, ADMIN = "maya", "mark", "ada"


@pytest.fixture
def console_auth(auth: AuthService) -> AuthService:
    """The auth service with a manager of north, a marketing user and an admin added."""
    auth.add_user(MANAGER, PASSWORD, ["north"], role="manager")
    auth.add_user(MARKETING, PASSWORD, [], role="marketing")
    auth.add_user(ADMIN, PASSWORD, [], role="admin")
    return auth


@pytest.fixture
def console_url(console_auth: AuthService) -> Iterator[str]:
    with serving(create_app(console_auth.store, console_auth)) as url:
        yield url


@pytest.fixture
def browser(console_url: str) -> Iterator[ConsoleBrowser]:
    """A browser with no session yet."""
    with ConsoleBrowser(console_url) as opened:
        yield opened
