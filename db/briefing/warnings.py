"""Why an account needs care before a visit, in one line per account, for the markers of
Today, the account list and the account pane.

The same reading (db.briefing.state) and the same rules (db.briefing.rules.warnings) as the
briefing's warning band, so a marker never says what the briefing does not; for a page of
accounts at once, with a few indexed queries (ix_activity_account_type: account, type),
reading only the events that can leave something open. Call off the GUI thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.briefing import rules
from db.briefing.state import BATCH, fold, lift_paid_hold, open_state_events, owners
from db.dto import AccountMark
from db.store.local_store import Store
from db.store.models import Account, Contact
from sync.enums import LadderRung


class WarningIndex:
    """The warning band's first line per account, for markers in lists."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def for_accounts(
        self, account_ids: Iterable[uuid.UUID], now: datetime | None = None
    ) -> dict[uuid.UUID, str]:
        """Per account with a warning, its worst one in a line ("Open dispute: invoice
        INV-1"); accounts with none (or gone) are left out."""
        return {key: mark.text for key, mark in self.marks(account_ids, now).items()}

    def marks(
        self, account_ids: Iterable[uuid.UUID], now: datetime | None = None
    ) -> dict[uuid.UUID, AccountMark]:
        """As for_accounts, with whether the warning says not to pitch at all."""
        now = now or datetime.now(UTC)
        today = now.astimezone().date()
        wanted = list(dict.fromkeys(account_ids))
        found: dict[uuid.UUID, AccountMark] = {}
        with self._store.reading() as session:
            for start in range(0, len(wanted), BATCH):
                chunk = wanted[start : start + BATCH]
                rows = session.execute(
                    select(Account.id, Account.name).where(
                        Account.id.in_(chunk), Account.deleted_at.is_(None)
                    )
                )
                accounts = {account_id: name for account_id, name in rows}
                events = open_state_events(session, accounts, now)
                contact_ids = {e.contact_id for found in events.values() for e in found}
                names = _names(session, contact_ids - {None})
                teams = owners(session, list(events))
                for account_id, account_events in events.items():
                    state = fold(account_events, names.get, accounts[account_id])
                    lift_paid_hold(session, account_id, state)
                    # The rung plays no part in the warnings.
                    rung = LadderRung.PROSPECT
                    facts = state.facts(today, rung, owners=teams.get(account_id, ()))
                    worst = rules.warnings(facts)
                    if worst:
                        first = worst[0]
                        text = first.headline or first.text
                        found[account_id] = AccountMark(text, first.level == rules.STOP)
        return found


def _names(session: Session, contact_ids: set[uuid.UUID | None]) -> dict[uuid.UUID | None, str]:
    """Contacts' names, for a warning about one of them (an opt-out, an unhappy answer)."""
    if not contact_ids:
        return {}
    rows = session.execute(
        select(Contact.id, Contact.first_name, Contact.last_name).where(Contact.id.in_(contact_ids))
    )
    return {id_: f"{first} {last}".strip() for id_, first, last in rows}
