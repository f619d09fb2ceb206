"""What is open at an account, read from its activity stream: a ticket until a close for its
number arrives, a dispute until its resolution, an invoice until it is paid, a credit hold
until it is lifted. Read for one account (the briefing) or many at once (the markers of an
account list, db.briefing.warnings), with the same queries and the same folding, so a
marker and the briefing's warning band never disagree. Call off the GUI thread.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from db.briefing import rules
from db.store.models import Activity, TeamMember
from sync.enums import TeamRole

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
    "nurture_paused",
    "nurture_resumed",
    "contact_opt_out",
    "contact_opt_in",
    "subscription_cancelled",
)
SURVEY_TYPES = ("nps_response", "csat_response")
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
    "subscription_cancelled",
)
# The detail fields the briefing reads (the rest of an event's JSON stays in the store).
DETAIL_FIELDS = (
    "ticket", "severity", "subject", "status", "dispute", "invoice", "reason", "amount",
    "currency", "due_date", "score", "comment", "campaign", "url", "webinar", "asset",
    "held_by", "plan",
)  # fmt: skip
# The department that resolves what a role's colleague handles (rules.Facts.owners).
ROLE_DEPARTMENT = {
    TeamRole.BILLING_CONTACT: "billing",
    TeamRole.SERVICE_REP: "service",
    TeamRole.MARKETING_OWNER: "marketing",
}
BATCH = 500  # accounts per query: well under SQLite's limit of bound parameters


@dataclass(frozen=True, slots=True)
class Event:
    """An activity as the briefing reads it: columns and the detail fields it uses."""

    account_id: uuid.UUID
    occurred_at: datetime
    channel: str
    type: str
    title: str
    contact_id: uuid.UUID | None
    details: dict[str, Any]


@dataclass(slots=True)
class OpenState:
    """What is open, folded from an account's state events oldest first."""

    tickets: dict[str, rules.Ticket | None] = field(default_factory=dict)
    disputes: dict[str, rules.Dispute | None] = field(default_factory=dict)
    overdue: dict[str, rules.Invoice | None] = field(default_factory=dict)
    amounts: dict[str, str] = field(default_factory=dict)  # invoice number -> amount
    hold: str | None = None  # its reason, while on hold
    hold_invoice: str | None = None
    hold_at: datetime | None = None
    cancelled: rules.Cancellation | None = None
    opted_out: dict[str, bool] = field(default_factory=dict)
    nurture: dict[str, bool] = field(default_factory=dict)
    surveys: list[rules.Survey] = field(default_factory=list)  # oldest first

    def facts(self, today: date, rung: Any, **more: Any) -> rules.Facts:
        """The rules' facts about what is open (the rest as `more`)."""
        return rules.Facts(
            today=today,
            rung=rung,
            open_tickets=tuple(t for t in self.tickets.values() if t is not None),
            open_disputes=tuple(
                d if d.amount or not d.invoice else _with_amount(d, self.amounts.get(d.invoice))
                for d in self.disputes.values()
                if d is not None
            ),
            overdue_invoices=tuple(i for i in self.overdue.values() if i is not None),
            credit_hold=self.hold,
            cancelled=self.cancelled,
            no_contact=tuple(name for name, out in self.opted_out.items() if out),
            surveys=tuple(reversed(self.surveys)),
            nurture_paused=tuple(name for name, paused in self.nurture.items() if paused),
            **more,
        )


def read_events(session: Session, *where: ColumnElement[bool], newest: int = 0) -> list[Event]:
    """Columns, not ORM objects, and only the detail fields read here, taken out of the
    JSON by SQLite: an account can have tens of thousands of events. Oldest first; with
    `newest`, the newest that many only."""
    fields = [func.json_extract(Activity.details, f"$.{name}") for name in DETAIL_FIELDS]
    stmt: Select[Any] = select(
        Activity.account_id,
        Activity.occurred_at,
        Activity.channel,
        Activity.type,
        Activity.title,
        Activity.contact_id,
        *fields,
    ).where(Activity.deleted_at.is_(None), *where)
    if newest:
        stmt = stmt.order_by(Activity.occurred_at.desc()).limit(newest)
    else:
        stmt = stmt.order_by(Activity.occurred_at)
    return [
        Event(
            account_id,
            at,
            str(channel),
            kind,
            title,
            contact_id,
            {k: v for k, v in zip(DETAIL_FIELDS, values, strict=True) if v is not None},
        )
        for account_id, at, channel, kind, title, contact_id, *values in session.execute(stmt)
    ]


def open_state_events(
    session: Session, account_ids: Collection[uuid.UUID], now: datetime
) -> dict[uuid.UUID, list[Event]]:
    """Per account, the events of what may still be open (a ticket, a dispute, an unpaid
    invoice, a hold, a pause, an opt-out), all-time, and its newest NPS and CSAT answers,
    oldest first.

    SQLite picks them: per thing (a ticket number, an invoice...), its events only if its
    newest one leaves it open, so closed history (most of it) never reaches Python. Both
    queries search ix_activity_account_type by account and type, reading no other event.
    """
    found: dict[uuid.UUID, list[Event]] = defaultdict(list)
    ids = list(account_ids)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        for event in _still_open(session, chunk, now) + _newest_surveys(session, chunk, now):
            found[event.account_id].append(event)
    for events in found.values():
        events.sort(key=lambda e: e.occurred_at)
    return found


def _still_open(session: Session, account_ids: list[uuid.UUID], now: datetime) -> list[Event]:
    kind = Activity.type
    detail = partial(func.json_extract, Activity.details)
    family = case(
        (kind.startswith("ticket_", autoescape=True), "ticket"),
        (kind.startswith("dispute_", autoescape=True), "dispute"),
        (kind.startswith("invoice_", autoescape=True), "invoice"),
        (kind.startswith("credit_", autoescape=True), "credit"),
        (kind.startswith("nurture_", autoescape=True), "nurture"),
        (kind.startswith("subscription_", autoescape=True), "subscription"),
        else_="opt-out",  # pauses and opt-outs: per contact below
    )
    key = case(
        (family == "ticket", func.coalesce(detail("$.ticket"), Activity.title)),
        (
            family == "dispute",
            func.coalesce(detail("$.dispute"), detail("$.invoice"), Activity.title),
        ),
        (family == "invoice", func.coalesce(detail("$.invoice"), Activity.title)),
        (family.in_(("credit", "subscription")), ""),
        else_=func.coalesce(Activity.contact_id, ""),
    )
    newest_kind = (
        func.first_value(kind)
        .over(
            partition_by=(Activity.account_id, family, key),
            order_by=Activity.occurred_at.desc(),
        )
        .label("newest_kind")
    )
    inner = (
        select(Activity.id, newest_kind)
        .where(
            Activity.account_id.in_(account_ids),
            Activity.type.in_(STATE_TYPES),
            Activity.occurred_at <= now,
            Activity.deleted_at.is_(None),
        )
        .subquery()
    )
    still_open = select(inner.c.id).where(inner.c.newest_kind.in_(OPENING_TYPES))
    return read_events(session, Activity.id.in_(still_open))


def _newest_surveys(session: Session, account_ids: list[uuid.UUID], now: datetime) -> list[Event]:
    """Per account, its newest NPS answer and its newest CSAT answer."""
    rank = (
        func.row_number()
        .over(
            partition_by=(Activity.account_id, Activity.type),
            order_by=Activity.occurred_at.desc(),
        )
        .label("rank")
    )
    inner = (
        select(Activity.id, rank)
        .where(
            Activity.account_id.in_(account_ids),
            Activity.type.in_(SURVEY_TYPES),
            Activity.occurred_at <= now,
            Activity.deleted_at.is_(None),
        )
        .subquery()
    )
    return read_events(session, Activity.id.in_(select(inner.c.id).where(inner.c.rank == 1)))


def fold(
    events: Iterable[Event], name_of: Callable[[uuid.UUID | None], str | None], everyone: str
) -> OpenState:
    """What the events (oldest first, none in the future) leave open. `name_of` names a
    contact; `everyone`: who an opt-out without a contact is (the account's name)."""
    state = OpenState()
    for event in events:
        at, kind, title, info = event.occurred_at, event.type, event.title, event.details
        who = name_of(event.contact_id)
        if kind.startswith("ticket_"):
            number = _text(info.get("ticket")) or title
            previous = state.tickets.get(number)
            if kind == "ticket_closed" or info.get("status") in ("closed", "solved"):
                state.tickets[number] = None
            else:
                state.tickets[number] = rules.Ticket(
                    number,
                    _severity(info.get("severity"))
                    or (previous.severity if previous else "normal"),
                    _text(info.get("subject")) or (previous.subject if previous else ""),
                    previous.opened_at if previous else at,
                )
        elif kind in ("dispute_opened", "dispute_resolved"):
            key = _text(info.get("dispute")) or _text(info.get("invoice")) or title
            state.disputes[key] = (
                rules.Dispute(
                    key,
                    _text(info.get("invoice")),
                    _text(info.get("reason")) or "",
                    at,
                    amount(info) if info.get("amount") is not None else None,
                )
                if kind == "dispute_opened"
                else None
            )
        elif kind.startswith("invoice_"):
            number = _text(info.get("invoice")) or title
            if info.get("amount") is not None:
                state.amounts[number] = amount(info)
            if kind == "invoice_overdue":
                state.overdue[number] = rules.Invoice(
                    number, amount(info), _date(info.get("due_date"))
                )
            elif kind == "invoice_paid":
                state.overdue[number] = None
                if number == state.hold_invoice:
                    state.hold = None
        elif kind == "credit_hold":
            state.hold = _text(info.get("reason")) or ""
            state.hold_invoice, state.hold_at = _text(info.get("invoice")), at
        elif kind == "credit_released":
            state.hold = None
        elif kind == "subscription_cancelled":
            state.cancelled = rules.Cancellation(
                _text(info.get("plan")) or "", _text(info.get("reason")) or "", at
            )
        elif kind in SURVEY_TYPES:
            score = info.get("score")
            if isinstance(score, int | float):
                state.surveys.append(
                    rules.Survey(
                        kind.split("_")[0], int(score), _text(info.get("comment")) or "", who, at
                    )
                )
        elif kind in ("contact_opt_out", "contact_opt_in"):
            state.opted_out[who or everyone] = kind == "contact_opt_out"
        elif kind in ("nurture_paused", "nurture_resumed"):
            state.nurture[who or "everyone at the account"] = kind == "nurture_paused"
    return state


def paid_after(session: Session, account_id: uuid.UUID, invoice: str, moment: datetime) -> bool:
    """Whether the invoice was paid at or after `moment` (a hold for it is then over)."""
    stmt = select(Activity.id).where(
        Activity.account_id == account_id,
        Activity.type == "invoice_paid",
        Activity.occurred_at >= moment,
        Activity.deleted_at.is_(None),
        func.json_extract(Activity.details, "$.invoice") == invoice,
    )
    return session.scalar(stmt.limit(1)) is not None


def lift_paid_hold(session: Session, account_id: uuid.UUID, state: OpenState) -> None:
    """A hold for an invoice paid since is over (the payment may be older than the events
    read, which are the open ones only)."""
    invoice, at = state.hold_invoice, state.hold_at
    if state.hold is not None and invoice and at and paid_after(session, account_id, invoice, at):
        state.hold = None


def owners(
    session: Session, account_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, tuple[tuple[str, str], ...]]:
    """Per account, who on its team resolves what: (department, name), first by name."""
    found: dict[uuid.UUID, dict[str, str]] = defaultdict(dict)
    ids = list(account_ids)
    for start in range(0, len(ids), BATCH):
        rows = session.execute(
            select(TeamMember.account_id, TeamMember.role, TeamMember.name)
            .where(
                TeamMember.account_id.in_(ids[start : start + BATCH]),
                TeamMember.role.in_(ROLE_DEPARTMENT),
                TeamMember.deleted_at.is_(None),
            )
            .order_by(TeamMember.name)
        )
        for account_id, role, name in rows:
            found[account_id].setdefault(ROLE_DEPARTMENT[role], name)
    return {account: tuple(named.items()) for account, named in found.items()}


def amount(details: Mapping[str, Any]) -> str:
    """ "37,800 DKK" from an event's amount and currency."""
    value, currency = details.get("amount"), details.get("currency") or ""
    if isinstance(value, int | float):
        return f"{value:,.0f} {currency}".strip()
    return f"{value or ''} {currency}".strip() or "amount unknown"


def _with_amount(dispute: rules.Dispute, invoiced: str | None) -> rules.Dispute:
    """A dispute that names no amount: its invoice's, when that is known."""
    if invoiced is None:
        return dispute
    return rules.Dispute(dispute.key, dispute.invoice, dispute.reason, dispute.opened_at, invoiced)


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
