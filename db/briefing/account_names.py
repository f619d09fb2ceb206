"""An account found by the name a rep types (`fieldbrief briefings --account NAME`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from db.search import fts_query, narrow_match
from db.store.local_store import Store
from db.store.models import Account

CANDIDATES = 5  # names offered when the name is not one account's
# Accounts whose words match, read to find the name in any case ("ØSTERGAARD" is
# "Østergaard": SQLite's NOCASE folds ASCII only) and to offer the nearest names.
_WORD_MATCHES = 500


@dataclass(frozen=True, slots=True)
class NamedAccount:
    id: uuid.UUID
    name: str
    city: str | None


@dataclass(frozen=True, slots=True)
class NameMatch:
    """The accounts with exactly that name (any case); when none, a few candidates."""

    exact: tuple[NamedAccount, ...]
    candidates: tuple[NamedAccount, ...]


def accounts_named(store: Store, name: str, limit: int = CANDIDATES) -> NameMatch:
    """The live accounts named `name`, in any case (at most `limit` + 1, so "several" is
    known); if none, at most `limit` accounts whose words match it, names holding it first."""
    wanted = name.strip()
    folded = wanted.casefold()
    columns = (Account.id, Account.name, Account.city)
    with store.reading() as session:
        rows = session.execute(
            select(*columns)
            .where(Account.name == wanted, Account.deleted_at.is_(None))  # NOCASE: indexed
            .order_by(Account.name, Account.id)
            .limit(limit + 1)
        ).all()
        exact = [NamedAccount(*row) for row in rows]
        if exact:
            return NameMatch(tuple(exact), ())
        match = fts_query(wanted)
        if match is None:
            return NameMatch((), ())
        rows = session.execute(
            select(*columns)
            .where(Account.deleted_at.is_(None), narrow_match(match))
            .order_by(Account.name, Account.id)
            .limit(_WORD_MATCHES)
        ).all()
    found = [NamedAccount(*row) for row in rows]
    exact = [a for a in found if a.name.casefold() == folded]
    if exact:
        return NameMatch(tuple(exact[: limit + 1]), ())
    # Names holding what was typed first; then those matched by a contact or a note.
    found.sort(key=lambda a: folded not in a.name.casefold())
    return NameMatch((), tuple(found[:limit]))
