"""The FastAPI application: versioned routes, JSON errors in plain words, bearer auth."""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.auth import AuthService, Caller
from server.errors import ServerError, Unauthorized
from sync.protocol import PREFIX, ErrorBody, Health, LoginRequest, Me, RefreshRequest, TokenPair

_bearer = HTTPBearer(auto_error=False)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(ErrorBody(error=code, message=message).model_dump(), status_code=status)


def create_app(auth: AuthService) -> FastAPI:
    """The server app over its services (built by the CLI or by tests)."""
    app = FastAPI(
        title="Fieldbrief server",
        version="1",
        description="Syncs each rep's territory and takes in activity from other systems.",
    )

    @app.exception_handler(ServerError)
    async def _server_error(_request: Request, exc: ServerError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

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
    ) -> Caller:
        if credentials is None:
            raise Unauthorized("not signed in; send an access token")
        return auth.authenticate(credentials.credentials)

    # Sync endpoints call the store and argon2: plain `def`, so FastAPI runs them in its
    # thread pool instead of blocking the event loop.

    @app.get(f"{PREFIX}/health", response_model=Health)
    def health() -> Health:
        return Health()

    @app.post(f"{PREFIX}/auth/login", response_model=TokenPair)
    def login(body: LoginRequest) -> TokenPair:
        return auth.login(body.username, body.password, body.client_id)

    @app.post(f"{PREFIX}/auth/refresh", response_model=TokenPair)
    def refresh(body: RefreshRequest) -> TokenPair:
        return auth.refresh(body.refresh_token)

    @app.post(f"{PREFIX}/auth/logout", status_code=204)
    def logout(who: Annotated[Caller, Depends(caller)]) -> Response:
        auth.logout(who)
        return Response(status_code=204)

    @app.get(f"{PREFIX}/me", response_model=Me)
    def me(who: Annotated[Caller, Depends(caller)]) -> Me:
        return Me(
            username=who.username, client_id=who.client_id, territories=sorted(who.territories)
        )

    return app
