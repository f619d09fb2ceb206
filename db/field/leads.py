"""Leads marketing hands to the rep, and the rep's feedback: accepted or rejected (with a
reason from a fixed list, so marketing can count them), and later how it ended. It all
syncs back; the server reports it per campaign. Call off the GUI thread."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, func, literal_column, select
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


@dataclass(frozen=True, slots=True)
class LeadCounts:
    """The listed leads the rep still has to act on, by what they wait for."""

    new: int  # not yet accepted or rejected
    open: int  # accepted, waiting for an outcome


def _rank() -> ColumnElement[int]:
    """The list's order as the index ix_lead_listed (db.store.models.Lead) holds it: the
    same text, so SQLite matches it to the index and reads pages in its order."""
    (index,) = (i for i in Lead.metadata.tables["lead"].indexes if i.name == "ix_lead_listed")
    return literal_column(str(index.expressions[0]), Integer)


_listed_rank = _rank()  # 0 new, 1 accepted and open, 2 finished, 3 rejected
_WAITING = 1  # the highest rank the rep still has to act on


def _listed(*columns: Any) -> Select[Any]:
    """`columns` of the leads the page lists: live, of a live account."""
    return (
        select(*columns)
        .select_from(Lead)
        .join(Account, Account.id == Lead.account_id)
        .where(Lead.deleted_at.is_(None), Account.deleted_at.is_(None))
    )


def new_leads_counted() -> Select[Any]:
    """How many new leads the page lists (Today's card says it too), from the index."""
    return _listed(func.count()).where(_listed_rank == 0)


class LeadDesk:
    """The rep's leads and their feedback on them."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def leads(self, include_settled: bool = False) -> list[LeadRow]:
        """Every lead the page would list, in its order (for scripts and tests: a screen
        reads page() by page)."""
        return self._rows(include_settled, 0, None)

    def page(self, offset: int, limit: int, *, include_settled: bool = False) -> list[LeadRow]:
        """`limit` leads from `offset` of the list: new leads first (newest handed over
        first), then accepted ones awaiting an outcome, then (if asked) finished and
        rejected ones. Read in the order of an index, only the columns shown."""
        if offset < 0 or limit < 0:
            raise ValueError(f"a page starts at 0 or later and holds 0 or more: {offset}, {limit}")
        return self._rows(include_settled, offset, limit)

    def counts(self) -> LeadCounts:
        """How many leads are new and how many accepted ones await an outcome (as listed:
        live, of a live account), counted from a range of the list's index; each one's
        account is still looked up for whether it lives (the costly part, cold)."""
        with self._store.reading() as session:
            new = session.scalar(new_leads_counted())
            open_ = session.scalar(_listed(func.count()).where(_listed_rank == 1))
        return LeadCounts(new=int(new or 0), open=int(open_ or 0))

    def position(self, lead_id: uuid.UUID, *, include_settled: bool = False) -> int | None:
        """Where the lead stands in the list (0 first); None when it is not listed (gone,
        or settled while settled ones are not shown). Counted from the index."""
        with self._store.reading() as session:
            found = session.execute(
                _listed(_listed_rank, Lead.handed_over_at).where(Lead.id == lead_id)
            ).first()
            if found is None:
                return None
            its_rank, handed_over_at = int(found[0]), found[1]
            if its_rank > _WAITING and not include_settled:
                return None
            earlier = (
                _listed_rank < its_rank,
                (_listed_rank == its_rank) & (Lead.handed_over_at > handed_over_at),
                (_listed_rank == its_rank)
                & (Lead.handed_over_at == handed_over_at)
                & (Lead.id < lead_id),
            )  # one index range each, not an OR that SQLite would read the index whole for
            return sum(int(session.scalar(_listed(func.count()).where(e)) or 0) for e in earlier)

    def _rows(self, include_settled: bool, offset: int, limit: int | None) -> list[LeadRow]:
        stmt = (
            _listed(
                Lead.id,
                Lead.account_id,
                Account.name,
                Contact.first_name,
                Contact.last_name,
                Contact.title,
                Lead.campaign,
                Lead.score,
                Lead.handed_over_at,
                Lead.status,
                Lead.reject_reason,
                Lead.decision_note,
                Lead.outcome,
                Lead.outcome_reason,
            )
            .outerjoin(Contact, Contact.id == Lead.contact_id)
            .order_by(_listed_rank, Lead.handed_over_at.desc(), Lead.id)
            .offset(offset)
            .limit(limit)
        )
        if not include_settled:
            stmt = stmt.where(_listed_rank <= _WAITING)
        with self._store.reading() as session:
            return [
                LeadRow(
                    id=id_,
                    account_id=account_id,
                    account_name=account,
                    contact_name=f"{first} {last}" if last else None,
                    contact_title=title,
                    campaign=campaign,
                    score=score,
                    handed_over_at=handed_over_at,
                    status=status,
                    reject_reason=reject_reason,
                    decision_note=decision_note,
                    outcome=outcome,
                    outcome_reason=outcome_reason,
                )
                for (
                    id_, account_id, account, first, last, title, campaign, score,
                    handed_over_at, status, reject_reason, decision_note, outcome, outcome_reason,
                ) in session.execute(stmt)
            ]  # fmt: skip

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
