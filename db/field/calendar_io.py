"""The rep's meetings to and from iCalendar files (.ics), as Outlook and Google write them."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from dateutil.rrule import rrulestr  # type: ignore[import-untyped]  # ships no type hints
from icalendar import Calendar, Event, vCalAddress, vRecur
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.changes import Changes
from db.dto import CalendarImportResult, SkippedEvent
from db.edits import change_row, create_row, delete_row
from db.errors import StoreUserError
from db.store.local_store import Store
from db.store.models import Account, Contact, Meeting, MeetingAttendee, VisitNote
from db.store.types import utc_now

PRODID = "-//Fieldbrief//Fieldbrief//EN"
# Exported events are named "<meeting id>@fieldbrief", so importing them finds the meeting.
_OWN_UID = re.compile(r"([0-9a-fA-F-]{36})@fieldbrief")
# Stable namespace for imported meeting ids: uuid5(namespace, "<UID>" for a single event,
# "<UID>/<original start>" for an occurrence), so importing a file again finds them.
MEETING_NAMESPACE = uuid.UUID("0b6c3f0e-7d1a-5c43-9e0f-ca1e0da2f1e1")
DAYS_BACK = 30
IMPORT_DAYS_AHEAD = 180
EXPORT_DAYS_AHEAD = 90
DEFAULT_LENGTH = timedelta(hours=1)
# Rules repeating daily or slower name an occurrence by its day, not its time: moving a
# whole series to another hour then updates its meetings instead of adding new ones.
_BY_DAY_FREQS = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})

NO_CONTACT = "no attendee is one of your contacts"
CANCELLED = "it was cancelled"
NOTED = "it was cancelled, but it stays: you wrote a visit note for it"
UNREADABLE = "its date, time or repeat rule cannot be read"
DELETED = "you deleted this meeting in Fieldbrief"
TWICE = "it is in the file twice"
# What icalendar and dateutil raise on a broken date, time or rule (no FREQ is a TypeError).
_BROKEN = (ValueError, TypeError)


class CalendarFileError(StoreUserError):
    """A calendar file that cannot be read or saved; the message names the file."""


class CalendarIO:
    """Imports meetings from calendar files and exports them. Call off the GUI thread.

    `zone` is the rep's time zone, for floating and all-day times (None: this machine's).
    Window bounds are aware datetimes; an occurrence is in the window if it starts there.
    """

    def __init__(self, store: Store, zone: tzinfo | None = None) -> None:
        self._store = store
        self._zone = zone

    def import_file(
        self, path: Path, start: datetime | None = None, end: datetime | None = None
    ) -> CalendarImportResult:
        """Imports the events of an .ics file in [start, end) (default: 30 days back to
        180 ahead) as meetings; importing it again updates them instead of adding more,
        and removes those it now cancels (STATUS:CANCELLED, METHOD:CANCEL) or leaves out
        of their series (EXDATE), unless the rep wrote a visit note for one."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CalendarFileError(f"cannot open {path.name}: {exc.strerror or exc}") from exc
        return self.import_bytes(data, path.name, start, end)

    def import_bytes(
        self,
        data: bytes,
        name: str = "the file",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> CalendarImportResult:
        """The same for a file's contents; `name` is the file as the user knows it. All or
        nothing: one transaction for the whole file."""
        events, cancels = _read_events(data, name)
        start, end = _window(start, end, IMPORT_DAYS_AHEAD)
        occurrences, skipped = _Expander(self._zone, start, end, cancels).expand(events)
        with self._store.session() as session:
            importer = _Importer(session)
            # Live occurrences first: one the file also has live is never removed.
            for occurrence in sorted(occurrences, key=lambda o: o.cancelled):
                importer.apply(occurrence)
        skipped += importer.skipped
        return CalendarImportResult(
            created=importer.created,
            updated=importer.updated,
            unchanged=importer.unchanged,
            removed=importer.removed,
            skipped=_reported(skipped),
            changes=importer.changes,
        )

    def export_bytes(self, start: datetime | None = None, end: datetime | None = None) -> bytes:
        """The meetings starting in [start, end) (default: 30 days back to 90 ahead) as an
        .ics file, times in UTC; all-day meetings as days (DTSTART;VALUE=DATE) in the
        rep's zone."""
        return self._export(start, end)[0]

    def export_file(
        self, path: Path, start: datetime | None = None, end: datetime | None = None
    ) -> int:
        """Saves the export to `path` (whole or not at all); returns how many meetings."""
        data, count = self._export(start, end)
        write_calendar_file(Path(path), data)
        return count

    def _export(self, start: datetime | None, end: datetime | None) -> tuple[bytes, int]:
        start, end = _window(start, end, EXPORT_DAYS_AHEAD)
        in_window = (
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
            Meeting.deleted_at.is_(None),
            Account.deleted_at.is_(None),
        )
        with self._store.reading() as session:
            meetings = session.execute(
                select(Meeting, Account.name)
                .join(Account, Account.id == Meeting.account_id)
                .where(*in_window)
                .order_by(Meeting.starts_at, Meeting.id)
            ).all()
            people: dict[uuid.UUID, list[tuple[str, str | None]]] = defaultdict(list)
            rows = session.execute(
                select(
                    MeetingAttendee.meeting_id, Contact.first_name, Contact.last_name, Contact.email
                )
                .join(Contact, Contact.id == MeetingAttendee.contact_id)
                .join(Meeting, Meeting.id == MeetingAttendee.meeting_id)
                .join(Account, Account.id == Meeting.account_id)
                .where(
                    *in_window, MeetingAttendee.deleted_at.is_(None), Contact.deleted_at.is_(None)
                )
                .order_by(Contact.last_name, Contact.first_name)
            )
            for meeting_id, first, last, email in rows:
                people[meeting_id].append((f"{first} {last}".strip(), email))
        stamp = utc_now().replace(microsecond=0)
        events = [_event(m, account, people[m.id], stamp, self._zone) for m, account in meetings]
        calendar = Calendar.new(prodid=PRODID, subcomponents=events)
        return calendar.to_ical(), len(events)


def write_calendar_file(path: Path, data: bytes) -> None:
    """Writes `data` to `path` whole or not at all: a crash never leaves half a file, and
    an existing file is replaced only once the new one is on disk."""
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise CalendarFileError(f"cannot save {path.name}: {exc.strerror or exc}") from exc


# -- reading a file ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Occurrence:
    """One meeting-to-be read from the file."""

    source: int  # the VEVENT it came from, so a skipped series is reported once
    key: str  # names it for its meeting id
    uid: str
    summary: str
    place: str | None
    starts_at: datetime  # aware UTC
    ends_at: datetime
    emails: frozenset[str]  # attendees' and organizer's, lower case
    all_day: bool  # DTSTART a date: starts_at and ends_at are the rep's local midnights
    cancelled: bool  # by its STATUS, the file's METHOD, or an EXDATE
    excluded: bool  # an EXDATE: cancelled, but no event to report if nothing is removed


@dataclass(frozen=True, slots=True)
class _Skip:
    source: int
    event: SkippedEvent


def _read_events(data: bytes, name: str) -> tuple[list[Event], bool]:
    """The file's events, and whether the file cancels them all (METHOD:CANCEL, as a
    cancellation sent by email is)."""
    try:
        calendar = Calendar.from_ical(data)
    except Exception as exc:  # whatever the parser trips on, the file is not one it reads
        raise CalendarFileError(f"{name} is not a calendar file (iCalendar, .ics)") from exc
    if calendar.name != "VCALENDAR":
        raise CalendarFileError(f"{name} is not a calendar file (iCalendar, .ics)")
    events = [e for e in calendar.walk("VEVENT") if isinstance(e, Event)]
    if not events:
        raise CalendarFileError(f"{name} has no events in it")
    return events, str(calendar.get("METHOD", "")).strip().upper() == "CANCEL"


class _Expander:
    """Turns a file's events into occurrences in the window: repeat rules expanded with
    their exceptions (EXDATE, as cancelled occurrences) and moved occurrences
    (RECURRENCE-ID). `cancels`: every event in the file is a cancellation."""

    def __init__(
        self, zone: tzinfo | None, start: datetime, end: datetime, cancels: bool = False
    ) -> None:
        self._zone = zone
        self._start = start
        self._end = end
        self._cancels = cancels

    def expand(self, events: list[Event]) -> tuple[list[_Occurrence], list[_Skip]]:
        series: dict[str, list[tuple[int, Event]]] = defaultdict(list)
        for index, event in enumerate(events):
            series[_uid(event, index)].append((index, event))
        found: list[_Occurrence] = []
        skipped: list[_Skip] = []
        for uid, members in series.items():
            masters = [(i, e) for i, e in members if "RECURRENCE-ID" not in e]
            frame = self._frame(masters[0][1]) if masters else None
            overridden: set[str] = set()
            for index, event in members:
                if "RECURRENCE-ID" not in event:
                    continue
                try:
                    original: date | datetime = event.RECURRENCE_ID
                    # Without its series (or with an unreadable one) an occurrence stands
                    # alone, named by its own day.
                    first, by_day = frame or (_as_datetime(original), True)
                    key = self._original_key(original, first, by_day)
                    overridden.add(key)
                    found += self._single(index, event, uid, f"{uid}/{key}")
                except _BROKEN:
                    skipped.append(self._unreadable(index, event))
            for index, event in masters:
                try:
                    if event.rrules or event.rdates:
                        found += self._repeated(index, event, uid, overridden)
                    else:
                        found += self._single(index, event, uid, uid)
                except _BROKEN:
                    skipped.append(self._unreadable(index, event))
        found.sort(key=lambda o: (o.starts_at, o.key))
        return found, skipped

    def _frame(self, master: Event) -> tuple[datetime, bool] | None:
        """The series' first start and whether it names occurrences by day; None if its
        dates cannot be read."""
        try:
            return _as_datetime(_times(master)[0]), _by_day(master)
        except _BROKEN:
            return None

    def _single(self, index: int, event: Event, uid: str, key: str) -> list[_Occurrence]:
        start, length = _times(event)
        return self._in_window(index, event, uid, key, start, length)

    def _repeated(
        self, index: int, event: Event, uid: str, overridden: set[str]
    ) -> list[_Occurrence]:
        start, length = _times(event)
        first = _as_datetime(start)
        by_day = _by_day(event)
        # Wide enough for any UTC offset; exact bounds are checked in UTC below.
        low, high = self._start - timedelta(days=2), self._end + timedelta(days=2)
        if first.tzinfo is None:
            low, high = self._wall(low), self._wall(high)
        originals = {first}  # the first occurrence, whatever the rule says
        for recur in event.rrules:
            originals.update(self._rule(recur, first).between(low, high, inc=True))
        for rdate, _end in event.rdates:
            originals.add(self._in_frame(rdate, first))
        excluded = {self._in_frame(x, first) for x in event.exdates if isinstance(x, datetime)}
        excluded_days = {x for x in event.exdates if not isinstance(x, datetime)}
        found = []
        for original in sorted(originals):
            key = self._original_key(original, first, by_day)
            if key in overridden:
                continue
            # An excluded occurrence still comes out, cancelled: imported before, its
            # meeting goes.
            gone = original in excluded or original.date() in excluded_days
            value = original if isinstance(start, datetime) else original.date()
            found += self._in_window(index, event, uid, f"{uid}/{key}", value, length, gone)
        return found

    def _in_window(
        self,
        index: int,
        event: Event,
        uid: str,
        key: str,
        start: date | datetime,
        length: timedelta,
        excluded: bool = False,
    ) -> list[_Occurrence]:
        starts_at = self._utc(start)
        if not self._start <= starts_at < self._end:
            return []
        people: list[object] = [*event.attendees, event.organizer]
        emails = {_email(a) for a in people if a is not None} - {""}
        return [
            _Occurrence(
                source=index,
                key=key,
                uid=uid,
                summary=_summary(event),
                place=str(event.get("LOCATION", "")).strip() or None,
                starts_at=starts_at,
                # A date plus days stays a date: all-day ends at local midnight.
                ends_at=self._utc(start + length),
                emails=frozenset(emails),
                all_day=not isinstance(start, datetime),
                cancelled=excluded
                or self._cancels
                or str(event.get("STATUS", "")).strip().upper() == "CANCELLED",
                excluded=excluded,
            )
        ]

    def _rule(self, recur: vRecur, first: datetime) -> Any:
        """The dateutil rule, its UNTIL matched to the start: dateutil refuses a UTC UNTIL
        on a floating start (and the reverse), which real files have."""
        parts = {k: v for k, v in recur.items() if k.upper() != "UNTIL"}
        text: bytes = vRecur(parts).to_ical()  # type: ignore[no-untyped-call]
        rule = rrulestr(text.decode(), dtstart=first)
        untils = recur.get("UNTIL")
        if untils:
            until = untils[0]
            if not isinstance(until, datetime):  # the whole last day counts
                until = datetime.combine(until, time.max)
            rule = rule.replace(until=self._in_frame(until, first))
        return rule

    def _original_key(self, original: date | datetime, first: datetime, by_day: bool) -> str:
        """An occurrence's original start, as the series' day (or wall time) in the series'
        own zone, so a RECURRENCE-ID written in UTC still finds its occurrence."""
        value = self._in_frame(original, first)
        return value.date().isoformat() if by_day else value.replace(tzinfo=None).isoformat()

    def _in_frame(self, value: date | datetime, first: datetime) -> datetime:
        """`value` comparable with the series' start: as aware (in its zone) or as floating."""
        value = _as_datetime(value)
        if first.tzinfo is None:
            return value if value.tzinfo is None else self._wall(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=first.tzinfo)
        return value.astimezone(first.tzinfo)

    def _wall(self, value: datetime) -> datetime:
        """An aware time as the rep's floating wall-clock time."""
        return value.astimezone(self._zone).replace(tzinfo=None)

    def _utc(self, value: date | datetime) -> datetime:
        value = _as_datetime(value)
        if value.tzinfo is None:
            # Floating and all-day times are the rep's wall clock.
            value = (
                value.replace(tzinfo=self._zone) if self._zone is not None else value.astimezone()
            )
        return value.astimezone(UTC)

    def _unreadable(self, index: int, event: Event) -> _Skip:
        return _Skip(index, SkippedEvent(_summary(event), None, UNREADABLE))


def _times(event: Event) -> tuple[date | datetime, timedelta]:
    """The start and length; without DTEND or DURATION an hour (all-day: a day)."""
    start: date | datetime | None = event.DTSTART
    if start is None:
        raise ValueError("no DTSTART")
    end: date | datetime | None = event.DTEND
    duration: timedelta | None = event.DURATION
    all_day = not isinstance(start, datetime)
    if isinstance(start, datetime) and isinstance(end, datetime):
        if (start.tzinfo is None) != (end.tzinfo is None):
            # One of the two in a zone this app does not know: read it in the other's.
            end = end.replace(tzinfo=start.tzinfo)
        length = end - start
    elif all_day and end is not None and not isinstance(end, datetime):
        length = end - start
    elif duration is not None:
        length = duration
    else:
        length = timedelta(days=1) if all_day else DEFAULT_LENGTH
    if all_day:
        length = timedelta(days=max(length.days, 1))
    return start, max(length, timedelta(0))


def _uid(event: Event, index: int) -> str:
    uid = str(event.get("UID", "")).strip()
    if uid:
        return uid
    # RFC 5545 requires a UID; some files lack one: then its title and start name it.
    try:
        start: date | datetime | None = event.DTSTART
    except _BROKEN:
        start = None  # skipped as unreadable anyway
    return f"{_summary(event)}@{start.isoformat() if start is not None else index}"


def _by_day(event: Event) -> bool:
    rules: list[vRecur] = event.rrules
    freqs = {str(r.get("FREQ", [""])[0]).upper() for r in rules}
    return not event.rdates and freqs <= _BY_DAY_FREQS


def _as_datetime(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time())


def _email(address: object) -> str:
    # str(): a broken ATTENDEE line comes back as plain text, not a vCalAddress.
    text = str(address).strip()
    return (text[7:] if text.lower().startswith("mailto:") else text).strip().lower()


def _summary(event: Event) -> str:
    return str(event.get("SUMMARY", "")).strip()


def _reported(skipped: list[_Skip]) -> tuple[SkippedEvent, ...]:
    """One line per event and reason (a series, not each occurrence), by start."""
    first: dict[tuple[int, str], SkippedEvent] = {}
    for skip in skipped:
        first.setdefault((skip.source, skip.event.reason), skip.event)
    never = datetime.max.replace(tzinfo=UTC)
    return tuple(sorted(first.values(), key=lambda s: (s.starts_at or never, s.summary)))


# -- writing meetings --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Person:
    contact_id: uuid.UUID
    account_id: uuid.UUID
    account_name: str


class _Importer:
    """Writes occurrences as meetings in one session, through the outbox."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._people: dict[str, list[_Person]] = defaultdict(list)
        rows = session.execute(
            select(Contact.id, Contact.email, Contact.account_id, Account.name)
            .join(Account, Account.id == Contact.account_id)
            .where(
                Contact.deleted_at.is_(None),
                Account.deleted_at.is_(None),
                Contact.email.is_not(None),
            )
        )
        for contact_id, email, account_id, account_name in rows:
            if not email:
                continue
            self._people[email.strip().lower()].append(
                _Person(contact_id, account_id, account_name)
            )
        self._seen: set[uuid.UUID] = set()
        self.created = self.updated = self.unchanged = self.removed = 0
        self.skipped: list[_Skip] = []
        self.changes = Changes()

    def apply(self, occurrence: _Occurrence) -> None:
        row, own = self._existing(occurrence)
        meeting_id = row.id if row is not None else uuid.uuid5(MEETING_NAMESPACE, occurrence.key)
        if meeting_id in self._seen:
            self._skip(occurrence, TWICE)
            return
        self._seen.add(meeting_id)
        if occurrence.cancelled:
            self._cancel(occurrence, row)
            return
        if row is not None and row.deleted_at is not None:
            self._skip(occurrence, DELETED)
            return
        people = list(
            {p.contact_id: p for e in occurrence.emails for p in self._people[e]}.values()
        )
        # Our own export names its meeting, whose account stays whoever attends.
        account_id = row.account_id if own and row is not None else _account_of(people)
        if account_id is None:
            self._skip(occurrence, NO_CONTACT)
            return
        account = self._session.get(Account, account_id)
        assert account is not None
        fields: dict[str, Any] = {
            "account_id": account_id,
            "starts_at": occurrence.starts_at,
            "ends_at": occurrence.ends_at,
            "place": occurrence.place,
            "purpose": _purpose(occurrence.summary, account.name),
            "all_day": occurrence.all_day,
        }
        # A meeting's whole attendee list is of its account's people.
        wanted = {p.contact_id for p in people if p.account_id == account_id}
        if row is None:
            create_row(self._session, "meeting", fields, meeting_id)
            self._add_attendees(meeting_id, wanted)
            self.created += 1
            self.changes |= Changes.of("meeting", meeting_id)
            return
        for name in ("starts_at", "ends_at"):
            # An .ics carries whole seconds: the same second is the same time.
            if getattr(row, name).replace(microsecond=0) == fields[name]:
                fields[name] = getattr(row, name)
        changed = change_row(self._session, "meeting", meeting_id, fields)
        changed = self._update_attendees(meeting_id, wanted, occurrence.emails) or changed
        if changed:
            self.updated += 1
            self.changes |= Changes.of("meeting", meeting_id)
        else:
            self.unchanged += 1

    def _cancel(self, occurrence: _Occurrence, row: Meeting | None) -> None:
        """The calendar cancelled the occurrence: its meeting, if imported before, is
        deleted as the rep deletes one (a tombstone that syncs), unless a visit note was
        written for it: the meeting stays, so the note keeps the visit it is about."""
        if row is None or row.deleted_at is not None:
            if not occurrence.excluded:  # an exception to a series is no event to report
                self._skip(occurrence, CANCELLED)
            return
        noted = self._session.scalar(
            select(VisitNote.id)
            .where(VisitNote.meeting_id == row.id, VisitNote.deleted_at.is_(None))
            .limit(1)
        )
        if noted is not None:
            self._skip(occurrence, NOTED)
            return
        delete_row(self._session, "meeting", row.id)  # in this import's transaction
        self.removed += 1
        self.changes |= Changes.of("meeting", row.id)

    def _existing(self, occurrence: _Occurrence) -> tuple[Meeting | None, bool]:
        """The meeting imported (or exported) before, and whether it is one we exported."""
        match = _OWN_UID.fullmatch(occurrence.uid)
        if match is not None:
            own = self._session.get(Meeting, uuid.UUID(match[1]))
            if own is not None:
                return own, True
        return self._session.get(Meeting, uuid.uuid5(MEETING_NAMESPACE, occurrence.key)), False

    def _add_attendees(self, meeting_id: uuid.UUID, contact_ids: Iterable[uuid.UUID]) -> None:
        for contact_id in sorted(contact_ids):
            row_id = create_row(
                self._session,
                "meeting_attendee",
                {"meeting_id": meeting_id, "contact_id": contact_id},
            )
            self.changes |= Changes.of("meeting_attendee", row_id)

    def _update_attendees(
        self, meeting_id: uuid.UUID, wanted: set[uuid.UUID], emails: frozenset[str]
    ) -> bool:
        rows = self._session.execute(
            select(MeetingAttendee, Contact.email, Contact.deleted_at)
            .join(Contact, Contact.id == MeetingAttendee.contact_id)
            .where(MeetingAttendee.meeting_id == meeting_id)
        ).all()
        # A tombstone holds its (meeting, contact) pair for good, so a contact removed
        # once is not invited again here.
        missing = wanted - {row.contact_id for row, _, _ in rows}
        self._add_attendees(meeting_id, missing)
        removed = 0
        for row, email, contact_deleted in rows:
            # Only someone the file could name and does not: attendees without an email
            # (or of another account) were added in Fieldbrief, not in the calendar.
            if row.deleted_at is not None or contact_deleted is not None or not email:
                continue
            if row.contact_id not in wanted and email.strip().lower() not in emails:
                self._remove_attendee(row)
                removed += 1
        return bool(missing) or removed > 0

    def _remove_attendee(self, row: MeetingAttendee) -> None:
        delete_row(self._session, "meeting_attendee", row.id)  # in this import's transaction
        self.changes |= Changes.of("meeting_attendee", row.id)

    def _skip(self, occurrence: _Occurrence, reason: str) -> None:
        event = SkippedEvent(occurrence.summary, occurrence.starts_at, reason)
        self.skipped.append(_Skip(occurrence.source, event))


def _account_of(people: list[_Person]) -> uuid.UUID | None:
    """The account most of the people belong to; a tie goes to the first by name."""
    counts = Counter(p.account_id for p in people)
    names = {p.account_id: p.account_name.casefold() for p in people}
    return min(counts, key=lambda a: (-counts[a], names[a], str(a)), default=None)


def _purpose(summary: str, account_name: str) -> str | None:
    """Our exports title an event "<purpose> — <account>" (or just the account): read
    back, only the purpose is the purpose."""
    if summary == account_name:
        return None
    suffix = f" — {account_name}"
    if summary.endswith(suffix):
        summary = summary[: -len(suffix)].strip()
    return summary or None


# -- writing a file ----------------------------------------------------------------------


def _event(
    meeting: Meeting,
    account_name: str,
    people: list[tuple[str, str | None]],
    stamp: datetime,
    zone: tzinfo | None,
) -> Event:
    names = [name for name, _ in people]
    start: date | datetime = meeting.starts_at
    end: date | datetime = meeting.ends_at
    if meeting.all_day:
        start, end = _days(meeting.starts_at, meeting.ends_at, zone)
    return Event.new(
        uid=f"{meeting.id}@fieldbrief",
        stamp=stamp,
        start=start,
        end=end,
        summary=f"{meeting.purpose} — {account_name}" if meeting.purpose else account_name,
        location=meeting.place or None,
        description=f"Attendees: {', '.join(names)}" if names else None,
        attendees=[vCalAddress.new(email, cn=name) for name, email in people if email],
    )


def _window(
    start: datetime | None, end: datetime | None, days_ahead: int
) -> tuple[datetime, datetime]:
    now = utc_now()
    return (
        start if start is not None else now - timedelta(days=DAYS_BACK),
        end if end is not None else now + timedelta(days=days_ahead),
    )


def _days(starts_at: datetime, ends_at: datetime, zone: tzinfo | None) -> tuple[date, date]:
    """An all-day meeting's first day in the rep's zone and the day after its last (DTEND
    is exclusive). From the nearest midnight, in whole days: a day of 23 or 25 hours (a
    clock change), or midnights of another zone (a meeting imported elsewhere), still
    give the days it was imported as."""
    first = (starts_at.astimezone(zone) + timedelta(hours=12)).date()
    days = max(round((ends_at - starts_at) / timedelta(days=1)), 1)
    return first, first + timedelta(days=days)
