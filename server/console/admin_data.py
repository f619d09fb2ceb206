"""What the admins' pages read: users, territories, ingestion health, policies, the audit log."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from server.devices import offline_days
from server.errors import BadRequest
from server.ingest import QueuedEvent, unmatched_events
from server.models import (
    ApiKey,
    AuditEntry,
    Device,
    IngestedEvent,
    ScopeTotal,
    Territory,
    User,
    user_territory,
)
from server.roles import EVERY_TERRITORY
from server.settings import retention_years, sensitive_policy
from server.store import ServerStore

HEALTH_DAYS = 14  # the days the ingestion page charts
QUEUE_SHOWN = 100  # unmatched events listed on the page (the CLI lists them all)
AUDIT_PAGE = 100  # audit entries per page


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user as the users page lists them."""

    name: str
    role: str
    territories: tuple[str, ...]
    every_territory: bool  # marketing and admins see all, whatever they were granted
    disabled: bool
    devices: int
    last_seen: datetime | None
    created_at: datetime


def users(session: Session) -> list[UserRow]:
    """Every user by name, with their territories and devices."""
    held: dict[int, list[str]] = {}
    for user_id, name in session.execute(
        select(user_territory.c.user_id, Territory.name)
        .join(Territory, Territory.id == user_territory.c.territory_id)
        .order_by(Territory.name)
    ):
        held.setdefault(user_id, []).append(name)
    devices = {
        user_id: (int(count), _aware(seen))
        for user_id, count, seen in session.execute(
            select(Device.user_id, func.count(), func.max(Device.last_seen_at)).group_by(
                Device.user_id
            )
        )
    }
    rows = []
    for user in session.scalars(select(User).order_by(User.name)):
        count, seen = devices.get(user.id, (0, None))
        rows.append(
            UserRow(
                name=user.name,
                role=user.role,
                territories=tuple(held.get(user.id, ())),
                every_territory=user.role in EVERY_TERRITORY,
                disabled=user.disabled,
                devices=count,
                last_seen=seen,
                created_at=user.created_at,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class TerritoryRow:
    """A territory as the territories page lists it."""

    name: str
    accounts: int  # live accounts
    users: tuple[tuple[str, str], ...]  # (name, role) of those granted it
    created_at: datetime


def territories(session: Session) -> list[TerritoryRow]:
    """Every territory by name: its live accounts (kept by triggers, so no scan) and users."""
    accounts = dict(
        session.execute(
            select(ScopeTotal.territory, ScopeTotal.live).where(ScopeTotal.entity == "account")
        ).all()
    )
    granted: dict[int, list[tuple[str, str]]] = {}
    for territory_id, name, role in session.execute(
        select(user_territory.c.territory_id, User.name, User.role)
        .join(User, User.id == user_territory.c.user_id)
        .order_by(User.name)
    ):
        granted.setdefault(territory_id, []).append((name, role))
    return [
        TerritoryRow(
            name=t.name,
            accounts=int(accounts.get(t.name, 0)),
            users=tuple(granted.get(t.id, ())),
            created_at=t.created_at,
        )
        for t in session.scalars(select(Territory).order_by(Territory.name))
    ]


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One source of events: what came each day of the window, and its last event ever."""

    source: str
    per_day: tuple[int, ...]  # events received each day of IngestionHealth.days
    unmatched: int  # waiting for their account now
    last_event: datetime | None
    key: str  # "live", "revoked" or "none"

    @property
    def total(self) -> int:
        return sum(self.per_day)


@dataclass(frozen=True, slots=True)
class IngestionHealth:
    days: tuple[date, ...]
    sources: tuple[SourceHealth, ...]
    queue: tuple[QueuedEvent, ...]  # the oldest QUEUE_SHOWN waiting events
    waiting: int  # every waiting event


def ingestion_health(store: ServerStore, now: datetime, days: int = HEALTH_DAYS) -> IngestionHealth:
    """Events taken in per source per day (UTC) over the last `days` days, each source's
    last event, and the queue of events waiting for their account."""
    today = now.astimezone(UTC).date()
    window = tuple(today - timedelta(days=n) for n in range(days - 1, -1, -1))
    with store.session() as session:
        day = _utc_day(session, IngestedEvent.received_at).label("day")
        counts: Counter[tuple[str, date]] = Counter()
        for source, when, count in session.execute(
            select(IngestedEvent.source, day, func.count())
            .where(IngestedEvent.received_at >= datetime.combine(window[0], time(), UTC))
            .group_by(IngestedEvent.source, day)
        ):
            counts[(source, _day(when))] += int(count)
        last = {
            source: _aware(at)
            for source, at in session.execute(
                select(IngestedEvent.source, func.max(IngestedEvent.received_at)).group_by(
                    IngestedEvent.source
                )
            )
        }
        waiting_by_source: dict[str, int] = {
            source: int(count)
            for source, count in session.execute(
                select(IngestedEvent.source, func.count())
                .where(IngestedEvent.status == "unmatched")
                .group_by(IngestedEvent.source)
            )
        }
        keys: dict[str, str] = {}
        for name, revoked_at in session.execute(select(ApiKey.name, ApiKey.revoked_at)):
            if revoked_at is None or keys.get(name) != "live":
                keys[name] = "live" if revoked_at is None else "revoked"
    names = sorted(set(last) | set(keys))
    sources = tuple(
        SourceHealth(
            source=name,
            per_day=tuple(counts[(name, d)] for d in window),
            unmatched=waiting_by_source.get(name, 0),
            last_event=last.get(name),
            key=keys.get(name, "none"),
        )
        for name in names
    )
    queue = tuple(unmatched_events(store, limit=QUEUE_SHOWN))
    return IngestionHealth(window, sources, queue, sum(waiting_by_source.values()))


def _utc_day(session: Session, column: Any) -> Any:
    """The UTC day of a time column, in SQL: SQLite keeps UTC text, PostgreSQL a timestamptz."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _aware(value: Any) -> datetime:
    # max() over a UTC column comes back as the driver gives it (text on SQLite).
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Policies:
    """The company-wide policies as they stand."""

    sensitive_answers: str  # "allowed" or "off_devices"
    retention_years: int | None  # None: kept for ever
    offline_days: int | None  # None: no limit


def policies(session: Session) -> Policies:
    return Policies(sensitive_policy(session), retention_years(session), offline_days(session))


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    action: str
    actor: str
    subject: str | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class AuditPage:
    """A page of the audit log, newest first; `older` is the cursor of the next page."""

    rows: tuple[AuditRow, ...]
    older: int | None


def audit_page(
    session: Session,
    since: date | None = None,
    user: str | None = None,
    before: int | None = None,
    size: int = AUDIT_PAGE,
) -> AuditPage:
    """Entries newest first (by time, as `audit` lists them oldest first): from the start of
    `since` (UTC) on, by or about `user`, after the entry `before` in that order (an id from
    the previous page's `older`; BadRequest if no entry has it)."""
    newest_first = (AuditEntry.at.desc(), AuditEntry.id.desc())
    query = select(AuditEntry).order_by(*newest_first).limit(size + 1)
    if since is not None:
        query = query.where(AuditEntry.at >= datetime.combine(since, time(), UTC))
    if user is not None:
        query = query.where(or_(AuditEntry.actor == user, AuditEntry.subject == user))
    if before is not None:
        last = session.get(AuditEntry, before)
        if last is None:
            raise BadRequest("that page of the audit log is not one this server gave")
        query = query.where(
            or_(
                AuditEntry.at < last.at,
                and_(AuditEntry.at == last.at, AuditEntry.id < last.id),
            )
        )
    found = [
        AuditRow(e.id, e.at, e.action, e.actor, e.subject, e.detail) for e in session.scalars(query)
    ]
    more = len(found) > size
    rows = tuple(found[:size])
    return AuditPage(rows, rows[-1].id if more and rows else None)
