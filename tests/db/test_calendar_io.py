"""Calendar files in and out: Outlook's and Google's exports become meetings (time zones,
repeats, exceptions), importing again changes nothing, and our own export reads back."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event
from sqlalchemy import event, select

from db.dto import SkippedEvent
from db.edits import LocalEditor
from db.errors import StoreUserError
from db.field.calendar_io import (
    CANCELLED,
    DELETED,
    NOTED,
    PRODID,
    CalendarFileError,
    CalendarIO,
)
from db.field.notes import NoteBook
from db.store.local_store import Store
from db.store.models import Meeting, MeetingAttendee, OutboxEntry, VisitNote
from tests.helpers.factories import add_account, add_contact, add_meeting

DATA = Path(__file__).parent / "data"
OUTLOOK = DATA / "outlook_exchange.ics"
GOOGLE = DATA / "google_calendar.ics"
BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2025, 9, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class People:
    acme: uuid.UUID
    bergmann: uuid.UUID
    anna: uuid.UUID
    jonas: uuid.UUID
    petra: uuid.UUID  # no email: no calendar can name her
    lena: uuid.UUID
    tom: uuid.UUID


@dataclass(frozen=True)
class Stored:
    id: uuid.UUID
    account_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    place: str | None
    purpose: str | None
    attendees: frozenset[uuid.UUID]
    all_day: bool


@pytest.fixture
def people(store: Store) -> People:
    acme = add_account(store, "Acme Maschinenbau", city="Bonn")
    bergmann = add_account(store, "Bergmann Logistik", city="Köln")
    return People(
        acme=acme,
        bergmann=bergmann,
        anna=add_contact(store, acme, "Anna", "Berg", email="anna.berg@acme-maschinenbau.de"),
        jonas=add_contact(store, acme, "Jonas", "Weber", email="Jonas.Weber@acme-maschinenbau.de"),
        petra=add_contact(store, acme, "Petra", "Sommer"),
        lena=add_contact(store, bergmann, "Lena", "Vogel", email="lena.vogel@bergmann-logistik.de"),
        tom=add_contact(store, bergmann, "Tom", "Krause", email="tom.krause@bergmann-logistik.de"),
    )


@pytest.fixture
def calendar(store: Store, people: People) -> CalendarIO:
    return CalendarIO(store, zone=BERLIN)


def stored(store: Store) -> list[Stored]:
    with store.reading() as session:
        meetings = session.scalars(
            select(Meeting).where(Meeting.deleted_at.is_(None)).order_by(Meeting.starts_at)
        ).all()
        attendees = session.execute(
            select(MeetingAttendee.meeting_id, MeetingAttendee.contact_id).where(
                MeetingAttendee.deleted_at.is_(None)
            )
        ).all()
    return [
        Stored(
            m.id,
            m.account_id,
            m.starts_at,
            m.ends_at,
            m.place,
            m.purpose,
            frozenset(c for meeting_id, c in attendees if meeting_id == m.id),
            m.all_day,
        )
        for m in meetings
    ]


def by_purpose(store: Store, prefix: str) -> list[Stored]:
    return [m for m in stored(store) if (m.purpose or "").startswith(prefix)]


def outbox(store: Store) -> list[OutboxEntry]:
    with store.reading() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))


def ics(*events: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Test//EN", *events]
    return "\r\n".join([*lines, "END:VCALENDAR", ""]).encode()


def vevent(uid: str, *lines: str) -> str:
    return "\r\n".join(
        ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20251001T080000Z", *lines, "END:VEVENT"]
    )


def rewritten(text: bytes, *changes: tuple[str, str, str]) -> bytes:
    """The Outlook file with (property, old value, new value) changed."""
    for name, old, new in changes:
        line = f'{name};TZID="W. Europe Standard Time":'.encode()
        assert line + old.encode() in text
        text = text.replace(line + old.encode(), line + new.encode())
    return text


# -- Outlook -----------------------------------------------------------------------------


def test_a_weekly_outlook_series_keeps_its_local_time_across_the_dst_change(
    store: Store, calendar: CalendarIO, people: People
) -> None:
    calendar.import_file(OUTLOOK, START, END)
    weekly = by_purpose(store, "Weekly pipeline review")
    # 09:00 in Berlin is 07:00Z in summer and 08:00Z after 26 October; 13 October is an
    # EXDATE; 20 October moved to Tuesday 21 October, 14:00 local (RECURRENCE-ID).
    assert [m.starts_at for m in weekly] == [
        utc(2025, 9, 22, 7),
        utc(2025, 9, 29, 7),
        utc(2025, 10, 6, 7),
        utc(2025, 10, 21, 12),
        utc(2025, 10, 27, 8),
        utc(2025, 11, 3, 8),
        utc(2025, 11, 10, 8),
        utc(2025, 11, 17, 8),
        utc(2025, 11, 24, 8),
    ]
    assert all(m.ends_at - m.starts_at == timedelta(hours=1) for m in weekly)
    moved = weekly[3]
    assert moved.purpose == "Weekly pipeline review (moved to Tuesday)"
    assert moved.place == "Acme plant, building 4"
    assert {m.place for m in weekly if m is not moved} == {"Acme Maschinenbau, Bonn"}
    # Mixed-case addresses in the file and in the store still match.
    assert {m.attendees for m in weekly} == {frozenset({people.anna, people.jonas})}
    assert {m.account_id for m in weekly} == {people.acme}


def test_an_all_day_event_spans_local_midnight_to_midnight(
    store: Store, calendar: CalendarIO, people: People
) -> None:
    calendar.import_file(OUTLOOK, START, END)
    [open_house] = by_purpose(store, "Acme open house")
    # DTSTART 4 November, DTEND 6 November (exclusive): two days, Berlin midnights.
    assert (open_house.starts_at, open_house.ends_at) == (
        utc(2025, 11, 3, 23),
        utc(2025, 11, 5, 23),
    )
    assert open_house.attendees == {people.anna}
    assert open_house.all_day
    assert [m.purpose for m in stored(store) if m.all_day] == ["Acme open house"]


def test_cancelled_events_and_events_without_contacts_are_skipped_with_reasons(
    store: Store, calendar: CalendarIO
) -> None:
    result = calendar.import_file(OUTLOOK, START, END)
    assert (result.created, result.updated, result.unchanged) == (11, 0, 0)
    assert result.skipped == (
        SkippedEvent("Team lunch", utc(2025, 10, 8, 10), "no attendee is one of your contacts"),
        SkippedEvent("Canceled: Quarterly business review", utc(2025, 11, 18, 9), CANCELLED),
    )
    assert not by_purpose(store, "Team lunch") and not by_purpose(store, "Canceled")


def test_a_tie_between_accounts_goes_to_the_first_by_name(
    store: Store, calendar: CalendarIO, people: People
) -> None:
    calendar.import_file(OUTLOOK, START, END)
    [workshop] = by_purpose(store, "Joint logistics workshop")
    assert workshop.account_id == people.acme  # one contact each: Acme before Bergmann
    assert workshop.attendees == {people.jonas}  # a meeting lists its account's people
    assert workshop.starts_at == utc(2025, 12, 2, 9)


def test_only_occurrences_starting_in_the_window_are_imported(
    store: Store, calendar: CalendarIO
) -> None:
    result = calendar.import_file(OUTLOOK, utc(2025, 10, 1), utc(2025, 11, 1))
    assert [m.starts_at for m in stored(store)] == [
        utc(2025, 10, 6, 7),
        utc(2025, 10, 21, 12),
        utc(2025, 10, 27, 8),
    ]
    assert [s.summary for s in result.skipped] == ["Team lunch"]


# -- Google ------------------------------------------------------------------------------


def test_google_events_in_utc_and_berlin_time_match_organizer_and_attendees(
    store: Store, calendar: CalendarIO, people: People
) -> None:
    result = calendar.import_file(GOOGLE, START, END)
    assert (result.created, result.skipped) == (6, ())
    [demo] = by_purpose(store, "Route planning demo")
    # The contact is only the ORGANIZER; the rep's own address matches nobody.
    assert (demo.account_id, demo.attendees) == (people.bergmann, frozenset({people.lena}))
    assert (demo.starts_at, demo.ends_at) == (utc(2025, 11, 12, 13), utc(2025, 11, 12, 14, 30))
    assert demo.place is None  # an empty LOCATION
    [renewal] = by_purpose(store, "Contract renewal")
    # Two Bergmann people, one Acme: the meeting is Bergmann's, with Bergmann's people.
    assert (renewal.account_id, renewal.attendees) == (
        people.bergmann,
        frozenset({people.lena, people.tom}),
    )
    assert renewal.starts_at == utc(2025, 10, 29, 9)  # 10:00 in Berlin, winter time
    monthly = by_purpose(store, "Monthly check-in")
    # 15:00 in Berlin on the 3rd; UNTIL (in UTC) includes 3 December.
    assert [m.starts_at for m in monthly] == [
        utc(2025, 9, 3, 13),
        utc(2025, 10, 3, 13),
        utc(2025, 11, 3, 14),
        utc(2025, 12, 3, 14),
    ]


def test_floating_times_durations_and_missing_ends(store: Store, calendar: CalendarIO) -> None:
    anna = "ATTENDEE;CN=Anna Berg:mailto:anna.berg@acme-maschinenbau.de"
    data = ics(
        vevent("floating", "SUMMARY:Floating", "DTSTART:20251105T090000", "DURATION:PT45M", anna),
        vevent("no-end", "SUMMARY:No end", "DTSTART;TZID=Europe/Berlin:20250915T090000", anna),
        vevent("all-day", "SUMMARY:All day", "DTSTART;VALUE=DATE:20251110", anna),
        vevent("utc", "SUMMARY:Utc", "DTSTART:20251201T160000Z", "DTEND:20251201T163000Z", anna),
    )
    result = calendar.import_bytes(data, "mixed.ics", START, END)
    assert result.created == 4
    times = {m.purpose: (m.starts_at, m.ends_at) for m in stored(store)}
    assert times == {
        "Floating": (utc(2025, 11, 5, 8), utc(2025, 11, 5, 8, 45)),  # the rep's zone: Berlin
        "No end": (utc(2025, 9, 15, 7), utc(2025, 9, 15, 8)),  # an hour
        "All day": (utc(2025, 11, 9, 23), utc(2025, 11, 10, 23)),  # a day
        "Utc": (utc(2025, 12, 1, 16), utc(2025, 12, 1, 16, 30)),
    }
    assert {m.purpose for m in stored(store) if m.all_day} == {"All day"}


def test_without_a_zone_floating_times_are_this_machines(store: Store, people: People) -> None:
    data = ics(
        vevent(
            "floating",
            "DTSTART:20251105T090000",
            "ATTENDEE:mailto:anna.berg@acme-maschinenbau.de",
        )
    )
    CalendarIO(store).import_bytes(data, "floating.ics", START, END)
    [meeting] = stored(store)
    assert meeting.starts_at == datetime(2025, 11, 5, 9).astimezone(UTC)


def test_events_without_a_uid_or_with_a_broken_date(store: Store, calendar: CalendarIO) -> None:
    anna = "ATTENDEE:mailto:anna.berg@acme-maschinenbau.de"
    no_uid = "\r\n".join(
        ["BEGIN:VEVENT", "SUMMARY:No uid", "DTSTART:20251014T080000Z", anna, "END:VEVENT"]
    )
    broken = vevent("broken", "SUMMARY:Broken", "DTSTART:2025-10-14 08:00", anna)
    data = ics(no_uid, broken)
    first = calendar.import_bytes(data, "odd.ics", START, END)
    assert first.created == 1
    assert first.skipped == (
        SkippedEvent("Broken", None, "its date, time or repeat rule cannot be read"),
    )
    # Its title and start name a UID-less event, so importing again finds it.
    again = calendar.import_bytes(data, "odd.ics", START, END)
    assert (again.created, again.unchanged) == (0, 1)


# -- writes ------------------------------------------------------------------------------


def test_an_import_writes_through_the_outbox(store: Store, calendar: CalendarIO) -> None:
    result = calendar.import_file(OUTLOOK, START, END)
    entries = outbox(store)
    # 9 + 1 + 1 meetings; two attendees on each weekly one, one on the others.
    assert Counter((e.entity, e.op) for e in entries) == {
        ("meeting", "create"): 11,
        ("meeting_attendee", "create"): 20,
    }
    meetings = stored(store)
    assert {e.entity_id for e in entries if e.entity == "meeting"} == {m.id for m in meetings}
    assert result.changes.touches("meeting") and result.changes.touches("meeting_attendee")
    assert {m.id for m in meetings} <= result.changes.ids
    first = next(e for e in entries if e.entity == "meeting")
    assert first.fields["starts_at"] == "2025-09-22T07:00:00+00:00"


def test_importing_the_same_file_again_changes_nothing(store: Store, calendar: CalendarIO) -> None:
    first = calendar.import_file(OUTLOOK, START, END)
    before, queued = stored(store), len(outbox(store))
    again = calendar.import_file(OUTLOOK, START, END)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 11)
    assert again.skipped == first.skipped
    assert not again.changes
    assert stored(store) == before and len(outbox(store)) == queued


def test_an_edited_time_updates_the_meeting_instead_of_adding_one(
    store: Store, calendar: CalendarIO, tmp_path: Path
) -> None:
    calendar.import_file(OUTLOOK, START, END)
    [workshop] = by_purpose(store, "Joint logistics workshop")
    edited = tmp_path / "edited.ics"
    edited.write_bytes(
        rewritten(
            OUTLOOK.read_bytes(),
            ("DTSTART", "20251202T100000", "20251202T113000"),
            ("DTEND", "20251202T120000", "20251202T133000"),
        )
    )
    result = calendar.import_file(edited, START, END)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 10)
    assert result.changes.ids == {workshop.id}
    [moved] = by_purpose(store, "Joint logistics workshop")
    assert moved.id == workshop.id
    assert (moved.starts_at, moved.ends_at) == (utc(2025, 12, 2, 10, 30), utc(2025, 12, 2, 12, 30))
    assert len(stored(store)) == 11
    last = outbox(store)[-1]
    assert (last.entity, last.op, last.entity_id) == ("meeting", "set_fields", workshop.id)
    assert last.base == {
        "starts_at": "2025-12-02T09:00:00+00:00",
        "ends_at": "2025-12-02T11:00:00+00:00",
    }


def test_moving_a_whole_series_to_another_hour_updates_its_meetings(
    store: Store, calendar: CalendarIO, tmp_path: Path
) -> None:
    calendar.import_file(OUTLOOK, START, END)
    ids = {m.id for m in by_purpose(store, "Weekly pipeline review")}
    edited = tmp_path / "later.ics"
    edited.write_bytes(
        rewritten(
            OUTLOOK.read_bytes(),
            ("DTSTART", "20250922T090000", "20250922T100000"),
            ("DTEND", "20250922T100000", "20250922T110000"),
            ("EXDATE", "20251013T090000", "20251013T100000"),
        )
    )
    result = calendar.import_file(edited, START, END)
    # The moved occurrence keeps its own time; the other eight move by an hour.
    assert (result.created, result.updated, result.unchanged) == (0, 8, 3)
    weekly = by_purpose(store, "Weekly pipeline review")
    assert {m.id for m in weekly} == ids
    assert weekly[0].starts_at == utc(2025, 9, 22, 8)
    assert weekly[-1].starts_at == utc(2025, 11, 24, 9)


def test_attendees_follow_the_invite_but_people_added_here_stay(
    store: Store, calendar: CalendarIO, people: People
) -> None:
    anna = "ATTENDEE:mailto:anna.berg@acme-maschinenbau.de"
    jonas = "ATTENDEE:mailto:jonas.weber@acme-maschinenbau.de"
    times = ("SUMMARY:Site visit", "DTSTART:20251014T080000Z", "DTEND:20251014T090000Z")
    calendar.import_bytes(ics(vevent("visit", *times, anna, jonas)), "visit.ics", START, END)
    [visit] = stored(store)
    with store.session() as session:  # Petra, who has no email, added in Fieldbrief
        session.add(MeetingAttendee(meeting_id=visit.id, contact_id=people.petra))
    result = calendar.import_bytes(ics(vevent("visit", *times, anna)), "visit.ics", START, END)
    assert (result.updated, result.unchanged) == (1, 0)
    [visit] = stored(store)
    assert visit.attendees == {people.anna, people.petra}
    last = outbox(store)[-1]
    assert (last.entity, last.op) == ("meeting_attendee", "delete")


def test_a_meeting_deleted_in_fieldbrief_is_not_brought_back(
    store: Store, calendar: CalendarIO
) -> None:
    data = ics(
        vevent(
            "gone",
            "SUMMARY:Demo",
            "DTSTART:20251014T080000Z",
            "ATTENDEE:mailto:anna.berg@acme-maschinenbau.de",
        )
    )
    calendar.import_bytes(data, "demo.ics", START, END)
    [demo] = stored(store)
    LocalEditor(store).delete("meeting", demo.id)
    result = calendar.import_bytes(data, "demo.ics", START, END)
    assert result.created == 0 and stored(store) == []
    assert result.skipped == (SkippedEvent("Demo", utc(2025, 10, 14, 8), DELETED),)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("photo.ics", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.ics is not a calendar file"),
        ("notes.txt", b"Call Anna about the quote.\n", "notes.txt is not a calendar file"),
        ("anna.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna\r\nEND:VCARD\r\n", "not a calendar"),
        ("empty.ics", b"", "empty.ics is not a calendar file"),
        (
            "todos.ics",
            ics("BEGIN:VTODO\r\nUID:t\r\nSUMMARY:Send quote\r\nEND:VTODO"),
            "todos.ics has no events in it",
        ),
    ],
)
def test_a_file_that_is_not_a_calendar_is_refused_in_plain_words(
    store: Store, calendar: CalendarIO, tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CalendarFileError, match=message) as caught:
        calendar.import_file(path, START, END)
    assert isinstance(caught.value, StoreUserError)
    assert stored(store) == [] and outbox(store) == []


def test_a_missing_file_is_refused_in_plain_words(calendar: CalendarIO, tmp_path: Path) -> None:
    with pytest.raises(CalendarFileError, match="cannot open gone.ics"):
        calendar.import_file(tmp_path / "gone.ics", START, END)


def test_a_failure_halfway_through_a_file_writes_nothing(
    store: Store, calendar: CalendarIO
) -> None:
    written = []

    def fail_on_the_tenth(*_args: object) -> None:
        written.append(1)
        if len(written) == 10:
            raise RuntimeError("disk full")

    event.listen(OutboxEntry, "before_insert", fail_on_the_tenth)
    try:
        with pytest.raises(RuntimeError):
            calendar.import_file(OUTLOOK, START, END)
    finally:
        event.remove(OutboxEntry, "before_insert", fail_on_the_tenth)
    assert stored(store) == [] and outbox(store) == []


# -- cancellations -----------------------------------------------------------------------

ANNA = "ATTENDEE:mailto:anna.berg@acme-maschinenbau.de"
VISIT = ("SUMMARY:Site visit", "DTSTART:20251014T080000Z", "DTEND:20251014T090000Z", ANNA)


def weekly_uid() -> str:
    """The UID of the Outlook file's weekly series (folded over two lines there)."""
    events = Calendar.from_ical(OUTLOOK.read_bytes()).walk("VEVENT")
    return next(str(e["UID"]) for e in events if str(e["SUMMARY"]) == "Weekly pipeline review")


def test_an_event_cancelled_in_a_later_import_removes_its_meeting(
    store: Store, calendar: CalendarIO
) -> None:
    calendar.import_bytes(ics(vevent("visit", *VISIT)), "visit.ics", START, END)
    [visit] = stored(store)
    cancelled = ics(vevent("visit", *VISIT, "STATUS:CANCELLED"))
    result = calendar.import_bytes(cancelled, "visit.ics", START, END)
    assert (result.created, result.updated, result.unchanged, result.removed) == (0, 0, 0, 1)
    assert result.skipped == ()
    assert result.changes.ids == {visit.id} and result.changes.touches("meeting")
    assert stored(store) == []
    # Deleted as the rep deletes one: a tombstone, queued to sync like any other edit.
    last = outbox(store)[-1]
    assert (last.entity, last.op, last.entity_id) == ("meeting", "delete", visit.id)
    queued = len(outbox(store))
    again = calendar.import_bytes(cancelled, "visit.ics", START, END)
    assert again.removed == 0 and not again.changes and len(outbox(store)) == queued
    assert again.skipped == (SkippedEvent("Site visit", utc(2025, 10, 14, 8), CANCELLED),)


def test_a_cancellation_sent_by_email_removes_one_occurrence_of_a_series(
    store: Store, calendar: CalendarIO
) -> None:
    calendar.import_file(OUTLOOK, START, END)
    before = by_purpose(store, "Weekly pipeline review")
    # What Outlook mails when one occurrence is called off: METHOD:CANCEL, the series'
    # UID and the occurrence's original start; no STATUS line needed.
    cancel = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:Microsoft Exchange Server 2010",
            "METHOD:CANCEL",
            vevent(
                weekly_uid(),
                "SUMMARY:Canceled: Weekly pipeline review",
                "RECURRENCE-ID;TZID=Europe/Berlin:20251103T090000",
                "DTSTART;TZID=Europe/Berlin:20251103T090000",
                "DTEND;TZID=Europe/Berlin:20251103T100000",
                ANNA,
            ),
            "END:VCALENDAR",
            "",
        ]
    ).encode()
    result = calendar.import_bytes(cancel, "cancel.ics", START, END)
    assert (result.created, result.removed, result.skipped) == (0, 1, ())
    after = by_purpose(store, "Weekly pipeline review")
    [gone] = [m for m in before if m not in after]
    assert gone.starts_at == utc(2025, 11, 3, 8)
    assert len(after) == 8


def test_a_whole_series_cancelled_removes_each_of_its_meetings(
    store: Store, calendar: CalendarIO
) -> None:
    series = ("SUMMARY:Stand-up", "DTSTART:20251006T070000Z", "RRULE:FREQ=WEEKLY;COUNT=3", ANNA)
    calendar.import_bytes(ics(vevent("standup", *series)), "team.ics", START, END)
    assert len(stored(store)) == 3
    cancelled = ics(vevent("standup", *series, "STATUS:CANCELLED"))
    result = calendar.import_bytes(cancelled, "team.ics", START, END)
    assert (result.removed, result.skipped) == (3, ())
    assert stored(store) == []


def test_an_exdate_added_later_removes_that_occurrence(
    store: Store, calendar: CalendarIO, tmp_path: Path
) -> None:
    first = calendar.import_file(OUTLOOK, START, END)
    ids = {m.starts_at: m.id for m in by_purpose(store, "Weekly pipeline review")}
    exdate = b'EXDATE;TZID="W. Europe Standard Time":20251013T090000'
    edited = tmp_path / "without_10_november.ics"
    edited.write_bytes(OUTLOOK.read_bytes().replace(exdate, exdate + b",20251110T090000"))
    result = calendar.import_file(edited, START, END)
    assert (result.created, result.updated, result.unchanged, result.removed) == (0, 0, 10, 1)
    # An exception is no cancelled event to list: nothing more is left out than before.
    assert result.skipped == first.skipped
    assert result.changes.ids == {ids[utc(2025, 11, 10, 8)]}
    weekly = by_purpose(store, "Weekly pipeline review")
    assert utc(2025, 11, 10, 8) not in [m.starts_at for m in weekly] and len(weekly) == 8
    last = outbox(store)[-1]
    assert (last.op, last.entity_id) == ("delete", ids[utc(2025, 11, 10, 8)])
    again = calendar.import_file(edited, START, END)
    assert (again.removed, again.unchanged) == (0, 10) and not again.changes


def test_a_cancelled_meeting_the_rep_wrote_a_note_for_stays_with_its_note(
    store: Store, calendar: CalendarIO, people: People
) -> None:
    calendar.import_bytes(ics(vevent("visit", *VISIT)), "visit.ics", START, END)
    [visit] = stored(store)
    note_id, _ = NoteBook(store).start(people.acme, visit.id)
    queued = len(outbox(store))
    cancelled = ics(vevent("visit", *VISIT, "STATUS:CANCELLED"))
    result = calendar.import_bytes(cancelled, "visit.ics", START, END)
    assert (result.removed, result.unchanged) == (0, 0) and not result.changes
    assert result.skipped == (SkippedEvent("Site visit", utc(2025, 10, 14, 8), NOTED),)
    assert stored(store) == [visit] and len(outbox(store)) == queued
    with store.reading() as session:
        note = session.get(VisitNote, note_id)
        assert note is not None and note.deleted_at is None and note.meeting_id == visit.id


def test_a_file_with_the_event_both_live_and_cancelled_keeps_the_meeting(
    store: Store, calendar: CalendarIO
) -> None:
    calendar.import_bytes(ics(vevent("visit", *VISIT)), "visit.ics", START, END)
    both = ics(vevent("visit", *VISIT, "STATUS:CANCELLED"), vevent("visit", *VISIT))
    result = calendar.import_bytes(both, "visit.ics", START, END)
    assert (result.unchanged, result.removed) == (1, 0)
    assert len(stored(store)) == 1


# -- export ------------------------------------------------------------------------------


def test_the_export_lists_live_meetings_in_the_window_as_utc_events(
    store: Store, calendar: CalendarIO, people: People
) -> None:
    quote = add_meeting(
        store,
        people.acme,
        utc(2025, 10, 15, 8, 30),
        "Quote walkthrough",
        (people.anna, people.petra),
    )
    deleted = add_meeting(store, people.acme, utc(2025, 10, 16, 8), "Cancelled visit")
    LocalEditor(store).delete("meeting", deleted)
    add_meeting(store, people.bergmann, utc(2026, 3, 1, 8), "Too late")
    exported = Calendar.from_ical(calendar.export_bytes(START, END))
    assert str(exported["PRODID"]) == PRODID and str(exported["VERSION"]) == "2.0"
    [only] = exported.walk("VEVENT")
    assert isinstance(only, Event)
    assert only.uid == f"{quote}@fieldbrief"
    assert (only.start, only.end) == (utc(2025, 10, 15, 8, 30), utc(2025, 10, 15, 9, 30))
    assert b"DTSTART:20251015T083000Z" in only.to_ical()
    assert only.summary == "Quote walkthrough — Acme Maschinenbau"
    assert only.location == "Head office"
    assert only.description == "Attendees: Anna Berg, Petra Sommer"
    # Petra has no email: named in the description, not invited.
    [attendee] = only.attendees
    assert (attendee.email, attendee.name) == ("anna.berg@acme-maschinenbau.de", "Anna Berg")
    assert only.DTSTAMP is not None


def test_export_then_import_changes_nothing(
    store: Store, calendar: CalendarIO, people: People
) -> None:
    calendar.import_file(OUTLOOK, START, END)
    calendar.import_file(GOOGLE, START, END)
    # Made here: a fraction of a second (no .ics carries one), nobody with an email.
    add_meeting(
        store,
        people.acme,
        utc(2025, 10, 15, 8, 30) + timedelta(microseconds=250),
        "Visit",
        (people.petra,),
    )
    before, queued = stored(store), len(outbox(store))
    data = calendar.export_bytes(START, END)
    result = calendar.import_bytes(data, "fieldbrief.ics", START, END)
    assert (result.created, result.updated, result.skipped) == (0, 0, ())
    assert result.unchanged == len(before) == 18
    assert stored(store) == before and len(outbox(store)) == queued


def test_export_file_replaces_the_file_whole(
    store: Store, calendar: CalendarIO, people: People, tmp_path: Path
) -> None:
    add_meeting(store, people.acme, utc(2025, 10, 15, 8, 30), "Visit", (people.anna,))
    folder = tmp_path / "exports"
    folder.mkdir()
    path = folder / "meetings.ics"
    path.write_bytes(b"an older export")
    assert calendar.export_file(path, START, END) == 1
    assert len(Calendar.from_ical(path.read_bytes()).walk("VEVENT")) == 1
    assert [p.name for p in folder.iterdir()] == ["meetings.ics"]  # no temporary file left
    with pytest.raises(CalendarFileError, match="cannot save meetings.ics"):
        calendar.export_file(folder / "missing" / "meetings.ics", START, END)


def test_an_all_day_meeting_is_exported_as_days(
    store: Store, calendar: CalendarIO, people: People
) -> None:
    # Two days in Berlin, 4 and 5 November: from local midnight to the one after the last.
    add_meeting(
        store,
        people.acme,
        utc(2025, 11, 3, 23),
        "Open house",
        ends_at=utc(2025, 11, 5, 23),
        all_day=True,
    )
    data = calendar.export_bytes(START, END)
    assert b"DTSTART;VALUE=DATE:20251104" in data
    assert b"DTEND;VALUE=DATE:20251106" in data  # exclusive, as RFC 5545 has it
    [only] = Calendar.from_ical(data).walk("VEVENT")
    assert isinstance(only, Event)
    assert (only.start, only.end) == (date(2025, 11, 4), date(2025, 11, 6))


def test_an_all_day_meeting_over_a_clock_change_or_from_another_zone_keeps_its_day(
    store: Store, calendar: CalendarIO, people: People
) -> None:
    # 26 October in Berlin has 25 hours.
    add_meeting(
        store,
        people.acme,
        utc(2025, 10, 25, 22),
        "Fair",
        ends_at=utc(2025, 10, 26, 23),
        all_day=True,
    )
    # Imported in Tokyo: its midnight is 16:00 the day before in Berlin.
    add_meeting(
        store,
        people.acme,
        utc(2025, 11, 30, 15),
        "Visit Japan",
        ends_at=utc(2025, 12, 1, 15),
        all_day=True,
    )
    fair, japan = Calendar.from_ical(calendar.export_bytes(START, END)).walk("VEVENT")
    assert isinstance(fair, Event) and isinstance(japan, Event)
    assert (fair.start, fair.end) == (date(2025, 10, 26), date(2025, 10, 27))
    assert (japan.start, japan.end) == (date(2025, 12, 1), date(2025, 12, 2))


def test_all_day_events_round_trip_as_all_day_meetings(
    store: Store, calendar: CalendarIO, tmp_path: Path
) -> None:
    anna = "ATTENDEE:mailto:anna.berg@acme-maschinenbau.de"
    days = ("SUMMARY:Trade fair", "DTSTART;VALUE=DATE:20251201", "DTEND;VALUE=DATE:20251204")
    calendar.import_bytes(ics(vevent("fair", *days, anna)), "fair.ics", START, END)
    [fair] = stored(store)
    assert fair.all_day
    assert (fair.starts_at, fair.ends_at) == (utc(2025, 11, 30, 23), utc(2025, 12, 3, 23))
    queued = len(outbox(store))
    exported = calendar.export_bytes(START, END)
    [event_] = Calendar.from_ical(exported).walk("VEVENT")
    assert isinstance(event_, Event)
    assert (event_.start, event_.end) == (date(2025, 12, 1), date(2025, 12, 4))
    result = calendar.import_bytes(exported, "fieldbrief.ics", START, END)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert stored(store) == [fair] and len(outbox(store)) == queued


def test_an_all_day_meeting_imported_as_timed_before_becomes_all_day(
    store: Store, calendar: CalendarIO
) -> None:
    anna = "ATTENDEE:mailto:anna.berg@acme-maschinenbau.de"
    data = ics(vevent("day", "SUMMARY:Fair", "DTSTART;VALUE=DATE:20251110", anna))
    calendar.import_bytes(data, "fair.ics", START, END)
    [fair] = stored(store)
    LocalEditor(store).set_fields("meeting", fair.id, all_day=False)  # as an older app had it
    result = calendar.import_bytes(data, "fair.ics", START, END)
    assert result.updated == 1
    [fair] = stored(store)
    assert fair.all_day
    last = outbox(store)[-1]
    assert (last.op, last.fields, last.base) == (
        "set_fields",
        {"all_day": True},
        {"all_day": False},
    )
