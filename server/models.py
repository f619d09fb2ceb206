"""The central server's own store: territories, users, devices, tokens, records, events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utc_now() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ServerBase(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime()}


user_territory = Table(
    "user_territory",
    ServerBase.metadata,
    Column("user_id", ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    Column("territory_id", ForeignKey("territory.id", ondelete="CASCADE"), primary_key=True),
)


class Territory(ServerBase):
    """A slice of the customer base; reps see only the territories they are granted."""

    __tablename__ = "territory"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class User(ServerBase):
    """A rep (or admin) who signs in from one or more devices."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # One of server.roles.ROLES. A database default only (s0011_console), like the device's
    # later columns: code and tests written against the older table still insert users.
    role: Mapped[str] = mapped_column(String(20), server_default=text("'rep'"))

    # A rep's territories are what they sync; a manager's, what the console shows them.
    territories: Mapped[list[Territory]] = relationship(secondary=user_territory)

    # Not read back after an INSERT (RETURNING would name `role` on an older table).
    __mapper_args__ = {"eager_defaults": False}


class ConsoleSession(ServerBase):
    """A signed-in browser of the web console (server.console.sessions): the cookie's token
    is kept only as its SHA-256, like API tokens. It ends when idle too long, at its
    absolute expiry, at sign-out, or when its user is disabled or becomes a rep."""

    __tablename__ = "console_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)  # the absolute expiry


class Device(ServerBase):
    """One installation of the app; its client id is bound to the user who registered it."""

    __tablename__ = "device"

    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    registered_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_seen_at: Mapped[datetime] = mapped_column(default=utc_now)
    # Columns added later default to NULL in the database: the ORM then leaves them out of
    # an INSERT that does not set them, so code written against the older table still runs.
    # What the app said it is (X-Fieldbrief-Version); None for clients that predate it.
    app_version: Mapped[str | None] = mapped_column(String(40), server_default=text("NULL"))
    # An admin's wipe (server.devices): asked for when and why, and when the device said
    # it had erased its copy. Asked for: every call of the device is answered 410.
    wipe_requested_at: Mapped[datetime | None] = mapped_column(server_default=text("NULL"))
    wipe_reason: Mapped[str | None] = mapped_column(String(200), server_default=text("NULL"))
    wiped_at: Mapped[datetime | None] = mapped_column(server_default=text("NULL"))

    # ...nor reads them back after one (with RETURNING, which would name them too).
    __mapper_args__ = {"eager_defaults": False}


class AuthToken(ServerBase):
    """An issued access or refresh token, kept as a hash so it can be revoked."""

    __tablename__ = "auth_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # "access" or "refresh"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("device.client_id", ondelete="CASCADE"))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # Every token descended from one sign-in shares its family: a spent refresh token used
    # again ends the whole family (AuthService.refresh).
    family: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    # The refresh token whose rotation issued this one; None for a sign-in's first pair.
    parent_id: Mapped[int | None] = mapped_column(Integer, index=True)
    rotated_at: Mapped[datetime | None]  # when this refresh token was spent on a new pair


class SyncCounter(ServerBase):
    """The one counter that hands out record versions.

    Taken with UPDATE ... RETURNING inside the writing transaction: the row lock makes
    concurrent writers queue, so versions are handed out in commit order. (A sequence
    would hand them out in call order, and a reader at version 100 could miss a 99 that
    commits late.)
    """

    __tablename__ = "sync_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    # The newest version among tombstones purged after the retention period.
    purged_through: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Record(ServerBase):
    """One synced row of any entity, as the JSON of its fields.

    Kept generic on purpose: the server merges field by field and scopes by territory,
    whatever the entity, and a newer client's extra fields survive an older server.
    """

    __tablename__ = "record"

    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    territory: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(BigInteger, unique=True)
    deleted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_record_territory_version", "territory", "version"),
        Index("ix_record_territory_entity_version", "territory", "entity", "version"),
    )


class ScopeTotal(ServerBase):
    """Per territory and entity: how many live records there are and the sum of their
    versions, which is what /sync/summary answers (a scan of every live record of a big
    territory otherwise).

    Kept by triggers on `record` (migration s0006_scope_totals), in the transaction of
    every write whatever wrote it: a create, an edit, a delete or undelete, a move to
    another territory, a purge. Tombstones are not counted. A migration that rebuilds the
    `record` table (batch mode on SQLite copies it) must create the triggers again.
    """

    __tablename__ = "scope_total"

    territory: Mapped[str] = mapped_column(String(100), primary_key=True)
    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    live: Mapped[int] = mapped_column(BigInteger, default=0)
    version_sum: Mapped[int] = mapped_column(BigInteger, default=0)


class AppliedMutation(ServerBase):
    """The outcome of every mutation a device pushed, so a retried push is not applied twice."""

    __tablename__ = "applied_mutation"

    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    mutation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int | None] = mapped_column(BigInteger)
    applied_at: Mapped[datetime] = mapped_column(default=utc_now)
    # sha256 of what the mutation said (Mutation.digest); None for those applied before
    # digests were kept. The same id with another digest is an id used again.
    digest: Mapped[str | None] = mapped_column(String(64))


class ServerSetting(ServerBase):
    """A company-wide setting an admin sets with the CLI (see server.settings)."""

    __tablename__ = "server_setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(default=utc_now)


class ApiKey(ServerBase):
    """The key another system (marketing, service, billing) sends its events with; its
    name is the source those events are recorded under. Kept as a hash, like tokens."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Not unique: a revoked key's name is given to its successor (its events stay its own).
    name: Mapped[str] = mapped_column(String(100), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class IngestedEvent(ServerBase):
    """Every event taken in, by (source, event id): a resent one is a duplicate, and one
    whose account is not known yet waits here ("unmatched") for a rematch."""

    __tablename__ = "ingested_event"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # "accepted" or "unmatched"
    reason: Mapped[str | None] = mapped_column(String(500))
    event: Mapped[dict[str, Any]] = mapped_column(JSON)  # as it was sent
    activity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    received_at: Mapped[datetime] = mapped_column(default=utc_now)


class LoginFailure(ServerBase):
    """Failed sign-ins in a row of one user name or one client address, and until when
    their next sign-in is refused (server.throttle). Kept here, not in a process, so every
    worker of `serve --workers N` and every server on one PostgreSQL counts the same."""

    __tablename__ = "login_failure"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # "user" or "address"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
    blocked_until: Mapped[datetime | None]


class OutsideKey(ServerBase):
    """The record another system's key names: a CRM id on import, (system, id) -> record.

    The server owns this mapping and record ids are random: an id is never derived from
    what someone outside could know, so no rep can create the row an import or an event
    will name before it comes, and a re-import matches on the outside key alone."""

    __tablename__ = "outside_key"

    system: Mapped[str] = mapped_column(String(100), primary_key=True)  # e.g. salesforce
    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # its id there
    entity: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class AuditEntry(ServerBase):
    """One line of the append-only audit log (server.audit): who did what, when.

    Only ever inserted: no code updates or deletes a row, and triggers (migration
    s0010_devices_audit) refuse an UPDATE or DELETE whatever sends it."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100), index=True)  # "admin" or a user name
    subject: Mapped[str | None] = mapped_column(String(200), index=True)
    detail: Mapped[str | None] = mapped_column(String(500))


class Connector(ServerBase):
    """A webhook source an admin set up (server.connectors): Stripe, Zendesk or HubSpot.

    Their signatures are HMACs, so the server needs the signing secret itself: it is kept
    encrypted (Fernet) under the connector key, which lives outside the database
    (server.connectors.secrets), never in clear and never in a log."""

    __tablename__ = "connector"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)  # "stripe", ...
    secret: Mapped[str] = mapped_column(String(1000))  # a Fernet token
    # Stripe only: a restricted API key (a Fernet token) to look up unknown charges, and
    # the API's address (tests point it at a loopback fake).
    api_key: Mapped[str | None] = mapped_column(String(1000))
    api_url: Mapped[str | None] = mapped_column(String(200))
    # Where the source reaches this server (https://fieldbrief.example.com): printed with
    # the hook's path, and part of what HubSpot signs.
    public_url: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    changed_at: Mapped[datetime] = mapped_column(default=utc_now)


class HookDelivery(ServerBase):
    """A webhook delivery: stored (and answered) first, turned into an event after by
    server.connectors.worker. Keyed by the source's own id, so a retry is found."""

    __tablename__ = "hook_delivery"

    connector: Mapped[str] = mapped_column(String(20), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))  # the source's event type
    # pending, working (claimed by a worker until due_at), done, ignored or failed
    status: Mapped[str] = mapped_column(String(20))
    # The event it becomes, until it is taken in: then the event is kept (and found by a
    # GDPR export or erasure) in ingested_event only.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(500))  # what became of it, in words
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    # pending: not before (a retry's backoff; NULL: at once); working: claimed until then.
    due_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_hook_delivery_status_due", "status", "due_at"),)


class StripeCharge(ServerBase):
    """What Stripe told us about a charge: a dispute names only its charge, and invoice
    events (or a lookup with the admin's restricted key) say whose it is. No personal
    data: the customer's account is found through outside_key ("stripe", customer id)."""

    __tablename__ = "stripe_charge"

    charge_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(100))
    invoice: Mapped[str | None] = mapped_column(String(100))  # the invoice's number
    dispute_id: Mapped[str | None] = mapped_column(String(100))  # its opening was taken in
    seen_at: Mapped[datetime] = mapped_column(default=utc_now)
