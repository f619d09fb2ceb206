"""The profile counts the store keeps (profile_count) and the paged completeness list: the
counts equal a fresh count of the answers after any mix of writes, and every page of every
order holds the rows the full list holds, in that order."""

from __future__ import annotations

import datetime as dt
import importlib
import random
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select, text

from db.profiles.book import ProfileBook
from db.profiles.definition import load_definition
from db.profiles.tiers import (
    KEY_DEAL_ROLES,
    CompletenessSort,
    ProfileTier,
    TerritoryProfileRow,
    TierRule,
    counted,
    is_key_contact,
    key,
)
from db.store.bulk_indexes import defer_indexes, restore_indexes
from db.store.local_store import Store
from db.store.models import Account, Contact, ProfileAnswer
from sync.entities import answer_id
from sync.enums import DealRole
from tests.helpers.factories import add_account, add_contact
from tests.helpers.profile_answers import answer_to
from tests.helpers.profile_counts import kept, recounted, tier_totals, tiers_counted

DEFINITION = load_definition()
RULE = TierRule.of(DEFINITION)
KEY_IDS = [q.id for q in key(DEFINITION)]
PLAIN = [q.id for q in counted(DEFINITION) if q.id not in KEY_IDS and not q.sensitive]
# Key and plain questions, one the contact record answers (never counted), one unknown.
QUESTIONS = KEY_IDS[:9] + PLAIN[:9] + ["name", "added_in_version_9"]
ROLES: list[DealRole | None] = [*DealRole, None]
WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

WRITES = st.lists(
    st.tuples(
        st.sampled_from(
            ["answer", "answer", "answer", "clear", "delete", "undelete", "purge", "move"]
            + ["contact", "drop_contact", "undrop_contact", "purge_contact", "role"]
            + ["close_account", "reopen_account", "move_contact"]
        ),
        st.integers(0, 40),
        st.integers(0, len(QUESTIONS) - 1),
    ),
    max_size=60,
)


def _answer(session: Any, contact_id: uuid.UUID, question_id: str) -> ProfileAnswer | None:
    return session.get(ProfileAnswer, answer_id(contact_id, question_id))


def _write(store: Store, contacts: list[uuid.UUID], kind: str, n: int, q: int) -> None:
    with store.session() as session:
        accounts = list(session.scalars(select(Account.id).order_by(Account.name)))
        if kind == "contact" or not contacts:
            account = accounts[n % len(accounts)]
            role = ROLES[n % len(ROLES)]
            contact = Contact(account_id=account, first_name="P", last_name=f"N{n}", deal_role=role)
            session.add(contact)
            session.flush()
            contacts.append(contact.id)
            return
        chosen, question_id = contacts[n % len(contacts)], QUESTIONS[q]
        row = _answer(session, chosen, question_id)
        if kind == "answer":
            if row is None:
                person = session.get_one(Contact, chosen)
                session.add(
                    ProfileAnswer(
                        id=answer_id(chosen, question_id),
                        account_id=person.account_id,
                        contact_id=chosen,
                        question_id=question_id,
                        value=f"said {n}",
                    )
                )
            else:
                row.value, row.deleted_at = f"said {n}", None
        elif kind == "clear" and row is not None:
            row.value = None
        elif kind == "delete" and row is not None:
            row.deleted_at = WHEN
        elif kind == "undelete" and row is not None:
            row.deleted_at = None
        elif kind == "purge" and row is not None:
            session.delete(row)
        elif kind == "move" and row is not None:
            other = contacts[(n + 1) % len(contacts)]
            if _answer(session, other, question_id) is None:
                row.contact_id = other
        elif kind == "drop_contact":
            session.get_one(Contact, chosen).deleted_at = WHEN
        elif kind == "undrop_contact":
            session.get_one(Contact, chosen).deleted_at = None
        elif kind == "role":
            session.get_one(Contact, chosen).deal_role = ROLES[q % len(ROLES)]
        elif kind == "move_contact":
            session.get_one(Contact, chosen).account_id = accounts[q % len(accounts)]
        elif kind in ("close_account", "reopen_account"):
            closed = WHEN if kind == "close_account" else None
            session.get_one(Account, accounts[q % len(accounts)]).deleted_at = closed
        elif kind == "purge_contact":
            session.execute(
                text("DELETE FROM profile_answer WHERE contact_id = :id"), {"id": chosen.hex}
            )
            session.execute(text("DELETE FROM contact WHERE id = :id"), {"id": chosen.hex})
            contacts.remove(chosen)


@settings(max_examples=40, deadline=None)
@given(writes=WRITES)
def test_the_counts_follow_every_write(tmp_path_factory, writes) -> None:  # type: ignore[no-untyped-def]
    store = Store.open(tmp_path_factory.mktemp("counts") / "data")
    try:
        account = add_account(store, "Acme Logistics")
        add_account(store, "Borealis Freight")
        contacts = [add_contact(store, account, "Ann", f"Lee{n}") for n in range(3)]
        for kind, n, q in writes:
            _write(store, contacts, kind, n, q)
        assert kept(store) == recounted(store)
        assert tier_totals(store) == tiers_counted(store)
    finally:
        store.close()


@settings(max_examples=25, deadline=None)
@given(before=WRITES, meanwhile=WRITES)
def test_the_counts_set_aside_for_a_download_are_recounted(  # type: ignore[no-untyped-def]
    tmp_path_factory, before, meanwhile
) -> None:
    """A first download sets the answers' triggers aside (db.store.bulk_indexes); whatever
    was written meanwhile, the counts are right once they are back, counted afresh or
    when the store is next opened (a download that stopped midway)."""
    folder = tmp_path_factory.mktemp("aside") / "data"
    store = Store.open(folder)
    account = add_account(store, "Acme Logistics")
    add_account(store, "Borealis Freight")
    contacts = [add_contact(store, account, "Ann", f"Lee{n}") for n in range(3)]
    for kind, n, q in before:
        _write(store, contacts, kind, n, q)
    with store.session() as session:
        defer_indexes(session)
    for kind, n, q in meanwhile:
        _write(store, contacts, kind, n, q)
    assert _answer_triggers(store) == set()
    if len(meanwhile) % 2:
        with store.session() as session:
            restore_indexes(session)
    else:
        store.close()
        store = Store.open(folder)
    try:
        assert _answer_triggers(store) == {
            "profile_count_ai",
            "profile_count_au",
            "profile_count_ad",
        }
        assert kept(store) == recounted(store)
        assert tier_totals(store) == tiers_counted(store)
    finally:
        store.close()


def _answer_triggers(store: Store) -> set[str]:
    with store.reading() as session:
        found = session.execute(
            text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                " AND tbl_name = 'profile_answer' AND name LIKE 'profile_count%'"
            )
        )
        return set(found.scalars())


def test_the_migration_counts_what_the_definition_counts() -> None:
    """The triggers embed the packaged definition's questions and thresholds: a definition
    that changes them needs a new migration (this test says so)."""
    migration = importlib.import_module("db.store.migrations.versions.0016_profile_counts")
    assert [q.id for q in counted(DEFINITION)] == migration.COUNTED_IDS
    assert migration.KEY_IDS == KEY_IDS
    assert sorted(role.value for role in KEY_DEAL_ROLES) == migration.KEY_ROLES
    assert (
        RULE.useful_key,
        RULE.rich_key,
        RULE.rich_all,
    ) == (migration.USEFUL_KEY, migration.RICH_KEY, migration.RICH_ALL)


def test_the_migration_counts_the_answers_already_stored(store: Store) -> None:
    """A store from before the counts gets them, and its contacts' zeros, on upgrade."""
    account = add_account(store, "Acme Logistics")
    contacts = [add_contact(store, account, "Ann", f"Lee{n}") for n in range(6)]
    writes = random.Random(7)
    for _ in range(60):
        _write(store, contacts, "answer", writes.randrange(40), writes.randrange(len(QUESTIONS)))
    migration = importlib.import_module("db.store.migrations.versions.0016_profile_counts")
    with store.engine.begin() as conn:
        for statement in migration.DROP:
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql(migration.TABLE)
        conn.exec_driver_sql(migration.BACKFILL)
    assert kept(store) == recounted(store)
    assert len(kept(store)) == 6


# -- the paged list ------------------------------------------------------------------------

SORTS = list(CompletenessSort)


@pytest.fixture
def territory(store: Store) -> dict[uuid.UUID, str]:
    """Forty contacts over accounts (two with one name, one deleted) with random roles and
    answers, one contact deleted; their last names by id."""
    shuffle = random.Random(18)
    accounts = [add_account(store, name) for name in ("Brightwater", "acme", "Acme", "Cobalt")]
    gone = add_account(store, "Gone GmbH", deleted_at=WHEN)
    lasts: dict[uuid.UUID, str] = {}
    book = ProfileBook(store)
    for _n in range(40):
        last = shuffle.choice(["Lee", "Archer", "baker", "Young"])
        contact = add_contact(
            store,
            shuffle.choice(accounts),
            shuffle.choice(["Ann", "bob", "Cem"]),
            last,
            deal_role=shuffle.choice(ROLES),
        )
        lasts[contact] = last
        for question_id in shuffle.sample(KEY_IDS + PLAIN, shuffle.choice([0, 0, 2, 7, 12, 20])):
            book.set_answer(contact, question_id, answer_to(question_id))
    add_contact(store, gone, "Ann", "Gone")
    dropped = add_contact(store, accounts[0], "Ann", "Dropped")
    book.set_answer(dropped, KEY_IDS[0], "said")
    with store.session() as session:
        session.get_one(Contact, dropped).deleted_at = WHEN
    return lasts


def reference(
    rows: list[TerritoryProfileRow],
    lasts: dict[uuid.UUID, str],
    sort: CompletenessSort,
    descending: bool,
) -> list[TerritoryProfileRow]:
    """The full list's rows in the order completeness_page promises."""
    counts = {
        CompletenessSort.TIER: lambda r: (r.tier.rank, r.key_answered, r.answered, r.contact_id),
        CompletenessSort.KEY_ANSWERED: lambda r: (r.key_answered, r.contact_id),
        CompletenessSort.ANSWERED: lambda r: (r.answered, r.contact_id),
    }
    if sort in counts:
        return sorted(rows, key=counts[sort], reverse=descending)
    names = sorted(
        rows, key=lambda r: (r.account_name.lower(), lasts[r.contact_id].lower(), r.contact_id)
    )
    first = {
        CompletenessSort.ACCOUNT: lambda r: r.account_name.lower(),
        CompletenessSort.CONTACT: lambda r: r.contact_name.lower(),
        CompletenessSort.ROLE: lambda r: r.deal_role.label.casefold() if r.deal_role else "",
    }[sort]
    return sorted(names, key=first, reverse=descending)  # stable: ties keep the names' order


@pytest.mark.parametrize("kept_counts", [True, False], ids=["kept", "counted"])
def test_every_page_of_every_order_is_the_full_list_s(
    store: Store, territory: dict[uuid.UUID, str], kept_counts: bool
) -> None:
    book = ProfileBook(store)
    # False: the counts another definition gets, counted from the answers' index.
    book._counts_kept = kept_counts
    everyone = book.territory_completeness()
    assert len(everyone) == 40
    for key_only in (False, True):
        listed = [r for r in everyone if r.key_contact] if key_only else everyone
        for sort in SORTS:
            for descending in (False, True):
                paged: list[TerritoryProfileRow] = []
                while page := book.completeness_page(
                    key_only=key_only,
                    sort=sort,
                    descending=descending,
                    offset=len(paged),
                    limit=7,
                ):
                    paged.extend(page)
                expected = reference(listed, territory, sort, descending)
                assert paged == expected, (sort, descending, key_only)
        tiers = {tier: sum(r.tier is tier for r in listed) for tier in ProfileTier}
        assert book.completeness_counts(key_only=key_only) == tiers
        assert all(is_key_contact(r.deal_role) for r in listed) or not key_only


def _plans(store: Store, run: Any) -> list[list[str]]:
    statements: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        statements.append((sql, params))

    event.listen(store.engine, "before_cursor_execute", remember)
    try:
        run()
    finally:
        event.remove(store.engine, "before_cursor_execute", remember)
    plans = []
    with store.engine.connect() as conn:
        for sql, params in statements:
            if "profile_count" in sql:
                plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
                plans.append([row[3] for row in plan])
    return plans


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize(
    ("sort", "index"),
    [
        (CompletenessSort.TIER, "ix_profile_count_tier"),
        (CompletenessSort.KEY_ANSWERED, "ix_profile_count_key"),
        (CompletenessSort.ANSWERED, "ix_profile_count_answered"),
    ],
)
def test_a_page_is_read_in_order_from_an_index(
    store: Store,
    territory: dict[uuid.UUID, str],
    sort: CompletenessSort,
    index: str,
    descending: bool,
) -> None:
    """No sort of the whole territory: a page's contacts come from a covering index, and
    only they are read."""
    book = ProfileBook(store)
    [plan] = _plans(
        store,
        lambda: book.completeness_page(key_only=True, sort=sort, descending=descending, limit=5),
    )
    assert any(f"COVERING INDEX {index}" in step for step in plan), plan
    assert [step for step in plan if step.startswith("SCAN")] == [
        f"SCAN profile_count USING COVERING INDEX {index}"
    ], plan
    assert not any(step.startswith("SCAN") and "profile_answer" in step for step in plan), plan


@pytest.mark.parametrize("descending", [False, True])
def test_a_page_by_account_walks_the_accounts_name_index(
    store: Store, territory: dict[uuid.UUID, str], descending: bool
) -> None:
    """Each account's contacts are sorted by name, never the whole territory's."""
    book = ProfileBook(store)
    [plan] = _plans(
        store,
        lambda: book.completeness_page(
            key_only=False, sort=CompletenessSort.ACCOUNT, descending=descending, limit=5
        ),
    )
    assert any(
        step.startswith("SCAN a USING") and "INDEX ix_account_name" in step for step in plan
    ), plan
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
