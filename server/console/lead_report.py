"""Lead feedback for the console: per campaign, as the API counts it, within a date range and
territory; the leads of one campaign with the rep's reason; both as formula-safe CSV."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import BadRequest
from server.marketing import CSV_COLUMNS, CampaignFeedback, campaign_of, tally
from server.models import Record, Territory
from sync.csv_safe import csv_text
from sync.enums import LeadOutcome, LeadStatus, RejectReason

CAMPAIGN_CHARS = 200  # the lead's campaign field
_ID_CHUNK = 500


@dataclass(frozen=True)
class LeadFilter:
    """Which leads count: handed over from `since` to `until` (days in UTC, both included),
    in `territory`; None: no bound."""

    since: date | None = None
    until: date | None = None
    territory: str | None = None

    @property
    def active(self) -> bool:
        return any(value is not None for value in (self.since, self.until, self.territory))

    def takes(self, handed_over_at: Any) -> bool:
        """Whether a lead handed over at this moment (ISO text) falls in the date range."""
        if self.since is None and self.until is None:
            return True
        day = _utc_day(handed_over_at)
        if day is None:
            return False
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )


def parse_filter(
    session: Session, since: str | None, until: str | None, territory: str | None
) -> LeadFilter:
    """The filter as the form sent it (empty fields: no bound); BadRequest in words for a
    day that is not one, a range that ends before it starts, or a territory unknown."""
    first, last = _day("From", since), _day("To", until)
    if first is not None and last is not None and last < first:
        raise BadRequest("the range ends before it starts: pick a To day after the From day")
    name = (territory or "").strip() or None
    if name is not None and name not in territory_names(session):
        raise BadRequest(f"there is no territory {name!r}")
    return LeadFilter(first, last, name)


def territory_names(session: Session) -> list[str]:
    return list(session.scalars(select(Territory.name).order_by(Territory.name)))


def campaign_feedback(session: Session, where: LeadFilter) -> list[CampaignFeedback]:
    """Every campaign's feedback over the leads `where` takes."""
    return tally(data for _territory, data in _leads(session, where))


def total(campaigns: list[CampaignFeedback]) -> CampaignFeedback:
    """All campaigns added up (the table's last row)."""
    summed = CampaignFeedback("All campaigns")
    for c in campaigns:
        summed.handed_over += c.handed_over
        summed.undecided += c.undecided
        summed.accepted += c.accepted
        summed.rejected += c.rejected
        summed.won += c.won
        summed.lost += c.lost
        summed.no_decision += c.no_decision
        summed.reject_reasons.update(c.reject_reasons)
    return summed


def reason_label(reason: str) -> str:
    try:
        return RejectReason(reason).label
    except ValueError:
        return reason.replace("_", " ")


def feedback_csv(campaigns: list[CampaignFeedback]) -> str:
    """The table as the API's CSV writes it (the same columns and cells; every text cell
    defused for spreadsheets by csv_text)."""
    return csv_text(
        CSV_COLUMNS,
        (
            (
                c.campaign,
                c.handed_over,
                c.undecided,
                c.accepted,
                c.rejected,
                None if c.acceptance_rate is None else Decimal(f"{c.acceptance_rate:.2f}"),
                "; ".join(f"{r}: {n}" for r, n in c.reject_reasons.most_common()),
                c.won,
                c.lost,
                c.no_decision,
                "; ".join(c.lost_reasons),
            )
            for c in campaigns
        ),
    )


@dataclass(frozen=True)
class LeadLine:
    """One lead of a campaign as marketing sees it: whose, where, and what the rep said."""

    handed_over: date | None
    territory: str
    account: str
    contact: str
    score: int | None
    status: str  # "Open", "Accepted", "Rejected"
    reason: str  # the reject reason's label, or ""
    note: str  # the rep's note on the decision
    decided_by: str
    outcome: str  # "Won", "Lost", "No decision", or ""
    outcome_reason: str


LEAD_COLUMNS = (
    "handed_over", "territory", "account", "contact", "score", "status", "reject_reason",
    "rep_note", "decided_by", "outcome", "outcome_reason",
)  # fmt: skip


def campaign_leads(
    session: Session, campaign: str, where: LeadFilter
) -> tuple[CampaignFeedback | None, list[LeadLine]]:
    """One campaign's feedback (None: no lead `where` takes) and its leads, newest first,
    with the names of their account and contact (no e-mail, phone or address: marketing's
    own system has those); in one read of the leads."""
    found = [
        (territory, data)
        for territory, data in _leads(session, where)
        if campaign_of(data) == campaign
    ]
    counted = tally(data for _territory, data in found)
    accounts = _names(session, "account", {str(d.get("account_id")) for _t, d in found})
    contacts = _names(session, "contact", {str(d.get("contact_id")) for _t, d in found})
    lines = [
        LeadLine(
            handed_over=_utc_day(data.get("handed_over_at")),
            territory=territory,
            account=accounts.get(str(data.get("account_id")), ""),
            contact=contacts.get(str(data.get("contact_id")), ""),
            score=data.get("score") if isinstance(data.get("score"), int) else None,
            status=_status(data.get("status")),
            reason=reason_label(str(data["reject_reason"]))
            if data.get("status") == "rejected" and data.get("reject_reason")
            else "",
            note=str(data.get("decision_note") or ""),
            decided_by=str(data.get("decided_by") or ""),
            outcome=_outcome(data.get("outcome")),
            outcome_reason=str(data.get("outcome_reason") or ""),
        )
        for territory, data in found
    ]
    lines.sort(key=lambda line: (line.handed_over or date.min, line.account), reverse=True)
    return (counted[0] if counted else None), lines


def leads_csv(lines: list[LeadLine]) -> str:
    return csv_text(
        LEAD_COLUMNS,
        (
            (
                line.handed_over.isoformat() if line.handed_over else None,
                line.territory,
                line.account,
                line.contact,
                line.score,
                line.status,
                line.reason,
                line.note,
                line.decided_by,
                line.outcome,
                line.outcome_reason,
            )
            for line in lines
        ),
    )


def _leads(session: Session, where: LeadFilter) -> Iterator[tuple[str, dict[str, Any]]]:
    """(territory, fields) of every live lead `where` takes."""
    query = select(Record.territory, Record.data).where(
        Record.entity == "lead", Record.deleted_at.is_(None)
    )
    if where.territory is not None:
        query = query.where(Record.territory == where.territory)
    for territory, data in session.execute(query):
        if where.takes(data.get("handed_over_at")):
            yield territory, dict(data)


def _names(session: Session, entity: str, ids: set[str]) -> dict[str, str]:
    wanted = []
    for value in ids:
        try:
            wanted.append(uuid.UUID(value))
        except ValueError:
            continue
    names: dict[str, str] = {}
    for start in range(0, len(wanted), _ID_CHUNK):
        query = select(Record.id, Record.data).where(
            Record.entity == entity, Record.id.in_(wanted[start : start + _ID_CHUNK])
        )
        for record_id, data in session.execute(query):
            if entity == "account":
                names[str(record_id)] = str(data.get("name") or "")
            else:
                first, last = data.get("first_name") or "", data.get("last_name") or ""
                names[str(record_id)] = f"{first} {last}".strip()
    return names


def _status(value: Any) -> str:
    try:
        status = LeadStatus(value or "new")
    except ValueError:
        return str(value)
    return "Open" if status is LeadStatus.NEW else status.label


def _outcome(value: Any) -> str:
    if not value:
        return ""
    try:
        return LeadOutcome(value).label
    except ValueError:
        return str(value)


def _day(field: str, text: str | None) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{field}: give a day such as 2026-11-01, not {text[:40]!r}") from None


def _utc_day(value: Any) -> date | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date()
