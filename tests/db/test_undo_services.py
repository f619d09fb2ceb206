"""Undo in a real store: a lead's decision taken back and a ladder move taken back, each
written like any local edit (the row and its outbox entry), refused in plain words when
it no longer applies."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import db.field.ladder
from db.edits import LocalEditor
from db.field.ladder import Ladder, LadderError
from db.field.leads import LeadDesk, LeadError
from db.profiles.book import USERNAME
from db.store.local_store import Store
from db.store.models import Account, LadderChange, Lead, OutboxEntry, SyncState
from sync.enums import LadderRung, LeadOutcome, LeadStatus, RejectReason
from tests.helpers.factories import add_account


@pytest.fixture
def acme(store: Store) -> uuid.UUID:
    with store.session() as session:
        session.add(SyncState(key=USERNAME, value="ana"))
    return add_account(store, "Acme Logistics", ladder_rung=LadderRung.CUSTOMER)


@pytest.fixture
def lead_id(store: Store, acme: uuid.UUID) -> uuid.UUID:
    made, _ = LocalEditor(store).create(
        "lead",
        account_id=acme,
        campaign="webinar",
        score=70,
        handed_over_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
    )
    return made


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Moves a minute apart, so which one is newest never depends on the clock's grain."""
    times = iter(datetime(2026, 3, 2, 9, tzinfo=UTC) + timedelta(minutes=i) for i in range(20))
    monkeypatch.setattr(db.field.ladder, "utc_now", lambda: next(times))
    yield


def outbox(store: Store) -> list[OutboxEntry]:
    with store.reading() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))


def the_lead(store: Store, lead_id: uuid.UUID) -> Lead:
    with store.reading() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        session.expunge(lead)
        return lead


# -- leads ---------------------------------------------------------------------------------


def test_undoing_an_accept_puts_the_lead_back_to_new_and_queues_it(
    store: Store, lead_id: uuid.UUID
) -> None:
    desk = LeadDesk(store)
    desk.accept(lead_id, "Good fit")
    queued = len(outbox(store))

    changes = desk.undo_decision(lead_id)

    assert changes.touches("lead") and changes.ids == {lead_id}
    lead = the_lead(store, lead_id)
    assert lead.status is LeadStatus.NEW
    assert (lead.reject_reason, lead.decision_note, lead.decided_at, lead.decided_by) == (
        None,
        None,
        None,
        None,
    )
    (entry,) = outbox(store)[queued:]
    assert (entry.entity, entry.op, entry.entity_id) == ("lead", "set_fields", lead_id)
    assert entry.fields == {
        "status": "new",
        "decision_note": None,
        "decided_at": None,
        "decided_by": None,
    }  # reject_reason was already empty: nothing to send for it
    assert entry.base["status"] == "accepted" and entry.base["decided_by"] == "ana"
    assert [r.id for r in desk.leads()] == [lead_id]  # waiting for the rep again


def test_undoing_a_reject_clears_its_reason_and_note(store: Store, lead_id: uuid.UUID) -> None:
    desk = LeadDesk(store)
    desk.reject(lead_id, RejectReason.NO_BUDGET, "frozen until 2028")
    assert desk.leads() == []

    desk.undo_decision(lead_id)

    (row,) = desk.leads()
    assert (row.status, row.reject_reason, row.decision_note) == (LeadStatus.NEW, None, None)
    entry = outbox(store)[-1]
    assert entry.fields["status"] == "new" and entry.fields["reject_reason"] is None
    assert entry.base["reject_reason"] == "no_budget"


def test_a_new_lead_has_nothing_to_undo_and_one_with_an_outcome_refuses(
    store: Store, lead_id: uuid.UUID
) -> None:
    desk = LeadDesk(store)
    queued = len(outbox(store))
    assert not desk.undo_decision(lead_id)  # nothing written
    assert len(outbox(store)) == queued

    desk.accept(lead_id)
    desk.record_outcome(lead_id, LeadOutcome.WON)
    with pytest.raises(LeadError, match="already has an outcome"):
        desk.undo_decision(lead_id)
    assert the_lead(store, lead_id).status is LeadStatus.ACCEPTED


# -- the ladder ----------------------------------------------------------------------------


def rung_of(store: Store, account_id: uuid.UUID) -> LadderRung:
    with store.reading() as session:
        account = session.get(Account, account_id)
        assert account is not None
        return account.ladder_rung


def test_undoing_a_move_sets_the_rung_back_and_deletes_the_step(
    store: Store, acme: uuid.UUID
) -> None:
    ladder = Ladder(store)
    change_id, moved = ladder.record_move(acme, LadderRung.CLIENT, "Signed")
    assert moved.ids == {acme, change_id}
    queued = len(outbox(store))

    changes = ladder.undo_move(change_id)

    assert changes.touches("account") and changes.touches("ladder_change")
    assert rung_of(store, acme) is LadderRung.CUSTOMER
    assert ladder.history(acme) == []  # no second step: the move is gone
    with store.reading() as session:
        step = session.get(LadderChange, change_id)
        assert step is not None and step.deleted_at is not None  # a tombstone that syncs
    entries = outbox(store)[queued:]
    assert [(e.entity, e.op, e.entity_id) for e in entries] == [
        ("account", "set_fields", acme),
        ("ladder_change", "delete", change_id),
    ]
    assert entries[0].fields == {"ladder_rung": "customer"}
    assert entries[0].base == {"ladder_rung": "client"}


def test_undoing_a_move_is_one_transaction(
    store: Store, acme: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    ladder = Ladder(store)
    change_id, _ = ladder.record_move(acme, LadderRung.CLIENT, "Signed")
    queued = len(outbox(store))

    def broken(*_args: object) -> bool:
        raise OSError("disk full")

    monkeypatch.setattr(db.field.ladder, "delete_row", broken)
    with pytest.raises(OSError):
        ladder.undo_move(change_id)
    assert rung_of(store, acme) is LadderRung.CLIENT  # the rung was rolled back too
    assert len(outbox(store)) == queued


@pytest.mark.usefixtures("clock")
def test_only_the_newest_move_still_standing_can_be_undone(store: Store, acme: uuid.UUID) -> None:
    ladder = Ladder(store)
    first, _ = ladder.record_move(acme, LadderRung.CLIENT, "Signed")
    ladder.move(acme, LadderRung.PARTNER, "Joint offering")
    with pytest.raises(LadderError, match="has moved on the ladder since"):
        ladder.undo_move(first)
    ladder.move(acme, LadderRung.CLIENT, "Offering paused")  # back where `first` put it
    with pytest.raises(LadderError, match="has moved on the ladder since"):
        ladder.undo_move(first)
    assert len(ladder.history(acme)) == 3

    last, _ = ladder.record_move(acme, LadderRung.ADVOCATE, "Spoke at our user day")
    ladder.undo_move(last)
    with pytest.raises(LadderError, match="already taken back"):
        ladder.undo_move(last)
    assert rung_of(store, acme) is LadderRung.CLIENT
    assert [s.reason for s in ladder.history(acme)] == [
        "Offering paused",
        "Joint offering",
        "Signed",
    ]
