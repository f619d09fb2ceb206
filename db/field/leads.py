"""Leads marketing hands to the rep, and the rep's feedback: accepted or rejected (with a
reason from a fixed list, so marketing can count them), and later how it ended. It all
syncs back; the server reports it per campaign. Call off the GUI thread."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.changes import Changes
from db.edits import change_row
from db.errors import StoreUserError
from db.profiles.book import USERNAME
from db.store.local_store import Store
from db.store.models import Account, Contact, Lead, SyncState
from db.store.types import utc_now
from sync.enums import LeadOutcome, LeadStatus, RejectReason

NOTE_LIMIT = 2_000


class LeadError(StoreUserError):
    """Feedback on a lead that cannot be recorded; plain words."""


@dataclass(frozen=True, slots=True)
class LeadRow:
    id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    contact_name: str | None
    contact_title: str | None
    campaign: str
    score: int | None
    handed_over_at: datetime
    status: LeadStatus
    reject_reason: RejectReason | None
    decision_note: str | None
    outcome: LeadOutcome | None
    outcome_reason: str | None

    @property
    def waiting(self) -> bool:
        """Needs the rep: not yet accepted or rejected, or accepted with no outcome yet."""
        return self.status is LeadStatus.NEW or (
            self.status is LeadStatus.ACCEPTED and self.outcome is None
        )


class LeadDesk:
    """The rep's leads and their feedback on them."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def leads(self, include_settled: bool = False) -> list[LeadRow]:
        """New leads first (newest handed over first), then accepted ones awaiting an
        outcome, then (if asked) rejected and finished ones."""
        stmt = (
            select(Lead, Account.name, Contact.first_name, Contact.last_name, Contact.title)
            .join(Account, Account.id == Lead.account_id)
            .outerjoin(Contact, Contact.id == Lead.contact_id)
            .where(Lead.deleted_at.is_(None), Account.deleted_at.is_(None))
            .order_by(Lead.handed_over_at.desc())
        )
        with self._store.reading() as session:
            rows = [
                LeadRow(
                    id=lead.id,
                    account_id=lead.account_id,
                    account_name=account,
                    contact_name=f"{first} {last}" if last else None,
                    contact_title=title,
                    campaign=lead.campaign,
                    score=lead.score,
                    handed_over_at=lead.handed_over_at,
                    status=lead.status,
                    reject_reason=lead.reject_reason,
                    decision_note=lead.decision_note,
                    outcome=lead.outcome,
                    outcome_reason=lead.outcome_reason,
                )
                for lead, account, first, last, title in session.execute(stmt)
            ]
        order = {LeadStatus.NEW: 0, LeadStatus.ACCEPTED: 1, LeadStatus.REJECTED: 2}
        rows.sort(key=lambda r: (not r.waiting, order[r.status]))  # stable: newest first within
        return rows if include_settled else [r for r in rows if r.waiting]

    def accept(self, lead_id: uuid.UUID, note: str = "") -> Changes:
        return self._decide(lead_id, LeadStatus.ACCEPTED, None, note)

    def reject(self, lead_id: uuid.UUID, reason: RejectReason, note: str = "") -> Changes:
        if reason is RejectReason.OTHER and not note.strip():
            raise LeadError("say why you reject it when the reason is “Other”")
        return self._decide(lead_id, LeadStatus.REJECTED, reason, note)

    def record_outcome(self, lead_id: uuid.UUID, outcome: LeadOutcome, reason: str = "") -> Changes:
        """How an accepted lead ended; a lost one needs its reason."""
        reason = _text(reason)
        if outcome is LeadOutcome.LOST and not reason:
            raise LeadError("say why it was lost: marketing learns from it")
        with self._store.session() as session:
            lead = _live(session, lead_id)
            if lead.status is not LeadStatus.ACCEPTED:
                raise LeadError("only an accepted lead can be won or lost; accept it first")
            fields = {"outcome": outcome, "outcome_reason": reason or None, "outcome_at": utc_now()}
            change_row(session, "lead", lead_id, fields)
        return Changes.of("lead", lead_id)

    def undo_decision(self, lead_id: uuid.UUID) -> Changes:
        """Takes an accept or a reject back: the lead waits again as new, its decision
        (reason, note, when, who) cleared, written with its outbox entry like any edit.
        Nothing to write for a lead that is new already."""
        with self._store.session() as session:
            lead = _live(session, lead_id)
            if lead.outcome is not None:
                raise LeadError("this lead already has an outcome; it can no longer change")
            if lead.status is LeadStatus.NEW:
                return Changes()
            fields = {
                "status": LeadStatus.NEW,
                "reject_reason": None,
                "decision_note": None,
                "decided_at": None,
                "decided_by": None,
            }
            change_row(session, "lead", lead_id, fields)
        return Changes.of("lead", lead_id)

    def _decide(
        self, lead_id: uuid.UUID, status: LeadStatus, reason: RejectReason | None, note: str
    ) -> Changes:
        note = _text(note)
        with self._store.session() as session:
            lead = _live(session, lead_id)
            if lead.outcome is not None:
                raise LeadError("this lead already has an outcome; it can no longer change")
            user = session.get(SyncState, USERNAME)
            fields = {
                "status": status,
                "reject_reason": reason,
                "decision_note": note or None,
                "decided_at": utc_now(),
                "decided_by": user.value if user else None,
            }
            change_row(session, "lead", lead_id, fields)
        return Changes.of("lead", lead_id)


def _live(session: Session, lead_id: uuid.UUID) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None or lead.deleted_at is not None:
        raise LeadError("marketing withdrew this lead")
    return lead


def _text(text: str) -> str:
    text = text.strip()
    if len(text) > NOTE_LIMIT:
        raise LeadError(f"keep it under {NOTE_LIMIT:,} characters")
    return text
