"""Writes small, explicit rows into a real store for tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from db.store.local_store import Store
from db.store.models import (
    Account,
    Activity,
    Contact,
    Meeting,
    MeetingAttendee,
    TeamMember,
    VisitNote,
)
from db.store.types import utc_now
from sync.enums import Channel, DealRole, LadderRung, TeamRole


def add_account(store: Store, name: str, **fields: Any) -> uuid.UUID:
    fields.setdefault("territory", "north")
    fields.setdefault("ladder_rung", LadderRung.CUSTOMER)
    with store.session() as session:
        account = Account(name=name, **fields)
        session.add(account)
        session.flush()
        return account.id


def add_contact(
    store: Store, account_id: uuid.UUID, first: str, last: str, **fields: Any
) -> uuid.UUID:
    fields.setdefault("deal_role", DealRole.CHAMPION)
    with store.session() as session:
        contact = Contact(account_id=account_id, first_name=first, last_name=last, **fields)
        session.add(contact)
        session.flush()
        return contact.id


def add_note(store: Store, account_id: uuid.UUID, body: str) -> uuid.UUID:
    with store.session() as session:
        note = VisitNote(account_id=account_id, body=body, author="rep")
        session.add(note)
        session.flush()
        return note.id


def add_activity(
    store: Store,
    account_id: uuid.UUID,
    title: str,
    *,
    days_ago: float = 1,
    channel: Channel = Channel.MARKETING,
    type: str = "email_opened",
    details: dict[str, Any] | None = None,
    contact_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> uuid.UUID:
    with store.session() as session:
        activity = Activity(
            account_id=account_id,
            contact_id=contact_id,
            channel=channel,
            type=type,
            title=title,
            occurred_at=at or utc_now() - timedelta(days=days_ago),
            details={"source": "test"} if details is None else details,
        )
        session.add(activity)
        session.flush()
        return activity.id


def add_team_member(store: Store, account_id: uuid.UUID, name: str, role: TeamRole) -> None:
    with store.session() as session:
        session.add(TeamMember(account_id=account_id, name=name, role=role))


def add_meeting(
    store: Store,
    account_id: uuid.UUID,
    starts_at: datetime,
    purpose: str,
    attendees: tuple[uuid.UUID, ...] = (),
    ends_at: datetime | None = None,
    all_day: bool = False,
) -> uuid.UUID:
    """A meeting of an hour, unless `ends_at` says otherwise."""
    with store.session() as session:
        meeting = Meeting(
            account_id=account_id,
            starts_at=starts_at,
            ends_at=ends_at or starts_at + timedelta(hours=1),
            purpose=purpose,
            place="Head office",
            all_day=all_day,
        )
        session.add(meeting)
        session.flush()
        for contact_id in attendees:
            session.add(MeetingAttendee(meeting_id=meeting.id, contact_id=contact_id))
        return meeting.id


def add_numbered_accounts(store: Store, count: int, prefix: str = "Company") -> None:
    """`count` accounts named '<prefix> 0000'… in one transaction, rungs taking turns."""
    rungs = list(LadderRung)
    with store.session() as session:
        session.add_all(
            Account(
                name=f"{prefix} {i:04d}",
                territory="north",
                city="Bonn",
                ladder_rung=rungs[i % len(rungs)],
                employees=10 + i,
            )
            for i in range(count)
        )


def add_note_conflict(
    store: Store, note_id: uuid.UUID, other_text: str, by: str = "ana"
) -> uuid.UUID:
    """What the server sends when another device's rewrite of a note lost the race: the
    note flagged for a merge and a conflict holding the text it could not take."""
    from db.store.models import RemoteRecord

    conflict_id = uuid.uuid4()
    with store.session() as session:
        note = session.get(VisitNote, note_id)
        assert note is not None
        note.needs_merge = True
        session.add(
            RemoteRecord(
                entity="conflict",
                id=conflict_id,
                server_version=3,
                deleted=False,
                data={
                    "entity": "visit_note",
                    "entity_id": str(note_id),
                    "field": "body",
                    "client_value": other_text,
                    "server_value": note.body,
                    "kind": "both_changed",
                    "by_user": by,
                },
            )
        )
    return conflict_id
