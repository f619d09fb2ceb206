"""The FastAPI application: versioned routes, JSON errors in plain words, bearer auth."""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

import os
import uuid
from typing import Annotated

from fastapi import Body, Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.auth import AuthService, Caller, Clock
from server.door import BodyLimits, FrontDoor
from server.errors import BadRequest, ClientTooOld, ServerError, TooManyAttempts, Unauthorized
from server.events import Incoming
from server.ingest import ApiKeys, IngestBatch, IngestResult, read_csv_upload, take_in
from server.marketing import (
    LeadFeedbackReport,
    SuppressionList,
    feedback_csv,
    feedback_report,
    suppressions,
)
from server.push import apply_push
from server.records import (
    ScopedRecords,
    WireRecord,
    decode_cursor,
    decode_position,
    encode_cursor,
    encode_position,
    page_json,
    take_page,
)
from server.settings import sensitive_policy
from server.store import ServerStore, create_server_engine
from sync.protocol import (
    API_HEADER,
    MIN_CLIENT_API,
    PAGE_ROWS,
    PREFIX,
    PULL_INCLUDES,
    SERVER_TIME_HEADER,
    SNAPSHOT_ORDER,
    ErrorBody,
    Health,
    LoginRequest,
    Me,
    PullPage,
    PushRequest,
    PushResponse,
    RefreshRequest,
    SensitivePolicy,
    SnapshotPage,
    SyncSummary,
    TokenPair,
)

_bearer = HTTPBearer(auto_error=False)


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
    )
    # Level 1: most of the saving at a fifth of level 9's cost per 1,000-row page.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=1)
    app.add_middleware(ServerTime, clock=auth.clock)
    # Outermost, so nothing reads a body before it is capped and checked.
    app.add_middleware(FrontDoor, limits=limits or BodyLimits.from_environment())

    @app.exception_handler(Exception)
    async def _bug(_request: Request, exc: Exception) -> JSONResponse:
        # A bug: the usual error body for the caller; Starlette then raises it on, and the
        # server logs it with its traceback.
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
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail))

    def caller(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        client_api: Annotated[int | None, Header(alias=API_HEADER)] = None,
    ) -> Caller:
        _check_client_api(client_api, min_client_api)
        if credentials is None:
            raise Unauthorized("not signed in; send an access token")
        return auth.authenticate(credentials.credentials)

    keys = ApiKeys(store, auth.clock)

    def calling_system(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> str:
        # Another system's API key, never a rep's token: the two are looked up in tables
        # of their own, so neither opens the other's routes.
        if credentials is None:
            raise Unauthorized("no API key; send it as: Authorization: Bearer <key>")
        return keys.source_of(credentials.credentials)

    # Sync endpoints call the store and argon2: plain `def`, so FastAPI runs them in its
    # thread pool instead of blocking the event loop.

    @app.get(f"{PREFIX}/health", response_model=Health)
    def health() -> Health:
        return Health(min_client_api=min_client_api, server_time=auth.clock())

    @app.post(
        f"{PREFIX}/auth/login",
        response_model=TokenPair,
        responses={429: {"model": ErrorBody, "description": "Too many failed sign-ins"}},
    )
    def login(
        body: LoginRequest,
        request: Request,
        client_api: Annotated[int | None, Header(alias=API_HEADER)] = None,
    ) -> TokenPair:
        """Signs in. After repeated failures of a user name or from one address, answers
        429 with Retry-After (seconds) until the wait is over."""
        _check_client_api(client_api, min_client_api)
        address = request.client.host if request.client else None
        return auth.login(body.username, body.password, body.client_id, address=address)

    @app.post(f"{PREFIX}/auth/refresh", response_model=TokenPair)
    def refresh(
        body: RefreshRequest, client_api: Annotated[int | None, Header(alias=API_HEADER)] = None
    ) -> TokenPair:
        _check_client_api(client_api, min_client_api)
        return auth.refresh(body.refresh_token)

    @app.post(f"{PREFIX}/auth/logout", status_code=204)
    def logout(who: Annotated[Caller, Depends(caller)]) -> Response:
        auth.logout(who)
        return Response(status_code=204)

    @app.get(f"{PREFIX}/me", response_model=Me)
    def me(who: Annotated[Caller, Depends(caller)]) -> Me:
        with store.session() as session:
            return _me(who, sensitive_policy(session))

    @app.get(f"{PREFIX}/sync/snapshot", response_model=SnapshotPage)
    def snapshot(
        who: Annotated[Caller, Depends(caller)],
        after: str | None = None,
        entity: Annotated[list[str] | None, Query()] = None,
        territory: Annotated[list[str] | None, Query()] = None,
    ) -> Response:
        """The caller's scope as it is now, a page at a time; then pull from `cursor`.
        `entity` narrows it to some kinds (to repair them), `territory` to some of the
        caller's territories (newly granted ones); both repeatable."""
        kinds = frozenset(entity) if entity else None
        if kinds is not None and not kinds <= set(SNAPSHOT_ORDER):
            raise BadRequest(f"unknown kind of record: {', '.join(sorted(kinds))}")
        scope = who.territories & frozenset(territory) if territory else who.territories
        with store.session() as session:
            records = ScopedRecords(session, scope, auth.clock)
            position: tuple[str, uuid.UUID] | None = None
            total = None
            if after is None:
                pinned = records.current_version()
                total = records.count(kinds)
            else:
                pinned, last_entity, last_id = decode_position(after)
                position = (last_entity, last_id)
            page, more = take_page(records.snapshot(position, PAGE_ROWS + 1, kinds))
            last = page[-1] if more else None
            # Rows named by this page but created after the pin may be on no earlier page.
            page = _as_allowed(records, records.with_references(page, pinned))
        envelope = SnapshotPage(
            rows=[],
            pinned_version=pinned,
            cursor=encode_cursor(pinned),
            next_after=encode_position(pinned, last.entity, last.id) if last else None,
            total=total,
        )
        return _json(page_json(envelope, page))

    @app.get(f"{PREFIX}/sync/changes", response_model=PullPage)
    def changes(
        who: Annotated[Caller, Depends(caller)],
        cursor: str,
        include: Annotated[list[str] | None, Query()] = None,
    ) -> Response:
        """What changed in the caller's scope after `cursor`, oldest first. `include`
        (repeatable) adds `me` (the caller's scope now) to every page and `summary` (what
        /sync/summary says) to the last: a sync that has nothing to push makes one request."""
        extras = frozenset(include or ())
        if not extras <= set(PULL_INCLUDES):
            raise BadRequest(f"include takes {' and '.join(PULL_INCLUDES)}")
        since = decode_cursor(cursor)
        with store.session() as session:
            records = ScopedRecords(session, who.territories, auth.clock)
            upto = records.current_version()  # read first: all up to it is committed
            page, more = take_page(records.changes_since(since, upto, PAGE_ROWS + 1))
            last = page[-1].version if more else upto
            page = _as_allowed(records, records.with_references(page, since))
            summary = None
            if "summary" in extras and not more:
                # Counted after reading the page: they belong to `upto` only if nothing
                # was committed meanwhile (reads here see each commit as it lands).
                entities = records.summary()
                summary = entities if records.current_version() == upto else None
            me = _me(who, sensitive_policy(session)) if "me" in extras else None
        envelope = PullPage(rows=[], cursor=encode_cursor(last), more=more, me=me, summary=summary)
        return _json(page_json(envelope, page))

    @app.get(f"{PREFIX}/sync/summary", response_model=SyncSummary)
    def summary(who: Annotated[Caller, Depends(caller)], cursor: str | None = None) -> SyncSummary:
        """Counts and checksums of the caller's scope. With the client's `cursor`: `behind`
        says whether its scope changed after it (then the client pulls before comparing)."""
        since = decode_cursor(cursor) if cursor is not None else None
        with store.session() as session:
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                # Counter and counts from one snapshot.
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            records = ScopedRecords(session, who.territories, auth.clock)
            for _attempt in range(3):
                # pysqlite runs plain reads outside a transaction: counts taken while the
                # counter stood still belong to that version.
                version = records.current_version()
                behind = since is not None and records.changed_since(since)
                entities = {} if behind else records.summary()
                if records.current_version() == version:
                    break
        return SyncSummary(cursor=encode_cursor(version), entities=entities, behind=behind)

    @app.post(f"{PREFIX}/sync/push", response_model=PushResponse)
    def push(who: Annotated[Caller, Depends(caller)], body: PushRequest) -> PushResponse:
        """Applies a device's mutations in order; each gets its own result."""
        _check_client_api(body.client_api, min_client_api)
        return apply_push(store, who, body, auth.clock)

    @app.post(f"{PREFIX}/ingest/events", response_model=IngestResult)
    def ingest_events(
        source: Annotated[str, Depends(calling_system)], body: IngestBatch
    ) -> IngestResult:
        """Marketing, service and billing events about customer accounts, each checked on
        its own: the good ones of a batch land even when others are rejected. Sending an
        event again answers "duplicate"; one whose account is unknown waits as "unmatched"."""
        return take_in(store, source, [Incoming(raw) for raw in body.events], auth.clock)

    @app.post(f"{PREFIX}/ingest/events.csv", response_model=IngestResult)
    def ingest_events_csv(
        source: Annotated[str, Depends(calling_system)],
        body: Annotated[bytes, Body(media_type="text/csv")] = b"",
    ) -> IngestResult:
        """The same from a CSV (columns event_id, type, occurred_at, account_id, crm_id,
        domain, email, contact_email, title; any other column is a details key)."""
        return take_in(store, source, read_csv_upload(body), auth.clock)

    # Marketing reads back with its API key: the reps' lead feedback and their holds.

    @app.get(f"{PREFIX}/marketing/lead-feedback", response_model=LeadFeedbackReport)
    def lead_feedback(_source: Annotated[str, Depends(calling_system)]) -> LeadFeedbackReport:
        """Per campaign: leads handed over, accepted and rejected (with the reasons), and
        how the accepted ones ended."""
        with store.session() as session:
            return feedback_report(session)

    @app.get(f"{PREFIX}/marketing/lead-feedback.csv")
    def lead_feedback_csv(_source: Annotated[str, Depends(calling_system)]) -> Response:
        """The same as CSV, a row per campaign."""
        with store.session() as session:
            text = feedback_csv(session)
        return Response(content=text, media_type="text/csv; charset=utf-8")

    @app.get(f"{PREFIX}/marketing/suppressions", response_model=SuppressionList)
    def suppression_list(_source: Annotated[str, Depends(calling_system)]) -> SuppressionList:
        """Contacts reps asked marketing to leave alone (a campaign or all), until when."""
        with store.session() as session:
            return suppressions(session, auth.clock().date())

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


# Where each worker process of `fieldbrief-server serve --workers N` finds the database.
DATABASE_URL_VARIABLE = "FIELDBRIEF_SERVE_DATABASE_URL"


def app_from_environment() -> FastAPI:
    """The app of one worker process of `fieldbrief-server serve --workers N` (uvicorn's
    factory): its own connections to the database the serve command named (and migrated)
    in FIELDBRIEF_SERVE_DATABASE_URL."""
    store = ServerStore(create_server_engine(os.environ[DATABASE_URL_VARIABLE]))
    return create_app(store, AuthService(store))


def _me(who: Caller, policy: SensitivePolicy) -> Me:
    return Me(
        username=who.username,
        client_id=who.client_id,
        territories=sorted(who.territories),
        sensitive_answers=policy,
    )


def _as_allowed(records: ScopedRecords, page: list[WireRecord]) -> list[WireRecord]:
    """The page as the company's policy lets devices keep it."""
    if sensitive_policy(records.session) == "off_devices":
        return records.without_sensitive_values(page)
    return page


def _json(body: bytes) -> Response:
    # Written by page_json; the route's response_model still documents the shape.
    return Response(content=body, media_type="application/json")


def _check_client_api(client_api: int | None, min_client_api: int) -> None:
    """The previous client API is still served; an older one is told to update."""
    if client_api is not None and client_api < min_client_api:
        raise ClientTooOld(
            "this version of Fieldbrief is too old for your company's server; please update "
            "the app (your work is kept and syncs after the update)"
        )
