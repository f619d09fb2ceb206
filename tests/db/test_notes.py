"""Visit notes in a real store: the template, saving with the outbox in one transaction,
follow-ups from checkboxes, check-in and check-out, search, and the merge of two versions."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

import db.edits
from db.field.notes import NoteBook, NoteError, promises_in
from db.search import SearchIndex
from db.store.local_store import Store
from db.store.models import OutboxEntry, Task
from tests.helpers.factories import add_account, add_contact, add_meeting, add_note_conflict


@pytest.fixture
def acme(store: Store) -> uuid.UUID:
    return add_account(store, "Acme Logistics")


@pytest.fixture
def book(store: Store) -> NoteBook:
    return NoteBook(store)


def outbox(store: Store, entity: str = "visit_note") -> list[OutboxEntry]:
    with store.reading() as session:
        return list(session.scalars(select(OutboxEntry).where(OutboxEntry.entity == entity)))


def tasks(store: Store) -> list[tuple[str, date | None, bool]]:
    with store.reading() as session:
        rows = session.scalars(select(Task).where(Task.deleted_at.is_(None)).order_by(Task.title))
        return [(t.title, t.due_date, t.done) for t in rows]


def test_a_meeting_note_starts_from_the_visit_report_with_its_attendees(
    store: Store, book: NoteBook, acme: uuid.UUID
) -> None:
    zoe = add_contact(store, acme, "Zoë", "Núñez", title="Head of Procurement")
    meeting = add_meeting(store, acme, datetime(2026, 11, 24, 9, tzinfo=UTC), "Renewal", (zoe,))
    note_id, changes = book.start(acme, meeting)
    view = book.note(note_id)
    assert view is not None and changes.touches("visit_note")
    assert view.body.startswith("## Visit report: Acme Logistics — Renewal, Tue 24 Nov 2026")
    assert "**Attendees:** Zoë Núñez (Head of Procurement)" in view.body
    for heading in ("### Discussed", "### Objections", "### Next steps"):
        assert heading in view.body
    assert view.meeting_label is not None and view.meeting_label.startswith("Renewal, Tue 24 Nov")
    assert book.start(acme, meeting)[0] == note_id  # the meeting's note, not a second one
    assert book.for_meeting(meeting) == note_id


def test_an_all_day_meetings_note_names_its_day_without_a_time(
    store: Store, book: NoteBook, acme: uuid.UUID
) -> None:
    midnight = datetime(2026, 11, 24).astimezone()  # this machine's, as the app shows it
    meeting = add_meeting(
        store, acme, midnight, "Trade fair", ends_at=midnight + timedelta(days=1), all_day=True
    )
    view = book.note(book.start(acme, meeting)[0])
    assert view is not None and view.meeting_label == "Trade fair, Tue 24 Nov 2026"


def test_a_save_writes_the_note_and_its_outbox_entry_together_or_not_at_all(
    store: Store, book: NoteBook, acme: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id, _ = book.start(acme)
    book.save(note_id, "Met Zoë. Wants a pilot.")
    (created, revised) = outbox(store)
    assert (created.op, revised.op) == ("create", "revise")
    assert revised.fields == {"body": "Met Zoë. Wants a pilot."}
    book.save(note_id, "x")

    def broken_queue(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    before = [e.seq for e in outbox(store)]
    monkeypatch.setattr(db.edits, "_queue", broken_queue)
    with pytest.raises(OSError):
        book.save(note_id, "This must not half-land")
    monkeypatch.undo()
    view = book.note(note_id)
    assert view is not None and view.body == "x"
    assert [e.seq for e in outbox(store)] == before


def test_saving_the_same_text_writes_nothing(store: Store, book: NoteBook, acme: uuid.UUID) -> None:
    note_id, _ = book.start(acme)
    book.save(note_id, "Same")
    count = len(outbox(store))
    assert not book.save(note_id, "Same")
    assert len(outbox(store)) == count


def test_checkboxes_are_follow_ups_that_follow_the_note(
    store: Store, book: NoteBook, acme: uuid.UUID
) -> None:
    note_id, _ = book.start(acme)
    book.save(
        note_id, "### Next steps\n\n- [ ] Send the SLA draft (due 2026-12-01)\n- [ ] Call IT\n"
    )
    assert tasks(store) == [
        ("Call IT", None, False),
        ("Send the SLA draft", date(2026, 12, 1), False),
    ]
    book.save(note_id, "- [x] Send the SLA draft (due 2026-12-01)\n- [ ] Call IT\n")
    assert tasks(store)[1] == ("Send the SLA draft", date(2026, 12, 1), True)
    # Taken back: an open promise whose line is gone goes; a done one stays done.
    book.save(note_id, "- [x] Send the SLA draft (due 2026-12-01)\n")
    assert tasks(store) == [("Send the SLA draft", date(2026, 12, 1), True)]
    # Reopened elsewhere (the follow-ups view): typing on in the note does not undo that.
    with store.session() as session:
        task = session.scalars(select(Task).where(Task.title == "Send the SLA draft")).one()
        db.edits.change_row(session, "task", task.id, {"done": False, "done_at": None})
    book.save(note_id, "Typed on.\n\n- [x] Send the SLA draft (due 2026-12-01)\n")
    assert tasks(store) == [("Send the SLA draft", date(2026, 12, 1), False)]
    with store.reading() as session:
        assert {t.note_id for t in session.scalars(select(Task))} == {note_id}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("- [ ] Call IT", [("Call IT", None, False)]),
        ("* [X] Done\n+ [ ] Open", [("Done", None, True), ("Open", None, False)]),
        ("- [ ] Quote (due 2026-02-30)", [("Quote (due 2026-02-30)", None, False)]),
        ("- [ ] \u00a0Padded  words ", [("Padded words", None, False)]),
        ("- [ ] Twice\n- [x] twice", [("Twice", None, False)]),
        ("- plain bullet\n[ ] no dash\n- [ ]", []),
    ],
)
def test_promises_in_a_note(body: str, expected: list[tuple[str, date | None, bool]]) -> None:
    assert [(p.title, p.due, p.done) for p in promises_in(body)] == expected


def test_check_in_and_out_are_stamped_once(store: Store, book: NoteBook, acme: uuid.UUID) -> None:
    note_id, _ = book.start(acme)
    arrived = datetime(2026, 11, 24, 9, 2, tzinfo=UTC)
    assert book.check_in(note_id, arrived)
    assert book.check_out(note_id, datetime(2026, 11, 24, 10, 15, tzinfo=UTC))
    view = book.note(note_id)
    assert view is not None and view.check_in_at == arrived
    assert [e.fields for e in outbox(store)][-2:] == [
        {"check_in_at": "2026-11-24T09:02:00+00:00"},
        {"check_out_at": "2026-11-24T10:15:00+00:00"},
    ]


def test_notes_are_found_by_search(store: Store, book: NoteBook, acme: uuid.UUID) -> None:
    note_id, _ = book.start(acme)
    book.save(note_id, "They want a cold-chain pilot in Rotterdam.")
    hits = SearchIndex(store).search("rotterdam")
    assert [(h.ref_id, h.account_name) for h in hits] == [(note_id, "Acme Logistics")]


def test_a_note_rewritten_on_two_devices_is_merged_and_the_conflict_settled(
    store: Store, book: NoteBook, acme: uuid.UUID
) -> None:
    note_id, _ = book.start(acme)
    book.save(note_id, "Server's text")
    conflict_id = add_note_conflict(store, note_id, "Tablet's text")
    view = book.note(note_id)
    assert view is not None
    assert (view.other_body, view.other_by, view.conflict_id) == (
        "Tablet's text",
        "ana",
        conflict_id,
    )
    book.finish_merge(note_id, "Server's text\n\nTablet's text", conflict_id)
    view = book.note(note_id)
    assert view is not None and view.conflict_id is None
    assert view.body == "Server's text\n\nTablet's text"
    (settled,) = outbox(store, "conflict")
    assert settled.fields == {"resolved": True, "resolution": "merged"}


def test_a_deleted_note_cannot_be_saved(store: Store, book: NoteBook, acme: uuid.UUID) -> None:
    note_id, _ = book.start(acme)
    db.edits.LocalEditor(store).delete("visit_note", note_id)
    with pytest.raises(NoteError, match="deleted"):
        book.save(note_id, "late")
    assert book.note(note_id) is None
