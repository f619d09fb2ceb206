"""The pre-call briefing: one account's situation, read from the local store in one go.

What the rules read (db.briefing.rules.Facts) is derived from the activity stream by
db.briefing.state (what is open) and here (what happened since the last visit, who we
meet, what was promised). Call off the GUI thread.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.briefing import rules
from db.briefing.dto import (
    Briefing,
    BriefingPerson,
    ChannelStatus,
    MeetingInfo,
    TeamTouch,
    TimelineGroup,
    TimelineItem,
    VisitRecap,
)
from db.briefing.rules import Facts, Promise, Scheduled
from db.briefing.state import (
    Event,
    OpenState,
    fold,
    lift_paid_hold,
    open_state_events,
    owners,
    read_events,
)
from db.dates import day, weekday
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
from sync.enums import Channel, DealRole, TeamRole
from sync.profile_definition import ProfileDefinition

NO_VISIT_DAYS = 90  # with no earlier visit, "since the last visit" means this many days
SCHEDULED_DAYS = 42  # marketing's sends this far ahead
REMINDER_DAYS = 30
PEOPLE_SHOWN = 4  # without a meeting: the account's key contacts (a one-pager)
# Who counts most for a visit when nobody is invited: who decides, pays, pushes or blocks.
ROLE_WEIGHT = {
    role: number
    for number, role in enumerate(
        (
            DealRole.DECISION_MAKER,
            DealRole.ECONOMIC_BUYER,
            DealRole.CHAMPION,
            DealRole.BLOCKER,
            DealRole.INFLUENCER,
            DealRole.TECHNICAL_EVALUATOR,
            DealRole.GATEKEEPER,
            DealRole.USER,
        )
    )
}
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
    "own_visit": "{n} visit{s} of yours",
    "call_logged": "{n} call{s} logged",
}
# Whose latest touch a team member's role stands for, when no event names them.
ROLE_CHANNEL = {
    TeamRole.MARKETING_OWNER: Channel.MARKETING,
    TeamRole.SERVICE_REP: Channel.SERVICE,
    TeamRole.BILLING_CONTACT: Channel.BILLING,
}


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
        # After the last visit: what the rep saw there is not news.
        since = min(last.ends_at, self.now) if last else self.now - timedelta(days=NO_VISIT_DAYS)
        recent = read_events(
            self.session, Activity.account_id == self.account.id, Activity.occurred_at > since
        )
        past = [a for a in recent if a.occurred_at <= self.now]
        upcoming = [a for a in recent if a.occurred_at > self.now]
        people = self._people(meeting)
        holds = ContactHolds.active_in(self.session, self.account.id, self.today)
        state = self._open_state()
        facts = self._facts(state, upcoming, past, people)
        return Briefing(
            account_id=self.account.id,
            account_name=self.account.name,
            city=self.account.city,
            industry=self.account.industry,
            rung=self.account.ladder_rung,
            meeting=meeting,
            people=people,
            more_people=len(self.contacts) - len(people),
            warnings=tuple(rules.warnings(facts)),
            since=since,
            since_last_visit=last is not None,
            status=_status(facts),
            timeline=_timeline(past, self._name, self._own),
            team=self._team(since),
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

    def _open_state(self) -> OpenState:
        """What is open at the account, folded as the account list's markers fold it."""
        events = open_state_events(self.session, [self.account.id], self.now)
        state = fold(events.get(self.account.id, ()), self._name, self.account.name)
        lift_paid_hold(self.session, self.account.id, state)
        return state

    def _own(self, event: Event) -> bool:
        """A visit of the rep's own (no colleague named as holding it)."""
        held_by = event.details.get("held_by")
        return not held_by or held_by == self.account.owner_rep

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
            chosen = sorted(self.contacts, key=self._weight)[:PEOPLE_SHOWN]
        answers = self._answers(chosen)
        return tuple(
            self._person(contact_id, contact_id in attending, answers.get(contact_id, {}))
            for contact_id in chosen
        )

    def _weight(self, contact_id: uuid.UUID) -> tuple[int, str]:
        """Key contacts first (ROLE_WEIGHT), then by name."""
        role = self.contacts[contact_id].deal_role
        weight = ROLE_WEIGHT.get(role, len(ROLE_WEIGHT)) if role else len(ROLE_WEIGHT) + 1
        return weight, self.names[contact_id]

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
                coming.append(f"{when.label} on {weekday(on)}")
        avoid = answers.get("topics_to_avoid")
        return BriefingPerson(
            contact_id=contact_id,
            name=contact.full_name,
            title=contact.title,
            role=contact.deal_role.label if contact.deal_role else None,
            phones=tuple(dict.fromkeys(n for n in (contact.mobile, contact.phone) if n)),
            email=contact.email,
            attending=attending,
            highlights=tuple(highlights),
            coming_up=tuple(coming),
            avoid=tuple(str(t) for t in avoid) if isinstance(avoid, list) else (),
        )

    def _team(self, since: datetime) -> tuple[TeamTouch, ...]:
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
                    in_timeline=latest is not None and latest[0] > since,
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
        self,
        state: OpenState,
        upcoming: Sequence[Event],
        past: Sequence[Event],
        people: Sequence[BriefingPerson],
    ) -> Facts:
        """What the rules read: what is open, and what happened since the last visit."""
        scheduled = [
            Scheduled(e.title, _text(e.details.get("campaign")), self._name(e.contact_id), at)
            for e in upcoming
            if e.type == "email_scheduled"
            and (at := e.occurred_at) <= self.now + timedelta(days=SCHEDULED_DAYS)
        ]
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
            1 for a in past if a.type == "page_visit" and "pricing" in str(a.details.get("url", ""))
        )
        return state.facts(
            self.today,
            self.account.ladder_rung,
            webinars_attended=webinars,
            downloads=downloads,
            pricing_visits=pricing,
            promises=self._promises(),
            birthdays=self._birthdays(people),
            scheduled=tuple(scheduled),
            owners=owners(self.session, [self.account.id]).get(self.account.id, ()),
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


def _status(facts: Facts) -> tuple[ChannelStatus, ...]:
    """One line each for service, billing and marketing: what is open there, and the
    customer's newest survey answers."""
    service = [
        f"ticket #{t.number} ({t.severity}) open since {_day(t.opened_at)}"
        for t in facts.open_tickets
    ]
    scores = []
    for kind in ("nps", "csat"):
        survey = next((s for s in facts.surveys if s.kind == kind), None)
        if survey is not None:
            by = f" from {survey.contact}" if survey.contact else ""
            scale = 10 if kind == "nps" else 5
            scores.append(f"{kind.upper()} {survey.score}/{scale}{by}, {_day(survey.answered_at)}")
    billing = [
        f"dispute about {f'invoice {d.invoice}' if d.invoice else d.key}"
        + (f" ({d.amount})" if d.amount else "")
        for d in facts.open_disputes
    ]
    billing += [f"invoice {i.number} overdue ({i.amount})" for i in facts.overdue_invoices]
    if facts.credit_hold is not None:
        billing.append("on credit hold")
    marketing = [f"nurture paused for {name}" for name in facts.nurture_paused]
    marketing += [f"{name} asked not to be contacted" for name in facts.no_contact]
    return (
        ChannelStatus(Channel.SERVICE.value, tuple(service), tuple(scores)),
        ChannelStatus(Channel.BILLING.value, tuple(billing), ()),
        ChannelStatus(Channel.MARKETING.value, tuple(marketing), ()),
    )


def _timeline(
    past: Sequence[Event],
    name: Callable[[uuid.UUID | None], str | None],
    own: Callable[[Event], bool],
) -> tuple[TimelineGroup, ...]:
    groups: dict[str, list[Event]] = defaultdict(list)
    for event in past:
        groups[_group_key(event, own)].append(event)
    made = []
    for key, events in groups.items():
        newest = sorted(events, key=lambda e: e.occurred_at, reverse=True)
        made.append(
            TimelineGroup(
                key=key,
                channel=str(newest[0].channel),
                summary=_phrase(key, newest[0], len(newest)),
                count=len(newest),
                latest=newest[0].occurred_at,
                items=tuple(
                    TimelineItem(e.occurred_at, str(e.channel), e.type, e.title, name(e.contact_id))
                    for e in newest
                ),
            )
        )
    return tuple(sorted(made, key=lambda g: g.latest, reverse=True))


def _group_key(event: Event, own: Callable[[Event], bool]) -> str:
    if event.type == "page_visit":
        return f"page_visit:{event.details.get('url', '')}"
    if event.type == "meeting_held" and own(event):
        return "own_visit"  # the rep's own: not "a meeting with colleagues"
    return str(event.type)


def _phrase(key: str, event: Event, count: int) -> str:
    kind = key if key == "own_visit" else str(event.type)
    template = PHRASES.get(kind, "{n} × " + kind.replace("_", " "))
    page = str(event.details.get("url") or "our site")
    times = {1: "once", 2: "twice"}.get(count, f"{count} times")
    return template.format(n=count, s="" if count == 1 else "s", page=page, times=times)


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _day(moment: datetime) -> str:
    return day(moment)
