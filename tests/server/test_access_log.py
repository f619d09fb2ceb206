"""The server's line per request, over real HTTP on loopback: the route's path, the status,
the time and a pseudonym; never the query string, a header, a password or a user name."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from server.access_log import NO_ROUTE
from server.app import create_app
from server.auth import AuthService
from server.models import User
from server.store import ServerStore, database_url_for
from tests.helpers.live_server import server_process, serving
from tests.helpers.server_log import SERVER_TRACEBACKS

USER, PASSWORD = "zoe.fieldrep", "correct horse battery"
ACCESS_LOGGER = "server.access_log"


def access_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == ACCESS_LOGGER]


def test_one_line_per_request_naming_no_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    store = ServerStore.open(database_url_for(tmp_path))
    auth = AuthService(store)
    auth.add_territory("north")
    auth.add_user(USER, PASSWORD, ["north"])
    device = uuid.uuid4()
    try:
        with serving(create_app(store, auth)) as url, httpx.Client(base_url=url) as http:
            assert http.get("/v1/health?probe=health-query").status_code == 200
            login = http.post(
                "/v1/auth/login",
                json={"username": USER, "password": PASSWORD, "client_id": str(device)},
            )
            assert login.status_code == 200
            token = login.json()["access_token"]
            bearer = {"Authorization": f"Bearer {token}"}
            pulled = http.get("/v1/sync/changes?cursor=forged-cursor-value", headers=bearer)
            assert pulled.status_code == 400
            wrong = http.post(
                "/v1/auth/login",
                json={"username": USER, "password": "not the password", "client_id": str(device)},
            )
            assert wrong.status_code == 401
            assert http.get(f"/v1/people/{USER}?q=anything").status_code == 404
            too_large = http.post("/v1/auth/login", content=b"{" + b" " * 32 * 1024 + b"}")
            assert too_large.status_code == 413
        # The server has stopped: every line is written.
        with store.session() as session:
            user_id = session.scalar(select(User.id).where(User.name == USER))
    finally:
        store.close()

    lines = access_lines(caplog)
    said = [r.getMessage().split(" ms ")[0].rsplit(" ", 1)[0] for r in lines]
    assert said == [
        "GET /v1/health 200",
        "POST /v1/auth/login 200",
        "GET /v1/sync/changes 400",
        "POST /v1/auth/login 401",
        f"GET {NO_ROUTE} 404",
        "POST /v1/auth/login 413",
    ]
    callers = [r.getMessage().split(" ms ", 1)[1] for r in lines]
    assert callers == [
        "anonymous",
        f"device {device}",
        f"user {user_id} device {device}",
        f"device {device}",
        "anonymous",
        "anonymous",
    ]
    assert all(r.levelno == logging.INFO for r in lines)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (token, PASSWORD, "not the password", "forged-cursor-value", "probe="):
        assert secret not in everything
    for line in (r.getMessage() for r in lines):
        assert USER not in line and "127.0.0.1" not in line and "?" not in line


def test_a_bug_is_logged_with_its_traceback_and_its_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    store = ServerStore.open(database_url_for(tmp_path))
    app = create_app(store, AuthService(store))

    @app.get("/v1/boom/{thing}")
    def boom(thing: str) -> None:
        raise RuntimeError("deliberate, to prove the line")

    try:
        with serving(app) as url:
            answer = httpx.get(f"{url}/v1/boom/customer-name?cursor=x", timeout=10)
    finally:
        store.close()
    assert answer.status_code == 500
    assert answer.json()["error"] == "internal"
    caught = SERVER_TRACEBACKS.take()  # taken: provoked on purpose
    assert [(c.logger, c.exception) for c in caught] == [("uvicorn.error", "builtins.RuntimeError")]
    assert 'raise RuntimeError("deliberate, to prove the line")' in caught[0].text
    [line] = access_lines(caplog)
    assert line.levelno == logging.ERROR
    message = line.getMessage()
    assert message.startswith("GET /v1/boom/{thing} 500 ")
    assert message.endswith(" ms anonymous unhandled RuntimeError")
    assert "customer-name" not in message


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_prints_our_line_and_not_uvicorns(tmp_path: Path, workers: str) -> None:
    output = tmp_path / "serve.log"
    args = ["serve", "--data-dir", str(tmp_path), "--workers", workers]
    with server_process(args, output) as url:
        assert httpx.get(f"{url}/v1/health?probe=serve-query", timeout=10).status_code == 200
    printed = output.read_text()
    assert "GET /v1/health 200 " in printed
    assert "serve-query" not in printed
    assert 'HTTP/1.1"' not in printed  # uvicorn's access line, with the client's address
