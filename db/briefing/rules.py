"""The briefing's rules in one place: which warnings go in the warning band, which talking
points the rep gets. Pure functions over `Facts`, so each rule is tested on its own; the
account list's markers (db.briefing.warnings) read the same warnings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from db.dates import day, weekday
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
class Cancellation:
    """The customer stopped a subscription (churn): what, why, when."""

    plan: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Dispute:
    key: str  # the dispute's id, or the invoice it is about
    invoice: str | None
    reason: str
    opened_at: datetime
    amount: str | None = None  # formatted, with currency: "37,800 DKK"


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
    cancelled: Cancellation | None = None  # their newest subscription cancelled
    no_contact: tuple[str, ...] = ()  # people who asked not to be contacted
    surveys: tuple[Survey, ...] = ()  # newest first
    webinars_attended: tuple[str, ...] = ()  # since the last visit
    downloads: tuple[str, ...] = ()  # since the last visit
    pricing_visits: int = 0  # since the last visit
    promises: tuple[Promise, ...] = ()  # open follow-ups, soonest due first
    birthdays: tuple[Birthday, ...] = ()
    scheduled: tuple[Scheduled, ...] = ()  # marketing's next sends, soonest first
    nurture_paused: tuple[str, ...] = ()  # whom marketing's nurture is paused for
    # Who on the account team resolves what: (department, colleague), e.g. ("billing",
    # "Sandra Kühn"); a department with nobody named is missing.
    owners: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Warning:
    level: str  # STOP or CAUTION
    text: str  # what is open: "Dispute: invoice INV-7, 37,800 DKK (wrong VAT), open since …"
    first: str = ""  # what to do first: "STOP: open dispute, do not pitch"
    headline: str = ""  # one line for a marker in a list: "Open dispute: invoice INV-7"
    owner: str | None = None  # who resolves it: "Sandra Kühn (billing)"


CHURN_DAYS = 365  # how long a cancelled subscription stays in the warning band


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
        about = f"invoice {dispute.invoice}" if dispute.invoice else f"dispute {dispute.key}"
        amount = f", {dispute.amount}" if dispute.amount else ""
        reason = f" ({dispute.reason})" if dispute.reason else ""
        yield Warning(
            STOP,
            f"Dispute: {about}{amount}{reason}, open since {_day(dispute.opened_at)}",
            first="STOP: open dispute, do not pitch",
            headline=f"Open dispute: {about}",
            owner=_owner(facts, "billing"),
        )


def _urgent_tickets(facts: Facts) -> Iterable[Warning]:
    for ticket in facts.open_tickets:
        if ticket.severity in HIGH_SEVERITIES:
            yield Warning(
                STOP,
                f"Ticket #{ticket.number} ({ticket.severity}): "
                f"{ticket.subject or 'no subject'}, open since {_day(ticket.opened_at)}",
                first=f"STOP: {ticket.severity} ticket open, do not pitch",
                headline=f"{ticket.severity.capitalize()} ticket #{ticket.number} open",
                owner=_owner(facts, "service"),
            )


def _overdue(facts: Facts) -> Iterable[Warning]:
    for invoice in facts.overdue_invoices:
        due = f", due {day(invoice.due)}" if invoice.due else ""
        yield Warning(
            CAUTION,
            f"Invoice {invoice.number} is overdue ({invoice.amount}{due}).",
            first="CAUTION: invoice overdue, no new order before it is paid",
            headline=f"Overdue invoice {invoice.number}",
            owner=_owner(facts, "billing"),
        )


def _credit_hold(facts: Facts) -> Iterable[Warning]:
    if facts.credit_hold is not None:
        reason = f" ({facts.credit_hold})" if facts.credit_hold else ""
        yield Warning(
            STOP,
            f"On credit hold{reason}: no new orders until billing lifts it.",
            first="STOP: on credit hold, take no new order",
            headline="On credit hold",
            owner=_owner(facts, "billing"),
        )


def _cancelled(facts: Facts) -> Iterable[Warning]:
    """A subscription cancelled within a year: churn the rep must not walk into blind."""
    cancelled = facts.cancelled
    if cancelled is not None and (facts.today - cancelled.at.date()).days <= CHURN_DAYS:
        plan = f" ({cancelled.plan})" if cancelled.plan else ""
        reason = f": {cancelled.reason}" if cancelled.reason else ""
        yield Warning(
            CAUTION,
            f"They cancelled their subscription{plan} on {_day(cancelled.at)}{reason}.",
            first="CAUTION: they cancelled a subscription, ask why before you sell",
            headline="Subscription cancelled",
            owner=_owner(facts, "billing"),
        )


def _no_contact(facts: Facts) -> Iterable[Warning]:
    for person in facts.no_contact:
        yield Warning(
            CAUTION,
            f"{person} asked not to be contacted.",
            first=f"CAUTION: do not contact {person}",
            headline=f"{person} asked not to be contacted",
        )


def _detractor(facts: Facts) -> Iterable[Warning]:
    survey = _recent_survey(facts)
    if survey is not None and _unhappy(survey):
        who = f"{survey.contact} " if survey.contact else "They "
        said = f': "{survey.comment}"' if survey.comment else ""
        score = f"{survey.score}/{_scale(survey)}"
        yield Warning(
            CAUTION,
            f"{who}rated us {score} on {_day(survey.answered_at)}{said}",
            first="CAUTION: unhappy customer, listen before you sell",
            headline=f"Unhappy: {survey.kind.upper()} {score}",
            owner=_owner(facts, "service"),
        )


WARNING_RULES: tuple[Callable[[Facts], Iterable[Warning]], ...] = (
    _disputes,
    _urgent_tickets,
    _credit_hold,
    _overdue,
    _cancelled,
    _no_contact,
    _detractor,
)


# -- talking points ------------------------------------------------------------------------


def _issues_first(facts: Facts) -> Iterable[str]:
    for dispute in facts.open_disputes:
        about = f"invoice {dispute.invoice}" if dispute.invoice else dispute.reason or "billing"
        who = _named(facts, "billing")
        resolves = f"say that {who} in billing resolves it" if who else "say who resolves it"
        yield f"Start with the dispute about {about}: listen, acknowledge, {resolves}."
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
        when = f" (was due {weekday(promise.due)})" if overdue and promise.due else ""
        yield f"You promised: {promise.title}{when}."


def _survey_points(facts: Facts) -> Iterable[str]:
    survey = _recent_survey(facts)
    if survey is None:
        return
    if _unhappy(survey):
        yield f"Ask what would make them rate us higher than {survey.score}/{_scale(survey)}."
    elif survey.kind == "nps" and survey.score >= PROMOTER_NPS and not _stopped(facts):
        # Never while a STOP warning stands: a 10 given before a dispute is no reference.
        yield f"They rated us {survey.score}/10: ask for a reference or an introduction."


def _marketing_points(facts: Facts) -> Iterable[str]:
    for webinar in facts.webinars_attended[:2]:
        yield f"Thank them for attending the “{webinar}” webinar."
    for asset in facts.downloads[:2]:
        yield f"Ask what they made of “{asset}”."
    if facts.pricing_visits >= PRICING_VISITS and not _stopped(facts):
        yield (
            f"They looked at our pricing page {facts.pricing_visits} times since your last "
            "visit: ask about budget and timing."
        )
    for send in facts.scheduled[:1]:
        what = send.campaign or send.title
        yield f"Marketing sends “{what}” on {weekday(send.at)}: mention it so it is expected."


def _birthdays(facts: Facts) -> Iterable[str]:
    for coming in facts.birthdays:
        if 0 <= (coming.on - facts.today).days <= BIRTHDAY_DAYS:
            when = "today" if coming.on == facts.today else f"on {weekday(coming.on)}"
            yield f"{coming.contact} — {coming.label} {when}: congratulate them."


def _ladder(facts: Facts) -> Iterable[str]:
    if _stopped(facts):
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


def _stopped(facts: Facts) -> bool:
    """A STOP warning stands (a dispute, an urgent ticket, a credit hold): no pitching, so
    no talking point may ask for business, a reference or the next rung."""
    return any(w.level == STOP for w in warnings(facts))


def _owner(facts: Facts, department: str) -> str:
    """Who resolves what `department` handles: "Sandra Kühn (billing)", or the department."""
    name = _named(facts, department)
    return f"{name} ({department})" if name else f"{department} (nobody named on the team)"


def _named(facts: Facts, department: str) -> str | None:
    return next((name for dept, name in facts.owners if dept == department), None)


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
    return day(moment)


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _is(items: list[Ticket]) -> str:
    return "is" if len(items) == 1 else "are"
