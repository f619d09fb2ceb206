"""The pre-call briefing: one account's situation, read from the local store in one go.

What the rules read (db.briefing.rules.Facts) is derived here from the activity stream:
a ticket is open until a close for its number arrives, a dispute until its resolution, an
invoice is overdue until it is paid. Call off the GUI thread.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from db.briefing import rules
from db.briefing.dto import (
    Briefing,
    BriefingPerson,
    MeetingInfo,
    TeamTouch,
    TimelineGroup,
    TimelineItem,
    VisitRecap,
)
from db.briefing.rules import Facts, Promise, Scheduled
from db.field.holds import ContactHolds, HoldRow
from db.profiles.book import CONSENT_ID, next_occurrence
from db.profiles.definition import load_definition
from db.profiles.report import format_answer
from db.profiles.values import recurring_dates
from db.store.local_store import Store
from db.store.models import (
    Account,
    Activity,
    Contact,
    Meeting,
    MeetingAttendee,
    ProfileAnswer,
    Task,
    TeamMember,
    VisitNote,
)
from sync.enums import Channel, TeamRole
from sync.profile_definition import ProfileDefinition

NO_VISIT_DAYS = 90  # with no earlier visit, "since the last visit" means this many days
SCHEDULED_DAYS = 42  # marketing's sends this far ahead
REMINDER_DAYS = 30
PEOPLE_SHOWN = 8  # without a meeting: the account's first contacts
# Events that change what is open (tickets, disputes, invoices, holds): read all-time.
STATE_TYPES = (
    "ticket_opened",
    "ticket_updated",
    "ticket_closed",
    "dispute_opened",
    "dispute_resolved",
    "invoice_issued",
    "invoice_overdue",
    "invoice_paid",
    "credit_hold",
    "credit_released",
    "nps_response",
    "csat_response",
    "nurture_paused",
    "nurture_resumed",
    "contact_opt_out",
    "contact_opt_in",
)
# An event of these kinds, the newest about its thing, leaves that thing open.
OPENING_TYPES = (
    "ticket_opened",
    "ticket_updated",
    "dispute_opened",
    "invoice_issued",
    "invoice_overdue",
    "credit_hold",
    "nurture_paused",
    "contact_opt_out",
)
# The detail fields the briefing reads (the rest of an event's JSON stays in the store).
DETAIL_FIELDS = (
    "ticket", "severity", "subject", "status", "dispute", "invoice", "reason", "amount",
    "currency", "due_date", "score", "comment", "campaign", "url", "webinar", "asset",
)  # fmt: skip
# How the timeline counts a kind of event: "{n}" is the count, "{s}" a plural s.
PHRASES = {
    "webinar_registered": "registered for {n} webinar{s}",
    "webinar_attended": "attended {n} webinar{s}",
    "email_scheduled": "{n} email{s} scheduled",
    "email_sent": "were sent {n} email{s}",
    "email_opened": "opened {n} email{s}",
    "email_clicked": "clicked {n} email link{s}",
    "page_visit": "visited {page} {times}",
    "content_download": "downloaded {n} document{s}",
    "form_fill": "filled in {n} form{s}",
    "campaign_response": "responded to {n} campaign{s}",
    "nurture_paused": "nurture paused {n} time{s}",
    "nurture_resumed": "nurture resumed {n} time{s}",
    "ticket_opened": "opened {n} ticket{s}",
    "ticket_updated": "{n} ticket update{s}",
    "ticket_closed": "{n} ticket{s} closed",
    "dispute_opened": "{n} dispute{s} opened",
    "dispute_resolved": "{n} dispute{s} resolved",
    "nps_response": "{n} NPS answer{s}",
    "csat_response": "{n} satisfaction answer{s}",
    "invoice_issued": "{n} invoice{s} issued",
    "invoice_paid": "{n} invoice{s} paid",
    "invoice_overdue": "{n} invoice{s} overdue",
    "credit_hold": "put on credit hold",
    "meeting_held": "{n} meeting{s} with colleagues",
    "call_logged": "{n} call{s} logged",
}
# Whose latest touch a team member's role stands for, when no event names them.
ROLE_CHANNEL = {
    TeamRole.MARKETING_OWNER: Channel.MARKETING,
    TeamRole.SERVICE_REP: Channel.SERVICE,
    TeamRole.BILLING_CONTACT: Channel.BILLING,
}


@dataclass(frozen=True, slots=True)
class _Event:
    occurred_at: datetime
    channel: str
    type: str
    title: str
    contact_id: uuid.UUID | None
    details: dict[str, Any]


class BriefingService:
    """Builds briefings from the local store."""

    def __init__(self, store: Store, definition: ProfileDefinition | None = None) -> None:
        self._store = store
        self.definition = definition or load_definition()

    def briefing(
        self,
        account_id: uuid.UUID,
        meeting_id: uuid.UUID | None = None,
        now: datetime | None = None,
    ) -> Briefing | None:
        """The briefing for a visit to the account: for `meeting_id`, else for its next
        meeting (if any). None if the account is gone."""
        now = now or datetime.now(UTC)
        with self._store.reading() as session:
            account = session.get(Account, account_id)
            if account is None or account.deleted_at is not None:
                return None
            return _Builder(session, self.definition, account, now).build(meeting_id)


class _Builder:
    def __init__(
        self, session: Session, definition: ProfileDefinition, account: Account, now: datetime
    ) -> None:
        self.session = session
        self.definition = definition
        self.account = account
        self.now = now
        self.today = now.astimezone().date()
        contacts = session.scalars(
            select(Contact)
            .where(Contact.account_id == account.id, Contact.deleted_at.is_(None))
            .order_by(Contact.last_name, Contact.first_name)
        ).all()
        self.contacts = {c.id: c for c in contacts}
        self.names = {c.id: c.full_name for c in contacts}

    def build(self, meeting_id: uuid.UUID | None) -> Briefing:
        meeting = self._meeting(meeting_id)
        visit_time = meeting.starts_at if meeting else self.now
        last = self._last_visit(visit_time, meeting.id if meeting else None)
        since = last.starts_at if last else self.now - timedelta(days=NO_VISIT_DAYS)
        recent = self._activities(Activity.occurred_at >= since)
        past = [a for a in recent if a.occurred_at <= self.now]
        upcoming = [a for a in recent if a.occurred_at > self.now]
        people = self._people(meeting)
        holds = ContactHolds.active_in(self.session, self.account.id, self.today)
        facts = self._facts(self._open_state() + upcoming, past, people)
        return Briefing(
            account_id=self.account.id,
            account_name=self.account.name,
            city=self.account.city,
            industry=self.account.industry,
            rung=self.account.ladder_rung,
            meeting=meeting,
            people=people,
            warnings=tuple(rules.warnings(facts)),
            since=since,
            since_last_visit=last is not None,
            channel_summaries=_channel_summaries(past),
            timeline=_timeline(past, self._name),
            team=self._team(),
            last_visit=self._recap(last),
            promises=facts.promises,
            scheduled=facts.scheduled,
            nurture_paused=facts.nurture_paused,
            holds=tuple(h.describe for h in holds),
            held_sends=_held_sends(facts.scheduled, holds),
            talking_points=tuple(rules.talking_points(facts)),
            made_at=self.now,
        )

    # -- reading -----------------------------------------------------------------------------

    def _meeting(self, meeting_id: uuid.UUID | None) -> MeetingInfo | None:
        stmt = select(Meeting).where(
            Meeting.account_id == self.account.id, Meeting.deleted_at.is_(None)
        )
        if meeting_id is not None:
            found = self.session.scalar(stmt.where(Meeting.id == meeting_id))
        else:  # the next one, or one going on now
            found = self.session.scalar(
                stmt.where(Meeting.ends_at >= self.now).order_by(Meeting.starts_at).limit(1)
            )
        if found is None:
            return None
        return MeetingInfo(
            found.id, found.starts_at, found.ends_at, found.place, found.purpose, found.all_day
        )

    def _last_visit(self, before: datetime, not_this: uuid.UUID | None) -> Meeting | None:
        stmt = select(Meeting).where(
            Meeting.account_id == self.account.id,
            Meeting.deleted_at.is_(None),
            Meeting.starts_at < before,
            Meeting.starts_at <= self.now,
        )
        if not_this is not None:
            stmt = stmt.where(Meeting.id != not_this)
        return self.session.scalar(stmt.order_by(Meeting.starts_at.desc()).limit(1))

    def _activities(self, *where: Any, newest_first: int = 0) -> list[_Event]:
        """Columns, not ORM objects, and only the detail fields read here, taken out of the
        JSON by SQLite: an account can have tens of thousands of events."""
        fields = [func.json_extract(Activity.details, f"$.{name}") for name in DETAIL_FIELDS]
        stmt = (
            select(
                Activity.occurred_at,
                Activity.channel,
                Activity.type,
                Activity.title,
                Activity.contact_id,
                *fields,
            )
            .where(Activity.account_id == self.account.id, Activity.deleted_at.is_(None), *where)
            .order_by(Activity.occurred_at)
        )
        if newest_first:  # the newest few only
            stmt = stmt.order_by(None).order_by(Activity.occurred_at.desc()).limit(newest_first)
        return [
            _Event(
                at,
                str(channel),
                kind,
                title,
                contact_id,
                {k: v for k, v in zip(DETAIL_FIELDS, values, strict=True) if v is not None},
            )
            for at, channel, kind, title, contact_id, *values in self.session.execute(stmt)
        ]

    def _open_state(self) -> list[_Event]:
        """The events of what may still be open (a ticket, a dispute, an unpaid invoice, a
        hold, a pause, an opt-out), all-time, oldest first, and the newest survey answer.

        SQLite picks them: per thing (a ticket number, an invoice...), its events only if
        its newest one leaves it open, so closed history (most of it) never reaches Python.
        """
        kind = Activity.type
        detail = partial(func.json_extract, Activity.details)
        family = case(
            (kind.startswith("ticket_", autoescape=True), "ticket"),
            (kind.startswith("dispute_", autoescape=True), "dispute"),
            (kind.startswith("invoice_", autoescape=True), "invoice"),
            (kind.startswith("credit_", autoescape=True), "credit"),
            (kind.startswith("nurture_", autoescape=True), "nurture"),
            else_="opt-out",  # pauses and opt-outs: per contact below
        )
        key = case(
            (family == "ticket", func.coalesce(detail("$.ticket"), Activity.title)),
            (
                family == "dispute",
                func.coalesce(detail("$.dispute"), detail("$.invoice"), Activity.title),
            ),
            (family == "invoice", func.coalesce(detail("$.invoice"), Activity.title)),
            (family == "credit", ""),
            else_=func.coalesce(Activity.contact_id, ""),
        )
        state = [t for t in STATE_TYPES if not t.endswith("_response")]
        newest_kind = (
            func.first_value(kind)
            .over(
                partition_by=(family, key),
                order_by=Activity.occurred_at.desc(),
            )
            .label("newest_kind")
        )
        inner = (
            select(Activity.id, newest_kind)
            .where(
                Activity.account_id == self.account.id,
                Activity.deleted_at.is_(None),
                Activity.type.in_(state),
                Activity.occurred_at <= self.now,
            )
            .subquery()
        )
        still_open = select(inner.c.id).where(inner.c.newest_kind.in_(OPENING_TYPES))
        events = self._activities(Activity.id.in_(still_open))
        survey = self._activities(
            Activity.type.in_(("nps_response", "csat_response")),
            Activity.occurred_at <= self.now,
            newest_first=1,
        )
        return sorted(events + survey, key=lambda e: e.occurred_at)

    def _paid_after(self, invoice: str, moment: datetime) -> bool:
        stmt = select(Activity.id).where(
            Activity.account_id == self.account.id,
            Activity.deleted_at.is_(None),
            Activity.type == "invoice_paid",
            Activity.occurred_at >= moment,
            func.json_extract(Activity.details, "$.invoice") == invoice,
        )
        return self.session.scalar(stmt.limit(1)) is not None

    def _name(self, contact_id: uuid.UUID | None) -> str | None:
        return self.names.get(contact_id) if contact_id else None

    def _people(self, meeting: MeetingInfo | None) -> tuple[BriefingPerson, ...]:
        attending: list[uuid.UUID] = []
        if meeting is not None:
            attending = list(
                self.session.scalars(
                    select(MeetingAttendee.contact_id).where(
                        MeetingAttendee.meeting_id == meeting.id,
                        MeetingAttendee.deleted_at.is_(None),
                    )
                )
            )
        chosen = [c for c in self.contacts if c in attending]  # by last name
        if not chosen:
            chosen = sorted(
                self.contacts, key=lambda c: (self.contacts[c].deal_role is None, self._name(c))
            )[:PEOPLE_SHOWN]
        answers = self._answers(chosen)
        return tuple(
            self._person(contact_id, contact_id in attending, answers.get(contact_id, {}))
            for contact_id in chosen
        )

    def _answers(self, contact_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        rows = self.session.execute(
            select(ProfileAnswer.contact_id, ProfileAnswer.question_id, ProfileAnswer.value).where(
                ProfileAnswer.contact_id.in_(contact_ids),
                ProfileAnswer.deleted_at.is_(None),
                ProfileAnswer.value.is_not(None),
                ProfileAnswer.sensitive.is_(False),  # never in a briefing
                ProfileAnswer.question_id != CONSENT_ID,
            )
        )
        found: dict[uuid.UUID, dict[str, Any]] = defaultdict(dict)
        for contact_id, question_id, value in rows:
            found[contact_id][question_id] = value
        return found

    def _person(
        self, contact_id: uuid.UUID, attending: bool, answers: Mapping[str, Any]
    ) -> BriefingPerson:
        contact = self.contacts[contact_id]
        highlights = []
        for question in self.definition.questions:
            value = answers.get(question.id)
            shown = question.briefing and not question.sensitive and value not in (None, "", [])
            if shown and question.id != "topics_to_avoid":  # that one has a line of its own
                highlights.append((question.label, format_answer(question, value)))
        coming = []
        for when in recurring_dates(self.definition, answers):
            on = next_occurrence(when.date, self.today)
            if (on - self.today).days <= REMINDER_DAYS:
                coming.append(f"{when.label} on {on:%a %d %b}")
        avoid = answers.get("topics_to_avoid")
        return BriefingPerson(
            contact_id=contact_id,
            name=contact.full_name,
            title=contact.title,
            role=contact.deal_role.label if contact.deal_role else None,
            attending=attending,
            highlights=tuple(highlights),
            coming_up=tuple(coming),
            avoid=tuple(str(t) for t in avoid) if isinstance(avoid, list) else (),
        )

    def _team(self) -> tuple[TeamTouch, ...]:
        members = self.session.scalars(
            select(TeamMember)
            .where(TeamMember.account_id == self.account.id, TeamMember.deleted_at.is_(None))
            .order_by(TeamMember.name)
        ).all()
        named = self._named_touches() if members else {}
        touches = []
        for member in members:
            latest = named.get(member.name) or self._channel_touch(member)
            touches.append(
                TeamTouch(
                    name=member.name,
                    role=member.role.label,
                    email=member.email,
                    latest_at=latest[0] if latest else None,
                    latest=latest[1] if latest else None,
                )
            )
        return tuple(touches)

    def _named_touches(self) -> dict[str, tuple[datetime, str]]:
        """Per colleague named in an event (held by, owner), their newest such event."""
        named = func.coalesce(
            func.json_extract(Activity.details, "$.held_by"),
            func.json_extract(Activity.details, "$.owner"),
        )
        rows = self.session.execute(
            select(named, Activity.occurred_at, Activity.title).where(
                Activity.account_id == self.account.id,
                Activity.deleted_at.is_(None),
                Activity.occurred_at <= self.now,
                Activity.channel == Channel.SALES,  # colleagues' own visits and calls
            )
        )
        found: dict[str, tuple[datetime, str]] = {}
        for name, at, title in rows:
            if name and (name not in found or found[name][0] < at):
                found[str(name)] = (at, title)
        return found

    def _channel_touch(self, member: TeamMember) -> tuple[datetime, str] | None:
        """The newest event of the part of the company the member's role stands for."""
        channel = ROLE_CHANNEL.get(member.role)
        if channel is None:
            return None
        row = self.session.execute(
            select(Activity.occurred_at, Activity.title)
            .where(
                Activity.account_id == self.account.id,
                Activity.deleted_at.is_(None),
                Activity.occurred_at <= self.now,
                Activity.channel == channel,
            )
            .order_by(Activity.occurred_at.desc())
            .limit(1)
        ).first()
        return (row[0], row[1]) if row is not None else None

    def _recap(self, last: Meeting | None) -> VisitRecap | None:
        stmt = select(VisitNote).where(
            VisitNote.account_id == self.account.id, VisitNote.deleted_at.is_(None)
        )
        if last is not None:
            notes = self.session.scalars(
                stmt.where(VisitNote.meeting_id == last.id).order_by(VisitNote.created_at)
            ).all()
            texts = tuple((n.author, n.body) for n in notes)
            return VisitRecap(last.starts_at, last.purpose, texts)
        note = self.session.scalar(stmt.order_by(VisitNote.created_at.desc()).limit(1))
        if note is None:
            return None
        return VisitRecap(note.created_at, None, ((note.author, note.body),))

    def _promises(self) -> tuple[Promise, ...]:
        tasks = self.session.scalars(
            select(Task)
            .where(
                Task.account_id == self.account.id,
                Task.deleted_at.is_(None),
                Task.done.is_(False),
            )
            .order_by(Task.due_date.is_(None), Task.due_date, Task.created_at)
        ).all()
        return tuple(Promise(t.title, t.due_date, self._name(t.contact_id)) for t in tasks)

    # -- facts -------------------------------------------------------------------------------

    def _facts(
        self, events: Iterable[_Event], past: list[_Event], people: Sequence[BriefingPerson]
    ) -> Facts:
        """What the rules read, from the events oldest first."""
        tickets: dict[str, rules.Ticket | None] = {}
        disputes: dict[str, rules.Dispute | None] = {}
        overdue: dict[str, rules.Invoice | None] = {}
        hold: str | None = None
        hold_invoice: str | None = None
        hold_at = self.now
        opted_out: dict[str, bool] = {}
        nurture: dict[str, bool] = {}
        surveys: list[rules.Survey] = []
        scheduled: list[Scheduled] = []
        for event in events:
            at, kind, title, details = event.occurred_at, event.type, event.title, event.details
            contact_id = event.contact_id
            info: Mapping[str, Any] = details or {}
            who = self._name(contact_id)
            if at > self.now:
                if kind == "email_scheduled" and at <= self.now + timedelta(days=SCHEDULED_DAYS):
                    scheduled.append(Scheduled(title, _text(info.get("campaign")), who, at))
                continue
            if kind.startswith("ticket_"):
                number = _text(info.get("ticket")) or title
                previous = tickets.get(number)
                if kind == "ticket_closed" or info.get("status") in ("closed", "solved"):
                    tickets[number] = None
                else:
                    tickets[number] = rules.Ticket(
                        number,
                        _severity(info.get("severity"))
                        or (previous.severity if previous else "normal"),
                        _text(info.get("subject")) or (previous.subject if previous else ""),
                        previous.opened_at if previous else at,
                    )
            elif kind in ("dispute_opened", "dispute_resolved"):
                key = _text(info.get("dispute")) or _text(info.get("invoice")) or title
                disputes[key] = (
                    rules.Dispute(
                        key, _text(info.get("invoice")), _text(info.get("reason")) or "", at
                    )
                    if kind == "dispute_opened"
                    else None
                )
            elif kind in ("invoice_overdue", "invoice_paid"):
                number = _text(info.get("invoice")) or title
                overdue[number] = (
                    rules.Invoice(number, _amount(info), _date(info.get("due_date")))
                    if kind == "invoice_overdue"
                    else None
                )
                if kind == "invoice_paid" and number == hold_invoice:
                    hold = None
            elif kind == "credit_hold":
                hold, hold_invoice = _text(info.get("reason")) or "", _text(info.get("invoice"))
                hold_at = at
            elif kind == "credit_released":
                hold = None
            elif kind in ("nps_response", "csat_response"):
                score = info.get("score")
                if isinstance(score, int | float):
                    surveys.append(
                        rules.Survey(
                            kind.split("_")[0],
                            int(score),
                            _text(info.get("comment")) or "",
                            who,
                            at,
                        )
                    )
            elif kind in ("contact_opt_out", "contact_opt_in"):
                opted_out[who or self.account.name] = kind == "contact_opt_out"
            elif kind in ("nurture_paused", "nurture_resumed"):
                nurture[who or "everyone at the account"] = kind == "nurture_paused"
        if hold is not None and hold_invoice and self._paid_after(hold_invoice, hold_at):
            hold = None  # the hold was for an invoice since paid
        webinars = _distinct(
            _text(a.details.get("webinar")) or a.title
            for a in reversed(past)
            if a.type == "webinar_attended" and a.details
        )
        downloads = _distinct(
            _text(a.details.get("asset")) or a.title
            for a in reversed(past)
            if a.type == "content_download" and a.details
        )
        pricing = sum(
            1
            for a in past
            if a.type == "page_visit" and "pricing" in str((a.details or {}).get("url", ""))
        )
        return Facts(
            today=self.today,
            rung=self.account.ladder_rung,
            open_tickets=tuple(t for t in tickets.values() if t is not None),
            open_disputes=tuple(d for d in disputes.values() if d is not None),
            overdue_invoices=tuple(i for i in overdue.values() if i is not None),
            credit_hold=hold,
            no_contact=tuple(name for name, out in opted_out.items() if out),
            surveys=tuple(reversed(surveys)),
            webinars_attended=webinars,
            downloads=downloads,
            pricing_visits=pricing,
            promises=self._promises(),
            birthdays=self._birthdays(people),
            scheduled=tuple(scheduled),
            nurture_paused=tuple(name for name, paused in nurture.items() if paused),
        )

    def _birthdays(self, people: Sequence[BriefingPerson]) -> tuple[rules.Birthday, ...]:
        answers = self._answers([p.contact_id for p in people])
        found = []
        for person in people:
            for when in recurring_dates(self.definition, answers.get(person.contact_id, {})):
                on = next_occurrence(when.date, self.today)
                found.append(rules.Birthday(person.name, when.label, on))
        return tuple(sorted(found, key=lambda b: b.on))


def _held_sends(scheduled: Sequence[Scheduled], holds: Sequence[HoldRow]) -> tuple[int, ...]:
    """Which of marketing's next sends go to someone the rep asked them to leave alone."""
    return tuple(
        number
        for number, send in enumerate(scheduled)
        if any(
            h.contact_name == send.contact and h.campaign in (None, send.campaign) for h in holds
        )
    )


def _timeline(past: list[_Event], name: Any) -> tuple[TimelineGroup, ...]:
    groups: dict[str, list[_Event]] = defaultdict(list)
    for event in past:
        groups[_group_key(event)].append(event)
    made = []
    for key, events in groups.items():
        newest = sorted(events, key=lambda e: e.occurred_at, reverse=True)
        made.append(
            TimelineGroup(
                key=key,
                channel=str(newest[0].channel),
                summary=_phrase(newest[0], len(newest)),
                count=len(newest),
                latest=newest[0].occurred_at,
                items=tuple(
                    TimelineItem(e.occurred_at, str(e.channel), e.type, e.title, name(e.contact_id))
                    for e in newest
                ),
            )
        )
    return tuple(sorted(made, key=lambda g: g.latest, reverse=True))


def _channel_summaries(past: list[_Event]) -> tuple[tuple[str, str], ...]:
    """Per channel, its kinds of event counted: "attended 2 webinars, opened 5 emails"."""
    counted: dict[str, dict[str, tuple[_Event, int]]] = defaultdict(dict)
    for event in past:
        key = _group_key(event)
        first, count = counted[str(event.channel)].get(key, (event, 0))
        counted[str(event.channel)][key] = (first, count + 1)
    order = [c.value for c in Channel]
    lines = []
    for channel in sorted(counted, key=lambda c: order.index(c) if c in order else len(order)):
        kinds = sorted(counted[channel].values(), key=lambda pair: -pair[1])
        lines.append((channel, ", ".join(_phrase(event, count) for event, count in kinds)))
    return tuple(lines)


def _group_key(event: _Event) -> str:
    if event.type == "page_visit":
        return f"page_visit:{(event.details or {}).get('url', '')}"
    return str(event.type)


def _phrase(event: _Event, count: int) -> str:
    kind = str(event.type)
    template = PHRASES.get(kind, "{n} × " + kind.replace("_", " "))
    page = str((event.details or {}).get("url") or "our site")
    times = {1: "once", 2: "twice"}.get(count, f"{count} times")
    return template.format(n=count, s="" if count == 1 else "s", page=page, times=times)


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


# Some service desks number severities (1 is the worst) where others name them.
_NUMBERED_SEVERITY = {1: "urgent", 2: "high", 3: "normal", 4: "low"}


def _severity(value: object) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _NUMBERED_SEVERITY.get(int(value), "low" if value > 4 else "urgent")
    text = _text(value)
    return text.lower() if text else None


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _amount(details: Mapping[str, Any]) -> str:
    amount, currency = details.get("amount"), details.get("currency") or ""
    if isinstance(amount, int | float):
        return f"{amount:,.0f} {currency}".strip()
    return f"{amount or ''} {currency}".strip() or "amount unknown"
