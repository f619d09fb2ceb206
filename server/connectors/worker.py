"""Deliveries become events after they were answered: one worker thread per server process.

The hook routes store a delivery and answer at once; this worker then makes it our event
(asking Stripe about an unknown charge on the way, if need be) and takes it in as any other
event (server.ingest.take_in: duplicates, the unmatched queue, the activity and lead rows).
Server processes share the work through the database: a delivery is claimed before it is
processed, and the claim of a process that died runs out after CLAIM_FOR. A delivery that
cannot be processed now waits and is tried again (RETRY_AFTER, the last wait repeating);
one whose Stripe lookup keeps failing is taken in without it after the last retry.
The thread runs while there is work, and at each server start (a delivery a stopped server
left is processed then).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, tuple_, update

from server.connectors.common import with_references
from server.connectors.registry import Connectors
from server.connectors.stripe import NAME as STRIPE
from server.connectors.stripe import LookupUnavailable, StripeApi, StripeLinks
from server.errors import ServerError
from server.events import Incoming
from server.ingest import EventResult, take_in
from server.models import HookDelivery, Record, utc_now
from server.records import Clock
from server.store import ServerStore

log = logging.getLogger(__name__)

BATCH = 200  # deliveries taken in per transaction
CLAIM_FOR = timedelta(minutes=10)
RETRY_AFTER = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
KEEP_FOR = timedelta(days=30)  # deliveries done (their events stay in ingested_event)
PURGE_EVERY = timedelta(hours=1)
LONGEST_SLEEP = 60.0  # seconds: a delivery waiting for its retry is looked at this often
FINISHED = ("done", "ignored", "failed")


@dataclass(frozen=True)
class _Claimed:
    connector: str
    delivery_id: str
    payload: dict[str, Any] | None
    attempts: int


class HookWorker:
    """Processes stored deliveries on a thread of its own, woken by each new one.

    `clock`: the server's (events are judged and stamped by it); `wall`: real time, for
    the claims and retries between processes."""

    def __init__(
        self,
        store: ServerStore,
        clock: Clock,
        connectors: Connectors,
        wall: Clock = utc_now,
        retry_after: Sequence[timedelta] = RETRY_AFTER,
        api_timeout: float = 10.0,
    ) -> None:
        self._store = store
        self._clock = clock
        self._connectors = connectors
        self._wall = wall
        self.retry_after = tuple(retry_after)
        self._api_timeout = api_timeout
        self._lock = threading.Lock()
        self._bell = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._purged_at: datetime | None = None

    # -- the thread ------------------------------------------------------------------------

    def start(self) -> None:
        """The app starts: work a stopped server left is taken in now."""
        with self._lock:
            self._stopping = False
        self.wake()

    def wake(self) -> None:
        """There may be work: the thread looks (and is started if it is not running)."""
        with self._lock:
            if self._stopping:
                return
            self._idle.clear()
            self._bell.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="hook-worker", daemon=True)
                self._thread.start()

    def wait_idle(self, timeout: float) -> bool:
        """Waits until nothing is due (True), or `timeout` seconds (False)."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Ends the thread once the delivery in hand is done; what is left waits in the
        database for the next start."""
        with self._lock:
            self._stopping = True
            self._bell.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._bell.clear()
            wait: float | None
            try:
                while not self._stopping and self.process_due():
                    pass
                wait = self._next_wait()
            except Exception:
                log.exception("webhook deliveries could not be processed; trying again soon")
                wait = LONGEST_SLEEP
            with self._lock:
                if self._bell.is_set() and not self._stopping:
                    continue
                self._idle.set()
                if self._stopping or wait is None:
                    self._thread = None
                    return
            self._bell.wait(min(wait, LONGEST_SLEEP))

    # -- the work ------------------------------------------------------------------------

    def process_due(self) -> int:
        """Processes a batch of the deliveries due now; how many it claimed."""
        now = self._wall()
        with self._store.session() as session:
            keys = session.execute(
                select(HookDelivery.connector, HookDelivery.delivery_id)
                .where(_due(now))
                .order_by(HookDelivery.received_at)
                .limit(BATCH)
            ).all()
        if not keys:
            return 0
        claimed = self._claim([(c, d) for c, d in keys], now)
        by_connector: dict[str, list[_Claimed]] = defaultdict(list)
        for row in claimed:
            by_connector[row.connector].append(row)
        for name, rows in by_connector.items():
            self._take(name, rows)
        self._purge()
        return len(claimed)

    def _claim(self, keys: list[tuple[str, str]], now: datetime) -> list[_Claimed]:
        """The deliveries of `keys` still due, claimed for this worker (another process may
        have taken some a moment ago)."""
        ours: list[tuple[str, str]] = []
        with self._store.session() as session:
            for connector, delivery_id in keys:
                taken = session.execute(
                    update(HookDelivery)
                    .where(
                        HookDelivery.connector == connector,
                        HookDelivery.delivery_id == delivery_id,
                        _due(now),
                    )
                    .values(
                        status="working",
                        due_at=now + CLAIM_FOR,
                        attempts=HookDelivery.attempts + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
                if getattr(taken, "rowcount", 0) == 1:
                    ours.append((connector, delivery_id))
            if not ours:
                return []
            rows = session.execute(
                select(
                    HookDelivery.connector,
                    HookDelivery.delivery_id,
                    HookDelivery.payload,
                    HookDelivery.attempts,
                )
                .where(tuple_(HookDelivery.connector, HookDelivery.delivery_id).in_(ours))
                .order_by(HookDelivery.received_at)
            ).all()
        return [_Claimed(c, d, p, a) for c, d, p, a in rows]

    def _take(self, name: str, rows: list[_Claimed]) -> None:
        links, api = self._stripe_links() if name == STRIPE else (None, None)
        try:
            for group in _groups(rows) if links is not None else [rows]:
                self._take_group(name, group, links)
        finally:
            if api is not None:
                api.close()

    def _take_group(self, name: str, rows: list[_Claimed], links: StripeLinks | None) -> None:
        """Takes the deliveries in as one batch (one transaction), and records the outcomes."""
        ready: list[tuple[_Claimed, dict[str, Any]]] = []
        for row in rows:
            event = self._prepare(name, row, links)
            if event is not None:
                ready.append((row, event))
        if not ready:
            return
        try:
            result = take_in(self._store, name, [Incoming(e) for _, e in ready], self._clock)
        except Exception:
            log.exception("%s deliveries could not be taken in; they are tried again", name)
            for row, _ in ready:
                self._retry(row, "could not be taken in (see the server log)")
            return
        accounts = self._accounts([r.activity_id for r in result.results if r.activity_id])
        finished = []
        for (row, _), outcome in zip(ready, result.results, strict=True):
            account = accounts.get(outcome.activity_id) if outcome.activity_id else None
            if links is not None and row.payload is not None and account is not None:
                links.learn(row.payload, account)
            finished.append((row, *_outcome(name, row, outcome)))
        self._finish(finished)

    def _stripe_links(self) -> tuple[StripeLinks, StripeApi | None]:
        """Stripe's links, with its API where the admin gave a key (and it can be read)."""
        api = None
        try:
            settings = self._connectors.settings(STRIPE)
            if settings.api_key:
                api = StripeApi(settings.api_url, settings.api_key, self._api_timeout)
        except ServerError as exc:  # removed meanwhile, or the key cannot be had
            log.warning("stripe deliveries are processed without API lookups: %s", exc.message)
        return StripeLinks(self._store, api), api

    def _prepare(
        self, name: str, row: _Claimed, links: StripeLinks | None
    ) -> dict[str, Any] | None:
        """The delivery's event, or None when it waits for a retry (or failed)."""
        if row.payload is None:
            self._finish([(row, "failed", "nothing was stored to take in")])
            return None
        try:
            if links is None:
                return with_references(row.payload["event"], row.payload["refs"])
            try:
                return links.prepare(row.payload)
            except LookupUnavailable as exc:
                if row.attempts <= len(self.retry_after):
                    log.warning("%s delivery waits to ask Stripe again: %s", name, exc)
                    self._retry(row, f"waiting to ask Stripe again: {exc}")
                    return None
                return links.prepare(row.payload, lookups=False)  # do without
        except Exception:
            log.exception("a %s delivery could not be prepared; it is tried again", name)
            self._retry(row, "could not be prepared (see the server log)")
            return None

    def _retry(self, row: _Claimed, why: str) -> None:
        # Never given up on: what failed is the server (its database, a bug), not the
        # delivery, which the source will not send again once answered. The last wait
        # repeats until it can be taken in.
        due = self._wall() + self.retry_after[min(row.attempts, len(self.retry_after)) - 1]
        with self._store.session() as session:
            session.execute(
                update(HookDelivery)
                .where(_key(row))
                .values(status="pending", due_at=due, outcome=why[:500])
                .execution_options(synchronize_session=False)
            )

    def _finish(self, rows: list[tuple[_Claimed, str, str]]) -> None:
        """Records what became of each delivery; its event is now kept in ingested_event
        only, so the delivery keeps no personal data."""
        now = self._clock()
        with self._store.session() as session:
            for row, status, outcome in rows:
                session.execute(
                    update(HookDelivery)
                    .where(_key(row))
                    .values(
                        status=status,
                        outcome=outcome[:500],
                        payload=None,
                        due_at=None,
                        processed_at=now,
                    )
                    .execution_options(synchronize_session=False)
                )

    def _accounts(self, activity_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not activity_ids:
            return {}
        with self._store.session() as session:
            rows = session.execute(
                select(Record.id, Record.data).where(
                    Record.entity == "activity", Record.id.in_(activity_ids)
                )
            )
            return {i: str(data.get("account_id")) for i, data in rows if data.get("account_id")}

    def _next_wait(self) -> float | None:
        """Seconds until the next delivery waiting for a retry is due; None: none waits."""
        with self._store.session() as session:
            earliest = session.scalar(
                select(func.min(HookDelivery.due_at)).where(
                    HookDelivery.status.in_(("pending", "working"))
                )
            )
            waiting = session.scalar(
                select(HookDelivery.delivery_id)
                .where(HookDelivery.status.in_(("pending", "working")))
                .limit(1)
            )
        if waiting is None:
            return None
        if earliest is None:
            return 0.0
        return max(0.0, (earliest - self._wall()).total_seconds())

    def _purge(self) -> None:
        """Forgets deliveries done more than KEEP_FOR ago, at most once per PURGE_EVERY."""
        now = self._clock()
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return
        self._purged_at = now
        with self._store.session() as session:
            session.execute(
                delete(HookDelivery)
                .where(
                    HookDelivery.status.in_(FINISHED),
                    HookDelivery.received_at < now - KEEP_FOR,
                )
                .execution_options(synchronize_session=False)
            )


def _groups(rows: list[_Claimed]) -> list[list[_Claimed]]:
    """Stripe's deliveries in batches, in the order they came, a new batch before one that
    names a charge or customer named earlier in the batch: what that earlier one teaches
    (the account of its customer) is known only once its batch is taken in."""
    groups: list[list[_Claimed]] = []
    current: list[_Claimed] = []
    named: set[str] = set()
    for row in rows:
        context = (row.payload or {}).get(STRIPE) or {}
        ids = {str(context[k]) for k in ("charge", "customer") if context.get(k)}
        if ids & named:
            groups.append(current)
            current, named = [], set()
        current.append(row)
        named |= ids
    return [*groups, current] if current else groups


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(
            HookDelivery.status == "pending",
            or_(HookDelivery.due_at.is_(None), HookDelivery.due_at <= now),
        ),
        and_(HookDelivery.status == "working", HookDelivery.due_at <= now),
    )


def _key(row: _Claimed) -> ColumnElement[bool]:
    return and_(
        HookDelivery.connector == row.connector, HookDelivery.delivery_id == row.delivery_id
    )


def _outcome(name: str, row: _Claimed, result: EventResult) -> tuple[str, str]:
    """(status, outcome in words) of a delivery taken in. No personal data: an unmatched
    event's reason (it names an e-mail) stays with the event in the unmatched queue."""
    if result.status == "accepted":
        return "done", f"accepted as activity {result.activity_id}"
    if result.status == "duplicate":
        return "done", "a duplicate of an event taken in before"
    if result.status == "unmatched":
        return "done", "unmatched: waits for its account (fieldbrief-server events unmatched)"
    log.warning("%s delivery %s could not be taken in: %s", name, row.delivery_id, result.error)
    return "failed", f"rejected: {result.error}"
