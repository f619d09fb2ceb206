"""What the routes share: who calls (a rep's token, a system's API key), the client checks."""
# No `from __future__ import annotations` here: FastAPI reads these annotations at runtime.

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from server.access_log import note_caller
from server.auth import AuthService, Caller
from server.errors import BadRequest, ClientTooOld, Unauthorized
from server.ingest import ApiKeys
from sync.protocol import API_HEADER, VERSION_HEADER, VERSION_PATTERN, Me, SensitivePolicy

bearer = HTTPBearer(auto_error=False)

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
ClientApi = Annotated[int | None, Header(alias=API_HEADER)]
# Read as text and checked here (app_version_of), so a bad one is a 400 in our words.
AppVersion = Annotated[str | None, Header(alias=VERSION_HEADER)]
_VERSION = re.compile(VERSION_PATTERN)


def bearer_caller(
    auth: AuthService, min_client_api: int
) -> Callable[[Request, HTTPAuthorizationCredentials | None, int | None, str | None], Caller]:
    """The dependency for a rep's routes: the signed-in caller behind the access token, on a
    client the server still serves, from a device no admin wiped."""

    def caller(
        request: Request,
        credentials: Credentials,
        client_api: ClientApi = None,
        app_version: AppVersion = None,
    ) -> Caller:
        check_client_api(client_api, min_client_api)
        version = app_version_of(app_version)
        if credentials is None:
            raise Unauthorized("not signed in; send an access token")
        who = auth.authenticate(credentials.credentials, version)
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


def app_version_of(header: str | None) -> str | None:
    """The app version a request said, checked (BadRequest for one that is no version)."""
    if header is None:
        return None
    if not _VERSION.fullmatch(header):
        raise BadRequest(
            f"{VERSION_HEADER} takes a version such as 1.2.0 (letters, digits, '.+_-', "
            "at most 40 characters)"
        )
    return header


def me_of(who: Caller, policy: SensitivePolicy, offline_days: int | None = None) -> Me:
    """What /me answers (and /sync/changes with `include=me`). The offline limit goes only
    to apps that say their version: older ones refuse a field they do not know, and do
    not enforce it anyway."""
    return Me(
        username=who.username,
        client_id=who.client_id,
        territories=sorted(who.territories),
        sensitive_answers=policy,
        offline_days=offline_days if who.app_version is not None else None,
    )
