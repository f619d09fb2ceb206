"""A real uvicorn server in a thread on 127.0.0.1, for tests that speak HTTP."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from server.app import create_app
from server.auth import AuthService
from server.store import ServerStore, database_url_for


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Runs `app` until the block ends; yields its base URL. The server binds port 0 and
    the URL names the port it got (no free-port race with other tests)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


# What `fieldbrief-server serve` says once it listens (uvicorn's words, with the real port).
_LISTENING = re.compile(r"running on (http://[0-9.]+:[0-9]+)")


class ServerProcess:
    """`python -m server.cli ARGS --port 0` as a real process, its output in `log`; the
    URL is read from what it says once it listens (no free-port race)."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", *args, "--port", "0"],
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self._url: str | None = None

    @property
    def url(self) -> str:
        assert self._url is not None, "wait_until_up first"
        return self._url

    def wait_until_up(self) -> str:
        """Its URL, once it answers /v1/health (a minute at most)."""
        deadline = time.monotonic() + 60
        while self._url is None:
            found = _LISTENING.search(self.log.read_text())
            if found:
                self._url = found.group(1)
                break
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.05)
        wait_for_health(self._url, self.process, self.log)
        return self._url

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@contextmanager
def server_process(args: list[str], log: Path) -> Iterator[str]:
    """A ServerProcess that is up; yields its URL and stops it when the block ends."""
    server = ServerProcess(args, log)
    try:
        yield server.wait_until_up()
    finally:
        server.stop()


def wait_for_health(url: str, process: subprocess.Popen[Any], log: Path | None = None) -> None:
    """Waits up to a minute for a server process at `url` to answer /v1/health; fails with
    its log if it dies or never answers."""
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{url}/v1/health", timeout=2).raise_for_status()
            return
        except httpx.TransportError:
            alive = process.poll() is None
            assert alive and time.monotonic() < deadline, log.read_text() if log else url
            time.sleep(0.1)


REP_PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class RunningServer:
    url: str
    store: ServerStore
    auth: AuthService


@contextmanager
def rep_server(folder: Path, database_url: str | None = None) -> Iterator[RunningServer]:
    """A real server on loopback with territory 'north' and its rep 'ana'; its database is
    an SQLite file in `folder` unless `database_url` names another."""
    store = ServerStore.open(database_url or database_url_for(folder))
    auth = AuthService(store)
    auth.add_territory("north")
    auth.add_user("ana", REP_PASSWORD, ["north"])
    try:
        with serving(create_app(store, auth)) as url:
            yield RunningServer(url, store, auth)
    finally:
        store.close()
