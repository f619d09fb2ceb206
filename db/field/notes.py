"""Visit notes: a visit-report template, a note written at the rep's first keystroke and
saved as they type (body and outbox entry in one transaction), check-in and check-out and
their correction, follow-ups from the note's checkboxes, and the merge of a note two devices
rewrote offline. Call off the GUI thread.

A note's body is Markdown, as Qt's editor writes it: "## headings", "- bullets" and
"- [ ] checkboxes". A checkbox is a promise: it becomes a follow-up (a task linked to the
note) and ticking it in the note marks the follow-up done.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.attention import mark_resolved
from db.changes import Changes
from db.dates import day, day_and_time
from db.edits import change_row, create_row, delete_row
from db.errors import StoreUserError
from db.profiles.book import USERNAME
from db.store.local_store import Store
from db.store.models import (
    Account,
    Contact,
    Meeting,
    MeetingAttendee,
    RemoteRecord,
    SyncState,
    Task,
    VisitNote,
)
from db.store.types import utc_now

# "- [ ] Send the SLA draft (due 2026-12-01)" and "* [x] done"; Qt writes "- [ ]".
_CHECKBOX = re.compile(r"^\s*[-*+] \[([ xX])\]\s+(.+?)\s*$")
_DUE = re.compile(r"\s*\(due (\d{4}-\d{2}-\d{2})\)$")
BODY_LIMIT = 200_000  # characters; a note is not a place for a whole document
# A visit's times: not before this, and not later than this much after now (a rep may set
# the check-out a few minutes ahead as they leave; more is a typo in the day or the hour).
EARLIEST_VISIT = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(hours=1)


class NoteError(StoreUserError):
    """A note change that cannot be made; plain words."""


@dataclass(frozen=True, slots=True)
class Promise:
    """A checkbox line of a note: what was promised, by when, and whether it is done."""

    title: str
    due: date | None
    done: bool


@dataclass(frozen=True, slots=True)
class NoteView:
    id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    meeting_id: uuid.UUID | None
    meeting_label: str | None  # "Quarterly review, Tue 24 Nov 09:15"
    body: str
    author: str | None
    check_in_at: datetime | None
    check_out_at: datetime | None
    created_at: datetime
    # When two devices rewrote the note offline: the other text and its conflict.
    other_body: str | None = None
    other_by: str | None = None
    conflict_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class NoteDraft:
    """A note not written yet: what its window shows until the rep types (or checks in)."""

    account_id: uuid.UUID
    account_name: str
    meeting_id: uuid.UUID | None
    meeting_label: str | None
    body: str  # the visit-report template
    author: str | None


@dataclass(frozen=True, slots=True)
class NoteSummary:
    id: uuid.UUID
    created_at: datetime
    meeting_id: uuid.UUID | None
    first_line: str
    needs_merge: bool


def promises_in(body: str) -> list[Promise]:
    """The note's checkboxes, in order (the same title twice counts once)."""
    found: dict[str, Promise] = {}
    for line in body.splitlines():
        match = _CHECKBOX.match(line)
        if match is None:
            continue
        text = match.group(2)
        due = None
        if (when := _DUE.search(text)) is not None:
            try:
                due = date.fromisoformat(when.group(1))
                text = text[: when.start()]
            except ValueError:
                pass
        title = " ".join(text.split()).rstrip("\\")
        if title:
            found.setdefault(title.casefold(), Promise(title, due, match.group(1) != " "))
    return list(found.values())


def with_ticked(body: str, title: str, done: bool) -> str:
    """`body` with the checkbox of `title` ticked or not (the follow-ups view's change shown
    in the note too); unchanged if the note has no such checkbox."""
    lines = body.splitlines(keepends=True)
    for number, line in enumerate(lines):
        match = _CHECKBOX.match(line.rstrip("\r\n"))
        if match is None:
            continue
        promise = promises_in(line)
        if promise and promise[0].title.casefold() == title.casefold():
            box = "[x]" if done else "[ ]"
            lines[number] = line[: match.start(1) - 1] + box + line[match.end(1) + 1 :]
            return "".join(lines)
    return body


def visit_template(account: str, when: datetime, attendees: list[str], purpose: str | None) -> str:
    """The visit report a new note starts from."""
    who = ", ".join(attendees) if attendees else ""
    about = f" — {purpose}" if purpose else ""
    # Under each heading a paragraph holding a no-break space: the rep's text goes there,
    # and Qt's Markdown keeps it (an empty list item or paragraph would not survive a save).
    blank = "\u00a0"
    return (
        f"## Visit report: {account}{about}, {day(when)}\n\n"
        f"**Attendees:** {who}\n\n"
        f"### Discussed\n\n{blank}\n\n"
        f"### Objections\n\n{blank}\n\n"
        f"### Next steps\n\n{blank}\n"
    )


class NoteBook:
    """Reads and writes visit notes in the local store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- reading ---------------------------------------------------------------------------

    def note(self, note_id: uuid.UUID) -> NoteView | None:
        with self._store.reading() as session:
            note = session.get(VisitNote, note_id)
            if note is None or note.deleted_at is not None:
                return None
            account = session.get(Account, note.account_id)
            meeting = session.get(Meeting, note.meeting_id) if note.meeting_id else None
            conflict = _open_conflict(session, note_id) if note.needs_merge else None
            return NoteView(
                id=note.id,
                account_id=note.account_id,
                account_name=account.name if account else "",
                meeting_id=note.meeting_id,
                meeting_label=_meeting_label(meeting),
                body=note.body,
                author=note.author,
                check_in_at=note.check_in_at,
                check_out_at=note.check_out_at,
                created_at=note.created_at,
                other_body=conflict[1] if conflict else None,
                other_by=conflict[2] if conflict else None,
                conflict_id=conflict[0] if conflict else None,
            )

    def for_account(self, account_id: uuid.UUID) -> list[NoteSummary]:
        """The account's notes, newest first."""
        with self._store.reading() as session:
            notes = session.execute(
                select(
                    VisitNote.id,
                    VisitNote.created_at,
                    VisitNote.meeting_id,
                    VisitNote.body,
                    VisitNote.needs_merge,
                )
                .where(VisitNote.account_id == account_id, VisitNote.deleted_at.is_(None))
                .order_by(VisitNote.created_at.desc())
            ).all()
        return [
            NoteSummary(note_id, created, meeting_id, _first_line(body), merge)
            for note_id, created, meeting_id, body, merge in notes
        ]

    def for_meeting(self, meeting_id: uuid.UUID) -> uuid.UUID | None:
        """The meeting's note, if one was started."""
        with self._store.reading() as session:
            return session.scalar(
                select(VisitNote.id)
                .where(VisitNote.meeting_id == meeting_id, VisitNote.deleted_at.is_(None))
                .order_by(VisitNote.created_at)
                .limit(1)
            )

    def draft(self, account_id: uuid.UUID, meeting_id: uuid.UUID | None = None) -> NoteDraft:
        """A new note as its window first shows it, from the visit-report template (for the
        meeting, if given: its attendees filled in). Writes nothing: `create` does, once
        the rep has typed."""
        with self._store.reading() as session:
            return _draft(session, account_id, meeting_id)

    # -- writing ---------------------------------------------------------------------------

    def start(
        self, account_id: uuid.UUID, meeting_id: uuid.UUID | None = None
    ) -> tuple[uuid.UUID, Changes]:
        """A new note from the visit-report template (for the meeting, if given: its
        attendees filled in); a meeting that has a note gets that one back."""
        with self._store.session() as session:
            if meeting_id is not None:
                existing = session.scalar(
                    select(VisitNote.id).where(
                        VisitNote.meeting_id == meeting_id, VisitNote.deleted_at.is_(None)
                    )
                )
                if existing is not None:
                    return existing, Changes()
            draft = _draft(session, account_id, meeting_id)
            note_id = create_row(session, "visit_note", _new_fields(draft, draft.body))
        return note_id, Changes.of("visit_note", note_id)

    def create(
        self,
        draft: NoteDraft,
        body: str,
        *,
        check_in_at: datetime | None = None,
        check_out_at: datetime | None = None,
    ) -> tuple[uuid.UUID, Changes]:
        """Writes a draft's note with what the rep typed (and the check-in or check-out that
        came first, if one did): the row and its outbox entry in one transaction, with the
        follow-ups of its checkboxes. A meeting whose note arrived meanwhile from another
        device gets a second note: neither text is written over."""
        if len(body) > BODY_LIMIT:
            raise NoteError(f"a note holds at most {BODY_LIMIT:,} characters")
        _check_times(check_in_at, check_out_at)
        with self._store.session() as session:
            current = _draft(session, draft.account_id, draft.meeting_id)  # still there?
            fields = _new_fields(current, body)
            fields |= {"check_in_at": check_in_at, "check_out_at": check_out_at}
            note_id = create_row(session, "visit_note", fields)
            note = _live(session, note_id)
            changes = _follow_ups(session, note, [], promises_in(body))
        return note_id, changes | Changes.of("visit_note", note_id)

    def save(self, note_id: uuid.UUID, body: str) -> Changes:
        """Saves what the rep typed, with its outbox entry, in one transaction; the note's
        checkboxes become follow-ups in the same one. Nothing changed: nothing written."""
        with self._store.session() as session:
            return _save(session, note_id, body)

    def check_in(self, note_id: uuid.UUID, at: datetime | None = None) -> Changes:
        return self._stamp(note_id, "check_in_at", at)

    def check_out(self, note_id: uuid.UUID, at: datetime | None = None) -> Changes:
        return self._stamp(note_id, "check_out_at", at)

    def _stamp(self, note_id: uuid.UUID, field: str, at: datetime | None) -> Changes:
        with self._store.session() as session:
            _live(session, note_id)
            changed = change_row(session, "visit_note", note_id, {field: at or utc_now()})
        return Changes.of("visit_note", note_id) if changed else Changes()

    def correct_times(
        self, note_id: uuid.UUID, check_in_at: datetime | None, check_out_at: datetime | None
    ) -> Changes:
        """Sets the visit's check-in and check-out times as the rep corrected them (None:
        not checked in, or out): an edit like any other, with its outbox entry in the same
        transaction, so it syncs. Refused, in plain words and with nothing written, when
        the check-out is before the check-in or a time lies in the future."""
        _check_times(check_in_at, check_out_at)
        with self._store.session() as session:
            _live(session, note_id)
            fields = {"check_in_at": check_in_at, "check_out_at": check_out_at}
            changed = change_row(session, "visit_note", note_id, fields)
        return Changes.of("visit_note", note_id) if changed else Changes()

    def finish_merge(self, note_id: uuid.UUID, body: str, conflict_id: uuid.UUID) -> Changes:
        """Keeps `body` (the rep's merge of both versions) and settles the conflict."""
        with self._store.session() as session:
            changes = _save(session, note_id, body)
            change_row(session, "visit_note", note_id, {"needs_merge": False})
            mark_resolved(session, conflict_id, "merged")
        return changes | Changes.of("visit_note", note_id) | Changes.of("conflict", conflict_id)


def _save(session: Session, note_id: uuid.UUID, body: str) -> Changes:
    if len(body) > BODY_LIMIT:
        raise NoteError(f"a note holds at most {BODY_LIMIT:,} characters")
    note = _live(session, note_id)
    before = note.body
    if not change_row(session, "visit_note", note_id, {"body": body}):
        return Changes()
    changes = Changes.of("visit_note", note_id)
    return changes | _follow_ups(session, note, promises_in(before), promises_in(body))


def _draft(session: Session, account_id: uuid.UUID, meeting_id: uuid.UUID | None) -> NoteDraft:
    account = session.get(Account, account_id)
    if account is None or account.deleted_at is not None:
        raise NoteError("this account was deleted; a note cannot be added to it")
    meeting = session.get(Meeting, meeting_id) if meeting_id else None
    body = visit_template(
        account.name,
        meeting.starts_at if meeting else utc_now(),
        _attendees(session, meeting.id) if meeting else [],
        meeting.purpose if meeting else None,
    )
    user = session.get(SyncState, USERNAME)
    return NoteDraft(
        account_id=account.id,
        account_name=account.name,
        meeting_id=meeting.id if meeting else None,
        meeting_label=_meeting_label(meeting),
        body=body,
        author=user.value if user else None,
    )


def _new_fields(draft: NoteDraft, body: str) -> dict[str, object]:
    return {
        "account_id": draft.account_id,
        "meeting_id": draft.meeting_id,
        "body": body,
        "author": draft.author,
    }


def _check_times(check_in_at: datetime | None, check_out_at: datetime | None) -> None:
    """Refuses visit times no visit has, in words the rep can act on."""
    latest = utc_now() + FUTURE_SLACK
    for name, moment in (("check-in", check_in_at), ("check-out", check_out_at)):
        if moment is None:
            continue
        if moment.tzinfo is None:
            raise ValueError(f"the {name} time has no time zone")  # a bug, not the rep's
        if moment > latest:
            raise NoteError(
                f"The {name} time ({_shown(moment)}) is in the future. Enter when the visit "
                f"{'started' if name == 'check-in' else 'ended'}."
            )
        if moment < EARLIEST_VISIT:
            raise NoteError(f"The {name} time ({_shown(moment)}) is too long ago.")
    if check_in_at is not None and check_out_at is not None and check_out_at < check_in_at:
        raise NoteError(
            f"The check-out ({_shown(check_out_at)}) is before the check-in "
            f"({_shown(check_in_at)}). A visit ends after it starts."
        )


def _shown(moment: datetime) -> str:
    return day_and_time(moment)  # as the rep entered it: this computer's time zone


def _live(session: Session, note_id: uuid.UUID) -> VisitNote:
    note = session.get(VisitNote, note_id)
    if note is None or note.deleted_at is not None:
        raise NoteError("this note was deleted; it can no longer be changed")
    return note


def _follow_ups(
    session: Session, note: VisitNote, before: list[Promise], after: list[Promise]
) -> Changes:
    """Follow-ups for the checkboxes this edit added, ticked, unticked or removed. Only what
    this edit changed is applied: a follow-up ticked off elsewhere is not undone by a note
    that still shows it open."""
    tasks = {
        t.title.casefold(): t
        for t in session.scalars(
            select(Task).where(Task.note_id == note.id, Task.deleted_at.is_(None))
        )
    }
    old = {p.title.casefold(): p for p in before}
    new = {p.title.casefold(): p for p in after}
    changes = Changes()
    for key, promise in new.items():
        task = tasks.get(key)
        if task is None:
            fields = {
                "account_id": note.account_id,
                "note_id": note.id,
                "title": promise.title[:300],
                "due_date": promise.due,
                "done": promise.done,
                "done_at": utc_now() if promise.done else None,
            }
            changes |= Changes.of("task", create_row(session, "task", fields))
            continue
        was = old.get(key)
        fields_changed: dict[str, object] = {}
        if was is None or was.done != promise.done:
            fields_changed |= {"done": promise.done, "done_at": utc_now() if promise.done else None}
        if was is None or was.due != promise.due:
            fields_changed["due_date"] = promise.due
        if fields_changed and change_row(session, "task", task.id, fields_changed):
            changes |= Changes.of("task", task.id)
    for key in old.keys() - new.keys():
        task = tasks.get(key)
        if task is not None and not task.done and delete_row(session, "task", task.id):
            changes |= Changes.of("task", task.id)  # an open promise taken back
    return changes


def _open_conflict(
    session: Session, note_id: uuid.UUID
) -> tuple[uuid.UUID, str, str | None] | None:
    """The unsettled conflict about the note's text: its id, the other text, whose it is."""
    for record in session.scalars(
        select(RemoteRecord)
        .where(RemoteRecord.entity == "conflict", RemoteRecord.deleted.is_(False))
        .order_by(RemoteRecord.server_version.desc())
    ):
        data = record.data
        if (
            data.get("entity") == "visit_note"
            and data.get("entity_id") == str(note_id)
            and data.get("field") == "body"
            and not data.get("resolved")
        ):
            return record.id, str(data.get("client_value") or ""), data.get("by_user")
    return None


def _attendees(session: Session, meeting_id: uuid.UUID) -> list[str]:
    rows = session.execute(
        select(Contact.first_name, Contact.last_name, Contact.title)
        .join(MeetingAttendee, MeetingAttendee.contact_id == Contact.id)
        .where(MeetingAttendee.meeting_id == meeting_id, MeetingAttendee.deleted_at.is_(None))
        .order_by(Contact.last_name)
    )
    return [f"{first} {last}" + (f" ({title})" if title else "") for first, last, title in rows]


def _meeting_label(meeting: Meeting | None) -> str | None:
    if meeting is None:
        return None
    when = day(meeting.starts_at) if meeting.all_day else day_and_time(meeting.starts_at)
    return f"{meeting.purpose}, {when}" if meeting.purpose else when


def _first_line(body: str) -> str:
    for line in body.splitlines():
        text = line.strip().lstrip("#").strip().strip("*").strip()
        if text:
            return text[:120]
    return "(empty note)"
