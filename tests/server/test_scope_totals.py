"""Property: whatever writes records (pushes, the importer's and ingestion's ScopedRecords
calls, moves, purges, a hand-made SQL fix), ScopeTotal equals counting the live records,
so /sync/summary can read it instead of scanning a territory; on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, func, select, update

from server.auth import Caller
from server.models import Record, ScopeTotal
from server.push import apply_push
from server.records import ScopedRecords
from server.store import ServerStore
from sync.protocol import Mutation, PushRequest

_examples = itertools.count()


@pytest.fixture(scope="module")
def store(module_server_database: str) -> Iterator[ServerStore]:
    opened = ServerStore.open(module_server_database)
    yield opened
    opened.close()


def counted(store: ServerStore) -> dict[tuple[str, str], tuple[int, int]]:
    """Live records and their version sum per (territory, entity), counted from records."""
    stmt = (
        select(Record.territory, Record.entity, func.count(), func.sum(Record.version))
        .where(Record.deleted_at.is_(None))
        .group_by(Record.territory, Record.entity)
    )
    with store.session() as session:
        return {(t, e): (int(n), int(s)) for t, e, n, s in session.execute(stmt)}


def kept(store: ServerStore) -> dict[tuple[str, str], tuple[int, int]]:
    """The same from ScopeTotal (rows whose records all went say 0 and 0)."""
    stmt = select(ScopeTotal.territory, ScopeTotal.entity, ScopeTotal.live, ScopeTotal.version_sum)
    with store.session() as session:
        rows = {(t, e): (int(n), int(s)) for t, e, n, s in session.execute(stmt)}
    assert all(s == 0 for n, s in rows.values() if n == 0), rows
    return {key: value for key, value in rows.items() if value[0]}


class Writes(RuleBasedStateMachine):
    """Random creates, edits, deletes, undeletes, moves and purges on two territories."""

    store: ServerStore

    accounts = Bundle("accounts")
    records = Bundle("records")  # accounts and the rows under them

    @initialize()
    def start(self) -> None:
        n = next(_examples)
        self.territories = (f"t{n}a", f"t{n}b")
        self.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
        self.client_id = uuid.uuid4()
        self.mutation_ids = itertools.count(1)

    def clock(self) -> datetime:
        return self.now

    def _push(self, *mutations: Mutation) -> list[str]:
        caller = Caller(1, "ana", self.client_id, frozenset(self.territories))
        request = PushRequest(client_id=self.client_id, mutations=list(mutations))
        return [r.status for r in apply_push(self.store, caller, request, self.clock).results]

    def _mutation(self, entity: str, op: str, record_id: uuid.UUID, **fields: Any) -> Mutation:
        return Mutation(
            mutation_id=next(self.mutation_ids),
            entity=entity,
            op=op,  # type: ignore[arg-type]
            id=record_id,
            fields=fields,
        )

    @rule(targets=(accounts, records), second=st.booleans(), by_push=st.booleans())
    def create_account(self, second: bool, by_push: bool) -> uuid.UUID:
        account_id, territory = uuid.uuid4(), self.territories[second]
        fields = {"name": "Acme", "territory": territory}
        if by_push:
            assert self._push(self._mutation("account", "create", account_id, **fields)) == [
                "applied"
            ]
        else:  # as the importer and the demo command write
            with self.store.session() as session:
                ScopedRecords(session, frozenset(self.territories), self.clock).create(
                    "account", account_id, territory, fields
                )
        return account_id

    @rule(target=records, account=accounts, entity=st.sampled_from(["contact", "visit_note"]))
    def create_child(self, account: uuid.UUID, entity: str) -> uuid.UUID:
        """Under a deleted account too: the push brings the account back."""
        child_id = uuid.uuid4()
        fields = {"account_id": str(account), "body" if entity == "visit_note" else "city": "x"}
        self._push(self._mutation(entity, "create", child_id, **fields))
        return child_id

    @rule(record=records, text=st.text(max_size=5))
    def edit(self, record: uuid.UUID, text: str) -> None:
        entity = self._entity(record)
        if entity is not None:
            self._push(self._mutation(entity, "set_fields", record, city=text))

    @rule(record=records)
    def delete(self, record: uuid.UUID) -> None:
        entity = self._entity(record)
        if entity is not None:
            self._push(self._mutation(entity, "delete", record))

    @rule(record=records)
    def undelete(self, record: uuid.UUID) -> None:
        """As an admin's fix would: the record's save with deleted_at cleared."""
        with self.store.session() as session:
            records = ScopedRecords(session, frozenset(self.territories), self.clock)
            records.lock_for_writing()
            for entity in ("account", "contact", "visit_note"):
                found = records.get(entity, record)
                if found is not None and found.deleted_at is not None:
                    found.deleted_at = None
                    records.save(found)

    @rule(account=accounts)
    def move(self, account: uuid.UUID) -> None:
        """To the other territory, with its rows following it (the push's own path)."""
        with self.store.session() as session:
            found = session.get(Record, ("account", account))
        if found is None:
            return  # removed by hand
        other = self.territories[found.territory == self.territories[0]]
        self._push(self._mutation("account", "set_fields", account, territory=other))

    @rule(days=st.integers(min_value=0, max_value=3))
    def purge(self, days: int) -> None:
        self.now += timedelta(days=days)
        with self.store.session() as session:
            ScopedRecords(session, frozenset(), self.clock).purge_tombstones(self.now)

    @rule(record=records, live=st.booleans())
    def by_hand(self, record: uuid.UUID, live: bool) -> None:
        """A fix made in SQL, bypassing the app: a record deleted or revived outright."""
        with self.store.session() as session:
            if live:
                session.execute(update(Record).where(Record.id == record).values(deleted_at=None))
            else:
                session.execute(delete(Record).where(Record.id == record))

    def _entity(self, record: uuid.UUID) -> str | None:
        with self.store.session() as session:
            return session.scalar(select(Record.entity).where(Record.id == record))

    @invariant()
    def totals_match_the_records(self) -> None:
        if hasattr(self, "territories"):
            assert kept(self.store) == counted(self.store)


def test_scope_totals_equal_counting_the_records(store: ServerStore) -> None:
    Writes.store = store
    run_state_machine_as_test(
        Writes,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_the_migration_counts_what_is_there(tmp_path: Any) -> None:
    """Totals for records written before the table existed (a server upgraded to it)."""
    from alembic import command
    from alembic.config import Config

    from server.store import create_server_engine, database_url_for

    engine = create_server_engine(database_url_for(tmp_path))
    config = Config()
    config.set_main_option("script_location", "server:migrations")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "s0005_ingest")
    store = ServerStore(engine)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    with store.session() as session:
        records = ScopedRecords(session, frozenset({"north"}), lambda: now)
        for number in range(5):
            record = records.create("account", uuid.uuid4(), "north", {"n": number})
            if number == 2:
                record.deleted_at = now
                records.save(record)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    try:
        assert kept(store) == counted(store) == {("north", "account"): (4, 1 + 2 + 5 + 6)}
        with engine.begin() as conn:  # and back: the table and its triggers go
            config.attributes["connection"] = conn
            command.downgrade(config, "s0005_ingest")
            command.upgrade(config, "head")
        assert kept(store) == counted(store)
    finally:
        store.close()
