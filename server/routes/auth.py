"""Health and signing in: login, refresh, logout, who the caller is (/me), a wipe done."""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from server.access_log import note_caller
from server.auth import AuthService, Caller
from server.devices import Devices, offline_days
from server.routes.deps import (
    AppVersion,
    ClientApi,
    app_version_of,
    bearer_caller,
    check_client_api,
    me_of,
)
from server.settings import sensitive_policy
from server.store import ServerStore
from sync.protocol import (
    PREFIX,
    ErrorBody,
    Health,
    LoginRequest,
    Me,
    RefreshRequest,
    TokenPair,
    WipeDone,
)

WIPED: dict[int | str, dict[str, Any]] = {
    410: {"model": ErrorBody, "description": "An admin wiped this device (device_wiped)"}
}


def add_auth_routes(
    router: APIRouter, store: ServerStore, auth: AuthService, min_client_api: int
) -> None:
    """Adds the routes of signing in to `router`, over the store and the auth service."""
    caller = bearer_caller(auth, min_client_api)
    devices = Devices(store, auth.clock)

    @router.get(f"{PREFIX}/health", response_model=Health)
    def health() -> Health:
        return Health(min_client_api=min_client_api, server_time=auth.clock())

    @router.post(
        f"{PREFIX}/auth/login",
        response_model=TokenPair,
        responses={429: {"model": ErrorBody, "description": "Too many failed sign-ins"}, **WIPED},
    )
    def login(
        body: LoginRequest,
        request: Request,
        client_api: ClientApi = None,
        app_version: AppVersion = None,
    ) -> TokenPair:
        """Signs in. After repeated failures of a user name or from one address, answers
        429 with Retry-After (seconds) until the wait is over. A device an admin wiped is
        answered 410 (device_wiped), whoever signs in on it."""
        check_client_api(client_api, min_client_api)
        version = app_version_of(app_version)
        note_caller(request, f"device {body.client_id}")  # never the name signing in
        address = request.client.host if request.client else None
        return auth.login(
            body.username, body.password, body.client_id, address=address, app_version=version
        )

    @router.post(f"{PREFIX}/auth/refresh", response_model=TokenPair, responses=WIPED)
    def refresh(
        body: RefreshRequest, client_api: ClientApi = None, app_version: AppVersion = None
    ) -> TokenPair:
        check_client_api(client_api, min_client_api)
        return auth.refresh(body.refresh_token, app_version_of(app_version))

    @router.post(f"{PREFIX}/auth/logout", status_code=204)
    def logout(who: Annotated[Caller, Depends(caller)]) -> Response:
        auth.logout(who)
        return Response(status_code=204)

    @router.get(f"{PREFIX}/me", response_model=Me, responses=WIPED)
    def me(who: Annotated[Caller, Depends(caller)]) -> Me:
        with store.session() as session:
            return me_of(who, sensitive_policy(session), offline_days(session))

    @router.post(
        f"{PREFIX}/device/wiped",
        status_code=204,
        responses={404: {"model": ErrorBody, "description": "This device was not asked to wipe"}},
    )
    def wiped(body: WipeDone, request: Request) -> Response:
        """A device an admin wiped says it erased its copy: the server records when. It
        holds no sign-in any more (its tokens went with its copy), so its id names it;
        a device not asked to wipe is answered 404."""
        note_caller(request, f"device {body.client_id}")
        devices.confirm_wiped(body.client_id)
        return Response(status_code=204)
