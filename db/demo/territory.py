"""Writes the deterministic demo territory (made by sync.demo.territory) into an empty store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from db.errors import StoreNotEmpty
from db.store.local_store import Store
from db.store.models import SYNCED_MODELS, Account
from sync.demo.territory import DemoSummary, DemoTerritory

# Accounts generated between two rounds of inserts: ~5k activity rows per executemany, big
# enough to amortise statement overhead, small enough to keep memory flat at 100k accounts.
BATCH_ACCOUNTS = 500
WRITE_CACHE_KIB = 256 * 1024

_TABLES: dict[str, Any] = {
    model.__tablename__: model.__table__  # type: ignore[attr-defined]
    for model in SYNCED_MODELS
}


def generate_demo(
    store: Store,
    accounts: int,
    seed: int,
    *,
    today: date,
    territory: str = "demo",
    owner_rep: str = "demo",
    progress: Callable[[float], None] | None = None,
) -> DemoSummary:
    """Writes a believable territory of `accounts` companies into an empty store.

    The same (accounts, seed, today) always writes the same rows, ids and timestamps
    included. Everything goes in one transaction, so a failure leaves the store empty.
    Raises StoreNotEmpty if the store holds any account, ValueError if accounts < 1.
    `progress`, if given, is called with fractions rising to 1.0.
    """
    if accounts < 1:
        raise ValueError(f"a demo territory needs at least one account, not {accounts}")
    report = progress or (lambda _fraction: None)
    with store.session() as session, _roomy_page_cache(session):
        _refuse_unless_empty(session)
        report(0.0)
        demo = DemoTerritory(accounts, seed, today, territory, owner_rep)
        for start in range(0, accounts, BATCH_ACCOUNTS):
            end = min(start + BATCH_ACCOUNTS, accounts)
            for entity, rows in demo.rows_of(range(start, end)):
                # Core executemany on the Table: no ORM bookkeeping per row.
                table = _TABLES[entity]
                assert isinstance(table, Table)
                session.execute(insert(table), rows)
            report(0.99 * end / accounts)  # the commit is the last step
    report(1.0)
    return demo.summary()


@contextmanager
def _roomy_page_cache(session: Session) -> Iterator[None]:
    """A big SQLite page cache while the territory is written, then the size it had.

    Random UUID keys scatter inserts over every page of every index; with SQLite's default
    2 MB cache those pages are evicted and read back again and again (10-15% of the time).
    """
    before = session.execute(text("PRAGMA cache_size")).scalar_one()
    session.execute(text(f"PRAGMA cache_size = {-WRITE_CACHE_KIB}"))
    try:
        yield
    finally:
        session.execute(text(f"PRAGMA cache_size = {int(before)}"))


def _refuse_unless_empty(session: Session) -> None:
    held = session.execute(select(func.count()).select_from(Account)).scalar_one()
    if held:
        noun = "account" if held == 1 else "accounts"
        raise StoreNotEmpty(
            f"the store already holds {held:,} {noun}; demo data goes only into an empty store"
        )
