"""Shared fixtures: a tmp data folder, an open store, a filled store, the server's database
on each backend. Headless Qt. A traceback the server side logs fails the run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Before any Qt import: tests never need a display. Their screen is a 1920x1080 monitor
# (the plugin's own is 800x800, smaller than our smallest window); tests of a laptop's
# screen pass its area to ui.screen_fit.
if os.environ.setdefault("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    _SCREEN = Path(__file__).with_name("offscreen_screen.json")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN}"

# Tests run where no OS keyring exists (CI): the app's stores, made by the CLI and the app
# in subprocesses, take their key from a passphrase, as scripts do (desktop.store_key).
# Tests of the keyring's way set their own keyring backend and clear this.
os.environ.setdefault("FIELDBRIEF_STORE_PASSPHRASE", "the test suite's store passphrase")

import pytest  # noqa: E402

from db.store.local_store import Store  # noqa: E402
from server.store import database_url_for  # noqa: E402
from tests.helpers import postgres  # noqa: E402
from tests.helpers.server_log import ServerTracebackCheck  # noqa: E402

# The fixtures below that run a test once per server database backend.
_BACKENDS = ("server_database_url", "module_server_database")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(ServerTracebackCheck(), "server-tracebacks")


def pytest_report_header() -> str:
    return postgres.describe()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Skipped at collection rather than in the fixture, so -ra says why once per file.
    reason = postgres.unreachable_reason()
    if reason is None:
        return
    for item in items:
        callspec = getattr(item, "callspec", None)
        backends = {callspec.params.get(name) for name in _BACKENDS} if callspec else set()
        if "postgresql" in backends:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = Store.open(data_dir)
    yield opened
    opened.close()


@contextmanager
def _server_database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield database_url_for(folder)
    else:
        with postgres.fresh_database() as url:
            yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def server_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The server's database, empty: embedded SQLite, then a fresh PostgreSQL database
    (skipped, with the reason, when no PostgreSQL is reachable)."""
    with _server_database(request.param, tmp_path / "server") as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_server_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The same, one per test module, for tests that share a server between examples."""
    with _server_database(request.param, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A real keyring backend (a JSON file), for this test only: set as the backend itself,
    and the one before put back (keyring keeps the first backend it chose)."""
    import keyring

    from tests.helpers.file_keyring import FileKeyring

    monkeypatch.setenv("FIELDBRIEF_TEST_KEYRING", str(tmp_path / "keyring.json"))
    before = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield
    keyring.set_keyring(before)
