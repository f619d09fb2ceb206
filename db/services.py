"""The store-backed services the UI is handed (built once, in desktop/)."""

from __future__ import annotations

from dataclasses import dataclass

from db.accounts import AccountDirectory
from db.attention import AttentionDesk
from db.briefing.service import BriefingService
from db.briefing.warnings import WarningIndex
from db.field.agenda import Agenda
from db.field.calendar_io import CalendarIO
from db.field.followups import FollowUps
from db.field.holds import ContactHolds
from db.field.ladder import Ladder
from db.field.leads import LeadDesk
from db.field.meetings import MeetingCalendar
from db.field.notes import NoteBook
from db.profiles.book import ProfileBook
from db.search import SearchIndex
from db.store.local_store import Store


@dataclass(frozen=True)
class LocalServices:
    """Everything the window may ask of the local store; each call blocks, so run it off
    the GUI thread."""

    accounts: AccountDirectory
    meetings: MeetingCalendar
    search: SearchIndex
    attention: AttentionDesk
    profiles: ProfileBook
    briefings: BriefingService
    calendar: CalendarIO
    notes: NoteBook
    follow_ups: FollowUps
    ladder: Ladder
    leads: LeadDesk
    holds: ContactHolds
    agenda: Agenda
    warnings: WarningIndex

    @classmethod
    def for_store(cls, store: Store) -> LocalServices:
        return cls(
            AccountDirectory(store),
            MeetingCalendar(store),
            SearchIndex(store),
            AttentionDesk(store),
            ProfileBook(store),
            BriefingService(store),
            CalendarIO(store),
            NoteBook(store),
            FollowUps(store),
            Ladder(store),
            LeadDesk(store),
            ContactHolds(store),
            Agenda(store),
            WarningIndex(store),
        )
