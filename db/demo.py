"""A deterministic demo territory: believable companies, people, meetings and activity."""

from __future__ import annotations

import random
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from db.enums import ActivityType, Channel, DealRole, LadderRung, TeamRole
from db.errors import StoreNotEmpty
from db.models import (
    Account,
    Activity,
    Contact,
    LadderChange,
    Meeting,
    MeetingAttendee,
    Task,
    TeamMember,
    VisitNote,
)
from db.store import Store

CHUNK = 5_000
HISTORY_DAYS = 3 * 365
MEETINGS_THIS_WEEK = 18
MAX_PAST_MEETINGS = 2_000

NAME_STEMS = (
    "Nordwind",
    "Brightwater",
    "Alpen",
    "Kestrel",
    "Bluefin",
    "Harbor",
    "Lumen",
    "Granite",
    "Silverline",
    "Oakridge",
    "Rheinland",
    "Müller",
    "Søndergaard",
    "Núñez",
    "Fjord",
    "Vireo",
    "Cobalt",
    "Meridian",
    "Tandem",
    "Halcyon",
    "Birchwood",
    "Crescent",
    "Ostrava",
    "Lindqvist",
    "Pioneer",
    "Quarry",
    "Redwood",
    "Sable",
    "Tidewater",
    "Umber",
    "Westmark",
    "Zephyr",
    "Atlas",
    "Beacon",
    "Cascade",
    "Dufour",
    "Elbe",
    "Falcon",
    "Gérard",
    "Holm",
)
NAME_SECTORS = (
    ("Logistics", "Logistics"),
    ("Foods", "Food & beverage"),
    ("Maschinenbau", "Machinery"),
    ("Pharma", "Pharmaceuticals"),
    ("Energy", "Energy"),
    ("Textiles", "Textiles"),
    ("Software", "Software"),
    ("Health", "Healthcare"),
    ("Retail", "Retail"),
    ("Construction", "Construction"),
    ("Chemicals", "Chemicals"),
    ("Media", "Media"),
    ("Motors", "Automotive"),
    ("Freight", "Logistics"),
    ("Dairy", "Food & beverage"),
)
CITIES = (
    ("Hamburg", "20457", "Germany", "de"),
    ("Köln", "50667", "Germany", "de"),
    ("München", "80331", "Germany", "de"),
    ("Aarhus", "8000", "Denmark", "dk"),
    ("Göteborg", "411 01", "Sweden", "se"),
    ("Lyon", "69002", "France", "fr"),
    ("Bilbao", "48001", "Spain", "es"),
    ("Rotterdam", "3011", "Netherlands", "nl"),
    ("Manchester", "M1 1AE", "United Kingdom", "co.uk"),
    ("Dublin", "D02", "Ireland", "ie"),
    ("Toronto", "M5H 2N2", "Canada", "ca"),
    ("Chicago", "60601", "United States", "com"),
    ("Boston", "02108", "United States", "com"),
    ("Zürich", "8001", "Switzerland", "ch"),
)
LEGAL_FORMS = {
    "de": "GmbH",
    "dk": "A/S",
    "se": "AB",
    "fr": "SA",
    "es": "S.L.",
    "nl": "B.V.",
    "co.uk": "Ltd",
    "ie": "Ltd",
    "ca": "Inc.",
    "com": "Inc.",
    "ch": "AG",
}
STREETS = (
    "Hafenstraße",
    "Market Street",
    "Rue de la Paix",
    "Calle Mayor",
    "Industrieweg",
    "King Street",
    "Bahnhofstraße",
    "Storgatan",
    "Main Street",
    "Kanalvej",
)
FIRST_NAMES = (
    "Anna",
    "Jonas",
    "Zoë",
    "Mateo",
    "Søren",
    "Chloé",
    "Lukas",
    "Amélie",
    "Björn",
    "Priya",
    "James",
    "Olivia",
    "Noah",
    "Mia",
    "Élodie",
    "Ingrid",
    "Tomás",
    "Sara",
    "Hannah",
    "David",
    "Lea",
    "Omar",
    "Julia",
    "Ravi",
    "Emma",
    "Jürgen",
    "Nina",
)
LAST_NAMES = (
    "Müller",
    "Schmidt",
    "Núñez",
    "Jensen",
    "Lindqvist",
    "Dubois",
    "García",
    "Smith",
    "O'Brien",
    "Patel",
    "Novak",
    "Rossi",
    "Kowalski",
    "Berg",
    "Weber",
    "Larsen",
    "Fischer",
    "Martin",
    "Brown",
    "Østergaard",
    "Keller",
    "Moreau",
    "Silva",
    "Chen",
)
TITLES = (
    "Head of Procurement",
    "CFO",
    "COO",
    "IT Director",
    "Operations Manager",
    "Purchasing Lead",
    "CEO",
    "Plant Manager",
    "Head of Logistics",
    "Controller",
    "VP Engineering",
    "Facilities Manager",
    "Supply Chain Analyst",
)
COLLEAGUES = (
    "Ana López",
    "Ben Carter",
    "Chiara Bianchi",
    "Dmitri Volkov",
    "Eva Nilsson",
    "Farah Haddad",
    "Georg Huber",
    "Hana Sato",
    "Ian Murphy",
    "Julia Kraus",
    "Kofi Mensah",
    "Laura Svensson",
    "Marco Ferri",
    "Nadia Rahman",
    "Oskar Lind",
    "Paula Costa",
    "Quentin Roux",
    "Rita Gomes",
    "Sam Lee",
    "Tariq Aziz",
    "Ulla Berg",
    "Victor Hugo",
    "Wen Li",
    "Yusuf Demir",
    "Zofia Nowak",
)
WEBINARS = (
    "Pricing in 2026",
    "Cold-chain tracking 101",
    "Cutting fuel costs",
    "What's new this spring",
    "Automating your warehouse",
)
EMAILS = (
    "Spring newsletter",
    "Product update",
    "Case study: Nordwind",
    "Renewal reminder",
    "Invitation: customer summit",
)
PAGES = ("/pricing", "/product/tracker", "/customers", "/security", "/integrations")
TICKET_SUBJECTS = (
    "Export fails",
    "Login problems",
    "Sensor offline",
    "Slow reports",
    "Wrong invoice address",
    "API timeouts",
)
PURPOSES = (
    "Quarterly review",
    "Renewal discussion",
    "Product demo",
    "Onboarding check-in",
    "Pricing negotiation",
    "Executive sponsor meeting",
    "Pilot kick-off",
)
NOTE_OPENERS = (
    "Good meeting.",
    "Short visit, they were busy.",
    "Very open conversation.",
    "Tense start because of the open ticket.",
)
NOTE_POINTS = (
    "They want a pilot of the cold-chain tracker before March.",
    "Budget for next year is approved, timing unclear.",
    "Procurement asks for a 3-year price lock.",
    "Competitor offered a cheaper bundle; they prefer our support.",
    "New plant opening in the autumn, needs 40 more sensors.",
    "CFO wants a business case with fuel savings.",
)
FOLLOW_UPS = (
    "Send the pricing proposal",
    "Share the case study",
    "Book a demo for IT",
    "Check the status of the open ticket",
    "Introduce our solutions engineer",
)
RUNG_WEIGHTS = (30, 28, 18, 12, 8, 4)  # prospect … partner: fewer the higher you climb
SOURCES = {
    Channel.MARKETING: "hubspot",
    Channel.SERVICE: "zendesk",
    Channel.BILLING: "netsuite",
    Channel.SALES: "fieldbrief",
}


@dataclass(frozen=True)
class DemoSummary:
    """What generate_demo wrote."""

    accounts: int
    contacts: int
    meetings: int
    notes: int
    tasks: int
    activities: int
    open_disputes: int


class _Writer:
    """Buffers rows per model and inserts them in chunks through Core executemany."""

    def __init__(self, session: Session, stamp: datetime) -> None:
        self._session = session
        self._stamp = stamp
        self._buffers: dict[type[Any], list[dict[str, Any]]] = {}
        self.counts: dict[type[Any], int] = {}

    def add(self, model: type[Any], row: dict[str, Any]) -> None:
        row.update(created_at=self._stamp, updated_at=self._stamp, version=1)
        buffer = self._buffers.setdefault(model, [])
        buffer.append(row)
        self.counts[model] = self.counts.get(model, 0) + 1
        if len(buffer) >= CHUNK:
            self.flush_all()

    def flush_all(self) -> None:
        # Parents first, so foreign keys hold at every statement.
        for model in (
            Account,
            Contact,
            Meeting,
            MeetingAttendee,
            VisitNote,
            Task,
            Activity,
            LadderChange,
            TeamMember,
        ):
            rows = self._buffers.pop(model, None)
            if rows:
                self._session.execute(insert(model), rows)


def generate_demo(
    store: Store,
    accounts: int,
    seed: int,
    *,
    today: date,
    territory: str = "demo",
    owner_rep: str = "demo",
    progress: Callable[[float], None] | None = None,
) -> DemoSummary:
    """Writes a demo territory of `accounts` companies into an empty store.

    The same (accounts, seed, today) always gives the same rows, ids included.
    """
    if accounts < 1:
        raise ValueError("a demo territory needs at least one account")
    rng = random.Random(seed)
    now = datetime.combine(today, time(7, 0), tzinfo=UTC)
    with store.session() as session:
        existing = session.execute(select(func.count()).select_from(Account)).scalar_one()
        if existing:
            raise StoreNotEmpty(
                f"the store already holds {existing:,} accounts; use --replace to start over"
            )
        writer = _Writer(session, now - timedelta(days=HISTORY_DAYS + 30))
        gen = _Generator(rng, writer, now, territory, owner_rep)
        week_slots = gen.meeting_slots(today, min(MEETINGS_THIS_WEEK, max(1, accounts // 2)))
        week_accounts = set(rng.sample(range(accounts), k=min(len(week_slots), accounts)))
        past_budget = min(MAX_PAST_MEETINGS, int(accounts * 0.3))
        past_accounts = set(rng.sample(range(accounts), k=past_budget))
        for i in range(accounts):
            account_id, contacts = gen.account()
            if i in week_accounts and week_slots:
                gen.meeting(account_id, contacts, week_slots.pop(), with_note=False)
            if i in past_accounts:
                start = now - timedelta(days=rng.randint(7, 365), hours=rng.randint(-2, 6))
                gen.meeting(account_id, contacts, start, with_note=True)
            if progress is not None and (i + 1) % 1000 == 0:
                progress((i + 1) / accounts)
        writer.flush_all()
    if progress is not None:
        progress(1.0)
    counts = writer.counts
    return DemoSummary(
        accounts=counts.get(Account, 0),
        contacts=counts.get(Contact, 0),
        meetings=counts.get(Meeting, 0),
        notes=counts.get(VisitNote, 0),
        tasks=counts.get(Task, 0),
        activities=counts.get(Activity, 0),
        open_disputes=gen.open_disputes,
    )


class _Generator:
    """Makes one account and everything around it, drawing from one seeded random source."""

    def __init__(
        self, rng: random.Random, writer: _Writer, now: datetime, territory: str, owner_rep: str
    ) -> None:
        self.rng = rng
        self.writer = writer
        self.now = now
        self.territory = territory
        self.owner_rep = owner_rep
        self.open_disputes = 0
        self._numbers = iter(range(10_000, 10**9))

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def ago(self, max_days: int, min_days: int = 0) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(min_days, max_days))

    def account(self) -> tuple[uuid.UUID, list[tuple[uuid.UUID, str]]]:
        rng = self.rng
        stem, (sector, industry) = rng.choice(NAME_STEMS), rng.choice(NAME_SECTORS)
        city, postal, country, tld = rng.choice(CITIES)
        number = next(self._numbers)
        name = f"{stem} {sector} {LEGAL_FORMS[tld]}"
        if rng.random() < 0.6:  # keep names varied, and distinct enough to search for
            branch = rng.choice(
                ("Nord", "Süd", "West", "Ost", "Group", "Partners", str(number % 97))
            )
            name = f"{stem} {sector} {branch} {LEGAL_FORMS[tld]}"
        domain = f"{_ascii(stem)}-{sector.lower()}{number % 1000}.{tld}"
        rung = rng.choices(list(LadderRung), weights=RUNG_WEIGHTS)[0]
        account_id = self.new_id()
        self.writer.add(
            Account,
            dict(
                id=account_id,
                name=name,
                industry=industry,
                employees=int(rng.lognormvariate(5, 1.3)) + 5,
                street=f"{rng.choice(STREETS)} {rng.randint(1, 180)}",
                postal_code=postal,
                city=city,
                country=country,
                phone=_phone(rng),
                website=f"https://www.{domain}",
                territory=self.territory,
                owner_rep=self.owner_rep,
                ladder_rung=rung,
            ),
        )
        contacts = [
            self.contact(account_id, domain) for _ in range(rng.choice((1, 2, 2, 3, 3, 3, 4, 5, 6)))
        ]
        self.ladder(account_id, rung)
        for colleague in rng.sample(COLLEAGUES, k=rng.randint(1, 4)):
            self.writer.add(
                TeamMember,
                dict(
                    id=self.new_id(),
                    account_id=account_id,
                    name=colleague,
                    email=f"{colleague.split()[0].lower()}@fieldbrief.example",
                    role=rng.choice(list(TeamRole)),
                ),
            )
        self.activities(account_id, contacts)
        return account_id, contacts

    def contact(self, account_id: uuid.UUID, domain: str) -> tuple[uuid.UUID, str]:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        contact_id = self.new_id()
        ascii_name = _ascii(f"{first}.{last}")
        self.writer.add(
            Contact,
            dict(
                id=contact_id,
                account_id=account_id,
                first_name=first,
                last_name=last,
                title=rng.choice(TITLES),
                email=f"{ascii_name}@{domain}",
                phone=_phone(rng),
                mobile=None
                if rng.random() < 0.4
                else f"+{rng.randint(1, 49)} 17{rng.randint(10000000, 99999999)}",
                deal_role=rng.choice(list(DealRole)),
            ),
        )
        return contact_id, f"{first} {last}"

    def ladder(self, account_id: uuid.UUID, rung: LadderRung) -> None:
        steps = list(LadderRung)[: rung.step]
        moments = sorted(self.ago(HISTORY_DAYS, 30) for _ in steps)
        previous = None
        for step, moment in zip(steps, moments, strict=True):
            self.writer.add(
                LadderChange,
                dict(
                    id=self.new_id(),
                    account_id=account_id,
                    from_rung=previous,
                    to_rung=step,
                    changed_at=moment,
                    changed_by=self.owner_rep,
                    reason="First contact"
                    if previous is None
                    else f"Moved up to {step.label.lower()}",
                ),
            )
            previous = step

    def activities(self, account_id: uuid.UUID, contacts: list[tuple[uuid.UUID, str]]) -> None:
        rng = self.rng
        for _ in range(rng.randint(2, 18)):
            contact_id = rng.choice(contacts)[0] if contacts and rng.random() < 0.8 else None
            channel, kind, title, details = self.event()
            self.writer.add(
                Activity,
                dict(
                    id=self.new_id(),
                    account_id=account_id,
                    contact_id=contact_id,
                    channel=channel,
                    type=kind,
                    title=title,
                    occurred_at=self.ago(HISTORY_DAYS),
                    details=details,
                    source_system=SOURCES[channel],
                ),
            )
        if rng.random() < 0.03:  # an open dispute: never pitch into it
            invoice = f"INV-{self.now.year - 1}-{next(self._numbers) % 100000:05d}"
            self.open_disputes += 1
            self.writer.add(
                Activity,
                dict(
                    id=self.new_id(),
                    account_id=account_id,
                    contact_id=None,
                    channel=Channel.SERVICE,
                    type=ActivityType.DISPUTE_OPENED,
                    title=f"Dispute opened: invoice {invoice}",
                    occurred_at=self.ago(60),
                    details={"invoice": invoice, "status": "open"},
                    source_system="zendesk",
                ),
            )

    def event(self) -> tuple[Channel, str, str, dict[str, Any]]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.55:
            choice = rng.randint(0, 3)
            if choice == 0:
                webinar = rng.choice(WEBINARS)
                return (
                    Channel.MARKETING,
                    ActivityType.WEBINAR_ATTENDED,
                    f"Attended webinar: {webinar}",
                    {"campaign": webinar},
                )
            if choice == 1:
                email = rng.choice(EMAILS)
                kind = rng.choice((ActivityType.EMAIL_OPENED, ActivityType.EMAIL_CLICKED))
                verb = "Opened" if kind == ActivityType.EMAIL_OPENED else "Clicked"
                return Channel.MARKETING, kind, f"{verb} email: {email}", {"campaign": email}
            if choice == 2:
                page = rng.choice(PAGES)
                return (
                    Channel.MARKETING,
                    ActivityType.PAGE_VISIT,
                    f"Visited {page}",
                    {"url": page, "visits": rng.randint(1, 5)},
                )
            return (
                Channel.MARKETING,
                ActivityType.CONTENT_DOWNLOAD,
                "Downloaded: Fuel savings guide",
                {"asset": "fuel-savings-guide.pdf"},
            )
        if roll < 0.8:
            ticket = next(self._numbers)
            subject = rng.choice(TICKET_SUBJECTS)
            if rng.random() < 0.2:
                score = rng.randint(0, 10)
                comment = rng.choice(("too slow to respond", "great support", "pricey", ""))
                title = f"NPS response: {score}" + (f" — {comment}" if comment else "")
                return (
                    Channel.SERVICE,
                    ActivityType.NPS_RESPONSE,
                    title,
                    {"score": score, "comment": comment},
                )
            severity = rng.choice((1, 2, 2, 3, 3, 3, 4))
            closed = rng.random() < 0.85
            kind = ActivityType.TICKET_CLOSED if closed else ActivityType.TICKET_OPENED
            verb = "closed" if closed else "opened"
            return (
                Channel.SERVICE,
                kind,
                f"Ticket #{ticket} {verb}: {subject} (severity {severity})",
                {"ticket": ticket, "severity": severity, "subject": subject},
            )
        if roll < 0.97:
            invoice = f"INV-{self.now.year - rng.randint(0, 2)}-{next(self._numbers) % 100000:05d}"
            amount = rng.randint(8, 400) * 100
            kind = rng.choices(
                (
                    ActivityType.INVOICE_ISSUED,
                    ActivityType.INVOICE_PAID,
                    ActivityType.INVOICE_OVERDUE,
                ),
                weights=(45, 45, 10),
            )[0]
            label = {
                ActivityType.INVOICE_ISSUED: "issued",
                ActivityType.INVOICE_PAID: "paid",
                ActivityType.INVOICE_OVERDUE: "overdue",
            }[kind]
            return (
                Channel.BILLING,
                kind,
                f"Invoice {invoice} {label} (€{amount:,})",
                {"invoice": invoice, "amount": amount, "currency": "EUR"},
            )
        return (
            Channel.SALES,
            ActivityType.CALL_LOGGED,
            "Call logged: check-in",
            {"minutes": rng.randint(5, 40)},
        )

    def meeting_slots(self, today: date, count: int) -> list[datetime]:
        """Start times over the 7 days from today, weekdays first, business hours."""
        days = [today + timedelta(days=d) for d in range(7)]
        weekdays = [d for d in days if d.weekday() < 5] or days
        slots = []
        for n in range(count):
            day = weekdays[n % len(weekdays)]
            hour = self.rng.choice((8, 9, 10, 11, 13, 14, 15, 16))
            slots.append(datetime.combine(day, time(hour, self.rng.choice((0, 30))), tzinfo=UTC))
        return slots

    def meeting(
        self,
        account_id: uuid.UUID,
        contacts: list[tuple[uuid.UUID, str]],
        start: datetime,
        *,
        with_note: bool,
    ) -> None:
        rng = self.rng
        meeting_id = self.new_id()
        purpose = rng.choice(PURPOSES)
        self.writer.add(
            Meeting,
            dict(
                id=meeting_id,
                account_id=account_id,
                starts_at=start,
                ends_at=start + timedelta(minutes=rng.choice((30, 45, 60, 90))),
                place="Video call" if rng.random() < 0.25 else "At their office",
                purpose=purpose,
            ),
        )
        attendees = rng.sample(contacts, k=min(len(contacts), rng.randint(1, 3)))
        for contact_id, _ in attendees:
            self.writer.add(
                MeetingAttendee,
                dict(id=self.new_id(), meeting_id=meeting_id, contact_id=contact_id),
            )
        if not with_note:
            return
        note_id = self.new_id()
        names = ", ".join(name for _, name in attendees)
        body = " ".join(
            (f"{purpose} with {names}.", rng.choice(NOTE_OPENERS), *rng.sample(NOTE_POINTS, k=2))
        )
        self.writer.add(
            VisitNote,
            dict(
                id=note_id,
                account_id=account_id,
                meeting_id=meeting_id,
                body=body,
                author=self.owner_rep,
            ),
        )
        for title in rng.sample(FOLLOW_UPS, k=rng.randint(0, 2)):
            due = (start + timedelta(days=rng.randint(3, 21))).date()
            done = due < self.now.date() and rng.random() < 0.7
            self.writer.add(
                Task,
                dict(
                    id=self.new_id(),
                    account_id=account_id,
                    contact_id=attendees[0][0],
                    note_id=note_id,
                    title=title,
                    due_date=due,
                    done=done,
                    done_at=datetime.combine(due, time(12), tzinfo=UTC) if done else None,
                ),
            )


def _phone(rng: random.Random) -> str:
    return f"+{rng.randint(1, 49)} {rng.randint(10, 999)} {rng.randint(100000, 9999999)}"


def _ascii(text: str) -> str:
    """Lower-case ASCII for e-mail addresses and domains: 'Zoë.Núñez' -> 'zoe.nunez'."""
    folded = unicodedata.normalize("NFKD", text.lower().replace("ø", "o").replace("ß", "ss"))
    return "".join(c for c in folded if c.isascii() and (c.isalnum() or c in ".-"))
