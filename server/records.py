"""The scoped data-access layer: every read and write of synced records goes through here.

Scoping lives here, not in the routes (OWASP API1: broken object level authorization):
a record outside the caller's territories is invisible, and looks exactly like one that
does not exist.
"""

from __future__ import annotations

import base64
import functools
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, String, Text, cast, delete, func, select, type_coerce, update
from sqlalchemy.orm import Session

from server.errors import BadRequest, ResyncRequired
from server.models import Record, ScopeTotal, SyncCounter
from sync.protocol import (
    ENTITY_PARENT,
    PAGE_BYTES,
    PAGE_ROWS,
    PARENT_ENTITY,
    PULL_INCLUDES,
    REFERENCE_FIELDS,
    SNAPSHOT_ORDER,
    EntitySummary,
    PullPage,
    SnapshotPage,
)
from sync.row_schema import INT64_MAX

Clock = Callable[[], datetime]


def encode_cursor(version: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{version}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "v1":
            raise ValueError(kind)
        return _version(number)
    except ValueError:
        raise BadRequest("the sync cursor is not one this server issued; sync again") from None


def _version(text: str) -> int:
    """A record version as a token carries it: digits only, within a BIGINT."""
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        raise ValueError(text)
    version = int(text)
    if version > INT64_MAX:
        raise ValueError(text)
    return version


def encode_position(pinned: int, entity: str, record_id: uuid.UUID) -> str:
    """A snapshot's next-page token: the pinned version and the last (entity, id) sent."""
    return base64.urlsafe_b64encode(f"s1:{pinned}:{entity}:{record_id}".encode()).decode()


def decode_position(token: str) -> tuple[int, str, uuid.UUID]:
    try:
        kind, pinned, entity, raw_id = (
            base64.urlsafe_b64decode(token.encode()).decode().split(":", 3)
        )
        if kind != "s1" or entity not in SNAPSHOT_ORDER:
            raise ValueError(kind)
        return _version(pinned), entity, uuid.UUID(raw_id)
    except ValueError:
        raise BadRequest("the snapshot position is not one this server issued") from None


@dataclass(frozen=True, slots=True)
class WireRecord:
    """A record as a sync page sends it, read without building an ORM object or decoding
    its JSON: pages of a first download are most of what a server does, and the stored
    JSON text goes out as it is. `refs` are the (entity, id) of the rows it names (None:
    not read yet; see ScopedRecords.with_references)."""

    entity: str
    id_text: str  # as the protocol writes ids; read as text, a UUID is made only if asked
    version: int
    deleted: bool
    data: str  # the stored JSON object, as text
    refs: tuple[tuple[str, str], ...] | None

    @property
    def id(self) -> uuid.UUID:
        return uuid.UUID(self.id_text)

    def json(self) -> str:
        """This record as the protocol's Row, in JSON."""
        deleted = "true" if self.deleted else "false"
        return (
            f'{{"entity":{_quoted(self.entity)},"id":"{self.id_text}","version":{self.version},'
            f'"deleted":{deleted},"data":{self.data}}}'
        )


@functools.cache
def _quoted(entity: str) -> str:
    return json.dumps(entity)


def _id_text(stored: Any) -> str:
    """A record id as read with no type processing: SQLite's 32 hex digits, or the UUID
    PostgreSQL's driver makes of its own uuid type."""
    if isinstance(stored, uuid.UUID):
        return str(stored)
    return f"{stored[:8]}-{stored[8:12]}-{stored[12:16]}-{stored[16:20]}-{stored[20:]}"


# What a page reads of a record: the reference fields come out of the JSON in SQL (a
# snapshot page leaves them out: they are only needed when the scope changed meanwhile,
# and reading them was a third of the cost of a page).
_REF_COLUMNS = tuple(Record.data[name].as_string() for name in REFERENCE_FIELDS)
_PLAIN_COLUMNS = (
    Record.entity,
    # Made a UUID by SQLAlchemy, and then text again for the page, it cost 15% of a page.
    type_coerce(Record.id, String),
    Record.version,
    Record.deleted_at,
    cast(Record.data, Text),
)
_WIRE_COLUMNS = (*_PLAIN_COLUMNS, *_REF_COLUMNS)
_REFERENCED = tuple(REFERENCE_FIELDS.values())


def _named(refs: Iterable[str | None]) -> tuple[tuple[str, str], ...]:
    pairs = zip(_REFERENCED, refs, strict=True)
    return tuple((kind, ref) for kind, ref in pairs if ref is not None)


def _wire(rows: Iterable[Any]) -> list[WireRecord]:
    """Records from rows of _WIRE_COLUMNS, or of _PLAIN_COLUMNS (their refs not read)."""
    records = []
    for entity, record_id, version, deleted_at, data, *refs in rows:
        named = _named(refs) if refs else None
        deleted = deleted_at is not None
        records.append(WireRecord(entity, _id_text(record_id), version, deleted, data, named))
    return records


def page_json(envelope: SnapshotPage | PullPage, rows: list[WireRecord]) -> bytes:
    """A page's JSON: the envelope as pydantic writes it (made with no rows), the rows
    spliced in as stored."""
    # Extras a client did not ask for stay out: older clients refuse fields they don't know.
    unasked = {name for name in PULL_INCLUDES if getattr(envelope, name, "") is None}
    head = envelope.model_dump_json(exclude=unasked)
    empty = '{"rows":[]'
    assert head.startswith(empty), "rows must stay the first field of a page"
    return f'{{"rows":[{",".join(r.json() for r in rows)}]{head[len(empty) :]}'.encode()


_NEXT_VERSION = (
    update(SyncCounter)
    .where(SyncCounter.id == 1)
    .values(value=SyncCounter.value + 1)
    .returning(SyncCounter.value)
)


class ScopedRecords:
    """Synced records limited to `territories`, in one session (one transaction)."""

    def __init__(self, session: Session, territories: frozenset[str], clock: Clock) -> None:
        self.session = session
        self.territories = territories
        self.clock = clock

    # -- reads -------------------------------------------------------------------------

    def current_version(self) -> int:
        """The newest committed version: every version up to it is committed (see
        SyncCounter), so it is a safe cursor for a reader."""
        return int(self.session.scalar(select(SyncCounter.value).where(SyncCounter.id == 1)) or 0)

    def purged_through(self) -> int:
        """The newest version of a tombstone the server has forgotten (0: none yet)."""
        stmt = select(SyncCounter.purged_through).where(SyncCounter.id == 1)
        return int(self.session.scalar(stmt) or 0)

    def get(self, entity: str, record_id: uuid.UUID) -> Record | None:
        """The record if it is in scope (deleted or not); None otherwise."""
        record = self.session.get(Record, (entity, record_id))
        if record is None or record.territory not in self.territories:
            return None
        return record

    def preload(self, keys: Iterable[tuple[str, uuid.UUID]]) -> list[Record]:
        """Loads these records (any territory; missing ones are skipped) in a query per
        entity, so the get()s that follow find them in the session without a query each.
        Keep the list while using them: the session holds unchanged objects weakly."""
        wanted: dict[str, set[uuid.UUID]] = {}
        for entity, record_id in keys:
            wanted.setdefault(entity, set()).add(record_id)
        loaded: list[Record] = []
        for entity, ids in wanted.items():
            for chunk in _chunks(sorted(ids), 500):
                stmt = select(Record).where(Record.entity == entity, Record.id.in_(chunk))
                loaded += self.session.scalars(stmt)
        return loaded

    def exists_anywhere(self, entity: str, record_id: uuid.UUID) -> bool:
        return self.session.get(Record, (entity, record_id)) is not None

    def snapshot(
        self,
        after: tuple[str, uuid.UUID] | None,
        limit: int,
        entities: frozenset[str] | None = None,
    ) -> list[WireRecord]:
        """Records in scope after the keyset position `after`: entity by entity, parents
        before children (so a client can apply each page as it comes), then by id.
        `entities` narrows it to some kinds (a repair of one entity).

        Tombstones are included: a deleted account can still hold notes written before
        its delete, and the notes need their account row on the device too.
        """
        order = [e for e in SNAPSHOT_ORDER if entities is None or e in entities]
        start = 0
        if after is not None:
            if after[0] not in order:
                return []
            start = order.index(after[0])
        rows: list[WireRecord] = []
        for entity in order[start:]:
            stmt = select(*_PLAIN_COLUMNS).where(
                Record.entity == entity, Record.territory.in_(self.territories)
            )
            if after is not None and entity == after[0]:
                stmt = stmt.where(Record.id > after[1])
            rows += _wire(self.session.execute(stmt.order_by(Record.id).limit(limit - len(rows))))
            if len(rows) >= limit:
                break
        return rows

    def count(self, entities: frozenset[str] | None = None) -> int:
        """Rows in scope (of `entities`, if given): what a snapshot will send."""
        stmt = select(func.count()).select_from(Record)
        stmt = stmt.where(Record.territory.in_(self.territories))
        if entities is not None:
            stmt = stmt.where(Record.entity.in_(entities))
        return int(self.session.scalar(stmt) or 0)

    def changes_since(self, version: int, upto: int, limit: int) -> list[WireRecord]:
        """Records in scope changed after `version` (up to `upto`), oldest change first,
        tombstones too. A cursor from before forgotten tombstones cannot be served."""
        if version < self.purged_through():
            raise ResyncRequired(
                "this device was away longer than the server keeps deletions; "
                "it will download the territory again (unsent work is kept)"
            )
        stmt = (
            select(*_WIRE_COLUMNS)
            .where(
                Record.territory.in_(self.territories),
                Record.version > version,
                Record.version <= upto,
            )
            .order_by(Record.version)
            .limit(limit)
        )
        return _wire(self.session.execute(stmt))

    def live_slice(
        self,
        entity: str,
        after: uuid.UUID | None,
        last: uuid.UUID | None,
        skip: frozenset[uuid.UUID],
        limit: int,
    ) -> list[WireRecord] | None:
        """Live records of `entity` in scope with ids after `after` up to `last` (None: no
        bound), those in `skip` left out; None when there are more than `limit`."""
        stmt = select(*_PLAIN_COLUMNS).where(
            Record.entity == entity,
            Record.territory.in_(self.territories),
            Record.deleted_at.is_(None),
        )
        if after is not None:
            stmt = stmt.where(Record.id > after)
        if last is not None:
            stmt = stmt.where(Record.id <= last)
        rows = [
            record
            for record in _wire(self.session.execute(stmt.limit(limit + len(skip) + 1)))
            if uuid.UUID(record.id_text) not in skip
        ]
        return rows if len(rows) <= limit else None

    def changed_since(self, version: int) -> bool:
        """Whether anything in scope changed after `version` (other scopes do not count)."""
        stmt = select(Record.version).where(
            Record.territory.in_(self.territories), Record.version > version
        )
        return self.session.scalar(stmt.limit(1)) is not None

    def with_references(self, rows: list[WireRecord], known: int) -> list[WireRecord]:
        """`rows` plus, before them, the in-scope rows they refer to (and those refer to)
        that changed after version `known`: the client may not have those yet."""
        if not self.changed_since(known):
            return rows  # nothing in scope is newer than the client knows (a snapshot's case)
        rows = self._with_refs(rows)
        present = {(r.entity, r.id_text) for r in rows}
        added: list[WireRecord] = []
        todo = rows
        while todo:
            wanted: dict[str, set[uuid.UUID]] = {}
            for record in todo:
                for key in record.refs or ():
                    if key in present:
                        continue
                    try:
                        wanted.setdefault(key[0], set()).add(uuid.UUID(key[1]))
                    except ValueError:
                        continue
            todo = []
            for entity, ids in wanted.items():
                for chunk in _chunks(sorted(ids), 500):
                    stmt = select(*_WIRE_COLUMNS).where(
                        Record.entity == entity,
                        Record.id.in_(chunk),
                        Record.territory.in_(self.territories),
                        Record.version > known,
                    )
                    for record in _wire(self.session.execute(stmt)):
                        present.add((record.entity, record.id_text))
                        todo.append(record)
            added += todo
        return added + rows

    def _with_refs(self, rows: list[WireRecord]) -> list[WireRecord]:
        """`rows`, each with its refs read (a snapshot page's are not, at first)."""
        unread: dict[str, list[uuid.UUID]] = {}
        for record in rows:
            if record.refs is None:
                unread.setdefault(record.entity, []).append(record.id)
        if not unread:
            return rows
        refs: dict[tuple[str, uuid.UUID], tuple[tuple[str, str], ...]] = {}
        for entity, ids in unread.items():
            for chunk in _chunks(ids, 500):
                stmt = select(Record.id, *_REF_COLUMNS).where(
                    Record.entity == entity, Record.id.in_(chunk)
                )
                for record_id, *named in self.session.execute(stmt):
                    refs[(entity, record_id)] = _named(named)
        # .get: a tombstone purged since it was read names nothing any more.
        return [
            replace(record, refs=refs.get((record.entity, record.id), ()))
            if record.refs is None
            else record
            for record in rows
        ]

    def without_sensitive_values(self, rows: list[WireRecord]) -> list[WireRecord]:
        """`rows` with the values of sensitive profile answers left out, for a company that
        keeps them off devices: the rows still go (so counts and checksums agree), and so
        do conflicts about them, without either side's value."""
        about: dict[str, uuid.UUID] = {}
        for record in rows:
            if record.entity == "conflict" and '"profile_answer"' in record.data:
                data = json.loads(record.data)
                if data.get("entity") == "profile_answer":
                    about[record.id_text] = uuid.UUID(str(data.get("entity_id")))
        sensitive = self._sensitive_answers(set(about.values())) if about else set()
        cleaned = []
        for record in rows:
            if record.entity == "profile_answer":
                data = json.loads(record.data)
                if data.get("sensitive") and data.get("value") is not None:
                    record = replace(record, data=_json_text({**data, "value": None}))
            elif about.get(record.id_text) in sensitive:
                data = {**json.loads(record.data), "client_value": None, "server_value": None}
                record = replace(record, data=_json_text(data))
            cleaned.append(record)
        return cleaned

    def _sensitive_answers(self, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        stmt = select(Record.id, Record.data["sensitive"].as_boolean()).where(
            Record.entity == "profile_answer", Record.id.in_(ids)
        )
        return {record_id for record_id, flag in self.session.execute(stmt) if flag}

    def summary(self) -> dict[str, EntitySummary]:
        """Per entity: live rows in scope and the sum of their versions. (Tombstones are
        left out: the server forgets old ones, and a missed delete shows as a live row.)

        Read from ScopeTotal, which triggers keep in step with every write of a record:
        a few rows, where counting the records scanned all of a territory's."""
        stmt = (
            select(ScopeTotal.entity, func.sum(ScopeTotal.live), func.sum(ScopeTotal.version_sum))
            .where(ScopeTotal.territory.in_(self.territories))
            .group_by(ScopeTotal.entity)
        )
        return {
            e: EntitySummary(count=int(n), checksum=int(s or 0))
            for e, n, s in self.session.execute(stmt)
            if n
        }

    # -- territory ------------------------------------------------------------------------

    def territory_for(self, entity: str, data: dict[str, Any]) -> str | None:
        """The territory a new record of `entity` belongs to, if it is in scope."""
        parent_field = ENTITY_PARENT.get(entity)
        if parent_field is None:
            territory = data.get("territory")
            return territory if territory in self.territories else None
        parent_id = data.get(parent_field)
        try:
            parent = self.get(PARENT_ENTITY[parent_field], uuid.UUID(str(parent_id)))
        except ValueError:
            return None
        return parent.territory if parent is not None else None

    def parent_of(self, entity: str, data: dict[str, Any]) -> Record | None:
        parent_field = ENTITY_PARENT.get(entity)
        if parent_field is None:
            return None
        try:
            return self.get(PARENT_ENTITY[parent_field], uuid.UUID(str(data.get(parent_field))))
        except ValueError:
            return None

    # -- writes ----------------------------------------------------------------------------

    def lock_for_writing(self) -> None:
        """Makes writers take turns from here until they commit, so no one changes what this
        transaction is about to read and write over. It must be the transaction's first
        statement: a no-op write to the counter row (PostgreSQL: that row's lock, held to
        commit; SQLite: its one write lock, waited for instead of refused mid-transaction)."""
        self.session.execute(
            update(SyncCounter).where(SyncCounter.id == 1).values(value=SyncCounter.value)
        )

    def next_version(self) -> int:
        """A new version, taken inside this transaction (see SyncCounter).

        A Core statement on the session's connection: no ORM bookkeeping, and no flush
        first, so a record changed before its save is written after the counter's lock is
        held (every writer takes the counter before any record or ScopeTotal row: one
        order, no deadlock on PostgreSQL), and in one UPDATE with its new version."""
        return int(self.session.connection().execute(_NEXT_VERSION).scalar_one())

    def save(self, record: Record) -> int:
        """Stamps the record with a new version and time, and adds it if new."""
        record.version = self.next_version()
        record.updated_at = self.clock()
        self.session.add(record)
        self.session.flush()
        return record.version

    def create(
        self, entity: str, record_id: uuid.UUID, territory: str, data: dict[str, Any]
    ) -> Record:
        record = Record(entity=entity, id=record_id, territory=territory, data=dict(data))
        self.save(record)
        return record

    def erase(self, record: Record) -> int:
        """Deletes `record` the normal way (a tombstone every device hears of at its next
        sync) keeping none of its values: only the ids of the rows it hangs off, so it
        still follows its account to another territory. A device removes such a row from
        its store instead of keeping it hidden (db.store.replica). Returns its version."""
        if record.deleted_at is None:
            record.deleted_at = self.clock()
        record.data = {name: value for name, value in record.data.items() if name in ERASED_KEEPS}
        return self.save(record)

    def move_account_rows(self, account_id: uuid.UUID, territory: str) -> int:
        """After an account moved territory, its rows follow it (new versions, so the new
        territory's reps pull them; the old one's end-of-sync check lets go of them)."""
        key = str(account_id)
        children = list(
            self.session.scalars(select(Record).where(Record.data["account_id"].as_string() == key))
        )
        meetings = [str(r.id) for r in children if r.entity == "meeting"]
        for chunk in range(0, len(meetings), 500):
            children += self.session.scalars(
                select(Record).where(
                    Record.entity == "meeting_attendee",
                    Record.data["meeting_id"].as_string().in_(meetings[chunk : chunk + 500]),
                )
            )
        for child in children:
            if child.territory != territory:
                child.territory = territory
                self.save(child)
        return len(children)

    # -- retention -----------------------------------------------------------------------

    def purge_tombstones(self, before: datetime) -> int:
        """Forgets records deleted before `before` (every territory: an admin job).

        Pulls from cursors older than the newest forgotten tombstone then answer
        "resync required", so no device silently keeps a row deleted elsewhere.
        """
        newest = self.session.scalar(
            select(func.max(Record.version)).where(Record.deleted_at < before)
        )
        if newest is None:
            return 0
        result: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            delete(Record).where(Record.deleted_at < before)
        )
        self.session.execute(
            update(SyncCounter)
            .where(SyncCounter.id == 1, SyncCounter.purged_through < newest)
            .values(purged_through=newest)
        )
        return int(result.rowcount)


def _json_text(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


# What an erased record keeps (ScopedRecords.erase): the ids of the rows it refers to.
ERASED_KEEPS = frozenset(REFERENCE_FIELDS)


def is_erased(record: Record) -> bool:
    """Whether `record` was erased (ScopedRecords.erase): a tombstone with no values left.
    Nothing may bring such a record back, nor name it."""
    return record.deleted_at is not None and set(record.data) <= ERASED_KEEPS


def take_page(records: list[WireRecord]) -> tuple[list[WireRecord], bool]:
    """A page of `records` (fetched with one row more than PAGE_ROWS): at most PAGE_ROWS
    rows and about PAGE_BYTES of JSON (at least one row, so long notes stay small enough
    for a slow connection); and whether more follow."""
    used = 0
    for count, record in enumerate(records[:PAGE_ROWS]):
        used += len(record.data.encode()) + 120  # +envelope
        if used > PAGE_BYTES and count:
            return records[:count], True
    return records[:PAGE_ROWS], len(records) > PAGE_ROWS


def _chunks(items: list[uuid.UUID], size: int) -> list[list[uuid.UUID]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
