"""Health and signing in: login, refresh, logout, and who the caller is (/me)."""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from server.access_log import note_caller
from server.auth import AuthService, Caller
from server.routes.deps import ClientApi, bearer_caller, check_client_api, me_of
from server.settings import sensitive_policy
from server.store import ServerStore
from sync.protocol import PREFIX, ErrorBody, Health, LoginRequest, Me, RefreshRequest, TokenPair


def add_auth_routes(
    router: APIRouter, store: ServerStore, auth: AuthService, min_client_api: int
) -> None:
    """Adds the routes of signing in to `router`, over the store and the auth service."""
    caller = bearer_caller(auth, min_client_api)

    @router.get(f"{PREFIX}/health", response_model=Health)
    def health() -> Health:
        return Health(min_client_api=min_client_api, server_time=auth.clock())

    @router.post(
        f"{PREFIX}/auth/login",
        response_model=TokenPair,
        responses={429: {"model": ErrorBody, "description": "Too many failed sign-ins"}},
    )
    def login(body: LoginRequest, request: Request, client_api: ClientApi = None) -> TokenPair:
        """Signs in. After repeated failures of a user name or from one address, answers
        429 with Retry-After (seconds) until the wait is over."""
        check_client_api(client_api, min_client_api)
        note_caller(request, f"device {body.client_id}")  # never the name signing in
        address = request.client.host if request.client else None
        return auth.login(body.username, body.password, body.client_id, address=address)

    @router.post(f"{PREFIX}/auth/refresh", response_model=TokenPair)
    def refresh(body: RefreshRequest, client_api: ClientApi = None) -> TokenPair:
        check_client_api(client_api, min_client_api)
        return auth.refresh(body.refresh_token)

    @router.post(f"{PREFIX}/auth/logout", status_code=204)
    def logout(who: Annotated[Caller, Depends(caller)]) -> Response:
        auth.logout(who)
        return Response(status_code=204)

    @router.get(f"{PREFIX}/me", response_model=Me)
    def me(who: Annotated[Caller, Depends(caller)]) -> Me:
        with store.session() as session:
            return me_of(who, sensitive_policy(session))
