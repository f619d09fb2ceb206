"""The wire protocol between the app and the central server: pydantic models both share.

Versioned with the URL prefix (/v1). The server accepts requests from the previous client
API version; a client older than MIN_CLIENT_API is told to update.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

API_VERSION = 1
MIN_CLIENT_API = 1
PREFIX = f"/v{API_VERSION}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorBody(_Model):
    """Every error response: a stable code for programs and a message for people."""

    error: str
    message: str


class Health(_Model):
    status: str = "ok"
    api_version: int = API_VERSION
    min_client_api: int = MIN_CLIENT_API


class LoginRequest(_Model):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)
    client_id: uuid.UUID


class RefreshRequest(_Model):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokenPair(_Model):
    """A short-lived access token for API calls and a refresh token to get the next one."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int  # seconds until the access token expires


class Me(_Model):
    username: str
    client_id: uuid.UUID
    territories: list[str]
