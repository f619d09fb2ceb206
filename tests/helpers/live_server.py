"""A real uvicorn server in a thread on 127.0.0.1, for tests that speak HTTP."""

from __future__ import annotations

import socket
import subprocess
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Runs `app` until the block ends; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


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
