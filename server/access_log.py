"""One log line per request: method, route, status, time taken and a pseudonymous caller.

Never the client's address, the query string (it carries cursors), a header (tokens) or a
body: what identifies the caller is what the routes note with `note_caller` (a user id, a
device id, a system's source name), never a user name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

_CALLER = "fieldbrief_caller"  # in the request's state (scope["state"])
NO_ROUTE = "(no route)"


def note_caller(request: Request, who: str) -> None:
    """Names the caller in the request's log line. `who` is a pseudonym ("user 7 device
    …", "system crm"): never a user name or an address."""
    request.scope.setdefault("state", {})[_CALLER] = who


def route_template(scope: Scope, routes: Sequence[BaseRoute]) -> str:
    """The path of the route that took (or would take) the request, "/v1/sync/changes" or
    "/v1/things/{id}"; never the raw path, which may carry anything a client put there."""
    route = scope.get("route")
    if route is None:  # refused before routing (the front door): match it here
        for candidate in routes:
            match, _ = candidate.matches(scope)
            if match is Match.FULL:
                route = candidate
                break
            if match is Match.PARTIAL and route is None:
                route = candidate
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else NO_ROUTE


class AccessLog:
    """ASGI middleware, outermost: logs each HTTP request once it is answered (or failed)."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = scope.setdefault("state", {})
        status: int | None = None
        error: str | None = None

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            # The server's catch-all answers 500, and uvicorn logs the traceback.
            error = type(exc).__name__
            status = status or 500
            raise
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            failed = error is not None or (status is not None and status >= 500)
            log.log(
                logging.ERROR if failed else logging.INFO,
                "%s %s %s %.1f ms %s%s",
                str(scope.get("method", "?"))[:16],
                route_template(scope, self.routes),
                status if status is not None else "- (no answer)",
                elapsed_ms,
                state.get(_CALLER, "anonymous"),
                f" unhandled {error}" if error else "",
            )
