"""The wire protocol between the app and the central server: pydantic models both share.

Versioned with the URL prefix (/v1). The server accepts requests from the previous client
API version; a client older than MIN_CLIENT_API is told to update.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

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


# --- Sync ---------------------------------------------------------------------------------

# What syncs, and how a row finds its territory: accounts carry it, other rows inherit it
# from the row named by their parent field.
ENTITY_PARENT: dict[str, str | None] = {
    "account": None,
    "contact": "account_id",
    "meeting": "account_id",
    "meeting_attendee": "meeting_id",
    "visit_note": "account_id",
    "task": "account_id",
    "activity": "account_id",
    "ladder_change": "account_id",
    "team_member": "account_id",
    "conflict": None,  # made by the server; carries the territory of what it is about
}
PARENT_ENTITY = {"account_id": "account", "meeting_id": "meeting"}
# Parents before children: the order snapshots deliver entities in.
SNAPSHOT_ORDER = (
    "account",
    "contact",
    "meeting",
    "meeting_attendee",
    "visit_note",
    "task",
    "activity",
    "ladder_change",
    "team_member",
    "conflict",
)
CLIENT_ENTITIES = frozenset(ENTITY_PARENT) - {"conflict"}

PAGE_ROWS = 1000  # rows per pull or snapshot page (about 1-2 MB of JSON at most)


class Row(_Model):
    """One synced row as the server holds it: its fields as JSON and its server version."""

    entity: str
    id: uuid.UUID
    version: int
    deleted: bool = False
    data: dict[str, Any]


class SnapshotPage(_Model):
    """Rows of the caller's scope as they are now, keyset-paginated by (entity, id)."""

    rows: list[Row]
    pinned_version: int
    cursor: str  # pull from here (the pinned version) once the snapshot is complete
    next_after: str | None  # pass back as `after` for the next page; None when done


class PullPage(_Model):
    """Changes after a cursor, oldest first, tombstones included."""

    rows: list[Row]
    cursor: str  # store with the applied rows, in the same transaction
    more: bool


MutationOp = Literal["create", "set_fields", "revise", "delete"]


class Mutation(_Model):
    """A named, numbered intent from one device, made on top of a known server version.

    `base` holds the values the changed fields had when the rep edited them, so the server
    can merge field by field (three-way) instead of overwriting.
    """

    mutation_id: int = Field(ge=1)
    entity: str
    op: MutationOp
    id: uuid.UUID
    base_version: int | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    base: dict[str, Any] = Field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.entity}.{self.op}"


class PushRequest(_Model):
    client_id: uuid.UUID
    client_api: int = API_VERSION
    mutations: list[Mutation] = Field(max_length=1000)


MutationStatus = Literal["applied", "applied_with_conflict", "rejected", "duplicate"]


class MutationResult(_Model):
    mutation_id: int
    status: MutationStatus
    reason: str | None = None
    version: int | None = None
    original_status: MutationStatus | None = None  # for a duplicate: how it went first


class PushResponse(_Model):
    results: list[MutationResult]
