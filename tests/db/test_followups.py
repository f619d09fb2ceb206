"""Follow-ups in a real store: soonest due first with overdue ones flagged, added by hand
with their outbox entry, ticked off here and in the note they came from."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from db.field.followups import FollowUpError, FollowUps
from db.field.notes import NoteBook, with_ticked
from db.store.local_store import Store
from db.store.models import OutboxEntry
from tests.helpers.factories import add_account, add_contact

TODAY = date(2026, 11, 23)


@pytest.fixture
def acme(store: Store) -> uuid.UUID:
    return add_account(store, "Acme Logistics")


def test_soonest_first_undated_last_overdue_flagged(store: Store, acme: uuid.UUID) -> None:
    follow_ups = FollowUps(store)
    zoe = add_contact(store, acme, "Zoë", "Núñez")
    follow_ups.add(acme, "Undated")
    follow_ups.add(acme, "Next week", date(2026, 11, 30), zoe)
    follow_ups.add(acme, "Late", date(2026, 11, 20))
    follow_ups.add(acme, "Today", TODAY)
    rows = follow_ups.mine(TODAY)
    assert [(r.title, r.overdue) for r in rows] == [
        ("Late", True),
        ("Today", False),
        ("Next week", False),
        ("Undated", False),
    ]
    assert rows[2].contact_name == "Zoë Núñez" and rows[2].account_name == "Acme Logistics"
    with store.reading() as session:
        entries = session.scalars(select(OutboxEntry).where(OutboxEntry.entity == "task")).all()
    assert len(entries) == 4 and {e.op for e in entries} == {"create"}


def test_done_ones_leave_the_list_unless_asked_for(store: Store, acme: uuid.UUID) -> None:
    follow_ups = FollowUps(store)
    task_id, _ = follow_ups.add(acme, "Call IT", date(2026, 11, 1))
    assert follow_ups.set_done(task_id, True)
    assert follow_ups.mine(TODAY) == []
    (done,) = follow_ups.mine(TODAY, include_done=True)
    assert done.done and not done.overdue  # a done one is never overdue
    assert not follow_ups.set_done(task_id, True)  # nothing changed, nothing written


@pytest.mark.parametrize(
    ("title", "contact", "message"),
    [("   ", False, "say what"), ("x" * 301, False, "at most 300"), ("Fine", True, "not at")],
)
def test_refusals_in_plain_words(
    store: Store, acme: uuid.UUID, title: str, contact: bool, message: str
) -> None:
    elsewhere = add_contact(store, add_account(store, "Other"), "Ann", "Archer")
    with pytest.raises(FollowUpError, match=message):
        FollowUps(store).add(acme, title, contact_id=elsewhere if contact else None)


def test_ticking_off_a_notes_promise_ticks_the_note(store: Store, acme: uuid.UUID) -> None:
    book = NoteBook(store)
    note_id, _ = book.start(acme)
    book.save(note_id, "Next:\n\n- [ ] Send the SLA draft\n- [ ] Call IT\n")
    follow_ups = FollowUps(store)
    sla = next(r for r in follow_ups.mine(TODAY) if r.title == "Send the SLA draft")
    assert sla.note_id == note_id
    follow_ups.set_done(sla.id, True)
    view = book.note(note_id)
    assert view is not None
    assert view.body == "Next:\n\n- [x] Send the SLA draft\n- [ ] Call IT\n"
    follow_ups.set_done(sla.id, False)
    assert book.note(note_id).body.count("- [ ]") == 2  # type: ignore[union-attr]


def test_with_ticked_leaves_other_lines_alone() -> None:
    body = "* [ ] Call IT\n- [ ] call it twice?\n  - [X] Send (due 2026-12-01)\n"
    assert with_ticked(body, "call it", True) == body.replace("* [ ]", "* [x]", 1)
    assert with_ticked(body, "SEND", False) == body.replace("[X]", "[ ]")
    assert with_ticked(body, "nothing like it", True) == body
