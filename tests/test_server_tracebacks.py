"""The check that a server traceback fails the run really catches one (tests/helpers/server_log)."""

from __future__ import annotations

import logging

import httpx
from fastapi import FastAPI

from tests.helpers.live_server import serving
from tests.helpers.server_log import SERVER_TRACEBACKS


def test_a_route_that_raises_is_caught() -> None:
    app = FastAPI()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("deliberate, to prove the check")

    with serving(app) as url:
        answer = httpx.get(f"{url}/boom", timeout=10)
    # Once the server has stopped, its thread has logged all it will.
    caught = SERVER_TRACEBACKS.take()  # taken: this test does not fail the run
    assert answer.status_code == 500
    assert [(c.logger, c.exception) for c in caught] == [("uvicorn.error", "builtins.RuntimeError")]
    assert "Exception in ASGI application" in caught[0].message
    assert 'raise RuntimeError("deliberate, to prove the check")' in caught[0].text


def test_only_server_side_loggers_count() -> None:
    for name in ("server.push", "fastapi", "starlette.middleware", "sync.engine", "desktop.app"):
        try:
            raise ValueError(name)
        except ValueError:
            logging.getLogger(name).warning("deliberate", exc_info=True)
    logging.getLogger("server.auth").error("no exception info, no traceback")
    caught = SERVER_TRACEBACKS.take()
    assert [c.logger for c in caught] == ["server.push", "fastapi", "starlette.middleware"]
