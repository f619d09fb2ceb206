"""The relationship ladder in the local store: moves with their history and outbox entries,
refusals in plain words, and the counts per rung behind the account list's filter."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import db.field.ladder
from db.accounts import AccountDirectory
from db.dto import AccountQuery
from db.errors import StoreUserError
from db.field.ladder import REASON_LIMIT, Ladder, LadderError, LadderStep
from db.profiles.book import USERNAME
from db.services import LocalServices
from db.store.local_store import Store
from db.store.models import Account, LadderChange, OutboxEntry, SyncState
from sync.enums import LadderRung
from tests.helpers.factories import add_account, add_contact, add_numbered_accounts


@pytest.fixture
def acme(store: Store) -> uuid.UUID:
    return add_account(store, "Acme Logistics", ladder_rung=LadderRung.CUSTOMER)


@pytest.fixture
def ladder(store: Store) -> Ladder:
    return Ladder(store)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """Moves happen a minute apart, so their order never depends on the clock's grain."""
    times = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=i) for i in range(20)]
    given: list[datetime] = []

    def tick() -> datetime:
        given.append(times[len(given)])
        return given[-1]

    monkeypatch.setattr(db.field.ladder, "utc_now", tick)
    yield given


def outbox(store: Store) -> list[OutboxEntry]:
    with store.reading() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))


def rung_of(store: Store, account_id: uuid.UUID) -> LadderRung:
    with store.reading() as session:
        account = session.get(Account, account_id)
        assert account is not None
        return account.ladder_rung


def sign_in(store: Store, username: str) -> None:
    with store.session() as session:
        session.add(SyncState(key=USERNAME, value=username))


def test_a_move_writes_rung_history_and_their_outbox_entries(
    store: Store, ladder: Ladder, acme: uuid.UUID
) -> None:
    before = datetime.now(UTC)
    changes = ladder.move(acme, LadderRung.CLIENT, "  Signed the three-year frame contract. ")

    assert rung_of(store, acme) is LadderRung.CLIENT
    with store.reading() as session:
        (row,) = session.scalars(select(LadderChange))
        assert row.account_id == acme
        assert (row.from_rung, row.to_rung) == (LadderRung.CUSTOMER, LadderRung.CLIENT)
        assert row.reason == "Signed the three-year frame contract."  # trimmed
        assert row.changed_by is None  # nobody signed in yet
        assert row.changed_at.tzinfo is not None and before <= row.changed_at <= utc_later()
    assert changes.touches("account") and changes.touches("ladder_change")
    assert changes.ids == {acme, row.id}

    entries = outbox(store)
    assert [(e.entity, e.op, e.entity_id) for e in entries] == [
        ("account", "set_fields", acme),
        ("ladder_change", "create", row.id),
    ]
    assert entries[0].fields == {"ladder_rung": "client"}
    assert entries[0].base == {"ladder_rung": "customer"}  # for the server's three-way merge
    assert entries[1].fields["from_rung"] == "customer"
    assert entries[1].fields["to_rung"] == "client"
    assert entries[1].fields["account_id"] == str(acme)
    assert entries[1].fields["reason"] == "Signed the three-year frame contract."


def utc_later() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)


def test_the_move_is_one_transaction(
    store: Store, ladder: Ladder, acme: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> uuid.UUID:
        raise OSError("disk full")

    monkeypatch.setattr(db.field.ladder, "create_row", broken)
    with pytest.raises(OSError):
        ladder.move(acme, LadderRung.PARTNER, "Joint offering")
    # The rung changed first, in the same session: it was rolled back with the history.
    assert rung_of(store, acme) is LadderRung.CUSTOMER
    assert outbox(store) == []


def test_the_signed_in_user_is_who_moved_it(store: Store, ladder: Ladder, acme: uuid.UUID) -> None:
    sign_in(store, "ria")
    ladder.move(acme, LadderRung.SUPPORTER, "Recommended us to their sister company")
    (step,) = ladder.history(acme)
    assert step.changed_by == "ria"


@pytest.mark.parametrize(
    ("rung", "reason", "words"),
    [
        (LadderRung.CLIENT, "", "say why"),
        (LadderRung.CLIENT, "  \n\t ", "say why"),
        (LadderRung.CLIENT, "x" * (REASON_LIMIT + 1), f"under {REASON_LIMIT} characters"),
        (LadderRung.CUSTOMER, "No change really", "Acme Logistics is already a customer"),
    ],
)
def test_refusals_are_in_plain_words_and_write_nothing(
    store: Store, ladder: Ladder, acme: uuid.UUID, rung: LadderRung, reason: str, words: str
) -> None:
    with pytest.raises(LadderError, match=words) as refused:
        ladder.move(acme, rung, reason)
    assert isinstance(refused.value, StoreUserError)  # shown to the rep, not logged as a bug
    assert rung_of(store, acme) is LadderRung.CUSTOMER
    assert ladder.history(acme) == [] and outbox(store) == []


def test_a_reason_at_the_limit_is_kept_whole(ladder: Ladder, acme: uuid.UUID) -> None:
    ladder.move(acme, LadderRung.CLIENT, "y" * REASON_LIMIT)
    assert ladder.history(acme)[0].reason == "y" * REASON_LIMIT


def test_deleted_or_unknown_accounts_cannot_move(
    store: Store, ladder: Ladder, acme: uuid.UUID
) -> None:
    AccountDirectory(store).soft_delete(acme)
    queued = len(outbox(store))
    for account_id in (acme, uuid.uuid4()):
        with pytest.raises(LadderError, match="deleted"):
            ladder.move(account_id, LadderRung.CLIENT, "Signed")
    assert len(outbox(store)) == queued
    assert ladder.history(acme) == []


def test_history_is_newest_first_and_per_account(
    store: Store, ladder: Ladder, acme: uuid.UUID, clock: list[datetime]
) -> None:
    other = add_account(store, "Borealis Foods", ladder_rung=LadderRung.PROSPECT)
    ladder.move(acme, LadderRung.CLIENT, "Second order")
    ladder.move(other, LadderRung.CUSTOMER, "First order")
    ladder.move(acme, LadderRung.ADVOCATE, "Spoke at our user day")
    ladder.move(acme, LadderRung.SUPPORTER, "Reference call went badly")

    steps = ladder.history(acme)
    assert steps == [
        LadderStep(
            LadderRung.ADVOCATE, LadderRung.SUPPORTER, clock[3], "Reference call went badly", None
        ),
        LadderStep(LadderRung.CLIENT, LadderRung.ADVOCATE, clock[2], "Spoke at our user day", None),
        LadderStep(LadderRung.CUSTOMER, LadderRung.CLIENT, clock[0], "Second order", None),
    ]
    assert [s.is_up for s in steps] == [False, True, True]
    assert [s.reason for s in ladder.history(other)] == ["First order"]
    assert ladder.history(uuid.uuid4()) == []


def test_history_leaves_out_deleted_steps(store: Store, ladder: Ladder, acme: uuid.UUID) -> None:
    ladder.move(acme, LadderRung.CLIENT, "Signed")
    ladder.move(acme, LadderRung.SUPPORTER, "Referred a partner")
    with store.session() as session:
        first = session.scalars(select(LadderChange).where(LadderChange.reason == "Signed")).one()
        first.deleted_at = datetime.now(UTC)
    assert [s.reason for s in ladder.history(acme)] == ["Referred a partner"]


def test_counts_cover_every_rung_and_skip_deleted_accounts(store: Store, ladder: Ladder) -> None:
    add_numbered_accounts(store, 14)  # rungs take turns: 3, 3, 2, 2, 2, 2
    gone = add_account(store, "Closed Down GmbH", ladder_rung=LadderRung.PARTNER)
    AccountDirectory(store).soft_delete(gone)
    counts = ladder.counts()
    assert list(counts) == list(LadderRung)
    assert counts == {
        LadderRung.PROSPECT: 3,
        LadderRung.CUSTOMER: 3,
        LadderRung.CLIENT: 2,
        LadderRung.SUPPORTER: 2,
        LadderRung.ADVOCATE: 2,
        LadderRung.PARTNER: 2,
    }
    assert sum(counts.values()) == AccountDirectory(store).count(AccountQuery())


def test_counts_follow_the_search_text_and_ignore_the_rung_filter(
    store: Store, ladder: Ladder
) -> None:
    add_numbered_accounts(store, 12)
    acme = add_account(store, "Acme Logistics", ladder_rung=LadderRung.CLIENT)
    add_account(store, "Acme Foods", ladder_rung=LadderRung.PARTNER)
    other = add_account(store, "Borealis", ladder_rung=LadderRung.PROSPECT)
    add_contact(store, other, "Ada", "Acmeson")  # found through its contact, as the list does
    directory = AccountDirectory(store)

    expected = dict.fromkeys(LadderRung, 0)
    expected |= {LadderRung.CLIENT: 1, LadderRung.PARTNER: 1, LadderRung.PROSPECT: 1}
    assert ladder.counts("acme") == expected
    assert ladder.counts(AccountQuery(text="acme", rung=LadderRung.CLIENT)) == expected
    for rung, count in expected.items():
        assert directory.count(AccountQuery(text="acme", rung=rung)) == count
    assert ladder.counts("nothing matches this") == dict.fromkeys(LadderRung, 0)

    ladder.move(acme, LadderRung.ADVOCATE, "Keynote at our fair")
    after = ladder.counts("acme")
    assert after[LadderRung.CLIENT] == 0 and after[LadderRung.ADVOCATE] == 1


def test_the_window_gets_the_ladder_with_the_other_services(store: Store) -> None:
    assert isinstance(LocalServices.for_store(store).ladder, Ladder)


def test_standing_is_name_rung_and_history_in_one_read(
    store: Store, ladder: Ladder, acme: uuid.UUID
) -> None:
    sign_in(store, "ria")
    ladder.move(acme, LadderRung.CLIENT, "Signed")
    standing = ladder.standing(acme)
    assert standing is not None
    assert (standing.account_id, standing.name, standing.rung) == (
        acme,
        "Acme Logistics",
        LadderRung.CLIENT,
    )
    assert standing.history == tuple(ladder.history(acme))
    assert standing.history[0].changed_by == "ria"
    AccountDirectory(store).soft_delete(acme)
    assert ladder.standing(acme) is None
    assert ladder.standing(uuid.uuid4()) is None
