"""What a briefing holds: plain frozen data, for the screen and the PDF (no SQLAlchemy, so
the GUI thread can import it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from db.briefing.rules import Promise, Scheduled, Warning
from sync.enums import LadderRung


@dataclass(frozen=True, slots=True)
class BriefingPerson:
    contact_id: uuid.UUID
    name: str
    title: str | None
    role: str | None  # their part in the decision
    phones: tuple[str, ...]  # mobile first
    email: str | None
    attending: bool
    highlights: tuple[tuple[str, str], ...]  # (question label, answer) worth a line
    coming_up: tuple[str, ...]  # "Birthday on 3 Dec (turns 50)"
    avoid: tuple[str, ...]  # topics to avoid


@dataclass(frozen=True, slots=True)
class TimelineItem:
    occurred_at: datetime
    channel: str
    type: str
    title: str
    contact: str | None


@dataclass(frozen=True, slots=True)
class TimelineGroup:
    key: str
    channel: str
    summary: str  # "attended 2 webinars"
    count: int
    latest: datetime
    items: tuple[TimelineItem, ...]  # newest first


@dataclass(frozen=True, slots=True)
class TeamTouch:
    name: str
    role: str
    email: str | None
    latest_at: datetime | None
    latest: str | None
    in_timeline: bool = False  # the touch is since the last visit, so in the timeline too


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    """What is open in one part of the company (service, billing, marketing)."""

    channel: str
    open: tuple[str, ...]  # "ticket #123 (high) open since 03 Nov 2026"; none: nothing open
    scores: tuple[str, ...]  # the newest survey answers: "NPS 9/10 from Rob Stone, 12 Oct 2026"


@dataclass(frozen=True, slots=True)
class VisitRecap:
    at: datetime
    purpose: str | None
    notes: tuple[tuple[str | None, str], ...]  # (author, text)


@dataclass(frozen=True, slots=True)
class MeetingInfo:
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    place: str | None
    purpose: str | None
    all_day: bool = False


@dataclass(frozen=True, slots=True)
class Briefing:
    account_id: uuid.UUID
    account_name: str
    city: str | None
    industry: str | None
    rung: LadderRung
    meeting: MeetingInfo | None
    people: tuple[BriefingPerson, ...]
    more_people: int  # the account's other contacts, not shown
    warnings: tuple[Warning, ...]
    since: datetime  # the end of the last visit (the timeline starts after it)
    since_last_visit: bool  # False: no earlier visit, `since` is NO_VISIT_DAYS back
    status: tuple[ChannelStatus, ...]  # service, billing, marketing
    timeline: tuple[TimelineGroup, ...]  # newest group first
    team: tuple[TeamTouch, ...]
    last_visit: VisitRecap | None
    promises: tuple[Promise, ...]
    scheduled: tuple[Scheduled, ...]
    nurture_paused: tuple[str, ...]
    holds: tuple[str, ...]  # the rep's requests that marketing leave someone alone
    held_sends: tuple[int, ...]  # indexes of `scheduled` going to someone on hold
    talking_points: tuple[str, ...]
    made_at: datetime
