"""The wire protocol between the app and the central server: pydantic models both share.

Versioned with the URL prefix (/v1). The server accepts requests from the previous client
API version; a client older than MIN_CLIENT_API is told to update.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict

from sync.row_schema import INT64_MAX, no_nul

API_VERSION = 1
MIN_CLIENT_API = 1
PREFIX = f"/v{API_VERSION}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorBody(_Model):
    """Every error response: a stable code for programs and a message for people."""

    error: str
    message: str


# Every client request names its API version in this header; a server that no longer
# reads it answers 426 with the error CLIENT_TOO_OLD.
API_HEADER = "X-Fieldbrief-Api"
CLIENT_TOO_OLD = "client_too_old"
# A pull from a cursor older than the oldest tombstone the server still keeps (410).
RESYNC_REQUIRED = "resync_required"
TOMBSTONE_DAYS = 180  # the server keeps deletes at least this long
CLOCK_SKEW_WARNING_S = 5 * 60
# Every server answer says the server's time (ISO 8601), for the client's clock warning.
SERVER_TIME_HEADER = "X-Fieldbrief-Server-Time"
# The app's version (e.g. 0.1.0), sent with every request: the server lists it per device,
# and answers fields older apps would refuse (Me.offline_days) only to apps that send it.
VERSION_HEADER = "X-Fieldbrief-Version"
VERSION_PATTERN = r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}"
# Every call of a device an admin wiped is answered 410 with this error; the device erases
# its copy and says so (POST {PREFIX}/device/wiped).
DEVICE_WIPED = "device_wiped"
MAX_OFFLINE_DAYS = 3650  # the longest offline limit a company may set


class Health(_Model):
    status: str = "ok"
    api_version: int = API_VERSION
    min_client_api: int = MIN_CLIENT_API
    server_time: datetime | None = None  # for the client's clock-skew warning


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


# The company's policy on sensitive profile answers (health, religion, politics): kept on
# the reps' devices, or on the server only (devices get those answers without their value).
SensitivePolicy = Literal["allowed", "off_devices"]


class Me(_Model):
    username: str
    client_id: uuid.UUID
    territories: list[str]
    sensitive_answers: SensitivePolicy = "allowed"
    # Days this device may go without syncing before it erases its copy (None: no limit).
    # Left out when None (exclude_if: pydantic 2.11): an older app's models refuse fields
    # they do not know.
    offline_days: int | None = Field(
        default=None, ge=1, le=MAX_OFFLINE_DAYS, exclude_if=lambda days: days is None
    )


class WipeDone(_Model):
    """A wiped device says it erased its copy (it holds no sign-in any more: its id is
    what names it)."""

    client_id: uuid.UUID


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
    "profile_answer": "account_id",
    "profile_change": "account_id",
    "lead": "account_id",
    "contact_hold": "account_id",
    "conflict": None,  # made by the server; carries the territory of what it is about
}
PARENT_ENTITY = {"account_id": "account", "meeting_id": "meeting"}
# Every field that names another synced row. A page that carries a row also carries the
# rows it names that the client may not have yet, so foreign keys hold on the device.
REFERENCE_FIELDS = {**PARENT_ENTITY, "contact_id": "contact", "note_id": "visit_note"}
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
    "profile_answer",
    "profile_change",
    "lead",
    "contact_hold",
    "conflict",
)
CLIENT_ENTITIES = frozenset(ENTITY_PARENT) - {"conflict"}
ENTITY_RANK = {entity: rank for rank, entity in enumerate(SNAPSHOT_ORDER)}


def parents_first(rows: list[Row]) -> list[Row]:
    """Rows in an order that applies cleanly: referenced kinds before referring ones."""
    return sorted(rows, key=lambda row: ENTITY_RANK.get(row.entity, len(ENTITY_RANK)))


PAGE_ROWS = 1000  # rows per pull or snapshot page at most...
PAGE_BYTES = 2_000_000  # ...and about this much JSON (a page holds at least one row)


class Row(_Model):
    """One synced row as the server holds it: its fields as JSON and its server version."""

    entity: str
    id: uuid.UUID
    version: int
    deleted: bool = False
    data: dict[str, Any]


class SnapshotPage(_Model):
    """Rows of the caller's scope as they are now, keyset-paginated by (entity, id).

    Every page of one snapshot is pinned to the version of its first page (the `next_after`
    token carries it): rows that change while the pages are fetched come again in the pull
    that follows from `cursor`.
    """

    rows: list[Row]
    pinned_version: int
    cursor: str  # pull from here (the pinned version) once the snapshot is complete
    next_after: str | None  # pass back as `after` for the next page; None when done
    total: int | None = None  # on the first page: about how many rows are coming


class EntitySummary(_Model):
    count: int  # live rows in scope (tombstones left out: old ones are forgotten)
    checksum: int  # sum of their versions: order-independent, and versions are unique


class SliceDigest(_Model):
    """The content of one slice of a client's rows (see sync.content_digest)."""

    count: int  # live rows in the slice
    digest: str  # the sum of their digests, as 16 hex digits


class PullPage(_Model):
    """Changes after a cursor, oldest first, tombstones included (and, first, any rows
    they refer to that the client may lack).

    Asked for with `include` (so clients that do not ask never see them): `me`, the
    caller's scope and policy as they are now, on every page; `summary`, on the last page,
    the scope's counts and checksums at `cursor` (left out when the scope changed while
    they were counted: ask /sync/summary then); `digest`, on the last page, the content
    of the slice of rows the client named, at `cursor` (left out likewise).
    """

    rows: list[Row]
    cursor: str  # store with the applied rows, in the same transaction
    more: bool
    me: Me | None = None
    summary: dict[str, EntitySummary] | None = None
    digest: SliceDigest | None = None


PULL_INCLUDES = ("me", "summary", "digest")


MutationOp = Literal["create", "set_fields", "revise", "delete"]


class Mutation(_Model):
    """A named, numbered intent from one device, made on top of a known server version.

    `base` holds the values the changed fields had when the rep edited them, so the server
    can merge field by field (three-way) instead of overwriting.
    """

    mutation_id: int = Field(ge=1, le=INT64_MAX)  # a BIGINT on the server
    entity: str = Field(min_length=1, max_length=40)
    op: MutationOp
    id: uuid.UUID
    base_version: int | None = Field(default=None, ge=0, le=INT64_MAX)
    fields: dict[str, Any] = Field(default_factory=dict)
    base: dict[str, Any] = Field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.entity}.{self.op}"

    def digest(self) -> str:
        """What the mutation says, apart from its number: a retry of it has the same
        digest; another change made under the same number (a store restored from a
        backup numbers its new edits again) has another."""
        said = self.model_dump(mode="json", exclude={"mutation_id"})
        canonical = json.dumps(said, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


class ConflictResolution(_Model):
    """What a device may set on a conflict the server recorded: that the rep settled it."""

    resolved: Annotated[bool, Strict()] | None = None
    resolution: Annotated[str, Field(max_length=40), AfterValidator(no_nul)] | None = None


class PushRequest(_Model):
    client_id: uuid.UUID
    client_api: int = Field(default=API_VERSION, ge=0, le=1_000_000)
    mutations: list[Mutation] = Field(max_length=1000)
    # The client renumbers a mutation answered "reused" and reads `last_applied`; older
    # clients leave it out and are answered as before (a reused id is "rejected").
    renumbers: bool = False


# "reused": the number was applied before for another change; renumber it and push again.
MutationStatus = Literal["applied", "applied_with_conflict", "rejected", "duplicate", "reused"]


class MutationResult(_Model):
    mutation_id: int
    status: MutationStatus
    reason: str | None = None
    version: int | None = None
    original_status: MutationStatus | None = None  # for a duplicate: how it went first


class PushResponse(_Model):
    results: list[MutationResult]
    # The highest mutation number the server has applied for this device (to clients that
    # renumber): a store restored from a backup numbers its next edits above it.
    last_applied: int | None = None


class SyncSummary(_Model):
    """Per-entity counts and checksums of the caller's scope at the version `cursor` names.

    A client whose own cursor is the same compares its rows; a mismatch repairs that entity.
    """

    cursor: str
    entities: dict[str, EntitySummary]
    behind: bool = False  # the caller's scope changed after the cursor it sent: pull first
