"""Frozen values the store hands to the UI; never live ORM objects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from db.changes import Changes
from db.profiles.values import Completeness
from sync.enums import Channel, DealRole, LadderRung, TeamRole


class AccountSort(StrEnum):
    """Columns the account list can be sorted by."""

    NAME = "name"
    INDUSTRY = "industry"
    CITY = "city"
    RUNG = "ladder_rung"
    EMPLOYEES = "employees"
    OWNER = "owner_rep"


@dataclass(frozen=True, slots=True)
class AccountQuery:
    """What the account list shows: a search text, a sort and an optional rung filter."""

    text: str = ""
    sort: AccountSort = AccountSort.NAME
    descending: bool = False
    rung: LadderRung | None = None


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One line of the account list."""

    id: uuid.UUID
    name: str
    industry: str | None
    city: str | None
    ladder_rung: LadderRung
    employees: int | None
    owner_rep: str | None


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: uuid.UUID
    name: str
    title: str | None
    email: str | None
    phone: str | None
    deal_role: DealRole | None


@dataclass(frozen=True, slots=True)
class ActivityRow:
    id: uuid.UUID
    occurred_at: datetime
    channel: Channel
    type: str
    title: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TeamMemberRow:
    name: str
    role: TeamRole
    email: str | None


@dataclass(frozen=True, slots=True)
class AccountDetail:
    """Everything the account pane shows about one account."""

    id: uuid.UUID
    name: str
    industry: str | None
    employees: int | None
    street: str | None
    postal_code: str | None
    city: str | None
    country: str | None
    phone: str | None
    website: str | None
    territory: str
    owner_rep: str | None
    ladder_rung: LadderRung
    contacts: tuple[ContactRow, ...]
    latest_activity: tuple[ActivityRow, ...]
    team: tuple[TeamMemberRow, ...]
    activity_count: int

    @property
    def address(self) -> str:
        place = " ".join(p for p in (self.postal_code, self.city) if p)
        return ", ".join(p for p in (self.street, place, self.country) if p)


@dataclass(frozen=True, slots=True)
class MeetingRow:
    """A meeting as the Today screen lists it."""

    id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    starts_at: datetime
    ends_at: datetime
    place: str | None
    purpose: str | None
    attendees: tuple[str, ...]
    all_day: bool = False  # a whole day (or days): starts_at and ends_at are midnights


class HitKind(StrEnum):
    ACCOUNT = "account"
    CONTACT = "contact"
    NOTE = "visit_note"

    @property
    def label(self) -> str:
        return {"account": "Account", "contact": "Contact", "visit_note": "Visit note"}[self.value]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One result of the global search, best first."""

    kind: HitKind
    ref_id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    title: str
    snippet: str


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """The person's consent to keep special-category answers: when and how it was given."""

    given_on: date
    how: str


@dataclass(frozen=True, slots=True)
class ContactProfile:
    """A contact's customer profile: answers by question id (answers to questions this
    app's definition lacks included, untouched), consent and completeness."""

    contact_id: uuid.UUID
    account_id: uuid.UUID
    name: str
    title: str | None
    account_name: str
    answers: dict[str, Any]
    consent: ConsentRecord | None
    sensitive_allowed: bool  # False: the company keeps sensitive answers off laptops
    completeness: Completeness


@dataclass(frozen=True, slots=True)
class ProfileHistoryRow:
    """One change of a profile answer; `value` is None for cleared and sensitive answers."""

    question_id: str
    label: str
    value: Any
    changed_by: str | None
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class ProfileReminder:
    """A birthday or anniversary coming up; `years` is the age or years married then, when
    the year is known."""

    contact_id: uuid.UUID
    account_id: uuid.UUID
    contact_name: str
    account_name: str
    label: str
    kind: str
    on: date
    days_away: int
    years: int | None


@dataclass(frozen=True, slots=True)
class ProfileCompletenessRow:
    """One contact on the territory's profile-completeness list."""

    contact_id: uuid.UUID
    contact_name: str
    title: str | None
    deal_role: DealRole | None
    account_id: uuid.UUID
    account_name: str
    answered: int
    total: int

    @property
    def fraction(self) -> float:
        return self.answered / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class SkippedEvent:
    """An event of an imported calendar that did not become a meeting, and why in plain
    words; `starts_at` (UTC) is its first start in the window, None if it has none."""

    summary: str
    starts_at: datetime | None
    reason: str


@dataclass(frozen=True, slots=True)
class CalendarImportResult:
    """What importing a calendar file did, counted in meetings (one per occurrence), and
    what it changed, for the views to refresh."""

    created: int
    updated: int
    unchanged: int
    removed: int  # imported before; now cancelled, or left out of their series (EXDATE)
    skipped: tuple[SkippedEvent, ...]
    changes: Changes


@dataclass(frozen=True, slots=True)
class AccountMark:
    """Why an account needs care before a visit, for a marker in a list: the briefing's
    worst warning in a line ("Open dispute: invoice INV-1")."""

    text: str
    stop: bool  # do not pitch (a dispute, a credit hold), not only take care
