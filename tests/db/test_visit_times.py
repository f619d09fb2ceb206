"""A new note written at the first keystroke (its draft writes nothing), and the visit's
check-in and check-out times corrected as an edit that syncs, or refused in words."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

import db.edits
from db.field.notes import NoteBook, NoteError
from db.store.local_store import Store
from db.store.models import OutboxEntry, Task, VisitNote
from db.store.types import utc_now
from tests.helpers.factories import add_account, add_contact, add_meeting


@pytest.fixture
def acme(store: Store) -> uuid.UUID:
    return add_account(store, "Acme Logistics")


@pytest.fixture
def book(store: Store) -> NoteBook:
    return NoteBook(store)


def outbox(store: Store) -> list[OutboxEntry]:
    with store.reading() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))


def note_count(store: Store) -> int:
    with store.reading() as session:
        return session.scalar(select(func.count()).select_from(VisitNote)) or 0


def visit(book: NoteBook, acme: uuid.UUID) -> tuple[uuid.UUID, datetime, datetime]:
    """A note checked in yesterday at 9:00 and out at 10:00 (UTC)."""
    note_id, _ = book.start(acme)
    day = (utc_now() - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    book.check_in(note_id, day)
    book.check_out(note_id, day + timedelta(hours=1))
    return note_id, day, day + timedelta(hours=1)


# -- a new note ------------------------------------------------------------------------------


def test_a_draft_is_the_template_and_writes_nothing(
    store: Store, book: NoteBook, acme: uuid.UUID
) -> None:
    zoe = add_contact(store, acme, "Zoë", "Núñez")
    meeting = add_meeting(store, acme, datetime(2026, 11, 24, 9, tzinfo=UTC), "Renewal", (zoe,))
    draft = book.draft(acme, meeting)
    assert (draft.account_id, draft.meeting_id, draft.account_name) == (
        acme,
        meeting,
        "Acme Logistics",
    )
    assert draft.body.startswith("## Visit report: Acme Logistics — Renewal, Tue 24 Nov 2026")
    assert "Zoë Núñez" in draft.body
    assert draft.meeting_label is not None and draft.meeting_label.startswith("Renewal, ")
    assert note_count(store) == 0 and outbox(store) == []
    assert book.for_meeting(meeting) is None


def test_a_draft_of_a_deleted_account_is_refused(
    store: Store, book: NoteBook, acme: uuid.UUID
) -> None:
    db.edits.LocalEditor(store).delete("account", acme)
    with pytest.raises(NoteError, match="account was deleted"):
        book.draft(acme)


def test_creating_writes_one_row_with_what_was_typed_and_one_outbox_create(
    store: Store, book: NoteBook, acme: uuid.UUID
) -> None:
    meeting = add_meeting(store, acme, utc_now(), "Renewal")
    draft = book.draft(acme, meeting)
    body = draft.body + "\nWants a pilot.\n\n- [ ] Send the SLA draft\n"
    note_id, changes = book.create(draft, body)
    assert changes.touches("visit_note") and changes.touches("task")
    view = book.note(note_id)
    assert view is not None and view.body == body and view.meeting_id == meeting
    assert book.for_meeting(meeting) == note_id
    notes = [e for e in outbox(store) if e.entity == "visit_note"]
    assert [(e.op, e.entity_id) for e in notes] == [("create", note_id)]
    assert notes[0].fields["body"] == body and notes[0].fields["check_in_at"] is None
    with store.reading() as session:  # its checkbox is a follow-up, in the same write
        assert [t.title for t in session.scalars(select(Task))] == ["Send the SLA draft"]


def test_creating_with_a_check_in_is_one_write(
    store: Store, book: NoteBook, acme: uuid.UUID
) -> None:
    arrived = utc_now().replace(microsecond=0)
    draft = book.draft(acme)
    note_id, _ = book.create(draft, draft.body, check_in_at=arrived)
    view = book.note(note_id)
    assert view is not None and view.check_in_at == arrived and view.check_out_at is None
    (created,) = outbox(store)
    assert created.op == "create" and created.fields["check_in_at"] == arrived.isoformat()


def test_creating_is_all_or_nothing(
    store: Store, book: NoteBook, acme: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_queue(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    draft = book.draft(acme)
    monkeypatch.setattr(db.edits, "_queue", broken_queue)
    with pytest.raises(OSError):
        book.create(draft, "typed")
    assert note_count(store) == 0


def test_a_meeting_whose_note_arrived_meanwhile_gets_a_second_one_not_an_overwrite(
    store: Store, book: NoteBook, acme: uuid.UUID
) -> None:
    meeting = add_meeting(store, acme, utc_now(), "Renewal")
    draft = book.draft(acme, meeting)
    tablets, _ = book.start(acme, meeting)  # say, from the rep's tablet by a sync
    book.save(tablets, "Typed on the tablet")
    mine, _ = book.create(draft, "Typed on the laptop")
    assert mine != tablets
    for note_id, text in ((tablets, "Typed on the tablet"), (mine, "Typed on the laptop")):
        view = book.note(note_id)
        assert view is not None and view.body == text


def test_creating_for_an_account_deleted_meanwhile_is_refused(
    store: Store, book: NoteBook, acme: uuid.UUID
) -> None:
    draft = book.draft(acme)
    db.edits.LocalEditor(store).delete("account", acme)
    count = len(outbox(store))
    with pytest.raises(NoteError, match="account was deleted"):
        book.create(draft, "typed")
    assert note_count(store) == 0 and len(outbox(store)) == count


# -- correcting the times -------------------------------------------------------------------


def test_corrected_times_are_stored_and_queued_to_sync(
    store: Store, book: NoteBook, acme: uuid.UUID
) -> None:
    note_id, arrived, left = visit(book, acme)
    really_arrived = arrived - timedelta(minutes=20)
    changes = book.correct_times(note_id, really_arrived, left)
    assert changes.touches("visit_note")
    view = book.note(note_id)
    assert view is not None and (view.check_in_at, view.check_out_at) == (really_arrived, left)
    last = outbox(store)[-1]
    assert (last.op, last.entity_id) == ("set_fields", note_id)
    assert last.fields == {"check_in_at": really_arrived.isoformat()}  # only what changed
    assert last.base == {"check_in_at": arrived.isoformat()}  # for the server's merge


def test_a_time_can_be_taken_back(store: Store, book: NoteBook, acme: uuid.UUID) -> None:
    note_id, arrived, _ = visit(book, acme)
    book.correct_times(note_id, arrived, None)
    view = book.note(note_id)
    assert view is not None and view.check_in_at == arrived and view.check_out_at is None
    assert outbox(store)[-1].fields == {"check_out_at": None}


def test_the_same_times_write_nothing(store: Store, book: NoteBook, acme: uuid.UUID) -> None:
    note_id, arrived, left = visit(book, acme)
    count = len(outbox(store))
    assert not book.correct_times(note_id, arrived, left)
    assert len(outbox(store)) == count


@pytest.mark.parametrize(
    ("shift_in", "shift_out", "says"),
    [
        (timedelta(0), timedelta(hours=-2), "is before the check-in"),
        (timedelta(days=3), None, "check-in time .* is in the future"),
        (timedelta(0), timedelta(days=3), "check-out time .* is in the future"),
        (timedelta(days=-365 * 40), None, "too long ago"),
    ],
)
def test_impossible_times_are_refused_in_words_and_nothing_is_written(
    store: Store,
    book: NoteBook,
    acme: uuid.UUID,
    shift_in: timedelta,
    shift_out: timedelta | None,
    says: str,
) -> None:
    note_id, arrived, left = visit(book, acme)
    count = len(outbox(store))
    check_out = left if shift_out is None else left + shift_out
    with pytest.raises(NoteError, match=says):
        book.correct_times(note_id, arrived + shift_in, check_out)
    view = book.note(note_id)
    assert view is not None and (view.check_in_at, view.check_out_at) == (arrived, left)
    assert len(outbox(store)) == count


def test_a_time_without_a_zone_is_a_bug_not_a_refusal(
    store: Store, book: NoteBook, acme: uuid.UUID
) -> None:
    note_id, arrived, _ = visit(book, acme)
    with pytest.raises(ValueError, match="time zone"):
        book.correct_times(note_id, arrived.replace(tzinfo=None), None)


def test_a_deleted_notes_times_cannot_be_corrected(
    store: Store, book: NoteBook, acme: uuid.UUID
) -> None:
    note_id, arrived, left = visit(book, acme)
    db.edits.LocalEditor(store).delete("visit_note", note_id)
    with pytest.raises(NoteError, match="deleted"):
        book.correct_times(note_id, arrived, left + timedelta(minutes=5))
