"""Production's shape: `fieldbrief-server` processes on one PostgreSQL (real subprocesses)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from server.records import encode_cursor
from tests.helpers.live_server import ServerProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("server_database_url", ["postgresql"], indirect=True),
]


def server_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextmanager
def serving(database_url: str, log: Path) -> Iterator[ServerProcess]:
    """`fieldbrief-server serve --database-url URL` on a port of its own, output in `log`."""
    server = ServerProcess(["serve", "--database-url", database_url], log)
    try:
        yield server
    finally:
        server.stop()


def test_two_servers_share_one_database(server_database_url: str, tmp_path: Path) -> None:
    with ExitStack() as stack:
        # Both start on the empty database at once: both migrate, one after the other.
        servers = [
            stack.enter_context(serving(server_database_url, tmp_path / f"server{n}.log"))
            for n in (1, 2)
        ]
        for server in servers:
            server.wait_until_up()
        first, second = (server.url for server in servers)
        added = server_cli("--database-url", server_database_url, "territory", "add", "north")
        assert added.returncode == 0, added.stderr
        added = server_cli(
            "--database-url",
            server_database_url,
            "user",
            "add",
            "ana",
            "--territory",
            "north",
            "--password-stdin",
            stdin="a long secret\n",
        )
        assert added.returncode == 0, added.stderr

        client_id = uuid.uuid4()
        login = {"username": "ana", "password": "a long secret", "client_id": str(client_id)}
        tokens = httpx.post(f"{first}/v1/auth/login", json=login).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        account_id = str(uuid.uuid4())
        create = {"mutation_id": 1, "entity": "account", "op": "create", "id": account_id}
        create["fields"] = {"name": "Acme", "territory": "north"}
        body = {"client_id": str(client_id), "mutations": [create]}
        pushed = httpx.post(f"{first}/v1/sync/push", json=body, headers=headers).json()
        assert pushed["results"][0]["status"] == "applied"

        # The other server knows the token and the account: nothing lives in a process.
        pulled = httpx.get(
            f"{second}/v1/sync/changes", params={"cursor": encode_cursor(0)}, headers=headers
        ).json()
        assert [row["id"] for row in pulled["rows"]] == [account_id]


def test_a_database_url_that_cannot_be_used_is_one_line(server_database_url: str) -> None:
    missing = make_url(server_database_url).set(database="no_such_database")
    failed = server_cli(
        "--database-url", missing.render_as_string(hide_password=False), "territory", "add", "x"
    )
    assert failed.returncode == 1
    [line] = failed.stderr.strip().splitlines()
    assert line.startswith("fieldbrief-server: cannot open the database:")
    assert "no_such_database" in line
