"""SQLAlchemy models of the rep's local store.

Every synced table shares `SyncedRow`: a UUID key made on the device (so offline inserts
never collide), UTC timestamps, a per-row version counter bumped by SQLAlchemy on every
UPDATE (`version_id_col`), and a soft-delete marker so deletes can travel as tombstones.
The other columns of a synced table are the fields of its entity in sync.entities, with the
same types, lengths, nullability and defaults (tests/db/test_models_match_entities.py);
rules a column cannot hold (ranges, no blank names) are the specs' alone.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from db.store.types import UtcDateTime, utc_now
from sync.enums import (
    Channel,
    DealRole,
    LadderRung,
    LeadOutcome,
    LeadStatus,
    RejectReason,
    TeamRole,
)

NOCASE = "NOCASE"


def _enum(enum_cls: type[Any], length: int = 32) -> Enum:
    # Stored as its value text with a CHECK-free VARCHAR: newer apps may add members.
    return Enum(
        enum_cls,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        create_constraint=False,
        length=length,
    )


class Base(DeclarativeBase):
    """Declarative base of every local-store table."""

    type_annotation_map = {datetime: UtcDateTime()}


class SyncedRow:
    """Columns every row that syncs carries."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    # The server's version of this row when last synced (None: never synced); pushed with
    # each edit as the base it was made on.
    server_version: Mapped[int | None] = mapped_column(default=None)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - SQLAlchemy's declared_attr
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Account(SyncedRow, Base):
    """A customer or prospect company in the rep's territory."""

    __tablename__ = "account"

    name: Mapped[str] = mapped_column(String(200, collation=NOCASE))
    industry: Mapped[str | None] = mapped_column(String(100, collation=NOCASE))
    employees: Mapped[int | None]
    street: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100, collation=NOCASE))
    country: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(50))
    website: Mapped[str | None] = mapped_column(String(200))
    territory: Mapped[str] = mapped_column(String(100))
    owner_rep: Mapped[str | None] = mapped_column(String(100, collation=NOCASE))
    ladder_rung: Mapped[LadderRung] = mapped_column(_enum(LadderRung), default=LadderRung.PROSPECT)

    contacts: Mapped[list[Contact]] = relationship(back_populates="account")

    __table_args__ = (
        # One index per sortable column of the account list, name and id breaking ties,
        # so every sort order serves its first page from an index.
        Index("ix_account_name", "name", "id"),
        Index("ix_account_industry", "industry", "name", "id"),
        Index("ix_account_city", "city", "name", "id"),
        Index("ix_account_rung", "ladder_rung", "name", "id"),
        Index("ix_account_employees", "employees", "name", "id"),
        Index("ix_account_owner", "owner_rep", "name", "id"),
        Index("ix_account_territory", "territory"),
        # Whether an account lives, from the index alone (0020_account_live_index): the
        # counts of leads and follow-ups of live accounts look each one's account up.
        Index("ix_account_live", "id", "deleted_at"),
    )


class Contact(SyncedRow, Base):
    """A person at an account."""

    __tablename__ = "contact"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100, collation=NOCASE))
    title: Mapped[str | None] = mapped_column(String(150))
    email: Mapped[str | None] = mapped_column(String(200, collation=NOCASE), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    mobile: Mapped[str | None] = mapped_column(String(50))
    deal_role: Mapped[DealRole | None] = mapped_column(_enum(DealRole))

    account: Mapped[Account] = relationship(back_populates="contacts")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Meeting(SyncedRow, Base):
    """A planned or past visit or call with an account."""

    __tablename__ = "meeting"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    place: Mapped[str | None] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(String(300))
    # A day (or days) rather than a time, as a calendar's all-day event: starts_at and
    # ends_at are then the rep's local midnights, ends_at the one after the last day.
    all_day: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class MeetingAttendee(SyncedRow, Base):
    """A contact invited to a meeting; its own synced row so un-inviting is a tombstone."""

    __tablename__ = "meeting_attendee"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.id"))
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contact.id"), index=True)

    __table_args__ = (UniqueConstraint("meeting_id", "contact_id"),)


class VisitNote(SyncedRow, Base):
    """What the rep wrote about a visit (bound to a meeting) or an account."""

    __tablename__ = "visit_note"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meeting.id"), index=True)
    body: Mapped[str] = mapped_column(Text)  # Markdown: headings, lists, "- [ ]" checkboxes
    author: Mapped[str | None] = mapped_column(String(100))
    check_in_at: Mapped[datetime | None]
    check_out_at: Mapped[datetime | None]
    # Set by the server when two devices rewrote the body: theirs is in a conflict record.
    needs_merge: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Task(SyncedRow, Base):
    """A follow-up the rep promised or must do."""

    __tablename__ = "task"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact.id"))
    note_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visit_note.id"))
    title: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None]


class Activity(SyncedRow, Base):
    """Something marketing, service, billing or sales did with the customer."""

    __tablename__ = "activity"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact.id"), index=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel, 16))
    # Plain text, not an enum: ingestion may bring types this version does not know.
    type: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    occurred_at: Mapped[datetime]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_system: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ix_activity_account_time", "account_id", "occurred_at"),
        # What may be open at an account (tickets, disputes, invoices, surveys), read for
        # a page of accounts at once without its emails and visits (db.briefing.state).
        Index("ix_activity_account_type", "account_id", "type", "occurred_at"),
    )


class LadderChange(SyncedRow, Base):
    """One move of an account on the relationship ladder."""

    __tablename__ = "ladder_change"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    from_rung: Mapped[LadderRung | None] = mapped_column(_enum(LadderRung))
    to_rung: Mapped[LadderRung] = mapped_column(_enum(LadderRung))
    changed_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str | None] = mapped_column(String(100))


class TeamMember(SyncedRow, Base):
    """Someone else in our company who touches the account, and in what role."""

    __tablename__ = "team_member"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    name: Mapped[str] = mapped_column(String(150))
    email: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[TeamRole] = mapped_column(_enum(TeamRole))


class ProfileAnswer(SyncedRow, Base):
    """One answer of a contact's customer profile, under the definition's question id.

    Its id is derived from (contact, question) (see sync.entities.answer_id), so two devices
    answering one question offline write the same row and the server merges the two
    instead of keeping both. Answers to questions this app's definition lacks are kept.
    """

    __tablename__ = "profile_answer"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contact.id"))
    question_id: Mapped[str] = mapped_column(String(64))
    # The normalised answer (db.profiles.values); NULL once cleared.
    value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True, default=None)
    # Special-category data (GDPR art. 9): an admin policy can keep these off laptops.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("contact_id", "question_id"),
        # The answers that count, per contact: the Profiles screen counts each contact's
        # answers (and key answers) from this index alone, never reading an answer
        # (db.profiles.book.ANSWERED has the same terms).
        Index(
            "ix_profile_answer_answered",
            "contact_id",
            "question_id",
            sqlite_where=text("value IS NOT NULL AND deleted_at IS NULL"),
        ),
    )


class ProfileChange(SyncedRow, Base):
    """One edit of a profile answer, for the profile's history: who, which question, when.

    Append-only, so history from several devices merges without conflicts. The new value
    is kept for ordinary questions, never for sensitive ones.
    """

    __tablename__ = "profile_change"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contact.id"))
    question_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True, default=None)
    changed_by: Mapped[str | None] = mapped_column(String(100))
    changed_at: Mapped[datetime]

    __table_args__ = (Index("ix_profile_change_contact", "contact_id", "changed_at"),)


class Lead(SyncedRow, Base):
    """A prospect marketing handed to the rep, and what the rep made of it (the feedback
    marketing's report counts)."""

    __tablename__ = "lead"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact.id"))
    campaign: Mapped[str] = mapped_column(String(200))
    source_system: Mapped[str | None] = mapped_column(String(100))
    score: Mapped[int | None]
    handed_over_at: Mapped[datetime]
    status: Mapped[LeadStatus] = mapped_column(_enum(LeadStatus, 20), default=LeadStatus.NEW)
    reject_reason: Mapped[RejectReason | None] = mapped_column(_enum(RejectReason, 40))
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[LeadOutcome | None] = mapped_column(_enum(LeadOutcome, 20))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    outcome_at: Mapped[datetime | None]

    # The Leads page's order (0018_lead_listed): the rank is new 0, accepted and open 1,
    # finished 2, rejected 3; db.field.leads reads this expression from here.
    __table_args__ = (
        Index(
            "ix_lead_listed",
            text(
                "CASE WHEN status = 'new' THEN 0 WHEN status = 'rejected' THEN 3"
                " WHEN outcome IS NULL THEN 1 ELSE 2 END"
            ),
            text("handed_over_at DESC"),
            "id",
            "account_id",
            "deleted_at",
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )


class ContactHold(SyncedRow, Base):
    """A rep's request that marketing leave a contact alone (one campaign, or all) while a
    deal is on, until it expires; deleting it lifts it early."""

    __tablename__ = "contact_hold"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contact.id"))
    campaign: Mapped[str | None] = mapped_column(String(200))  # None: every campaign
    reason: Mapped[str | None] = mapped_column(Text)
    expires_on: Mapped[date] = mapped_column(Date)
    requested_by: Mapped[str | None] = mapped_column(String(100))


# Tables the migrations make by hand (FTS5 and its shadow tables): not ORM-managed, so
# autogenerate must leave them alone.
HAND_MADE_TABLE_PREFIX = "search_"


def is_orm_managed(name: str | None, type_: str, _parents: object = None) -> bool:
    """Alembic include_name hook: skip the hand-made search tables."""
    return not (type_ == "table" and name is not None and name.startswith(HAND_MADE_TABLE_PREFIX))


class OutboxEntry(Base):
    """A local edit waiting to be pushed: a named intent with the values it replaced.

    Written in the same transaction as the edit itself, so an edit is never on disk
    without its way to the server. `seq` is the device's increasing mutation id.
    """

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(40))
    op: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    base: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    base_version: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # "pending" until pushed; "rejected" rows wait in the needs-attention list.
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = ({"sqlite_autoincrement": True},)


class RemoteRecord(Base):
    """A pulled row of a kind this app does not store in a table of its own (such as the
    server's conflict records, or entities of a newer version): kept, never dropped."""

    __tablename__ = "remote_record"

    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    server_version: Mapped[int]
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SetAsideRow(Base):
    """A pulled row this device could not store (a value its schema refuses, a row it
    names that is missing): kept as it came, with why, for support to see in Needs
    attention; a later, storable version of it takes its place."""

    __tablename__ = "set_aside_row"

    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    server_version: Mapped[int]
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[Any] = mapped_column(JSON, nullable=False)  # as it came, whatever it is
    reason: Mapped[str] = mapped_column(Text)
    set_aside_at: Mapped[datetime] = mapped_column(default=utc_now)


# The month and day (MMDD) of each date in a live profile answer: a date answer, or a
# person's birth date in a people answer. Kept by triggers on profile_answer (migration
# 0014_profile_dates), never written by code; the reminders read the next days from it.
PROFILE_DATE = Table(
    "profile_date",
    Base.metadata,
    Column("answer_id", Uuid, nullable=False),
    Column("contact_id", Uuid, nullable=False),
    Column("question_id", String(64), nullable=False),
    Column("month_day", Integer, nullable=False),
    # The contact is live (0017_profile_dates_listed): the reminders filter in the index.
    Column("listed", Boolean, nullable=False, server_default="0"),
    Index("ix_profile_date_listed", "listed", "month_day", "question_id", "contact_id"),
    Index("ix_profile_date_answer_id", "answer_id"),
    Index("ix_profile_date_contact_id", "contact_id"),
)


# How many listed contacts each profile tier holds, key contacts apart, kept by triggers on
# profile_count (migration 0019_profile_tier_totals): the Profiles screen's tier totals.
PROFILE_TIER_TOTAL = Table(
    "profile_tier_total",
    Base.metadata,
    Column("key_contact", Boolean, primary_key=True),
    Column("tier_rank", Integer, primary_key=True),
    Column("listed", Integer, nullable=False),
)


# How many live accounts stand on each rung ('' for none), kept by triggers on account
# (migration 0015_account_totals): the counts shown at start, with no count of the table.
ACCOUNT_TOTAL = Table(
    "account_total",
    Base.metadata,
    Column("rung", String(20), primary_key=True),
    Column("live", Integer, nullable=False),
)


# Each contact's live answers to the counted and key profile questions and its tier's rank
# (0 empty to 3 rich), and whether it is listed and a key contact, one row per contact,
# kept by triggers (migration 0016_profile_counts): the Profiles screen pages and counts
# from it.
PROFILE_COUNT = Table(
    "profile_count",
    Base.metadata,
    Column("contact_id", Uuid, primary_key=True),
    Column("answered", Integer, nullable=False),
    Column("key_answered", Integer, nullable=False),
    Column("tier_rank", Integer, nullable=False),
    Column("listed", Boolean, nullable=False),  # live, at a live account
    Column("key_contact", Boolean, nullable=False),
    Index(
        "ix_profile_count_tier",
        "tier_rank",
        "key_answered",
        "answered",
        "contact_id",
        "listed",
        "key_contact",
    ),
    Index("ix_profile_count_key", "key_answered", "contact_id", "listed", "key_contact"),
    Index("ix_profile_count_answered", "answered", "contact_id", "listed", "key_contact"),
    Index("ix_profile_count_listed", "listed", "key_contact", "tier_rank"),
)


class SyncState(Base):
    """Small facts about this device's sync: its client id, the server cursor, and so on."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# In foreign-key order: a table comes after every table it refers to (sync applies rows so).
SYNCED_MODELS: tuple[type[SyncedRow], ...] = (
    Account,
    Contact,
    Meeting,
    MeetingAttendee,
    VisitNote,
    Task,
    Activity,
    LadderChange,
    TeamMember,
    ProfileAnswer,
    ProfileChange,
    Lead,
    ContactHold,
)


def _index_synced_rows(model: type[SyncedRow]) -> None:
    """The live rows the server told us of, by server version, and nothing else: the
    end-of-sync check counts and sums them from this small index instead of reading the
    whole table (a fifth of the time on a big territory)."""
    table = model.__table__  # type: ignore[attr-defined]
    Index(
        f"ix_{table.name}_synced",
        table.c.server_version,
        sqlite_where=table.c.deleted_at.is_(None) & table.c.server_version.is_not(None),
    )
    # The rows whose version is not the server's: a few (those with queued edits), so the
    # end-of-sync search for rows apart from the server (LocalReplica.mark_diverged) reads
    # this index instead of the table.
    Index(
        f"ix_{table.name}_apart", table.c.id, sqlite_where=table.c.version != table.c.server_version
    )


for _model in SYNCED_MODELS:
    _index_synced_rows(_model)
