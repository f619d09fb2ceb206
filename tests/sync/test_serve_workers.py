"""`fieldbrief-server serve --workers N` as a real subprocess: several server processes on
one database, and devices syncing through them as through one server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import select

from db.edits import LocalEditor
from db.store.local_store import Store
from db.store.models import Account
from db.store.replica import LocalReplica
from sync.engine import SyncEngine
from tests.helpers.live_server import ServerProcess

PASSWORD = "a long secret"


def _cli(*args: str | Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _sync(store: Store, url: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        SyncEngine(LocalReplica(store), http, "ana", PASSWORD).run()


def test_devices_sync_through_several_server_processes(tmp_path: Path) -> None:
    folder = tmp_path / "server"
    assert _cli("--data-dir", folder, "territory", "add", "north").returncode == 0
    added = _cli(
        "--data-dir", folder, "user", "add", "ana", "--territory", "north", "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    server = ServerProcess(
        ["--data-dir", str(folder), "serve", "--workers", "2"], tmp_path / "serve.log"
    )
    laptop, tablet = Store.open(tmp_path / "laptop"), Store.open(tmp_path / "tablet")
    try:
        url = server.wait_until_up()
        for number in range(3):  # each sync on new connections: both workers take part
            LocalEditor(laptop).create("account", name=f"Acme {number}", territory="north")
            _sync(laptop, url)
        _sync(tablet, url)
        with tablet.reading() as session:
            names = sorted(session.scalars(select(Account.name)))
        assert names == ["Acme 0", "Acme 1", "Acme 2"]
    finally:
        laptop.close()
        tablet.close()
        server.stop()
    assert server.process.returncode is not None


def test_workers_must_be_a_positive_number(tmp_path: Path) -> None:
    refused = _cli("--data-dir", tmp_path, "serve", "--workers", "0")
    assert refused.returncode == 2 and "--workers: must be at least 1" in refused.stderr
