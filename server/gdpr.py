"""A person's requests about their data (GDPR Art. 15 and 17): everything held, or erased."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.orm import Session

from server import audit
from server.errors import BadRequest, NotFound
from server.models import IngestedEvent, OutsideKey, Record, utc_now
from server.records import Clock, ScopedRecords, is_erased
from server.retention import secure_delete
from server.store import ServerStore

ERASED = "[erased]"  # what a person's name and e-mail become in text that named them
EMAIL_CHARS = 320
NOBODY = "no contact has that e-mail address (or it was erased already)"
# Rows about a person and nobody else, through their contact_id: erased with them.
ABOUT_THEM = ("profile_answer", "profile_change", "meeting_attendee", "contact_hold")
# Rows whose free text may name a person, and those fields: their name and e-mail are
# replaced there. The rows linked to the person (a note of a meeting they attended, a
# follow-up about them) lose the first or last name alone too, which names them there.
FREE_TEXT = {
    "visit_note": ("body",),
    "task": ("title",),
    "meeting": ("purpose", "place"),
    "lead": ("decision_note", "outcome_reason"),
    "ladder_change": ("reason",),
    "activity": ("title", "details"),
    "conflict": ("client_value", "server_value"),
}
# Titles before a surname that name the person as well as their full name does.
_HONORIFICS = r"(?:mr|mrs|ms|miss|mx|dr|prof|herr|frau|mme|mlle|sr|sra|sig|sig\.ra)\.?"


def checked_email(text: str) -> str:
    """An e-mail address as an admin typed it (without surrounding space); BadRequest if
    it is not one."""
    email = text.strip()
    if (
        not email
        or len(email) > EMAIL_CHARS
        or email.count("@") != 1
        or not all(part for part in email.split("@"))
        or any(c.isspace() or not c.isprintable() for c in email)
    ):
        raise BadRequest("give the person's e-mail address, such as zoe.berg@acme.example")
    return email


@dataclass
class _Person:
    """What we hold about one person: their contact records and what hangs off them."""

    contacts: list[Record]
    email: str
    ids: set[str] = field(default_factory=set)  # contact ids, as the records name them
    about: dict[str, list[Record]] = field(default_factory=dict)  # ABOUT_THEM, by entity
    activities: list[Record] = field(default_factory=list)
    meetings: set[str] = field(default_factory=set)  # ids of meetings they attended
    linked_ids: set[str] = field(default_factory=set)  # rows found linked to them
    named: re.Pattern[str] | None = None  # their full name or e-mail
    linked: re.Pattern[str] | None = None  # also their first or last name alone

    def is_linked(self, record: Record) -> bool:
        """Whether `record` is about this person by its ids (not by what its text says)."""
        data = record.data
        if str(data.get("contact_id")) in self.ids:
            return True
        if record.entity == "meeting":
            return str(record.id) in self.meetings
        if record.entity == "conflict":  # about a row linked to them
            return str(data.get("entity_id")) in self.linked_ids
        return record.entity == "visit_note" and str(data.get("meeting_id")) in self.meetings


def _find(session: Session, email: str) -> _Person:
    """The contacts with `email` (any letter case, every territory, deleted ones too) and
    the rows about them; NotFound when there are none."""
    typed = checked_email(email)
    wanted = typed.casefold()
    address = Record.data["email"].as_string()
    contacts = [
        contact
        for contact in session.scalars(
            select(Record)
            .where(Record.entity == "contact", func.lower(address) == typed.lower())
            .order_by(Record.territory, Record.id)
        )
        if str(contact.data.get("email") or "").casefold() == wanted
    ]
    if not contacts:
        raise NotFound(NOBODY)
    person = _Person(contacts, wanted, {str(c.id) for c in contacts})
    about = Record.data["contact_id"].as_string().in_(sorted(person.ids))
    for entity in ABOUT_THEM:
        stmt = select(Record).where(Record.entity == entity, about).order_by(Record.id)
        person.about[entity] = [r for r in session.scalars(stmt) if not is_erased(r)]
    person.meetings = {
        str(attended.data.get("meeting_id")) for attended in person.about["meeting_attendee"]
    }
    mentions = cast(Record.data, Text).icontains(typed.lower(), autoescape=True)
    stmt = select(Record).where(Record.entity == "activity", or_(about, mentions))
    person.activities = [
        activity
        for activity in session.scalars(stmt.order_by(Record.id))
        if not is_erased(activity)
        and (str(activity.data.get("contact_id")) in person.ids or _mentions(activity, wanted))
    ]
    person.named, person.linked = _patterns(contacts, wanted)
    return person


def _mentions(record: Record, email: str) -> bool:
    return any(email in text.casefold() for text in _texts(record))


def _patterns(contacts: list[Record], email: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """What names the people of `contacts` anywhere (their full name, a title and their
    surname, their e-mail; in any letter case) and, in rows linked to them, also their
    first or last name alone (as written or in capitals: "May" is a name, "may" a verb)."""
    full: set[str] = {re.escape(email)}
    single: set[str] = set()
    for contact in contacts:
        first = str(contact.data.get("first_name") or "")
        last = str(contact.data.get("last_name") or "")
        if first.strip() and last.strip():
            full |= {rf"{_words(first)}\s+{_words(last)}", rf"{_words(last)},?\s+{_words(first)}"}
        if last.strip():
            full.add(rf"{_HONORIFICS}\s+{_words(last)}")
        single |= {_words(name) for part in (first, last) for name in (part, part.upper())}
        other = str(contact.data.get("email") or "")
        if other:
            full.add(re.escape(other))
    single.discard("")
    # Longest first: at one place the full name is replaced whole, not its first name.
    named = rf"(?i:{'|'.join(sorted(full, key=len, reverse=True))})"
    alone = "|".join(sorted(single, key=len, reverse=True))
    return _compiled(named), _compiled(f"{named}|{alone}" if alone else named)


def _words(value: str) -> str:
    """A name as a pattern: its words as written, any white space between them."""
    return r"\s+".join(re.escape(part) for part in value.split())


def _compiled(alternatives: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _texts(record: Record) -> Iterator[str]:
    """The strings of a record's free text (FREE_TEXT), nested JSON included."""
    for name in FREE_TEXT.get(record.entity, ()):
        yield from _strings(record.data.get(name))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _redacted(value: Any, pattern: re.Pattern[str]) -> Any:
    """`value` with every match of `pattern` in its strings replaced by ERASED."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, dict):
        return {name: _redacted(item, pattern) for name, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item, pattern) for item in value]
    return value


def _naming(session: Session, person: _Person, skip: set[tuple[str, str]]) -> list[Record]:
    """The rows (other than `skip`) whose free text names the person, or that are linked
    to them, in every territory; conflicts last (one about a linked row is linked too).
    Read whole: a name in SQL's LIKE would miss the letter cases SQLite does not fold."""
    assert person.named is not None
    found = []
    for kinds in ([e for e in FREE_TEXT if e != "conflict"], ["conflict"]):
        stmt = select(Record).where(Record.entity.in_(kinds)).order_by(Record.entity, Record.id)
        for record in session.scalars(stmt.execution_options(yield_per=2000)):
            if (record.entity, str(record.id)) in skip or is_erased(record):
                continue
            if person.is_linked(record):
                person.linked_ids.add(str(record.id))
            elif not any(person.named.search(text) for text in _texts(record)):
                continue
            found.append(record)
    return found


def _conflicts_about(session: Session, ids: Iterable[str]) -> list[Record]:
    wanted = sorted(set(ids))
    found: list[Record] = []
    for start in range(0, len(wanted), 500):
        stmt = select(Record).where(
            Record.entity == "conflict",
            Record.data["entity_id"].as_string().in_(wanted[start : start + 500]),
        )
        found += [r for r in session.scalars(stmt) if not is_erased(r)]
    return found


def _events(session: Session, person: _Person) -> list[IngestedEvent]:
    """The copies of incoming events that name the person or became their activities."""
    activities = [a.id for a in person.activities]
    stmt = select(IngestedEvent).where(
        or_(
            cast(IngestedEvent.event, Text).icontains(person.email, autoescape=True),
            IngestedEvent.activity_id.in_(activities),
        )
    )
    return list(session.scalars(stmt.order_by(IngestedEvent.source, IngestedEvent.event_id)))


def contacts_with(session: Session, email: str) -> int:
    """How many contacts have `email` (any letter case, every territory); NotFound if none."""
    typed = checked_email(email)
    address = Record.data["email"].as_string()
    stmt = select(Record.data["email"].as_string()).where(
        Record.entity == "contact", func.lower(address) == typed.lower()
    )
    found = sum(1 for (held,) in session.execute(stmt) if str(held).casefold() == typed.casefold())
    if not found:
        raise NotFound(NOBODY)
    return found


# --- export ---------------------------------------------------------------------------------


def export_contact(
    session: Session, email: str, *, actor: str = audit.ADMIN, now: datetime | None = None
) -> dict[str, Any]:
    """Everything held about the person with `email` (every contact with it, any letter
    case, in every territory), as JSON-ready values; NotFound if nobody has it. The export
    is recorded in the audit log (in this transaction)."""
    person = _find(session, email)
    held = [*[r for rows in person.about.values() for r in rows], *person.activities]
    skip = {(r.entity, str(r.id)) for r in held}
    naming = _naming(session, person, skip)
    by_entity: dict[str, list[Record]] = {}
    for record in naming:
        by_entity.setdefault(record.entity, []).append(record)
    ids = {str(r.id) for r in [*person.contacts, *held, *naming]}
    accounts = {str(c.data.get("account_id")) for c in person.contacts}
    names = {
        str(account.id): account.data.get("name")
        for account in session.scalars(
            select(Record).where(
                Record.entity == "account", Record.id.in_([uuid.UUID(a) for a in accounts])
            )
        )
    }
    export = {
        "email": email.strip(),
        "exported_at": (now or utc_now()).isoformat(),
        "contacts": [_row(c) for c in person.contacts],
        "accounts": [{"id": a, "name": names.get(a)} for a in sorted(accounts)],
        "profile_answers": [_row(r) for r in person.about["profile_answer"]],
        "profile_history": [_row(r) for r in person.about["profile_change"]],
        "meetings": [_row(r) for r in by_entity.get("meeting", [])],
        "meeting_attendance": [_row(r) for r in person.about["meeting_attendee"]],
        "visit_notes": [_row(r) for r in by_entity.get("visit_note", [])],
        "tasks": [_row(r) for r in by_entity.get("task", [])],
        "leads": [_row(r) for r in by_entity.get("lead", [])],
        "activities": [_row(r) for r in [*person.activities, *by_entity.get("activity", [])]],
        "holds": [_row(r) for r in person.about["contact_hold"]],
        "ladder_changes": [_row(r) for r in by_entity.get("ladder_change", [])],
        "conflicts": [
            _row(r) for r in [*_conflicts_about(session, ids), *by_entity.get("conflict", [])]
        ],
        "ingested_events": [
            {
                "source": e.source,
                "event_id": e.event_id,
                "status": e.status,
                "received_at": e.received_at.isoformat(),
                "event": e.event,
            }
            for e in _events(session, person)
        ],
        "outside_keys": [
            {"system": k.system, "key": k.key, "entity": k.entity, "record_id": str(k.record_id)}
            for k in _outside_keys(session, ids)
        ],
    }
    audit.record(
        session,
        action="contact export",
        actor=actor,
        subject=email.strip(),
        detail=f"{len(person.contacts)} contact(s)",
        at=now,
    )
    return export


def _row(record: Record) -> dict[str, Any]:
    return {
        "entity": record.entity,
        "id": str(record.id),
        "territory": record.territory,
        "updated_at": record.updated_at.isoformat(),
        "deleted_at": record.deleted_at.isoformat() if record.deleted_at else None,
        "fields": record.data,
    }


def _outside_keys(session: Session, ids: set[str]) -> list[OutsideKey]:
    wanted = sorted(uuid.UUID(i) for i in ids)
    found: list[OutsideKey] = []
    for start in range(0, len(wanted), 500):
        stmt = select(OutsideKey).where(OutsideKey.record_id.in_(wanted[start : start + 500]))
        found += session.scalars(stmt)
    return found


# --- erasure --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    """What an erasure did, in counts (never values)."""

    contacts: int
    erased: dict[str, int]  # rows erased with them, by entity
    redacted: dict[str, int]  # rows whose text named them, by entity
    events: int  # copies of incoming events emptied
    outside_keys: int

    def text(self) -> str:
        """The erasure in words, for the admin."""

        def listed(counts: dict[str, int]) -> str:
            parts = [f"{n:,} {_LABELS.get(e, e)}" for e, n in sorted(counts.items()) if n]
            return ", ".join(parts) or "nothing else"

        people = "1 contact" if self.contacts == 1 else f"{self.contacts:,} contacts"
        return (
            f"Erased {people} with that e-mail address, and with them: "
            f"{listed(self.erased)}. Their name and e-mail replaced by {ERASED} in: "
            f"{listed(self.redacted)}. Incoming events emptied: {self.events:,}; "
            f"outside keys forgotten: {self.outside_keys:,}. Laptops erase their copies at "
            "their next sync."
        )


_LABELS = {
    "profile_answer": "profile answer(s)",
    "profile_change": "profile history entry(ies)",
    "meeting_attendee": "meeting attendance(s)",
    "contact_hold": "marketing hold(s)",
    "activity": "activity(ies)",
    "conflict": "conflict record(s)",
    "visit_note": "visit note(s)",
    "task": "follow-up(s)",
    "meeting": "meeting(s)",
    "lead": "lead(s)",
    "ladder_change": "ladder step(s)",
}


def erase_contact(
    session: Session, email: str, clock: Clock = utc_now, *, actor: str = audit.ADMIN
) -> Erasure:
    """Erases the person with `email` (every contact with it, in every territory), in the
    caller's transaction; NotFound if nobody has it.

    Their contact records and the rows about them alone (profile answers and their
    history, meeting attendances, marketing holds, their activities, conflicts about any
    of these) are erased the normal way with no values left (ScopedRecords.erase), so
    every laptop removes its copies at its next sync. Rows that name them but are not
    theirs alone (visit notes, follow-ups, leads...) keep everything else: their name and
    e-mail become ERASED, and a follow-up or lead no longer points at them, in normal
    updates laptops receive. Copies of incoming events that named them are emptied (their
    source and id stay, so a resent event is still a duplicate), and outside keys of the
    erased records are forgotten. Recorded in the audit log."""
    secure_delete(session)
    records = ScopedRecords(session, frozenset(), clock)
    records.lock_for_writing()
    person = _find(session, email)
    assert person.linked is not None and person.named is not None
    gone = [*[r for rows in person.about.values() for r in rows], *person.activities]
    skip = {(r.entity, str(r.id)) for r in [*gone, *person.contacts]}
    naming = _naming(session, person, skip)
    ids = {str(r.id) for r in [*gone, *person.contacts]}
    gone += _conflicts_about(session, ids)
    ids |= {str(r.id) for r in gone}
    events = _events(session, person)
    # Updates first, then the rows about them, the contacts last: a laptop pulling them
    # in order never holds a row that names a contact it no longer has.
    redacted: dict[str, int] = {}
    erasing = {(r.entity, str(r.id)) for r in gone}
    for record in naming:
        if (record.entity, str(record.id)) in erasing:
            continue
        pattern = person.linked if str(record.id) in person.linked_ids else person.named
        data = dict(record.data)
        for name in FREE_TEXT[record.entity]:
            if name in data:
                data[name] = _redacted(data[name], pattern)
        if str(data.get("contact_id")) in person.ids:
            data["contact_id"] = None
        if data != record.data:
            record.data = data
            records.save(record)
            redacted[record.entity] = redacted.get(record.entity, 0) + 1
    erased: dict[str, int] = {}
    for record in gone:
        records.erase(record)
        erased[record.entity] = erased.get(record.entity, 0) + 1
    for contact in person.contacts:
        records.erase(contact)
    for event in events:
        event.event = {}
        if event.status == "unmatched":
            event.status, event.reason = "erased", None  # no rematch for it
    keys = _outside_keys(session, ids)
    for key in keys:
        session.delete(key)
    summary = Erasure(len(person.contacts), erased, redacted, len(events), len(keys))
    audit.record(
        session,
        action="contact erase",
        actor=actor,
        subject=email.strip(),
        detail=f"{summary.contacts} contact(s), {sum(erased.values())} rows erased, "
        f"{sum(redacted.values())} redacted",
        at=clock(),
    )
    return summary


def scrub_database_file(store: ServerStore) -> bool | None:
    """After an erasure on SQLite: rewrites the database file (VACUUM: no freed page keeps
    an old copy of a row) and empties its write-ahead log. True when both were done, False
    when another connection kept the log in use (it empties at a later checkpoint); None
    on PostgreSQL, whose old row versions stay in its files until VACUUM reuses the space
    (and in its WAL archive and backups for as long as those are kept)."""
    engine = store.engine
    if engine.dialect.name != "sqlite":
        return None
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM")
        busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
    return not busy
