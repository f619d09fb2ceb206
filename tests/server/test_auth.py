"""Sign-in, tokens, refresh, logout and disabling, over real HTTP."""

from __future__ import annotations

import uuid

import httpx
import pytest

from server.auth import REUSE_GRACE, AuthService
from tests.server.conftest import PASSWORD, Clock


def login(
    http: httpx.Client,
    user: str = "ana",
    client_id: uuid.UUID | None = None,
    password: str = PASSWORD,
) -> httpx.Response:
    body = {"username": user, "password": password, "client_id": str(client_id or uuid.uuid4())}
    return http.post("/v1/auth/login", json=body)


def refresh(http: httpx.Client, token: str) -> httpx.Response:
    return http.post("/v1/auth/refresh", json={"refresh_token": token})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_health_needs_no_sign_in(http: httpx.Client) -> None:
    assert http.get("/v1/health").json() == {
        "status": "ok",
        "api_version": 1,
        "min_client_api": 1,
        "server_time": "2026-11-23T09:00:00Z",  # the test clock: clients compare theirs
    }


def test_login_returns_tokens_that_open_the_api(http: httpx.Client) -> None:
    client_id = uuid.uuid4()
    tokens = login(http, client_id=client_id).json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    me = http.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json() == {
        "username": "ana",
        "client_id": str(client_id),
        "territories": ["north"],
        "sensitive_answers": "allowed",
    }


@pytest.mark.parametrize(("user", "password"), [("ana", "wrong password"), ("nobody", PASSWORD)])
def test_a_wrong_login_is_401_in_plain_words(http: httpx.Client, user: str, password: str) -> None:
    response = login(http, user=user, password=password)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized", "message": "wrong user name or password"}


def test_no_or_bad_token_is_401_json(http: httpx.Client) -> None:
    assert http.get("/v1/me").json()["error"] == "unauthorized"
    assert http.get("/v1/me", headers=bearer("made-up")).status_code == 401


def test_access_tokens_expire_and_refresh_rotates(http: httpx.Client, clock: Clock) -> None:
    tokens = login(http).json()
    clock.advance(minutes=16)
    expired = http.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert expired.status_code == 401 and "expired" in expired.json()["message"]
    fresh = refresh(http, tokens["refresh_token"]).json()
    assert http.get("/v1/me", headers=bearer(fresh["access_token"])).status_code == 200
    clock.advance(seconds=REUSE_GRACE.total_seconds() + 1)
    reused = refresh(http, tokens["refresh_token"])
    assert reused.status_code == 401  # a refresh token works once (past a retry's grace)


def test_refresh_tokens_expire_too(http: httpx.Client, clock: Clock) -> None:
    tokens = login(http).json()
    clock.advance(days=31)
    assert (
        http.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code
        == 401
    )


def test_logout_revokes_both_tokens(http: httpx.Client) -> None:
    tokens = login(http).json()
    assert http.post("/v1/auth/logout", headers=bearer(tokens["access_token"])).status_code == 204
    assert http.get("/v1/me", headers=bearer(tokens["access_token"])).status_code == 401
    assert (
        http.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code
        == 401
    )


def test_disabling_a_user_ends_their_sessions(http: httpx.Client, auth: AuthService) -> None:
    tokens = login(http).json()
    auth.set_disabled("ana")
    assert http.get("/v1/me", headers=bearer(tokens["access_token"])).status_code == 401
    refused = login(http)
    assert refused.status_code == 403 and "disabled" in refused.json()["message"]
    auth.set_disabled("ana", False)
    assert login(http).status_code == 200


def test_a_device_stays_bound_to_its_user(http: httpx.Client) -> None:
    laptop = uuid.uuid4()
    assert login(http, "ana", laptop).status_code == 200
    assert login(http, "ana", laptop).status_code == 200  # the same rep again is fine
    taken = login(http, "ben", laptop)
    assert taken.status_code == 403 and "another user" in taken.json()["message"]


def test_bad_requests_and_unknown_routes_are_json(http: httpx.Client) -> None:
    bad = http.post("/v1/auth/login", json={"username": "ana"})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_request"
    missing = http.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_openapi_docs_are_served(http: httpx.Client) -> None:
    assert http.get("/docs").status_code == 200
    assert "/v1/auth/login" in http.get("/openapi.json").json()["paths"]
