"""The local side of sync: pending mutations out, pulled rows in, the cursor kept with them."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import logging
import platform
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Concatenate, Literal, ParamSpec, Protocol, TypeVar

from sqlalchemy import (
    Select,
    Update,
    bindparam,
    delete,
    func,
    literal,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from db.changes import Changes
from db.edits import LOCAL_COLUMNS
from db.profiles.book import SENSITIVE_OFF_DEVICES, SENSITIVE_POLICY
from db.search import NUMBER_INDEX, WORD_INDEX, drop_removed_words, pause_indexing, rebuild_index
from db.store.bulk_indexes import defer_indexes, restore_indexes
from db.store.local_store import Store
from db.store.models import (
    SYNCED_MODELS,
    Account,
    Meeting,
    MeetingAttendee,
    OutboxEntry,
    ProfileAnswer,
    RemoteRecord,
    SetAsideRow,
    SyncState,
)
from db.store.row_schema import pulled_problem
from db.store.types import utc_now
from db.store.wire_values import from_wire, row_writer
from sync.content_digest import SliceCheck
from sync.entities import ENTITIES
from sync.protocol import REFERENCE_FIELDS

log = logging.getLogger(__name__)

_MODELS: dict[str, type[Any]] = {
    model.__tablename__: model  # type: ignore[attr-defined]
    for model in SYNCED_MODELS
}
CURSOR = "cursor"
CLIENT_ID = "client_id"
# Where the store was when it took its client id (store_home); another place: a copy.
CLIENT_HOME = "client_home"
# The client id the kept sign-in (refresh token) was issued to; a copy must sign in again.
SIGNED_IN_AS = "signed_in_as"
# Where the end-of-sync content check goes on: "entity" or "entity/<id of the last row>".
CONTENT_CHECK = "content_check"
# SYNCED_MODELS lists referenced tables before the tables that refer to them.
ENTITY_ORDER = tuple(_MODELS)
# What a page does to the search index: keep it current, leave it, or refill it after.
SearchUpkeep = Literal["live", "paused", "rebuild"]
_RANK = {entity: rank for rank, entity in enumerate(ENTITY_ORDER)}
# A tombstone that keeps only the ids of the rows it hung off is an erasure (a person's
# data erased on request, or the retention policy: server.records.ScopedRecords.erase).
# Such a row leaves the store, with what cannot exist without it, instead of staying hidden.
_ERASED_KEEPS = frozenset(REFERENCE_FIELDS)
# What an erasure writes over a name in text it keeps (server.gdpr.ERASED): a pulled edit
# that brings it into searchable text has the old words dropped from the index.
ERASED_MARK = "[erased]"
# Set while the search index is paused (a download) and an erasure's old words must leave
# it: the rebuild that ends the download drops them.
SEARCH_SCRUB = "search_scrub"
# The tables whose words are in the word index (activities' numbers are in the other).
_WORDS_OF = frozenset({"account", "contact", "visit_note"})


@dataclass(frozen=True, slots=True)
class PendingMutation:
    mutation_id: int
    entity: str
    op: str
    entity_id: uuid.UUID
    fields: dict[str, Any]
    base: dict[str, Any]
    base_version: int | None


@dataclass(frozen=True, slots=True)
class PulledRow:
    entity: str
    id: uuid.UUID
    version: int
    deleted: bool
    data: dict[str, Any]


_T = TypeVar("_T")
_P = ParamSpec("_P")


class StoreThread(Protocol):
    """Runs `work` on the thread that owns the store and returns its result (the app's
    task runner); blocks the caller meanwhile."""

    def __call__(self, work: Callable[[], _T]) -> _T: ...


def _here(work: Callable[[], _T]) -> _T:
    return work()


def _on_store_thread(
    method: Callable[Concatenate[LocalReplica, _P], _T],
) -> Callable[Concatenate[LocalReplica, _P], _T]:
    """A LocalReplica method that runs on the replica's store thread."""

    def run(self: LocalReplica, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        return self._store_thread(lambda: method(self, *args, **kwargs))

    functools.update_wrapper(run, method)
    return run


class LocalReplica:
    """What the sync engine reads from and writes to the local store.

    In the app, sync runs on the network pool and hands each store call to the store's
    own thread (`store_thread`), where the rep's saves run too: one writer, so a pulled
    page is never written between the reading and the writing of a save. Scripts and
    tests with one thread run the calls where they are."""

    def __init__(self, store: Store, store_thread: StoreThread = _here) -> None:
        self._store = store
        self._store_thread = store_thread

    @_on_store_thread
    def state(self, key: str) -> str | None:
        with self._store.reading() as session:
            row = session.get(SyncState, key)
            return row.value if row else None

    @_on_store_thread
    def set_state(self, key: str, value: str | None) -> None:
        """Stores a sync fact; None forgets it."""
        with self._store.session() as session:
            _set_state(session, key, value)

    @_on_store_thread
    def client_id(self) -> uuid.UUID:
        """This device's id, made once and kept; a new one when the store finds it is a
        copy (its folder or computer is not the one it was made on), so two copies never
        push under one id. A store from before homes were kept adopts the one it is in."""
        home = store_home(self._store.path)
        with self._store.session() as session:
            known, where = session.get(SyncState, CLIENT_ID), session.get(SyncState, CLIENT_HOME)
            if known is not None and where is not None and where.value != home:
                log.warning("this store was copied here: it syncs as a new device from now on")
                # The sign-in kept (a refresh token) is the original's: sign in afresh.
                _set_state(session, SIGNED_IN_AS, known.value)
                known = None
            if where is None or where.value != home:
                _set_state(session, CLIENT_HOME, home)
            if known is None:
                client = str(uuid.uuid4())
                _set_state(session, CLIENT_ID, client)
                return uuid.UUID(client)
            return uuid.UUID(known.value)

    @_on_store_thread
    def number_above(self, mark: int) -> int:
        """Moves the outbox's numbers above `mark`, the highest the server has applied for
        this device, keeping their order; later edits are numbered above it too. A store
        restored from a backup (or one that lost its last writes) would otherwise number
        new edits with numbers the server has seen. Returns how many entries moved."""
        with self._store.session() as session:
            low, high = session.execute(
                select(func.min(OutboxEntry.seq), func.max(OutboxEntry.seq))
            ).one()
            moved = 0
            if low is not None and low <= mark:
                # One shift for all: every new number is above every old one (no clash).
                shift = max(mark, high) + 1 - low
                moved = session.execute(
                    update(OutboxEntry).values(seq=OutboxEntry.seq + shift)
                ).rowcount  # type: ignore[attr-defined]
                high += shift
            _number_from(session, max(mark, high or 0))
            if moved:
                log.warning(
                    "%s unsent changes renumbered above %s (the server had seen their numbers)",
                    moved,
                    mark,
                )
            return int(moved)

    @_on_store_thread
    def pending(self, limit: int = 500) -> list[PendingMutation]:
        """Mutations waiting to be pushed, oldest first (rejected ones are parked apart)."""
        with self._store.reading() as session:
            entries = session.scalars(
                select(OutboxEntry)
                .where(OutboxEntry.status == "pending")
                .order_by(OutboxEntry.seq)
                .limit(limit)
            )
            return [
                PendingMutation(
                    e.seq, e.entity, e.op, e.entity_id, e.fields, e.base, e.base_version
                )
                for e in entries
            ]

    @_on_store_thread
    def pending_count(self) -> int:
        with self._store.reading() as session:
            stmt = (
                select(func.count()).select_from(OutboxEntry).where(OutboxEntry.status == "pending")
            )
            return int(session.execute(stmt).scalar_one())

    @_on_store_thread
    def rejected_count(self) -> int:
        """Mutations the server refused, waiting for the rep (needs attention)."""
        with self._store.reading() as session:
            stmt = select(func.count()).select_from(OutboxEntry)
            stmt = stmt.where(OutboxEntry.status == "rejected")
            return int(session.execute(stmt).scalar_one())

    @_on_store_thread
    def record_results(self, results: list[tuple[int, str, str | None, int | None]]) -> int:
        """Settles pushed mutations: done ones leave the outbox, rejected ones wait for the
        rep with their reason. Returns how many were rejected."""
        rejected = 0
        done: list[int] = []
        with self._store.session() as session:
            for seq, status, reason, _version in results:
                if status == "reused":
                    continue  # stays queued, to go again under a new number (number_above)
                if status == "rejected":
                    rejected += 1
                    entry = session.get(OutboxEntry, seq)
                    if entry is not None:
                        entry.status, entry.reason = "rejected", reason
                else:
                    done.append(seq)
            for chunk in _chunks(done):  # one statement per 500, not one each
                session.execute(delete(OutboxEntry).where(OutboxEntry.seq.in_(chunk)))
        return rejected

    @_on_store_thread
    def set_sensitive_policy(self, off_devices: bool) -> int:
        """Follows the company's policy on sensitive profile answers. Going off devices,
        their values and unsent edits are erased here at once; either way, when the policy
        changes, those answers are downloaded again at the end of this sync (without their
        values, or with them once allowed again). Returns how many values were erased."""
        wanted = SENSITIVE_OFF_DEVICES if off_devices else "allowed"
        with self._store.session() as session:
            known = session.get(SyncState, SENSITIVE_POLICY)
            before = known.value if known else "allowed"
            _set_state(session, SENSITIVE_POLICY, wanted)
            if wanted == before and not off_devices:
                return 0
            sensitive = ProfileAnswer.sensitive.is_(True)
            if wanted != before:
                # A server version no row can have: the end-of-sync check fetches them again.
                session.execute(
                    update(ProfileAnswer)
                    .where(sensitive, ProfileAnswer.server_version.is_not(None))
                    .values(server_version=0)
                )
            if not off_devices:
                return 0
            ids = set(session.scalars(select(ProfileAnswer.id).where(sensitive)))
            unsent = [
                entry
                for entry in session.scalars(
                    select(OutboxEntry).where(OutboxEntry.entity == "profile_answer")
                )
                if entry.entity_id in ids and entry.fields.get("value") is not None
            ]
            for entry in unsent:
                session.delete(entry)
            erased = session.execute(
                update(ProfileAnswer)
                .where(sensitive, ProfileAnswer.value.is_not(None))
                .values(value=None, version=ProfileAnswer.version + 1)
            )
            return max(int(erased.rowcount), len(unsent))  # type: ignore[attr-defined]

    @_on_store_thread
    def apply_page(
        self,
        rows: list[PulledRow],
        cursor: str | None,
        state: dict[str, str | None] | None = None,
        *,
        durable: bool = True,
        search: SearchUpkeep = "live",
    ) -> Changes:
        """Applies pulled rows and stores the cursor (and other sync `state`, None to forget
        a key) in the same transaction. `durable=False` for pages that can be downloaded
        again (see Store.session). `search="paused"` leaves the search index and the
        secondary indexes (db.store.bulk_indexes) for a later page's `search="rebuild"`, which
        builds them in one pass each (a first download).

        Rows are applied parents first; each run of one entity is written with a few bulk
        statements (Core executemany), which keeps a first download of a big territory fast.
        `rows` may hold several pages: a row that comes twice is applied at its newest
        version, as applying the pages one after another would leave it.
        """
        tables: set[str] = set()
        newest: dict[tuple[str, uuid.UUID], PulledRow] = {}
        for row in rows:
            known = newest.get((row.entity, row.id))
            if known is None or known.version < row.version:
                newest[(row.entity, row.id)] = row
        ordered = sorted(newest.values(), key=lambda r: _RANK.get(r.entity, len(_RANK)))
        erasing = [row for row in ordered if _erased(row)]
        if erasing:
            ordered = [row for row in ordered if not _erased(row)]
        scrub: set[str] = set()  # search indexes that hold words of removed text
        with self._store.session(durable=durable) as session:
            if search == "paused":
                defer_indexes(session)
            if search != "live":
                pause_indexing(session)
            pending = {
                (e.entity, e.entity_id): set(e.fields)
                for e in session.scalars(select(OutboxEntry).where(OutboxEntry.status == "pending"))
            }
            aside = session.scalar(select(SetAsideRow.id).limit(1)) is not None
            for entity, run in itertools.groupby(ordered, key=lambda r: r.entity):
                group = list(run)
                model = _MODELS.get(entity)
                if model is None:
                    changed = _apply_remote(session, group)
                else:
                    changed, set_aside = _apply_guarded(
                        session, model, group, pending, aside, scrub
                    )
                    if set_aside:
                        tables.add(SetAsideRow.__tablename__)
                    aside = aside or set_aside
                if changed:
                    tables.add(entity)
            if erasing:
                removed = _remove_erased(session, erasing)
                tables |= removed
                scrub |= _indexes_of(removed)
            if cursor is not None:
                _set_state(session, CURSOR, cursor)
            for key, value in (state or {}).items():
                _set_state(session, key, value)
            if search == "rebuild":
                restore_indexes(session)
                rebuild_index(session)
                if session.get(SyncState, SEARCH_SCRUB) is not None:
                    scrub |= {WORD_INDEX, NUMBER_INDEX}
                    _set_state(session, SEARCH_SCRUB, None)
            if scrub and search == "paused":
                _set_state(session, SEARCH_SCRUB, "1")
            elif scrub:
                drop_removed_words(session, sorted(scrub))
        if scrub and search != "paused":
            self._empty_wal()
        return Changes(frozenset(tables))

    def _empty_wal(self) -> None:
        """Copies the write-ahead log into the store and truncates it (after an erasure):
        the log would otherwise keep the pages as they were before, until it is reused."""
        raw = self._store.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _pages, _copied = cursor.fetchone() or (1, 0, 0)
            cursor.close()
        finally:
            raw.close()
        if busy:
            log.warning(
                "the write-ahead log was in use: erased rows leave it at a later checkpoint"
            )

    @_on_store_thread
    def summary(self) -> dict[str, tuple[int, int]]:
        """Per entity: live rows the server has told us of and the sum of their server
        versions, to compare with the server's summary of our scope. Rows set aside count
        as received: downloading them again would only set them aside again."""
        totals: dict[str, tuple[int, int]] = {}
        with self._store.reading() as session:
            for entity, count, checksum in session.execute(_SUMMARY):
                if count:
                    known = totals.get(entity, (0, 0))
                    totals[entity] = (known[0] + int(count), known[1] + int(checksum or 0))
        return totals

    @_on_store_thread
    def mark_diverged(self) -> dict[str, int]:
        """Rows whose content left the server's without a change on its way there: a
        pulled row's local version is the server's, and a rep's edit bumps it and queues an
        outbox entry in one transaction, so a version apart with nothing queued means an
        edit was dropped (or a bug). Their server version becomes 0, which the end-of-sync
        check sees, and the repair download puts the server's content back. Returns how
        many rows of each entity were marked."""
        marked: dict[str, int] = {}
        with self._store.session() as session:
            queued = select(OutboxEntry.entity_id)
            for entity, model in _MODELS.items():
                table = model.__table__
                found = session.execute(
                    update(table)
                    .where(
                        table.c.server_version.is_not(None),
                        table.c.server_version != 0,
                        table.c.version != table.c.server_version,
                        table.c.id.not_in(queued),
                    )
                    .values(server_version=0)
                )
                if found.rowcount:  # type: ignore[attr-defined]
                    marked[entity] = int(found.rowcount)  # type: ignore[attr-defined]
        if marked:
            log.warning("rows apart from the server with nothing queued: %s", marked)
        return marked

    @_on_store_thread
    def plan_slice(self, entity: str, after: uuid.UUID | None, limit: int) -> SliceCheck:
        """The next slice of `entity` to compare by content: the next `limit` rows the
        server told us of, after `after` by id. Rows with an edit on its way (or refused)
        or apart from the server, and rows set aside, are left out on both sides."""
        table = _MODELS[entity].__table__
        fields = tuple(name for name in ENTITIES[entity] if name in table.c)
        stmt = select(table.c.id).where(
            table.c.server_version.is_not(None), table.c.deleted_at.is_(None)
        )
        if after is not None:
            stmt = stmt.where(table.c.id > after)
        with self._store.reading() as session:
            ids = list(session.scalars(stmt.order_by(table.c.id).limit(limit)))
            last = ids[-1] if len(ids) == limit else None
            part = SliceCheck(entity, after, last, fields, frozenset())
            skip = set(session.scalars(_unsettled(part)))
        return replace(part, skip=frozenset(skip))

    @_on_store_thread
    def slice_rows(self, part: SliceCheck) -> list[tuple[uuid.UUID, int, dict[str, Any]]] | None:
        """The rows of `part` to digest (sync.content_digest.slice_digest, off this thread):
        (id, version, fields); None when a row of it became unsettled since it was planned
        (compare another time)."""
        table = _MODELS[part.entity].__table__
        columns = [table.c[name] for name in part.fields]
        stmt = _within(part, select(table.c.id, table.c.version, *columns)).where(
            table.c.server_version.is_not(None), table.c.deleted_at.is_(None)
        )
        with self._store.reading() as session:
            if set(session.scalars(_unsettled(part))) - part.skip:
                return None
            return [
                (row.id, row.version, dict(zip(part.fields, row[2:], strict=True)))
                for row in session.execute(stmt)
                if row.id not in part.skip
            ]

    @_on_store_thread
    def forget_versions(self, part: SliceCheck) -> int:
        """Marks the compared rows of `part` as apart from the server (server version 0,
        as mark_diverged does), so the repair download writes the server's content over
        them although their versions agree."""
        table = _MODELS[part.entity].__table__
        stmt = _within(part, update(table)).where(
            table.c.server_version == table.c.version, table.c.deleted_at.is_(None)
        )
        if part.skip:
            stmt = stmt.where(table.c.id.not_in(part.skip))
        with self._store.session() as session:
            found = session.execute(stmt.values(server_version=0))
            return int(found.rowcount)  # type: ignore[attr-defined]

    @_on_store_thread
    def set_aside_count(self) -> int:
        """Pulled rows this device could not store (see SetAsideRow)."""
        with self._store.reading() as session:
            stmt = select(func.count()).select_from(SetAsideRow)
            return int(session.execute(stmt).scalar_one())

    @_on_store_thread
    def sweep(self, seen: dict[str, set[uuid.UUID]]) -> int:
        """After a repair download of some entities (`seen`: the ids the server sent), lets
        go of local rows of those entities the server no longer has for us.

        Nothing unsynced is lost: a row with queued or refused changes, or one that other
        rows still refer to, is kept and only detached (no server version: it no longer
        counts as the server's). Returns how many rows were let go of or detached.
        """
        removed = 0
        with self._store.session() as session:
            held = _held_ids(session)
            for entity in sorted(seen, key=lambda e: -_RANK.get(e, len(_RANK))):
                removed += _sweep_entity(session, entity, seen[entity], held)
        return removed

    @_on_store_thread
    def forget_territories(self, territories: set[str]) -> int:
        """Removes the accounts of territories no longer ours, with all that hangs off them.

        Accounts with local work not yet accepted by the server (queued or refused
        changes, on them or on anything of theirs) stay, detached, until the rep settles
        that work. Returns how many accounts were removed.
        """
        if not territories:
            return 0
        with self._store.session() as session:
            accounts = set(
                session.scalars(select(Account.id).where(Account.territory.in_(territories)))
            )
            held = _accounts_with_work(session) & accounts
            for chunk in _chunks(sorted(held)):
                session.execute(
                    update(Account).where(Account.id.in_(chunk)).values(server_version=None)
                )
            gone = sorted(accounts - held)
            for chunk in _chunks(gone):
                meetings = select(Meeting.id).where(Meeting.account_id.in_(chunk))
                session.execute(
                    delete(MeetingAttendee).where(MeetingAttendee.meeting_id.in_(meetings))
                )
                for entity in reversed(ENTITY_ORDER):
                    table = _MODELS[entity].__table__
                    if entity == "account":
                        session.execute(delete(table).where(table.c.id.in_(chunk)))
                    elif "account_id" in table.c:
                        session.execute(delete(table).where(table.c.account_id.in_(chunk)))
        return len(gone)


# LocalReplica.summary in one statement (one compiled statement, one round through the
# driver, instead of one per table): per synced table its live rows the server told us of,
# then the remote records per entity.
_SUMMARY = union_all(
    *(
        select(
            literal(entity).label("entity"),
            func.count().label("rows"),
            func.sum(model.__table__.c.server_version).label("versions"),
        ).where(
            model.__table__.c.server_version.is_not(None),
            model.__table__.c.deleted_at.is_(None),
        )
        for entity, model in _MODELS.items()
    ),
    select(RemoteRecord.entity, func.count(), func.sum(RemoteRecord.server_version))
    .where(RemoteRecord.deleted.is_(False))
    .group_by(RemoteRecord.entity),
    select(SetAsideRow.entity, func.count(), func.sum(SetAsideRow.server_version))
    .where(SetAsideRow.deleted.is_(False))
    .group_by(SetAsideRow.entity),
)


_Id = TypeVar("_Id")


def store_home(path: Path) -> str:
    """Where a store lives (this computer and its folder), as a digest: a store copied to
    another folder or laptop finds itself somewhere else."""
    try:
        machine = Path("/etc/machine-id").read_text(encoding="ascii").strip()
    except OSError:
        machine = ""
    place = f"{machine or platform.node()}|{path.resolve().parent}"
    return hashlib.sha256(place.encode()).hexdigest()[:32]


def _number_from(session: Session, number: int) -> None:
    """The outbox's next number is above `number` (SQLite's AUTOINCREMENT counter)."""
    connection = session.connection()
    raised = connection.exec_driver_sql(
        "UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox' AND seq < ?", (number, number)
    )
    if not raised.rowcount:
        connection.exec_driver_sql(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox', ? "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox')",
            (number,),
        )


def _set_state(session: Session, key: str, value: str | None) -> None:
    if value is None:
        session.execute(delete(SyncState).where(SyncState.key == key))
    else:
        session.merge(SyncState(key=key, value=value))


_Bounded = TypeVar("_Bounded", bound=Select[Any] | Update)


def _within(part: SliceCheck, stmt: _Bounded) -> _Bounded:
    """`stmt` narrowed to the ids of `part`'s slice."""
    table = _MODELS[part.entity].__table__
    if part.after is not None:
        stmt = stmt.where(table.c.id > part.after)  # type: ignore[assignment]
    if part.last is not None:
        stmt = stmt.where(table.c.id <= part.last)  # type: ignore[assignment]
    return stmt


def _unsettled(part: SliceCheck) -> Select[Any]:
    """The ids in `part`'s slice the server's content need not match: rows with an edit
    queued or refused, rows apart from the server, rows set aside."""
    table = _MODELS[part.entity].__table__
    outbox = OutboxEntry.__table__
    aside = SetAsideRow.__table__
    edited = select(outbox.c.entity_id.label("id")).where(outbox.c.entity == part.entity)
    set_aside = select(aside.c.id).where(aside.c.entity == part.entity)
    apart = select(table.c.id).where(
        table.c.server_version.is_not(None), table.c.version != table.c.server_version
    )
    ids = union(_within(part, apart), edited, set_aside).subquery()
    stmt = select(ids.c.id)
    if part.after is not None:
        stmt = stmt.where(ids.c.id > part.after)
    if part.last is not None:
        stmt = stmt.where(ids.c.id <= part.last)
    return stmt


def _chunks(ids: list[_Id], size: int = 500) -> list[list[_Id]]:
    """Slices that stay under SQLite's bound-parameter limit."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _held_ids(session: Session) -> set[uuid.UUID]:
    """Rows with local work the server has not accepted (queued or refused)."""
    return set(session.scalars(select(OutboxEntry.entity_id)))


def _accounts_with_work(session: Session) -> set[uuid.UUID]:
    """Accounts that hold unaccepted local work, on themselves or on anything of theirs."""
    accounts: set[uuid.UUID] = set()
    for entry in session.scalars(select(OutboxEntry)):
        if entry.entity == "account":
            accounts.add(entry.entity_id)
            continue
        model = _MODELS.get(entry.entity)
        if model is None:
            continue
        row = session.get(model, entry.entity_id)
        if row is None:
            continue
        if entry.entity == "meeting_attendee":
            row = session.get(Meeting, row.meeting_id)
        if row is not None and getattr(row, "account_id", None) is not None:
            accounts.add(row.account_id)
    return accounts


def _sweep_entity(session: Session, entity: str, seen: set[uuid.UUID], held: set[uuid.UUID]) -> int:
    model = _MODELS.get(entity)
    if model is None:
        gone = [
            row_id
            for row_id in session.scalars(
                select(RemoteRecord.id).where(RemoteRecord.entity == entity)
            )
            if row_id not in seen
        ]
        for chunk in _chunks(gone):
            session.execute(
                delete(RemoteRecord).where(
                    RemoteRecord.entity == entity, RemoteRecord.id.in_(chunk)
                )
            )
        return len(gone)
    table = model.__table__
    known = session.scalars(select(table.c.id).where(table.c.server_version.is_not(None)))
    gone = [row_id for row_id in known if row_id not in seen]
    for row_id in gone:
        detach = update(table).where(table.c.id == row_id).values(server_version=None)
        if row_id in held:
            session.execute(detach)
            continue
        try:
            with session.begin_nested():
                session.execute(delete(table).where(table.c.id == row_id))
        except IntegrityError:  # other rows still refer to it: keep it, detached
            session.execute(detach)
    return len(gone)


def _apply_remote(session: Session, group: list[PulledRow]) -> bool:
    changed = False
    for row in group:
        known = session.get(RemoteRecord, (row.entity, row.id))
        if known is not None and known.server_version >= row.version:
            continue
        session.merge(
            RemoteRecord(
                entity=row.entity,
                id=row.id,
                server_version=row.version,
                deleted=row.deleted,
                data=row.data,
            )
        )
        changed = True
    session.flush()
    return changed


# What a row the store cannot take raises on its way in: a value the conversion refuses,
# one the driver cannot bind, a foreign key that does not hold.
_UNSTORABLE = (ValueError, TypeError, OverflowError, SQLAlchemyError)


# Rows of one table written under one savepoint. Inside a savepoint SQLite journals every
# page a statement's triggers touch once per statement, and keeps that journal until the
# savepoint ends: each row then costs more than the one before. 8,000 profile answers
# (whose triggers keep profile_count and profile_date) took 2.3 ms a row under one
# savepoint, 0.1 ms with none; in runs of 200, 0.13 ms (0.19 with the rest of a pull).
STORED_WHOLE = 200


def _apply_guarded(
    session: Session,
    model: type[Any],
    group: list[PulledRow],
    pending: dict[tuple[str, uuid.UUID], set[str]],
    aside: bool,
    scrub: set[str],
) -> tuple[bool, bool]:
    """_apply_synced for rows of one table, in runs of STORED_WHOLE. A run that cannot be
    stored whole goes again row by row, and a row that cannot be stored is set aside with
    the reason (SetAsideRow) instead of stopping the sync: one bad row never holds up the
    others. `aside`: whether rows are set aside already (a storable version replaces its
    own). Returns (whether the table changed, whether rows were set aside)."""
    changed = set_aside = False
    for start in range(0, len(group), STORED_WHOLE):
        run = group[start : start + STORED_WHOLE]
        try:
            with session.begin_nested():
                changed = _apply_synced(session, model, run, pending, scrub) or changed
        except _UNSTORABLE:
            log.warning(
                "a page of %s could not be stored whole; row by row",
                model.__tablename__,
                exc_info=True,
            )
            run_changed, run_aside = _row_by_row(session, model, run, pending, scrub)
            changed, set_aside = changed or run_changed, set_aside or run_aside
        else:
            if aside or set_aside:
                _settle_aside(session, run)
    return changed, set_aside


def _row_by_row(
    session: Session,
    model: type[Any],
    run: list[PulledRow],
    pending: dict[tuple[str, uuid.UUID], set[str]],
    scrub: set[str],
) -> tuple[bool, bool]:
    """Stores each row of `run` that can be, sets the others aside; as _apply_guarded."""
    changed = set_aside = False
    for row in run:
        problem = pulled_problem(row.entity, row.data)
        if problem is None:
            try:
                with session.begin_nested():
                    changed = _apply_synced(session, model, [row], pending, scrub) or changed
            except _UNSTORABLE as exc:
                # Logged with its traceback, never with the row's values (customer data).
                log.warning("%s %s could not be stored", row.entity, row.id, exc_info=True)
                problem = _unstorable(exc)
            else:
                _settle_aside(session, [row])
                continue
        log.warning("%s %s set aside: %s", row.entity, row.id, problem.split(":")[0])
        _set_aside(session, row, problem)
        set_aside = True
    return changed, set_aside


def _unstorable(exc: Exception) -> str:
    if isinstance(exc, IntegrityError):
        return "it names a record this device does not hold (set aside, or not sent)"
    return f"it could not be stored ({type(exc).__name__})"


def _set_aside(session: Session, row: PulledRow, reason: str) -> None:
    known = session.get(SetAsideRow, (row.entity, row.id))
    if known is not None and known.server_version > row.version:
        return
    # An older version stored here no longer counts as the server's (the end-of-sync
    # check counts the one set aside); a storable version later replaces both.
    table = _MODELS[row.entity].__table__
    session.execute(update(table).where(table.c.id == row.id).values(server_version=None))
    session.merge(
        SetAsideRow(
            entity=row.entity,
            id=row.id,
            server_version=row.version,
            deleted=row.deleted,
            data=row.data,
            reason=reason[:2000],
            set_aside_at=utc_now(),
        )
    )
    session.flush()


def _settle_aside(session: Session, rows: list[PulledRow]) -> None:
    """Stored now: any earlier version of these rows set aside is no longer needed."""
    for chunk in _chunks([row.id for row in rows]):
        session.execute(
            delete(SetAsideRow).where(
                SetAsideRow.entity == rows[0].entity, SetAsideRow.id.in_(chunk)
            )
        )


def _apply_synced(
    session: Session,
    model: type[Any],
    group: list[PulledRow],
    pending: dict[tuple[str, uuid.UUID], set[str]],
    scrub: set[str],
) -> bool:
    """Writes a run of pulled rows of one table; adds WORD_INDEX to `scrub` when an edit
    erased a name from searchable text (see ERASED_MARK)."""
    table = model.__table__
    fields = [column for column in table.columns if column.key not in LOCAL_COLUMNS]
    known: dict[uuid.UUID, tuple[int | None, datetime | None, dict[str, Any]]] = {}
    stmt = select(table.c.id, table.c.server_version, table.c.deleted_at, *fields)
    for chunk in _chunks(_held(session, table.name, [row.id for row in group])):
        for row_id, server_version, deleted_at, *stored in session.execute(
            stmt.where(table.c.id.in_(chunk))
        ):
            current = {column.key: value for column, value in zip(fields, stored, strict=True)}
            known[row_id] = (server_version, deleted_at, current)
    now = utc_now()
    new = [row for row in group if row.id not in known]
    if new:
        _insert_new(session, model, new, now)
    updates: dict[frozenset[str], list[dict[str, Any]]] = {}
    changed = bool(new)
    for row in group:
        if row.id not in known:
            continue
        server_version, deleted_at, current = known[row.id]
        if (server_version or 0) >= row.version:
            continue  # already have this version or newer (snapshot, then pull)
        values = from_wire(model, row.data)
        for name in pending.get((row.entity, row.id), set()):
            values.pop(name, None)  # an unpushed local edit stays until it is pushed
        # Only the columns that change: an UPDATE naming a searchable column (or
        # deleted_at) refreshes the row's search entry through the FTS triggers, which
        # costs a hundred times the update itself, and most pulled edits touch neither.
        values = {name: v for name, v in values.items() if not _same(current.get(name), v)}
        if table.name in _WORDS_OF and _erases_words(current, values):
            scrub.add(WORD_INDEX)
        if row.deleted != (deleted_at is not None):
            values["deleted_at"] = now if row.deleted else None
        values["server_version"] = values["version"] = row.version
        values["updated_at"] = now
        updates.setdefault(frozenset(values), []).append(
            {"row_id": row.id, **{f"new_{k}": v for k, v in values.items()}}
        )
        changed = True
    # Rows with the same columns go in one executemany: one compiled statement per shape.
    for names, batch in updates.items():
        change = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({name: bindparam(f"new_{name}") for name in names})
        )
        session.execute(change, batch, execution_options={"synchronize_session": False})
    return changed


def _erased(row: PulledRow) -> bool:
    """Whether a pulled row is an erasure (see _ERASED_KEEPS)."""
    return row.deleted and isinstance(row.data, dict) and set(row.data) <= _ERASED_KEEPS


def _erases_words(current: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether writing `values` over `current` puts ERASED_MARK where it was not."""
    return any(
        isinstance(value, str) and ERASED_MARK in value and ERASED_MARK not in str(current.get(k))
        for k, value in values.items()
    )


def _indexes_of(tables: set[str]) -> set[str]:
    """The search indexes that held words of rows of `tables`."""
    indexes = {WORD_INDEX} if tables & _WORDS_OF else set()
    return indexes | ({NUMBER_INDEX} if "activity" in tables else set())


def _remove_erased(session: Session, rows: list[PulledRow]) -> set[str]:
    """Removes erased rows from the store (see _ERASED_KEEPS) and, before each, the rows
    that cannot exist without it (a contact's profile answers: about the same person); a
    reference to it that may be empty is emptied. Their queued or refused edits and any
    copy set aside go too: nothing of them may be pushed again. Returns the tables changed."""
    wanted: dict[str, set[uuid.UUID]] = {}
    for row in rows:
        wanted.setdefault(row.entity, set()).add(row.id)
    touched: set[str] = set()
    gone: dict[str, set[uuid.UUID]] = {}
    for entity in sorted(wanted, key=lambda e: -_RANK.get(e, len(_RANK))):
        ids = sorted(wanted[entity])
        model = _MODELS.get(entity)
        if model is None:
            for chunk in _chunks(ids):
                found = session.execute(
                    delete(RemoteRecord).where(
                        RemoteRecord.entity == entity, RemoteRecord.id.in_(chunk)
                    )
                )
                if found.rowcount:  # type: ignore[attr-defined]
                    touched.add(entity)
        else:
            _remove_rows(session, model.__table__, ids, touched, gone)
        gone.setdefault(entity, set()).update(ids)
    for entity, removed in gone.items():
        for chunk in _chunks(sorted(removed)):
            dropped = session.execute(
                delete(OutboxEntry).where(
                    OutboxEntry.entity == entity, OutboxEntry.entity_id.in_(chunk)
                )
            )
            if dropped.rowcount:  # type: ignore[attr-defined]
                touched.add(OutboxEntry.__tablename__)
            session.execute(
                delete(SetAsideRow).where(SetAsideRow.entity == entity, SetAsideRow.id.in_(chunk))
            )
    return touched


def _remove_rows(
    session: Session,
    table: Any,
    ids: list[uuid.UUID],
    touched: set[str],
    gone: dict[str, set[uuid.UUID]],
) -> None:
    """Deletes rows `ids` of `table` and, first, what refers to them (see _remove_erased)."""
    for model in SYNCED_MODELS:
        child = model.__table__  # type: ignore[attr-defined]
        for key in child.foreign_keys:
            if key.column.table is not table:
                continue
            column = key.parent
            for chunk in _chunks(ids):
                if column.nullable:
                    emptied = session.execute(
                        update(child).where(column.in_(chunk)).values({column.key: None})
                    )
                    if emptied.rowcount:  # type: ignore[attr-defined]
                        touched.add(child.name)
                    continue
                dependents = list(session.scalars(select(child.c.id).where(column.in_(chunk))))
                if dependents:
                    _remove_rows(session, child, dependents, touched, gone)
                    gone.setdefault(child.name, set()).update(dependents)
    for chunk in _chunks(ids):
        found = session.execute(delete(table).where(table.c.id.in_(chunk)))
        if found.rowcount:  # type: ignore[attr-defined]
            touched.add(table.name)


def _held(session: Session, table: str, ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Those of `ids` the table holds, found with plain SQL on the ids as stored: a first
    download's pages are all new rows, and a typed query per page only to learn that
    took a tenth of the time the rows took to write."""
    stored_id = row_writer(table, session.get_bind().dialect).stored_id
    connection = session.connection()
    held = []
    for chunk in _chunks(ids):
        by_stored = {stored_id(row_id): row_id for row_id in chunk}
        sql = f"SELECT id FROM {table} WHERE id IN ({', '.join('?' * len(by_stored))})"
        for (found,) in connection.exec_driver_sql(sql, tuple(by_stored)):
            held.append(by_stored[found])
    return held


def _same(stored: Any, pulled: Any) -> bool:
    """Whether writing `pulled` over the `stored` value would leave it as it is. Strict,
    so a doubt means a write: 1 is not 1.0 nor True, and JSON is compared as its text."""
    if type(stored) is not type(pulled):
        return False
    if isinstance(pulled, dict | list):
        return json.dumps(stored) == json.dumps(pulled)
    return bool(stored == pulled)


def _insert_new(session: Session, model: type[Any], rows: list[PulledRow], now: datetime) -> None:
    """Writes rows this device does not have yet with one executemany of stored values."""
    writer = row_writer(model.__tablename__, session.get_bind().dialect)
    stamp = writer.stored_time(now)
    rows_values = [writer.values(row.id, row.version, row.deleted, row.data, stamp) for row in rows]
    session.connection().exec_driver_sql(writer.sql, rows_values)
