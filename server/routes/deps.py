"""What the routes share: who calls (a rep's token, a system's API key), the client check."""
# No `from __future__ import annotations` here: FastAPI reads these annotations at runtime.

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from server.access_log import note_caller
from server.auth import AuthService, Caller
from server.errors import ClientTooOld, Unauthorized
from server.ingest import ApiKeys
from sync.protocol import API_HEADER, Me, SensitivePolicy

bearer = HTTPBearer(auto_error=False)

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
ClientApi = Annotated[int | None, Header(alias=API_HEADER)]


def bearer_caller(
    auth: AuthService, min_client_api: int
) -> Callable[[Request, HTTPAuthorizationCredentials | None, int | None], Caller]:
    """The dependency for a rep's routes: the signed-in caller behind the access token, on a
    client the server still serves."""

    def caller(request: Request, credentials: Credentials, client_api: ClientApi = None) -> Caller:
        check_client_api(client_api, min_client_api)
        if credentials is None:
            raise Unauthorized("not signed in; send an access token")
        who = auth.authenticate(credentials.credentials)
        note_caller(request, f"user {who.user_id} device {who.client_id}")
        return who

    return caller


def api_key_source(
    keys: ApiKeys,
) -> Callable[[Request, HTTPAuthorizationCredentials | None], str]:
    """The dependency for other systems' routes: the source name of the API key sent."""

    def calling_system(request: Request, credentials: Credentials) -> str:
        # Another system's API key, never a rep's token: the two are looked up in tables
        # of their own, so neither opens the other's routes.
        if credentials is None:
            raise Unauthorized("no API key; send it as: Authorization: Bearer <key>")
        source = keys.source_of(credentials.credentials)
        note_caller(request, f"system {source}")
        return source

    return calling_system


def check_client_api(client_api: int | None, min_client_api: int) -> None:
    """The previous client API is still served; an older one is told to update."""
    if client_api is not None and client_api < min_client_api:
        raise ClientTooOld(
            "this version of Fieldbrief is too old for your company's server; please update "
            "the app (your work is kept and syncs after the update)"
        )


def me_of(who: Caller, policy: SensitivePolicy) -> Me:
    """What /me answers (and /sync/changes with `include=me`)."""
    return Me(
        username=who.username,
        client_id=who.client_id,
        territories=sorted(who.territories),
        sensitive_answers=policy,
    )
