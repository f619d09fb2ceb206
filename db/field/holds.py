"""No-contact rules: while a deal is on, the rep asks marketing to leave a contact alone
(one campaign, or all of them) until a date. They sync to the server, which gives
marketing's systems the list to suppress. Call off the GUI thread."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.changes import Changes
from db.dates import day
from db.edits import create_row, delete_row
from db.errors import StoreUserError
from db.profiles.book import USERNAME
from db.store.local_store import Store
from db.store.models import Contact, ContactHold, SyncState

MAX_DAYS = 365  # a hold is for a deal cycle, not for ever
REASON_LIMIT = 500


class HoldError(StoreUserError):
    """A hold that cannot be placed; plain words."""


@dataclass(frozen=True, slots=True)
class HoldRow:
    id: uuid.UUID
    contact_id: uuid.UUID
    contact_name: str
    campaign: str | None  # None: every campaign
    expires_on: date
    reason: str | None
    requested_by: str | None

    @property
    def describe(self) -> str:
        what = f"“{self.campaign}”" if self.campaign else "all marketing"
        return f"{self.contact_name}: {what} on hold until {day(self.expires_on)}"


class ContactHolds:
    """Places, lists and lifts the rep's holds."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def place(
        self,
        contact_id: uuid.UUID,
        expires_on: date,
        campaign: str | None = None,
        reason: str = "",
        today: date | None = None,
    ) -> tuple[uuid.UUID, Changes]:
        today = today or date.today()
        if expires_on <= today:
            raise HoldError("a hold must end after today")
        if expires_on > today + timedelta(days=MAX_DAYS):
            raise HoldError(f"a hold lasts at most {MAX_DAYS} days; renew it when it ends")
        campaign = " ".join((campaign or "").split()) or None
        reason = reason.strip()
        if len(reason) > REASON_LIMIT:
            raise HoldError(f"keep the reason under {REASON_LIMIT} characters")
        with self._store.session() as session:
            contact = session.get(Contact, contact_id)
            if contact is None or contact.deleted_at is not None:
                raise HoldError("this contact was deleted")
            user = session.get(SyncState, USERNAME)
            fields = {
                "account_id": contact.account_id,
                "contact_id": contact_id,
                "campaign": campaign,
                "reason": reason or None,
                "expires_on": expires_on,
                "requested_by": user.value if user else None,
            }
            hold_id = create_row(session, "contact_hold", fields)
        return hold_id, Changes.of("contact_hold", hold_id)

    def contacts(self, account_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
        """The account's people, to choose whom to hold."""
        from db.field.followups import FollowUps

        return FollowUps(self._store).contacts(account_id)

    def lift(self, hold_id: uuid.UUID) -> Changes:
        """Ends a hold early (marketing may write again)."""
        with self._store.session() as session:
            lifted = delete_row(session, "contact_hold", hold_id)
        return Changes.of("contact_hold", hold_id) if lifted else Changes()

    def active(
        self, account_id: uuid.UUID | None = None, today: date | None = None
    ) -> list[HoldRow]:
        """Holds still running (of one account, if given), soonest ending first."""
        with self._store.reading() as session:
            return self.active_in(session, account_id, today or date.today())

    @staticmethod
    def active_in(session: Session, account_id: uuid.UUID | None, today: date) -> list[HoldRow]:
        """The same, in the caller's session (the briefing reads it with the rest)."""
        stmt = (
            select(ContactHold, Contact.first_name, Contact.last_name)
            .join(Contact, Contact.id == ContactHold.contact_id)
            .where(ContactHold.deleted_at.is_(None), ContactHold.expires_on >= today)
            .order_by(ContactHold.expires_on, Contact.last_name)
        )
        if account_id is not None:
            stmt = stmt.where(ContactHold.account_id == account_id)
        return [
            HoldRow(
                hold.id,
                hold.contact_id,
                f"{first} {last}",
                hold.campaign,
                hold.expires_on,
                hold.reason,
                hold.requested_by,
            )
            for hold, first, last in session.execute(stmt)
        ]
