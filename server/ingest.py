"""Taking in events from other systems: their API keys, finding the account, the unmatched queue.

Each event becomes an activity record in its account's territory and reaches the reps'
laptops through the ordinary sync. Events are idempotent by (source, event id), the source
being the name of the caller's API key: the pair is kept with the id of the activity it
became (random, so nobody can make that row first), and a retried batch is answered
"duplicate" instead of writing an activity twice. An event whose account we do not hold
(yet) is kept as "unmatched" and taken in by a rematch once the account exists.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import BadRequest, Conflict, NotFound, Unauthorized
from server.events import (
    BATCH_EVENTS,
    REFERENCES,
    BadEvent,
    Incoming,
    IngestEvent,
    ValidEvent,
    event_id_of,
    parse_event,
    read_events_csv,
    website_host,
)
from server.importer import SOURCES, accounts_by_crm_id
from server.models import ApiKey, IngestedEvent, Record, Territory, utc_now
from server.records import Clock, ScopedRecords
from server.store import ServerStore
from sync.row_schema import RowProblem, checked_fields

KEY_PREFIX = "fbk_"  # tells an API key from a rep's token at a glance (logs, leak scanners)
SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
REASON_CHARS = 500  # IngestedEvent.reason's size
USE_STAMPED_EVERY = timedelta(minutes=1)  # last_used_at: recent enough, without a write per call
# The systems server.importer takes accounts from (see Resolver._by_crm_id).
IMPORT_SOURCES = ("fieldbrief", *SOURCES)
# Systems whose ids a connector links to the accounts they turned out to be (a Stripe
# customer, once one of its events found its account): "stripe:cus_…" names that account.
LINKED_SYSTEMS = ("stripe",)

Status = Literal["accepted", "duplicate", "unmatched", "rejected"]


# --- wire -------------------------------------------------------------------------------------


class IngestBatch(BaseModel):
    """A batch of events; each is checked on its own (see server.events.IngestEvent)."""

    model_config = ConfigDict(extra="forbid")

    events: list[Any] = Field(max_length=BATCH_EVENTS)


class EventResult(BaseModel):
    event_id: str | None  # None when the event had no usable id
    status: Status
    error: str | None = None  # why it was rejected or is unmatched
    activity_id: uuid.UUID | None = None


class IngestResult(BaseModel):
    """One result per event, in the order sent, and how many ended each way."""

    results: list[EventResult]
    accepted: int = 0
    duplicate: int = 0
    unmatched: int = 0
    rejected: int = 0

    @classmethod
    def of(cls, results: list[EventResult]) -> IngestResult:
        counts = {status: 0 for status in ("accepted", "duplicate", "unmatched", "rejected")}
        for result in results:
            counts[result.status] += 1
        return cls(results=results, **counts)


# --- API keys -------------------------------------------------------------------------------


def check_source_name(name: str) -> str:
    """A source name as API keys and activities carry it, or BadRequest saying why not."""
    if not SOURCE_NAME.fullmatch(name):
        raise BadRequest(
            "a source name is 1 to 100 lower-case letters, digits, dots, dashes or "
            f"underscores, starting with a letter or digit (e.g. hubspot); not {name!r}"
        )
    return name


def _hash_key(key: str) -> str:
    # As server.auth keeps tokens: a long random key needs no slow hash, only not to be stored.
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ApiKeyInfo:
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeys:
    """The API keys other systems send events with, one live key per source name."""

    def __init__(self, store: ServerStore, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    def add(self, name: str) -> str:
        """A new key for `name`, returned this once (only its hash is kept)."""
        name = check_source_name(name)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self._store.session() as session:
            if _live_keys(session, name):
                raise Conflict(f"{name} already has an API key; revoke it first to make a new one")
            session.add(ApiKey(name=name, key_hash=_hash_key(key), created_at=self._clock()))
        return key

    def listed(self) -> list[ApiKeyInfo]:
        with self._store.session() as session:
            keys = session.scalars(select(ApiKey).order_by(ApiKey.name, ApiKey.created_at))
            return [ApiKeyInfo(k.name, k.created_at, k.last_used_at, k.revoked_at) for k in keys]

    def revoke(self, name: str) -> None:
        """Ends `name`'s key at once; the events it sent stay."""
        with self._store.session() as session:
            live = _live_keys(session, name)
            if not live:
                raise NotFound(f"{name!r} has no API key to revoke")
            for key in live:
                key.revoked_at = self._clock()

    def source_of(self, key: str) -> str:
        """The source name a key belongs to; Unauthorized if it is not a live key."""
        with self._store.session() as session:
            found = session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash_key(key)))
            if found is None:
                raise Unauthorized("this API key is not valid; ask your Fieldbrief admin for one")
            if found.revoked_at is not None:
                raise Unauthorized(
                    "this API key was revoked; ask your Fieldbrief admin for a new one"
                )
            now = self._clock()
            if found.last_used_at is None or now - found.last_used_at > USE_STAMPED_EVERY:
                found.last_used_at = now
            return found.name


def _live_keys(session: Session, name: str) -> list[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))
    return list(session.scalars(stmt))


def format_keys(keys: list[ApiKeyInfo]) -> str:
    header = f"{'name':<24} {'created (UTC)':<17} {'last used (UTC)':<17} {'revoked (UTC)':<17}"
    lines = [header, "-" * len(header)]
    for k in keys:
        lines.append(
            f"{k.name:<24} {_when(k.created_at):<17} {_when(k.last_used_at):<17} "
            f"{_when(k.revoked_at):<17}".rstrip()
        )
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}" if moment is not None else "-"


# --- finding the account --------------------------------------------------------------------


class NoMatch(Exception):
    """The event names no account we hold, or several; the message says which and why."""


@dataclass(frozen=True)
class Match:
    account_id: uuid.UUID
    territory: str
    contact_id: uuid.UUID | None = None


class Resolver:
    """Finds the live account (and contact) an event is about, in every territory. Answers
    are kept for the batch: many events of one batch name the same account."""

    def __init__(self, records: ScopedRecords) -> None:
        self._records = records
        self._session = records.session
        self._found: dict[tuple[str, str], Match | str] = {}  # reference -> match or reason

    def match(self, event: IngestEvent) -> Match:
        """The account of the first of the event's references that names one; NoMatch
        with each reference's reason when none does."""
        reasons: list[str] = []
        for reference in event.references:
            found = self._found.get(reference)
            if found is None:
                try:
                    found = self._find(*reference)
                except NoMatch as exc:
                    found = str(exc)
                self._found[reference] = found
            if not isinstance(found, str):
                break
            reasons.append(found)
        else:
            raise NoMatch("; ".join(reasons))
        if event.contact_email is not None:
            contact = self._contact(found.account_id, event.contact_email)
            if contact is not None:
                found = replace(found, contact_id=contact)
        return found

    def _find(self, kind: str, value: str) -> Match:
        if kind == "account_id":
            return self._by_id(uuid.UUID(value))
        if kind == "crm_id":
            return self._by_crm_id(value)
        if kind == "domain":
            return self._by_domain(value)
        return self._by_email(value)

    def _live(self, entity: str) -> Any:
        return select(Record).where(
            Record.entity == entity,
            Record.deleted_at.is_(None),
            Record.territory.in_(self._records.territories),
        )

    def _account(self, account_id: uuid.UUID) -> Record | None:
        record = self._records.get("account", account_id)
        return record if record is not None and record.deleted_at is None else None

    def _by_id(self, account_id: uuid.UUID) -> Match:
        record = self._records.get("account", account_id)
        if record is None:
            raise NoMatch(f"no account with id {account_id}")
        if record.deleted_at is not None:
            raise NoMatch(f"account {account_id} was deleted")
        return Match(record.id, record.territory)

    def _by_crm_id(self, crm_id: str) -> Match:
        """An imported account is found by its source system and its id there, through
        the server's table of outside keys (server.importer): the crm_id "A-1" is looked
        for as each system's, and "salesforce:A-1" as Salesforce's only."""
        system, _, bare = crm_id.partition(":")
        if bare and system in (*IMPORT_SOURCES, *LINKED_SYSTEMS):
            imported = accounts_by_crm_id(self._session, [system], bare)
        else:
            imported = accounts_by_crm_id(self._session, list(IMPORT_SOURCES), crm_id)
        found = [
            account
            for account in imported
            if account.deleted_at is None and account.territory in self._records.territories
        ]
        if not found:
            raise NoMatch(f"no account imported with CRM id {crm_id}")
        if len(found) > 1:
            systems = " and ".join(sorted(str(a.data.get("source_system")) for a in found))
            raise NoMatch(
                f"CRM id {crm_id} names {len(found)} accounts (imported from {systems}); "
                f"send it as <system>:{crm_id}, e.g. {found[0].data.get('source_system')}:{crm_id}"
            )
        return Match(found[0].id, found[0].territory)

    def _by_domain(self, domain: str) -> Match:
        website = func.lower(Record.data["website"].as_string())
        candidates = self._session.scalars(
            self._live("account").where(website.contains(domain, autoescape=True))
        )
        found = [a for a in candidates if website_host(str(a.data.get("website") or "")) == domain]
        if not found:
            raise NoMatch(f"no account with the website domain {domain}")
        if len(found) > 1:
            raise NoMatch(f"the website domain {domain} names {len(found)} accounts")
        return Match(found[0].id, found[0].territory)

    def _by_email(self, email: str) -> Match:
        contacts = self._session.scalars(
            self._live("contact").where(func.lower(Record.data["email"].as_string()) == email)
        )
        accounts: dict[uuid.UUID, Record] = {}
        people: list[Record] = []
        for contact in contacts:
            account = self._account(_uuid(contact.data.get("account_id")))
            if account is not None:  # a contact of a deleted account does not count
                accounts[account.id] = account
                people.append(contact)
        if not accounts:
            raise NoMatch(f"no contact with the e-mail {email}")
        if len(accounts) > 1:
            raise NoMatch(f"the e-mail {email} belongs to contacts of {len(accounts)} accounts")
        [account] = accounts.values()
        # Two contacts of one account with one address: the account is sure, the person not.
        return Match(account.id, account.territory, people[0].id if len(people) == 1 else None)

    def _contact(self, account_id: uuid.UUID, email: str) -> uuid.UUID | None:
        people = list(
            self._session.scalars(
                self._live("contact").where(
                    Record.data["account_id"].as_string() == str(account_id),
                    func.lower(Record.data["email"].as_string()) == email,
                )
            )
        )
        return people[0].id if len(people) == 1 else None


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.UUID(int=0)


# --- taking events in -------------------------------------------------------------------------


def take_in(
    store: ServerStore, source: str, events: Sequence[Incoming], clock: Clock
) -> IngestResult:
    """Takes in a batch from `source`: one transaction, each event in a savepoint of its
    own, so a bad or unmatched one takes nothing else with it."""
    results = []
    with store.session() as session:
        records = _writer(session, clock)
        resolver = Resolver(records)
        now = clock()
        for item in events:
            results.append(_take_one(records, resolver, source, item, now))
    return IngestResult.of(results)


def _writer(session: Session, clock: Clock) -> ScopedRecords:
    """Records of every territory, for writing: writers take turns from here to commit."""
    ScopedRecords(session, frozenset(), clock).lock_for_writing()  # the first statement
    return ScopedRecords(session, frozenset(session.scalars(select(Territory.name))), clock)


def _take_one(
    records: ScopedRecords, resolver: Resolver, source: str, item: Incoming, now: datetime
) -> EventResult:
    session = records.session
    where = f"row {item.row}: " if item.row is not None else ""
    try:
        if item.problem is not None:
            raise BadEvent(item.problem)
        valid = parse_event(item.raw, now)
    except BadEvent as exc:
        return EventResult(event_id=event_id_of(item.raw), status="rejected", error=f"{where}{exc}")
    event_id = valid.event.event_id
    done = session.get(IngestedEvent, (source, event_id))
    if done is not None:
        still = None if done.status == "accepted" else f"received before, unmatched: {done.reason}"
        return EventResult(
            event_id=event_id, status="duplicate", error=still, activity_id=done.activity_id
        )
    status: Status
    activity_id: uuid.UUID | None
    try:
        with session.begin_nested():
            activity_id = _write_activity(records, resolver, source, valid)
        status, reason = "accepted", None
    except NoMatch as exc:
        status, activity_id, reason = "unmatched", None, str(exc)[:REASON_CHARS]
    except RowProblem as exc:  # the app could not store the activity it would become
        return EventResult(event_id=event_id, status="rejected", error=f"{where}{exc}")
    session.add(
        IngestedEvent(
            source=source,
            event_id=event_id,
            status=status,
            reason=reason,
            event=item.raw,
            activity_id=activity_id,
            received_at=now,
        )
    )
    session.flush()  # a repeat later in this batch finds it
    error = f"{where}{reason}" if reason is not None else None
    return EventResult(event_id=event_id, status=status, error=error, activity_id=activity_id)


def _write_activity(
    records: ScopedRecords, resolver: Resolver, source: str, valid: ValidEvent
) -> uuid.UUID:
    """The event's activity, in its account's territory, as the app's Activity row reads it."""
    match = resolver.match(valid.event)
    # Random, never derived from the event: no rep can make a row with the id that an
    # event will get. A retry is a duplicate by (source, event id), found in IngestedEvent.
    activity_id = uuid.uuid4()
    data = {
        "account_id": str(match.account_id),
        "contact_id": str(match.contact_id) if match.contact_id is not None else None,
        "channel": valid.channel.value,
        "type": valid.event.type,
        "title": valid.title,
        "occurred_at": valid.event.occurred_at.astimezone(UTC).isoformat(),
        "details": valid.details,
        "source_system": source,
    }
    records.create("activity", activity_id, match.territory, _storable("activity", data))
    if valid.event.type == LEAD_EVENT:
        _write_lead(records, match, source, valid, activity_id)
    return activity_id


LEAD_EVENT = "lead_handed_over"


def _write_lead(
    records: ScopedRecords, match: Match, source: str, valid: ValidEvent, activity_id: uuid.UUID
) -> None:
    """The Lead the rep accepts or rejects; its id follows the activity's (the same pair)."""
    lead_id = uuid.uuid4()
    data = {
        "account_id": str(match.account_id),
        "contact_id": str(match.contact_id) if match.contact_id is not None else None,
        "campaign": valid.details["campaign"],
        "source_system": source,
        "score": valid.details.get("score"),
        "handed_over_at": valid.event.occurred_at.astimezone(UTC).isoformat(),
        "status": "new",
    }
    records.create("lead", lead_id, match.territory, _storable("lead", data))


def _storable(entity: str, data: dict[str, Any]) -> dict[str, Any]:
    """`data` as the app's row schema allows it (the same check as a rep's push), or
    RowProblem: an event never becomes a row that laptops cannot store."""
    checked_fields(entity, {k: v for k, v in data.items() if v is not None}, whole=True)
    return data


def read_csv_upload(body: bytes) -> list[Incoming]:
    """The events of a CSV sent over HTTP (at most a batch's worth)."""
    try:
        text = body.decode("utf-8-sig")  # Excel writes a BOM
    except UnicodeDecodeError:
        raise BadRequest("the CSV is not UTF-8 text; export it as UTF-8 CSV") from None
    events = read_events_csv(text)
    if len(events) > BATCH_EVENTS:
        raise BadRequest(
            f"the CSV has {len(events):,} events; send at most {BATCH_EVENTS:,} per request"
        )
    return events


def import_events_file(store: ServerStore, path: Path, source: str, clock: Clock) -> IngestResult:
    """Takes in a CSV file of events from `source`, a batch (one transaction) at a time."""
    source = check_source_name(source)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest(f"{path} is not UTF-8 text; export it as UTF-8 CSV") from None
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc.strerror}") from None
    events = read_events_csv(text)
    results: list[EventResult] = []
    for start in range(0, len(events), BATCH_EVENTS):
        results += take_in(store, source, events[start : start + BATCH_EVENTS], clock).results
    return IngestResult.of(results)


# --- the unmatched queue ------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedEvent:
    source: str
    event_id: str
    type: str
    reference: str  # e.g. "domain=acme.example"
    reason: str
    received_at: datetime


def unmatched_events(store: ServerStore, limit: int | None = None) -> list[QueuedEvent]:
    """Events waiting for their account, oldest first (the first `limit` of them if given:
    a web page shows a screenful, the CLI all)."""
    with store.session() as session:
        rows = session.scalars(
            select(IngestedEvent)
            .where(IngestedEvent.status == "unmatched")
            .order_by(IngestedEvent.received_at, IngestedEvent.source, IngestedEvent.event_id)
            .limit(limit)
        )
        return [
            QueuedEvent(
                row.source,
                row.event_id,
                str(row.event.get("type", "")),
                next((f"{n}={row.event[n]}" for n in REFERENCES if row.event.get(n)), "-"),
                row.reason or "",
                row.received_at,
            )
            for row in rows
        ]


def format_unmatched(events: list[QueuedEvent]) -> str:
    if not events:
        return "No events are waiting for their account."
    header = (
        f"{'source':<14} {'event id':<20} {'type':<18} {'reference':<32} "
        f"{'received (UTC)':<17} reason"
    )
    lines = [header, "-" * len(header)]
    for e in events:
        lines.append(
            f"{e.source[:14]:<14} {e.event_id[:20]:<20} {e.type[:18]:<18} {e.reference[:32]:<32} "
            f"{_when(e.received_at):<17} {e.reason}"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class RematchResult:
    matched: int
    unmatched: int  # still waiting


def rematch(store: ServerStore, clock: Clock) -> RematchResult:
    """Tries every unmatched event again (after accounts were imported, say); those that
    now find their account become activities exactly as fresh events do."""
    with store.session() as session:
        keys = [
            (source, event_id)
            for source, event_id in session.execute(
                select(IngestedEvent.source, IngestedEvent.event_id)
                .where(IngestedEvent.status == "unmatched")
                .order_by(IngestedEvent.received_at)
            )
        ]
    matched = 0
    for start in range(0, len(keys), BATCH_EVENTS):
        with store.session() as session:
            records = _writer(session, clock)
            resolver = Resolver(records)
            for key in keys[start : start + BATCH_EVENTS]:
                row = session.get(IngestedEvent, key)
                if row is None or row.status != "unmatched":
                    continue  # a rematch running at the same time took it
                matched += _rematch_one(records, resolver, row)
    with store.session() as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(IngestedEvent)
            .where(IngestedEvent.status == "unmatched")
        )
    return RematchResult(matched, int(waiting or 0))


def _rematch_one(records: ScopedRecords, resolver: Resolver, row: IngestedEvent) -> int:
    try:
        valid = parse_event(row.event, row.received_at)  # judged as when it came
    except BadEvent as exc:  # checked when it came; only a changed rule makes it fail
        row.reason = f"no longer valid: {exc}"[:REASON_CHARS]
        return 0
    try:
        with records.session.begin_nested():
            row.activity_id = _write_activity(records, resolver, row.source, valid)
    except (NoMatch, RowProblem) as exc:
        row.reason = str(exc)[:REASON_CHARS]
        return 0
    row.status, row.reason = "accepted", None
    return 1
