"""The briefing's rules in one place: which warnings go in the red band, which talking
points the rep gets. Pure functions over `Facts`, so each rule is tested on its own."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sync.enums import LadderRung

HIGH_SEVERITIES = frozenset({"high", "urgent", "critical"})
DETRACTOR_NPS = 6  # NPS 0-6 is a detractor, 9-10 a promoter
PROMOTER_NPS = 9
UNHAPPY_CSAT = 2  # CSAT 1-5
SURVEY_DAYS = 180  # a survey answer older than this says little about today
PRICING_VISITS = 2  # this many pricing-page visits since the last visit is buying interest
BIRTHDAY_DAYS = 7
PROMISES_SHOWN = 3

STOP = "stop"  # do not pitch
CAUTION = "caution"


@dataclass(frozen=True, slots=True)
class Ticket:
    number: str
    severity: str
    subject: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class Dispute:
    key: str  # the dispute's id, or the invoice it is about
    invoice: str | None
    reason: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    amount: str  # formatted, with currency
    due: date | None


@dataclass(frozen=True, slots=True)
class Survey:
    kind: str  # "nps" or "csat"
    score: int
    comment: str
    contact: str | None
    answered_at: datetime


@dataclass(frozen=True, slots=True)
class Promise:
    title: str
    due: date | None
    contact: str | None


@dataclass(frozen=True, slots=True)
class Birthday:
    contact: str
    label: str  # "Birthday", "Wedding anniversary", "Birthday of Ada (child)"
    on: date


@dataclass(frozen=True, slots=True)
class Scheduled:
    title: str
    campaign: str | None
    contact: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Facts:
    """What the store knows about the account that the rules read."""

    today: date
    rung: LadderRung
    open_tickets: tuple[Ticket, ...] = ()
    open_disputes: tuple[Dispute, ...] = ()
    overdue_invoices: tuple[Invoice, ...] = ()
    credit_hold: str | None = None  # its reason, while on hold
    no_contact: tuple[str, ...] = ()  # people who asked not to be contacted
    surveys: tuple[Survey, ...] = ()  # newest first
    webinars_attended: tuple[str, ...] = ()  # since the last visit
    downloads: tuple[str, ...] = ()  # since the last visit
    pricing_visits: int = 0  # since the last visit
    promises: tuple[Promise, ...] = ()  # open follow-ups, soonest due first
    birthdays: tuple[Birthday, ...] = ()
    scheduled: tuple[Scheduled, ...] = ()  # marketing's next sends, soonest first
    nurture_paused: tuple[str, ...] = ()  # whom marketing's nurture is paused for


@dataclass(frozen=True, slots=True)
class Warning:
    level: str  # STOP or CAUTION
    text: str


def warnings(facts: Facts) -> list[Warning]:
    """The red band: what the rep must know before saying a word, worst first."""
    found = [w for rule in WARNING_RULES for w in rule(facts)]
    return sorted(found, key=lambda w: w.level != STOP)


def talking_points(facts: Facts) -> list[str]:
    """What to say, derived from the rest of the briefing, most pressing first."""
    return [point for rule in TALKING_POINT_RULES for point in rule(facts)]


# -- warnings ------------------------------------------------------------------------------


def _disputes(facts: Facts) -> Iterable[Warning]:
    for dispute in facts.open_disputes:
        about = f" about invoice {dispute.invoice}" if dispute.invoice else ""
        reason = f" ({dispute.reason})" if dispute.reason else ""
        yield Warning(
            STOP,
            f"Open dispute{about}{reason} since {_day(dispute.opened_at)}: "
            "do not pitch; acknowledge the issue.",
        )


def _urgent_tickets(facts: Facts) -> Iterable[Warning]:
    for ticket in facts.open_tickets:
        if ticket.severity in HIGH_SEVERITIES:
            yield Warning(
                STOP,
                f"Ticket #{ticket.number} ({ticket.severity}) open since "
                f"{_day(ticket.opened_at)}: {ticket.subject or 'no subject'}. "
                "Do not pitch; acknowledge the issue.",
            )


def _overdue(facts: Facts) -> Iterable[Warning]:
    for invoice in facts.overdue_invoices:
        due = f", due {invoice.due:%d %b %Y}" if invoice.due else ""
        yield Warning(CAUTION, f"Invoice {invoice.number} is overdue ({invoice.amount}{due}).")


def _credit_hold(facts: Facts) -> Iterable[Warning]:
    if facts.credit_hold is not None:
        reason = f" ({facts.credit_hold})" if facts.credit_hold else ""
        yield Warning(STOP, f"On credit hold{reason}: no new orders until billing lifts it.")


def _no_contact(facts: Facts) -> Iterable[Warning]:
    for person in facts.no_contact:
        yield Warning(CAUTION, f"{person} asked not to be contacted.")


def _detractor(facts: Facts) -> Iterable[Warning]:
    survey = _recent_survey(facts)
    if survey is not None and _unhappy(survey):
        who = f"{survey.contact} " if survey.contact else "They "
        said = f': "{survey.comment}"' if survey.comment else ""
        yield Warning(
            CAUTION,
            f"{who}rated us {survey.score}/{_scale(survey)} on {_day(survey.answered_at)}{said}",
        )


WARNING_RULES: tuple[Callable[[Facts], Iterable[Warning]], ...] = (
    _disputes,
    _urgent_tickets,
    _credit_hold,
    _overdue,
    _no_contact,
    _detractor,
)


# -- talking points ------------------------------------------------------------------------


def _issues_first(facts: Facts) -> Iterable[str]:
    for dispute in facts.open_disputes:
        about = f"invoice {dispute.invoice}" if dispute.invoice else dispute.reason or "billing"
        yield f"Start with the dispute about {about}: listen, acknowledge, say who resolves it."
    for ticket in facts.open_tickets:
        if ticket.severity in HIGH_SEVERITIES:
            yield f"Ask about ticket #{ticket.number} before anything else."
    others = [t for t in facts.open_tickets if t.severity not in HIGH_SEVERITIES]
    if others:
        numbers = ", ".join(f"#{t.number}" for t in others[:3])
        yield f"Check that their open ticket{_s(len(others))} ({numbers}) {_is(others)} moving."


def _promises(facts: Facts) -> Iterable[str]:
    for promise in facts.promises[:PROMISES_SHOWN]:
        overdue = promise.due is not None and promise.due < facts.today
        when = f" (was due {promise.due:%d %b})" if overdue and promise.due else ""
        yield f"You promised: {promise.title}{when}."


def _survey_points(facts: Facts) -> Iterable[str]:
    survey = _recent_survey(facts)
    if survey is None:
        return
    if _unhappy(survey):
        yield f"Ask what would make them rate us higher than {survey.score}/{_scale(survey)}."
    elif survey.kind == "nps" and survey.score >= PROMOTER_NPS:
        yield f"They rated us {survey.score}/10: ask for a reference or an introduction."


def _marketing_points(facts: Facts) -> Iterable[str]:
    for webinar in facts.webinars_attended[:2]:
        yield f"Thank them for attending the “{webinar}” webinar."
    for asset in facts.downloads[:2]:
        yield f"Ask what they made of “{asset}”."
    if facts.pricing_visits >= PRICING_VISITS:
        yield (
            f"They looked at our pricing page {facts.pricing_visits} times since your last "
            "visit: ask about budget and timing."
        )
    for send in facts.scheduled[:1]:
        what = send.campaign or send.title
        yield f"Marketing sends “{what}” on {send.at:%d %b}: mention it so it is expected."


def _birthdays(facts: Facts) -> Iterable[str]:
    for day in facts.birthdays:
        if 0 <= (day.on - facts.today).days <= BIRTHDAY_DAYS:
            when = "today" if day.on == facts.today else f"on {day.on:%A %d %b}"
            yield f"{day.contact} — {day.label} {when}: congratulate them."


def _ladder(facts: Facts) -> Iterable[str]:
    if facts.open_disputes or any(t.severity in HIGH_SEVERITIES for t in facts.open_tickets):
        return  # no step up the ladder while a problem is open
    step = {
        LadderRung.PROSPECT: "Qualify: their problem, budget, who decides, and by when.",
        LadderRung.CUSTOMER: "Ask what would make us their first choice, not one supplier.",
        LadderRung.CLIENT: "Ask whom else in their network we could help.",
        LadderRung.SUPPORTER: "Ask whether they would speak for us to a prospect.",
        LadderRung.ADVOCATE: "Propose a joint case study or a shared event.",
        LadderRung.PARTNER: "Review the joint plan and what each side owes.",
    }
    yield step[facts.rung]


TALKING_POINT_RULES: tuple[Callable[[Facts], Iterable[str]], ...] = (
    _issues_first,
    _promises,
    _survey_points,
    _marketing_points,
    _birthdays,
    _ladder,
)


# -- helpers -------------------------------------------------------------------------------


def _recent_survey(facts: Facts) -> Survey | None:
    latest = facts.surveys[0] if facts.surveys else None
    if latest is None or (facts.today - latest.answered_at.date()).days > SURVEY_DAYS:
        return None
    return latest


def _unhappy(survey: Survey) -> bool:
    limit = DETRACTOR_NPS if survey.kind == "nps" else UNHAPPY_CSAT
    return survey.score <= limit


def _scale(survey: Survey) -> int:
    return 10 if survey.kind == "nps" else 5


def _day(moment: datetime) -> str:
    return f"{moment.astimezone():%d %b %Y}"


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _is(items: list[Ticket]) -> str:
    return "is" if len(items) == 1 else "are"
