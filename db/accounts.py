"""Reading and changing accounts: the queries behind the account list and detail pane."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from db.changes import Changes
from db.dto import (
    AccountDetail,
    AccountQuery,
    AccountRow,
    ActivityRow,
    ContactRow,
    TeamMemberRow,
)
from db.search import (
    BROAD_MATCH,
    broad_match,
    fts_query,
    is_broad,
    matched_before,
    narrow_match,
)
from db.store.local_store import Store
from db.store.models import ACCOUNT_TOTAL, Account, Activity, Contact, TeamMember

LATEST_ACTIVITY_LIMIT = 25
# How many accounts past the page a broad search walks before it looks matches up instead.
BROAD_WINDOW = 3_000

_ROW_COLUMNS = ("id", "name", "industry", "city", "ladder_rung", "employees", "owner_rep")


class AccountDirectory:
    """The accounts of the local store, as the UI asks for them. Call off the GUI thread."""

    def __init__(self, store: Store, broad_match: int = BROAD_MATCH) -> None:
        self._store = store
        self._broad_match = broad_match

    def page(self, query: AccountQuery, offset: int, limit: int) -> list[AccountRow]:
        """One page of the account list, in the query's order."""
        base = self._base_filters(query)
        match = fts_query(query.text)
        with self._store.reading() as session:
            if match is None:
                return _fetch_page(session, Account, query, offset, limit, base)
            if is_broad(session, match, self._broad_match):
                # Walk the first accounts in display order: a broad query fills its page
                # there. If it does not, the matches sit further down: look them up instead.
                # A walk that found most of a page goes further once, as far again as the
                # matches it found suggest (and a quarter more): the rest is close.
                walk = offset + limit + BROAD_WINDOW
                for again in (False, True):
                    window = (
                        select(Account)
                        .where(*base)
                        .order_by(*_order(Account, query))
                        .limit(walk)
                        .subquery()
                    )
                    walked = aliased(Account, window)
                    found = matched_before if again else partial(broad_match, session, match)
                    rows = _fetch_page(session, walked, query, offset, limit, [found(walked.id)])
                    if len(rows) == limit:
                        return rows
                    if len(rows) < limit // 2:
                        break
                    walk = walk * (offset + limit) * 5 // ((offset + len(rows)) * 4) + 1
            return _fetch_page(session, Account, query, offset, limit, [*base, narrow_match(match)])

    def count(self, query: AccountQuery) -> int:
        """How many accounts the query matches. With no search text, from the totals the
        store keeps per rung (never a count of the table: this runs at every start)."""
        where = self._base_filters(query)
        match = fts_query(query.text)
        if match is None:
            totals = live_accounts_per_rung(self._store)
            if query.rung is None:
                return sum(totals.values())
            return totals.get(query.rung.value, 0)
        where.append(narrow_match(match))
        with self._store.reading() as session:
            stmt = select(func.count()).select_from(Account).where(*where)
            return int(session.execute(stmt).scalar_one())

    def detail(self, account_id: uuid.UUID) -> AccountDetail | None:
        """The account with its contacts, team and latest activity; None if gone."""
        with self._store.reading() as session:
            account = session.get(Account, account_id)
            if account is None or account.deleted_at is not None:
                return None
            return _detail(session, account)

    def soft_delete(self, account_id: uuid.UUID) -> Changes:
        """Marks the account deleted (a tombstone queued for the server); it leaves every list."""
        from db.edits import LocalEditor

        return LocalEditor(self._store).delete("account", account_id)

    @staticmethod
    def _base_filters(query: AccountQuery) -> list[ColumnElement[bool]]:
        filters: list[ColumnElement[bool]] = [Account.deleted_at.is_(None)]
        if query.rung is not None:
            filters.append(Account.ladder_rung == query.rung)
        return filters


def live_accounts_per_rung(store: Store) -> dict[str, int]:
    """Live accounts per rung's stored value ('' for none), as the store keeps them."""
    with store.reading() as session:
        rows = session.execute(select(ACCOUNT_TOTAL.c.rung, ACCOUNT_TOTAL.c.live)).all()
    return {rung: int(live) for rung, live in rows}


def _order(entity: Any, query: AccountQuery) -> list[Any]:
    # Name and id break ties so paging is stable; they follow the chosen direction so
    # SQLite can walk the (column, name, id) index backwards for a descending sort.
    names = dict.fromkeys((query.sort.value, "name", "id"))  # sorting by name: no repeat
    order = [getattr(entity, name) for name in names]
    return [c.desc() for c in order] if query.descending else order


def _fetch_page(
    session: Session,
    entity: Any,
    query: AccountQuery,
    offset: int,
    limit: int,
    where: list[ColumnElement[bool]],
) -> list[AccountRow]:
    columns = [getattr(entity, c) for c in _ROW_COLUMNS]
    stmt = select(*columns).where(*where).order_by(*_order(entity, query))
    return [AccountRow(*row) for row in session.execute(stmt.offset(offset).limit(limit))]


def _detail(session: Session, account: Account) -> AccountDetail:
    contacts = session.scalars(
        select(Contact)
        .where(Contact.account_id == account.id, Contact.deleted_at.is_(None))
        .order_by(Contact.last_name, Contact.first_name)
    )
    live_activity = (Activity.account_id == account.id, Activity.deleted_at.is_(None))
    activities = session.scalars(
        select(Activity)
        .where(*live_activity)
        .order_by(Activity.occurred_at.desc())
        .limit(LATEST_ACTIVITY_LIMIT)
    )
    activity_count = session.execute(
        select(func.count()).select_from(Activity).where(*live_activity)
    ).scalar_one()
    team = session.scalars(
        select(TeamMember)
        .where(TeamMember.account_id == account.id, TeamMember.deleted_at.is_(None))
        .order_by(TeamMember.role, TeamMember.name)
    )
    return AccountDetail(
        id=account.id,
        name=account.name,
        industry=account.industry,
        employees=account.employees,
        street=account.street,
        postal_code=account.postal_code,
        city=account.city,
        country=account.country,
        phone=account.phone,
        website=account.website,
        territory=account.territory,
        owner_rep=account.owner_rep,
        ladder_rung=account.ladder_rung,
        contacts=tuple(
            ContactRow(c.id, c.full_name, c.title, c.email, c.phone or c.mobile, c.deal_role)
            for c in contacts
        ),
        latest_activity=tuple(
            ActivityRow(a.id, a.occurred_at, a.channel, a.type, a.title, dict(a.details or {}))
            for a in activities
        ),
        team=tuple(TeamMemberRow(t.name, t.role, t.email) for t in team),
        activity_count=int(activity_count),
    )
