"""What marketing reads back: the reps' feedback on its leads, per campaign, and the
contacts reps asked it to leave alone (the suppression list its systems honour)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Record
from sync.csv_safe import csv_text


@dataclass
class CampaignFeedback:
    """One campaign's leads and what the reps made of them."""

    campaign: str
    handed_over: int = 0
    undecided: int = 0
    accepted: int = 0
    rejected: int = 0
    won: int = 0
    lost: int = 0
    no_decision: int = 0
    reject_reasons: Counter[str] = field(default_factory=Counter)
    lost_reasons: list[str] = field(default_factory=list)

    @property
    def acceptance_rate(self) -> float | None:
        decided = self.accepted + self.rejected
        return self.accepted / decided if decided else None


class CampaignFeedbackOut(BaseModel):
    campaign: str
    handed_over: int
    undecided: int
    accepted: int
    rejected: int
    acceptance_rate: float | None
    reject_reasons: dict[str, int]
    won: int
    lost: int
    no_decision: int
    lost_reasons: list[str]


class LeadFeedbackReport(BaseModel):
    campaigns: list[CampaignFeedbackOut]


class Suppression(BaseModel):
    """A contact a rep asked marketing to leave alone, for one campaign or all."""

    contact_email: str | None
    contact_name: str
    account_name: str
    campaign: str | None  # None: every campaign
    until: date
    requested_by: str | None
    reason: str | None


class SuppressionList(BaseModel):
    as_of: date
    suppressions: list[Suppression]


def lead_feedback(session: Session) -> list[CampaignFeedback]:
    """Every campaign's leads (all territories), busiest campaign first."""
    return tally(_live(session, "lead"))


NO_CAMPAIGN = "(no campaign)"


def campaign_of(lead: dict[str, Any]) -> str:
    """The campaign a lead counts under, as the API's report names it."""
    return str(lead.get("campaign") or NO_CAMPAIGN)


def tally(leads: Iterable[dict[str, Any]]) -> list[CampaignFeedback]:
    """Per campaign, busiest first: the API's report, `report leads` and the console's
    (over the leads its filters take) all count with this."""
    campaigns: dict[str, CampaignFeedback] = {}
    for data in leads:
        name = campaign_of(data)
        entry = campaigns.setdefault(name, CampaignFeedback(name))
        entry.handed_over += 1
        status, outcome = data.get("status") or "new", data.get("outcome")
        if status == "rejected":
            entry.rejected += 1
            entry.reject_reasons[str(data.get("reject_reason") or "other")] += 1
        elif status == "accepted":
            entry.accepted += 1
        else:
            entry.undecided += 1
        if outcome == "won":
            entry.won += 1
        elif outcome == "lost":
            entry.lost += 1
            if data.get("outcome_reason"):
                entry.lost_reasons.append(str(data["outcome_reason"]))
        elif outcome == "no_decision":
            entry.no_decision += 1
    return sorted(campaigns.values(), key=lambda c: (-c.handed_over, c.campaign))


def feedback_report(session: Session) -> LeadFeedbackReport:
    return LeadFeedbackReport(
        campaigns=[
            CampaignFeedbackOut(
                campaign=c.campaign,
                handed_over=c.handed_over,
                undecided=c.undecided,
                accepted=c.accepted,
                rejected=c.rejected,
                acceptance_rate=c.acceptance_rate,
                reject_reasons=dict(c.reject_reasons.most_common()),
                won=c.won,
                lost=c.lost,
                no_decision=c.no_decision,
                lost_reasons=c.lost_reasons,
            )
            for c in lead_feedback(session)
        ]
    )


CSV_COLUMNS = (
    "campaign", "handed_over", "undecided", "accepted", "rejected", "acceptance_rate",
    "reject_reasons", "won", "lost", "no_decision", "lost_reasons",
)  # fmt: skip


def feedback_csv(session: Session) -> str:
    """The same as a spreadsheet: a row per campaign; reasons as "reason: count; ...".

    Campaign names and lost reasons come from outside systems and reps: csv_text defuses
    any a spreadsheet would run as a formula."""
    return csv_text(
        CSV_COLUMNS,
        (
            (
                c.campaign,
                c.handed_over,
                c.undecided,
                c.accepted,
                c.rejected,
                _rate(c.acceptance_rate),
                "; ".join(f"{r}: {n}" for r, n in c.reject_reasons.most_common()),
                c.won,
                c.lost,
                c.no_decision,
                "; ".join(c.lost_reasons),
            )
            for c in lead_feedback(session)
        ),
    )


def _rate(rate: float | None) -> Decimal | None:
    # A number (two decimals, as before), so it is never mistaken for text.
    return None if rate is None else Decimal(f"{rate:.2f}")


def format_feedback(campaigns: list[CampaignFeedback]) -> str:
    """The admin CLI's table."""
    if not campaigns:
        return "No leads yet."
    lines = [
        f"{'campaign':<28} {'leads':>6} {'open':>5} {'acc.':>5} {'rej.':>5} {'won':>4} "
        f"{'lost':>5}  top reject reason"
    ]
    for c in campaigns:
        top = c.reject_reasons.most_common(1)
        lines.append(
            f"{c.campaign[:28]:<28} {c.handed_over:>6} {c.undecided:>5} {c.accepted:>5} "
            f"{c.rejected:>5} {c.won:>4} {c.lost:>5}  {top[0][0] if top else ''}"
        )
    return "\n".join(lines)


def suppressions(session: Session, today: date) -> SuppressionList:
    """Holds still running today, with the contact's email for marketing's systems."""
    holds = [h for h in _live(session, "contact_hold") if _day(h.get("expires_on")) >= today]
    contacts = _by_id(session, "contact", {str(h.get("contact_id")) for h in holds})
    accounts = _by_id(session, "account", {str(h.get("account_id")) for h in holds})
    listed = []
    for hold in holds:
        contact = contacts.get(str(hold.get("contact_id")), {})
        account = accounts.get(str(hold.get("account_id")), {})
        listed.append(
            Suppression(
                contact_email=contact.get("email"),
                contact_name=_name(contact),
                account_name=str(account.get("name") or ""),
                campaign=hold.get("campaign"),
                until=_day(hold.get("expires_on")),
                requested_by=hold.get("requested_by"),
                reason=hold.get("reason"),
            )
        )
    listed.sort(key=lambda s: (s.until, s.contact_name))
    return SuppressionList(as_of=today, suppressions=listed)


def _name(contact: dict[str, Any]) -> str:
    return f"{contact.get('first_name') or ''} {contact.get('last_name') or ''}".strip()


def _live(session: Session, entity: str) -> list[dict[str, Any]]:
    stmt = select(Record.data).where(Record.entity == entity, Record.deleted_at.is_(None))
    return [dict(data) for data in session.scalars(stmt)]


def _by_id(session: Session, entity: str, ids: set[str]) -> dict[str, dict[str, Any]]:
    wanted = []
    for value in ids:
        try:
            wanted.append(uuid.UUID(value))
        except ValueError:
            continue
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):
        stmt = select(Record.id, Record.data).where(
            Record.entity == entity, Record.id.in_(wanted[start : start + 500])
        )
        for record_id, data in session.execute(stmt):
            found[str(record_id)] = dict(data)
    return found


def _day(value: Any) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return date.min
