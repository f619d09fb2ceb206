"""The retention policy: activity records older than the company keeps them are erased."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import or_, select, text, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from server import audit
from server.models import IngestedEvent, Record
from server.records import Clock, ScopedRecords
from server.settings import retention_years
from server.store import ServerStore

log = logging.getLogger(__name__)

# Records erased per transaction: a running server's pushes wait for one batch, not all.
BATCH = 1000
SERVER = "server"  # the audit log's actor of the runs the server starts itself


@dataclass(frozen=True)
class RetentionRun:
    """What one application of the policy did."""

    years: int
    before: datetime  # activities that occurred before this were erased
    erased: int


def cutoff(now: datetime, years: int) -> datetime:
    """The moment `years` years before `now` (29 February goes back to a 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def expired_activities(session: Session, before: datetime) -> list[uuid.UUID]:
    """Ids of the live activities that occurred before `before`.

    Times are kept as sent (ISO 8601 with any offset): SQL narrows them by their date text
    with two days to spare (a local date is at most a day after the UTC one; text that does
    not start with a date always goes on), and each is then compared exactly."""
    occurred = Record.data["occurred_at"].as_string()
    spare = (before.astimezone(UTC).date() + timedelta(days=2)).isoformat()
    stmt = select(Record.id, occurred).where(
        Record.entity == "activity",
        Record.deleted_at.is_(None),
        or_(occurred < spare, ~occurred.like("____-__-__%")),
    )
    expired = []
    for record_id, written in session.execute(stmt):
        try:
            moment = datetime.fromisoformat(str(written))
        except ValueError:
            continue  # the row schema lets no such time in
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if moment < before:
            expired.append(record_id)
    return expired


def apply_retention(
    store: ServerStore, clock: Clock, *, actor: str = SERVER
) -> RetentionRun | None:
    """Erases the activities the policy no longer keeps (None: no policy set), the normal
    way, so laptops drop them at their next sync; the copies of the events they came from
    (ingested_event) keep only their source and id, so a resent event stays a duplicate."""
    with store.session() as session:
        years = retention_years(session)
        if years is None:
            return None
        before = cutoff(clock(), years)
        expired = expired_activities(session, before)
    erased = 0
    for start in range(0, len(expired), BATCH):
        chunk = expired[start : start + BATCH]
        with store.session() as session:
            secure_delete(session)
            records = ScopedRecords(session, frozenset(), clock)
            records.lock_for_writing()
            live = select(Record).where(
                Record.entity == "activity", Record.id.in_(chunk), Record.deleted_at.is_(None)
            )
            for record in session.scalars(live).all():
                records.erase(record)
                erased += 1
            session.execute(
                update(IngestedEvent).where(IngestedEvent.activity_id.in_(chunk)).values(event={})
            )
    if erased:
        with store.session() as session:
            audit.record(
                session,
                action="retention",
                actor=actor,
                detail=f"erased {erased:,} activities that occurred before {before:%Y-%m-%d}",
                at=clock(),
            )
    return RetentionRun(years, before, erased)


def secure_delete(session: Session) -> None:
    """On SQLite, what this transaction deletes or rewrites is overwritten in the file, not
    left in free space (PostgreSQL keeps old row versions until VACUUM reuses them)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete=ON"))


class DailyRetention:
    """Applies the retention policy again at the first request of each day (UTC) while the
    server runs (`serve` applies it at start-up). Every worker process does; the runs take
    turns and the later ones find nothing left to erase."""

    def __init__(self, app: ASGIApp, store: ServerStore, clock: Clock) -> None:
        self.app = app
        self.store = store
        self.clock = clock
        self.day: date = clock().astimezone(UTC).date()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            today = self.clock().astimezone(UTC).date()
            if today != self.day:
                self.day = today  # before the await: requests meanwhile do not start another
                await run_in_threadpool(self._run)
        await self.app(scope, receive, send)

    def _run(self) -> None:
        try:
            done = apply_retention(self.store, self.clock)
        except Exception:
            # The request that started it is answered anyway; tomorrow's first one tries again.
            log.exception("the daily retention run failed")
            return
        if done is not None and done.erased:
            log.info("retention: erased %d activities older than %d years", done.erased, done.years)
