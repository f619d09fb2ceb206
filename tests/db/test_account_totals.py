"""The live accounts per rung the store keeps: equal to a count of the table after any mix
of writes (the editor's, a pulled row's, soft and hard deletes, undeletes)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from db.accounts import AccountDirectory, live_accounts_per_rung
from db.dto import AccountQuery
from db.field.ladder import Ladder
from db.store.local_store import Store
from db.store.models import Account
from sync.enums import LadderRung
from tests.helpers.factories import add_account

RUNGS = list(LadderRung)
WRITES = st.lists(
    st.tuples(st.sampled_from(["add", "rung", "delete", "undelete", "purge"]), st.integers(0, 50)),
    max_size=40,
)


def counted(store: Store) -> dict[str, int]:
    with store.reading() as session:
        rows = session.execute(
            select(Account.ladder_rung, func.count())
            .where(Account.deleted_at.is_(None))
            .group_by(Account.ladder_rung)
        ).all()
    return {rung.value: count for rung, count in rows}


@settings(max_examples=40, deadline=None)
@given(writes=WRITES)
def test_the_totals_follow_every_write(tmp_path_factory, writes) -> None:  # type: ignore[no-untyped-def]
    store = Store.open(tmp_path_factory.mktemp("totals") / "data")
    try:
        ids = [add_account(store, f"Start {n}") for n in range(3)]
        for kind, number in writes:
            if kind == "add":
                ids.append(add_account(store, f"Acc {number}", ladder_rung=RUNGS[number % 6]))
                continue
            if not ids:
                continue
            chosen = ids[number % len(ids)]
            with store.session() as session:
                account = session.get_one(Account, chosen)
                if kind == "rung":
                    account.ladder_rung = RUNGS[number % len(RUNGS)]
                elif kind == "delete":
                    account.deleted_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
                elif kind == "undelete":
                    account.deleted_at = None
                else:
                    session.expunge(account)
                    session.execute(text("DELETE FROM account WHERE id = :id"), {"id": chosen.hex})
                    ids.remove(chosen)
        kept = {rung: live for rung, live in live_accounts_per_rung(store).items() if live}
        assert kept == counted(store)
        directory = AccountDirectory(store)
        assert directory.count(AccountQuery()) == sum(counted(store).values())
        by_rung = Ladder(store).counts(AccountQuery())
        assert {r.value: n for r, n in by_rung.items() if n} == counted(store)
    finally:
        store.close()
