"""`fieldbrief sync` as scripts run it: a subprocess against a real server on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.edits import LocalEditor
from db.store.local_store import Store
from tests.helpers.live_server import REP_PASSWORD, rep_server

pytestmark = pytest.mark.slow
PASSWORD = REP_PASSWORD


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    with rep_server(tmp_path / "server") as server:
        yield server.url


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    store = Store.open(tmp_path / "laptop")
    LocalEditor(store).create("account", name="Acme", territory="north")
    store.close()
    return tmp_path / "laptop"


def sync(
    server: str, data_dir: Path, *options: str, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FIELDBRIEF_PASSWORD", "PYTHON_KEYRING_BACKEND")
    }
    environment["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    environment.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop",
            "sync",
            "--server",
            server,
            "--user",
            "ana",
            "--data-dir",
            str(data_dir),
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        stdin=subprocess.DEVNULL,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_sync_with_the_password_from_the_environment(server_url: str, data_dir: Path) -> None:
    result = sync(server_url, data_dir, FIELDBRIEF_PASSWORD=PASSWORD)
    assert result.returncode == 0, result.stderr
    assert "pushed 1 change" in result.stdout
    assert "pulled 1 row (first download)" in result.stdout
    again = sync(server_url, data_dir, FIELDBRIEF_PASSWORD=PASSWORD)
    assert "pushed 0 changes" in again.stdout and "pulled 0 rows" in again.stdout
    # It logs like the app: one line a sync, in the data folder's log, no password.
    logged = (data_dir / "fieldbrief.log").read_text()
    assert logged.count("sync done in") == 2 and "pushed 1, refused 0, pulled 1" in logged
    assert PASSWORD not in logged


def test_the_keyring_comes_first(server_url: str, data_dir: Path, tmp_path: Path) -> None:
    secrets = tmp_path / "keyring.json"
    secrets.write_text(json.dumps({f"Fieldbrief/ana@{server_url}": PASSWORD}))
    result = sync(
        server_url,
        data_dir,
        PYTHON_KEYRING_BACKEND="tests.helpers.file_keyring.FileKeyring",
        FIELDBRIEF_TEST_KEYRING=str(secrets),
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
        FIELDBRIEF_PASSWORD="wrong and ignored",
    )
    assert result.returncode == 0, result.stderr


def test_failures_are_one_line(server_url: str, data_dir: Path) -> None:
    wrong = one_line(sync(server_url, data_dir, FIELDBRIEF_PASSWORD="not it at all"))
    assert wrong == "fieldbrief: sync failed: wrong user name or password"
    missing = one_line(sync(server_url, data_dir))
    assert "FIELDBRIEF_PASSWORD" in missing
    offline = one_line(
        sync("http://127.0.0.1:9", data_dir, "--retries", "1", FIELDBRIEF_PASSWORD=PASSWORD)
    )
    assert "cannot reach the server" in offline
    logged = (data_dir / "fieldbrief.log").read_text()  # each with its traceback
    assert logged.count("sync failed after") == 2 and "Traceback" in logged
