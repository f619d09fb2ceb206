"""The relationship ladder: moving an account up or down with a reason, its history, and
how many accounts stand on each rung.

A move changes `account.ladder_rung` and appends a `ladder_change` row, each with its
outbox entry, in one transaction; both sync like every other row. Undoing the newest move
(moments after, from the undo bar) sets the rung back and deletes that row the same way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from db.accounts import AccountDirectory, live_accounts_per_rung
from db.changes import Changes
from db.dto import AccountQuery
from db.edits import change_row, create_row, delete_row
from db.errors import StoreUserError
from db.profiles.book import USERNAME
from db.search import fts_query, narrow_match
from db.store.local_store import Store
from db.store.models import Account, LadderChange, SyncState
from db.store.types import utc_now
from sync.enums import LadderRung

REASON_LIMIT = 500
HISTORY_LIMIT = 500
_RUNG_VALUES = {rung.value for rung in LadderRung}  # a newer app's rung is not ours


class LadderError(StoreUserError):
    """A move on the ladder that cannot be made (no reason, same rung, account gone)."""


@dataclass(frozen=True, slots=True)
class LadderStep:
    """One move of an account on the ladder; `from_rung` is None for its first placement
    (rows from the server may start there)."""

    from_rung: LadderRung | None
    to_rung: LadderRung
    changed_at: datetime
    reason: str | None
    changed_by: str | None

    @property
    def is_up(self) -> bool:
        """True for a move up the ladder (and for a first placement)."""
        return self.from_rung is None or self.to_rung.step > self.from_rung.step


@dataclass(frozen=True, slots=True)
class LadderStanding:
    """Where an account stands on the ladder and how it got there (newest move first)."""

    account_id: uuid.UUID
    name: str
    rung: LadderRung
    history: tuple[LadderStep, ...]


def clean_reason(reason: str) -> str:
    """The reason as stored: trimmed, and refused in plain words if empty or too long."""
    reason = reason.strip()
    if not reason:
        raise LadderError("say why the account moves on the ladder")
    if len(reason) > REASON_LIMIT:
        raise LadderError(f"keep the reason under {REASON_LIMIT} characters")
    return reason


class Ladder:
    """Moves accounts on the relationship ladder and reads its history. Call off the GUI
    thread."""

    reason_limit = REASON_LIMIT  # for the UI, which never imports this module at runtime

    def __init__(self, store: Store) -> None:
        self._store = store

    def move(self, account_id: uuid.UUID, to_rung: LadderRung, reason: str) -> Changes:
        """Puts the account on `to_rung` and records the move (from, to, when, why, who),
        with their outbox entries, in one transaction.

        Raises LadderError for an empty or overlong reason, an account already on that
        rung, or an account that was deleted.
        """
        return self.record_move(account_id, to_rung, reason)[1]

    def record_move(
        self, account_id: uuid.UUID, to_rung: LadderRung, reason: str
    ) -> tuple[uuid.UUID, Changes]:
        """`move`, also returning the id of the step it recorded (what `undo_move` takes)."""
        to_rung = LadderRung(to_rung)
        reason = clean_reason(reason)
        with self._store.session() as session:
            account = session.get(Account, account_id)
            if account is None or account.deleted_at is not None:
                raise LadderError("this account was deleted; it can no longer be moved")
            from_rung = account.ladder_rung
            if from_rung == to_rung:
                raise LadderError(f"{account.name} is already a {to_rung.label.lower()}")
            change_row(session, "account", account_id, {"ladder_rung": to_rung})
            user = session.get(SyncState, USERNAME)
            change_id = create_row(
                session,
                "ladder_change",
                {
                    "account_id": account_id,
                    "from_rung": from_rung,
                    "to_rung": to_rung,
                    "changed_at": utc_now(),
                    "reason": reason,
                    "changed_by": user.value if user else None,
                },
            )
        return change_id, Changes.of("account", account_id) | Changes.of("ladder_change", change_id)

    def undo_move(self, change_id: uuid.UUID) -> Changes:
        """Takes a move back: the account returns to the rung it came from and the step
        leaves the history (a delete that syncs), with their outbox entries, in one
        transaction. Only the account's newest move, while it still stands there.

        Raises LadderError when the step is gone, the account was deleted, or it has
        moved since (then a new move with a reason says what happened).
        """
        with self._store.session() as session:
            step = session.get(LadderChange, change_id)
            if step is None or step.deleted_at is not None:
                raise LadderError("this move was already taken back")
            account = session.get(Account, step.account_id)
            if account is None or account.deleted_at is not None:
                raise LadderError("this account was deleted; it can no longer be moved")
            newer = session.scalar(
                select(func.count())
                .select_from(LadderChange)
                .where(
                    LadderChange.account_id == step.account_id,
                    LadderChange.deleted_at.is_(None),
                    LadderChange.changed_at > step.changed_at,
                )
            )
            if step.from_rung is None or account.ladder_rung != step.to_rung or newer:
                raise LadderError(
                    f"{account.name} has moved on the ladder since; move it with a reason instead"
                )
            change_row(session, "account", account.id, {"ladder_rung": step.from_rung})
            delete_row(session, "ladder_change", change_id)
            account_id = account.id
        return Changes.of("account", account_id) | Changes.of("ladder_change", change_id)

    def history(self, account_id: uuid.UUID, limit: int = HISTORY_LIMIT) -> list[LadderStep]:
        """The account's moves on the ladder, newest first."""
        with self._store.reading() as session:
            return _history(session, account_id, limit)

    def standing(self, account_id: uuid.UUID) -> LadderStanding | None:
        """The account's name, rung and history in one read (what the ladder dialog
        shows); None once it is deleted or gone."""
        with self._store.reading() as session:
            account = session.get(Account, account_id)
            if account is None or account.deleted_at is not None:
                return None
            return LadderStanding(
                account.id,
                account.name,
                account.ladder_rung,
                tuple(_history(session, account_id, HISTORY_LIMIT)),
            )

    def counts(self, query: AccountQuery | str = "") -> dict[LadderRung, int]:
        """How many live accounts stand on each rung (every rung, zeros included), among
        those the account list's search text matches; the query's own rung is ignored."""
        if isinstance(query, str):
            query = AccountQuery(text=query)
        # The account list's own filters, so the counts add up to what it shows.
        where: list[ColumnElement[bool]] = AccountDirectory._base_filters(replace(query, rung=None))
        match = fts_query(query.text)
        if match is not None:
            where.append(narrow_match(match))
        found = dict.fromkeys(LadderRung, 0)
        if match is None:  # the whole territory: the totals the store keeps, no count
            for value, live in live_accounts_per_rung(self._store).items():
                if value in _RUNG_VALUES:
                    found[LadderRung(value)] = live
            return found
        with self._store.reading() as session:
            stmt = (
                select(Account.ladder_rung, func.count())
                .where(*where)
                .group_by(Account.ladder_rung)
            )
            for rung, count in session.execute(stmt):
                if rung is not None:
                    found[LadderRung(rung)] = int(count)
        return found


def _history(session: Session, account_id: uuid.UUID, limit: int) -> list[LadderStep]:
    rows = session.scalars(
        select(LadderChange)
        .where(LadderChange.account_id == account_id, LadderChange.deleted_at.is_(None))
        .order_by(LadderChange.changed_at.desc(), LadderChange.created_at.desc(), LadderChange.id)
        .limit(limit)
    )
    return [LadderStep(r.from_rung, r.to_rung, r.changed_at, r.reason, r.changed_by) for r in rows]
