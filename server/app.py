"""The FastAPI application: its middlewares, JSON errors in plain words, the routers by area."""
# No `from __future__ import annotations` here nor in server/routes: FastAPI reads the route
# annotations at runtime.

import os

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.access_log import AccessLog
from server.auth import AuthService, Clock
from server.console import add_console_routes
from server.door import BodyLimits, FrontDoor
from server.errors import ServerError, TooManyAttempts
from server.ingest import ApiKeys
from server.retention import DailyRetention
from server.routes.auth import add_auth_routes
from server.routes.hooks import add_hook_routes
from server.routes.ingest import add_ingest_routes
from server.routes.marketing import add_marketing_routes
from server.routes.sync import add_sync_routes
from server.store import ServerStore, create_server_engine
from sync.protocol import MIN_CLIENT_API, SERVER_TIME_HEADER, ErrorBody

# Answers any route may give besides its own, all with the usual error body: documented
# once here, so the OpenAPI document says what clients really get.
ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "A request the server cannot take (a forged cursor, a NUL character), in words"),
        (401, "Not signed in, or an API key that is not valid"),
        (403, "Signed in, but not allowed (another device's push, a disabled user)"),
        (410, "This device must download its territory again (resync_required)"),
        (413, "The request body is larger than the server takes here"),
        (422, "A request that does not match this document, and where"),
        (426, "This app is too old for the server: update it"),
        (429, "Too many failed sign-ins: wait Retry-After seconds"),
    )
}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(ErrorBody(error=code, message=message).model_dump(), status_code=status)


def create_app(
    store: ServerStore,
    auth: AuthService,
    min_client_api: int = MIN_CLIENT_API,
    limits: BodyLimits | None = None,
) -> FastAPI:
    """The server app over its store and services (built by the CLI or by tests).
    `min_client_api`: the oldest client API served (the previous one, by default);
    `limits`: request body caps (BodyLimits.from_environment() by default)."""
    app = FastAPI(
        title="Fieldbrief server",
        version="1",
        description="Syncs each rep's territory and takes in activity from other systems.",
        responses=ERRORS,
    )
    # Level 1: most of the saving at a fifth of level 9's cost per 1,000-row page.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=1)
    # The retention policy again at the first request of each day (`serve` applies it at start).
    app.add_middleware(DailyRetention, store=store, clock=auth.clock)
    app.add_middleware(ServerTime, clock=auth.clock)
    app.add_middleware(SecurityHeaders)
    # Before the others, so nothing reads a body before it is capped and checked.
    app.add_middleware(FrontDoor, limits=limits or BodyLimits.from_environment())
    # Outermost of ours: a line for every request, the front door's refusals included.
    app.add_middleware(AccessLog, routes=app.router.routes)

    @app.exception_handler(Exception)
    async def _bug(_request: Request, exc: Exception) -> JSONResponse:
        # A bug: the usual error body for the caller; Starlette then raises it on, and the
        # server (uvicorn) logs it with its traceback; the access line says "unhandled".
        return _error(500, "internal", "the server failed; the error was logged")

    @app.exception_handler(ServerError)
    async def _server_error(_request: Request, exc: ServerError) -> JSONResponse:
        response = _error(exc.status, exc.code, exc.message)
        if isinstance(exc, TooManyAttempts):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request"
        return _error(422, "invalid_request", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
        response = _error(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})  # a 405's Allow, say
        return response

    # Routes call the store and argon2: plain `def`, so FastAPI runs them in its thread
    # pool instead of blocking the event loop. Each area adds its routes to the app's own
    # router rather than through include_router: since FastAPI 0.137 an included router is
    # one opaque node of app.routes, and tests and tools read the routes from that list.
    keys = ApiKeys(store, auth.clock)
    add_auth_routes(app.router, store, auth, min_client_api)
    add_sync_routes(app.router, store, auth, min_client_api)
    add_ingest_routes(app.router, store, keys, auth.clock)
    add_marketing_routes(app.router, store, keys, auth.clock)
    app.state.hooks = add_hook_routes(app.router, store, auth.clock)  # its delivery worker
    add_console_routes(app.router, store, auth)
    return app


class ServerTime:
    """Stamps every answer with the server's clock (SERVER_TIME_HEADER): clients warn of a
    clock far off without a request of its own for it."""

    def __init__(self, app: ASGIApp, clock: Clock) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[SERVER_TIME_HEADER] = self.clock().isoformat()
            await send(message)

        await self.app(scope, receive, stamped)


# On every answer: no sniffing, framing or referrers, nothing of a rep's data kept in a
# cache on the way; over HTTPS, browsers keep to HTTPS for a year (HSTS).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
HSTS = "max-age=31536000"


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every answer (and HSTS to those sent over HTTPS)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if secure:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, headed)


# Where each worker process of `fieldbrief-server serve --workers N` finds the database.
DATABASE_URL_VARIABLE = "FIELDBRIEF_SERVE_DATABASE_URL"


def app_from_environment() -> FastAPI:
    """The app of one worker process of `fieldbrief-server serve --workers N` (uvicorn's
    factory): its own connections to the database the serve command named (and migrated)
    in FIELDBRIEF_SERVE_DATABASE_URL."""
    store = ServerStore(create_server_engine(os.environ[DATABASE_URL_VARIABLE]))
    return create_app(store, AuthService(store))
