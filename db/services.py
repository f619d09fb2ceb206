"""The store-backed services the UI is handed (built once, in desktop/)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from db.accounts import AccountDirectory
from db.attention import AttentionDesk
from db.briefing.warnings import WarningIndex
from db.field.agenda import Agenda
from db.field.ladder import Ladder
from db.field.meetings import MeetingCalendar
from db.field.notes import NoteBook
from db.profiles.book import ProfileBook
from db.store.local_store import Store

if TYPE_CHECKING:
    from db.briefing.service import BriefingService
    from db.field.calendar_io import CalendarIO
    from db.field.followups import FollowUps
    from db.field.holds import ContactHolds
    from db.field.leads import LeadDesk
    from db.search import SearchIndex


class LocalServices:
    """Everything the window may ask of the local store; each call blocks, so run it off
    the GUI thread.

    What the first screen reads (Today, Accounts, Needs attention) is built with the
    services; the rest when first asked for, so their modules (icalendar, the search and
    briefing rules: a tenth of a start's imports) load after the first screen, not before.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.accounts = AccountDirectory(store)
        self.meetings = MeetingCalendar(store)
        self.attention = AttentionDesk(store)
        self.profiles = ProfileBook(store)
        self.notes = NoteBook(store)
        self.ladder = Ladder(store)
        self.agenda = Agenda(store)
        self.warnings = WarningIndex(store)

    @classmethod
    def for_store(cls, store: Store) -> LocalServices:
        return cls(store)

    def warm(self) -> None:
        """Builds the services not built yet, loading their modules: on the store thread
        once the first screen is up, so a rep's first briefing or calendar import does not
        wait for them."""
        for service in ("search", "briefings", "calendar", "follow_ups", "leads", "holds"):
            getattr(self, service)

    @cached_property
    def search(self) -> SearchIndex:
        from db.search import SearchIndex

        return SearchIndex(self.store)

    @cached_property
    def briefings(self) -> BriefingService:
        from db.briefing.service import BriefingService

        return BriefingService(self.store, self.profiles.definition)

    @cached_property
    def calendar(self) -> CalendarIO:
        from db.field.calendar_io import CalendarIO

        return CalendarIO(self.store)

    @cached_property
    def follow_ups(self) -> FollowUps:
        from db.field.followups import FollowUps

        return FollowUps(self.store)

    @cached_property
    def leads(self) -> LeadDesk:
        from db.field.leads import LeadDesk

        return LeadDesk(self.store)

    @cached_property
    def holds(self) -> ContactHolds:
        from db.field.holds import ContactHolds

        return ContactHolds(self.store)
