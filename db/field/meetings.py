"""The rep's calendar: meetings in a time window, with who attends."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select

from db.dto import MeetingRow
from db.store.local_store import Store
from db.store.models import Account, Contact, Meeting, MeetingAttendee


class MeetingCalendar:
    """Meetings of the local store. Call off the GUI thread."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def between(self, start: datetime, end: datetime) -> list[MeetingRow]:
        """Meetings starting in [start, end), earliest first, with attendee names."""
        stmt = (
            select(Meeting, Account.name)
            .join(Account, Account.id == Meeting.account_id)
            .where(
                Meeting.starts_at >= start,
                Meeting.starts_at < end,
                Meeting.deleted_at.is_(None),
                Account.deleted_at.is_(None),
            )
            .order_by(Meeting.starts_at)
        )
        with self._store.reading() as session:
            meetings = session.execute(stmt).all()
            ids = [m.id for m, _ in meetings]
            attendees: dict[object, list[str]] = defaultdict(list)
            if ids:
                rows = session.execute(
                    select(MeetingAttendee.meeting_id, Contact.first_name, Contact.last_name)
                    .join(Contact, Contact.id == MeetingAttendee.contact_id)
                    .where(
                        MeetingAttendee.meeting_id.in_(ids),
                        MeetingAttendee.deleted_at.is_(None),
                        Contact.deleted_at.is_(None),
                    )
                    .order_by(Contact.last_name)
                )
                for meeting_id, first, last in rows:
                    attendees[meeting_id].append(f"{first} {last}")
            return [
                MeetingRow(
                    id=m.id,
                    account_id=m.account_id,
                    account_name=name,
                    starts_at=m.starts_at,
                    ends_at=m.ends_at,
                    place=m.place,
                    purpose=m.purpose,
                    attendees=tuple(attendees[m.id]),
                    all_day=m.all_day,
                )
                for m, name in meetings
            ]
