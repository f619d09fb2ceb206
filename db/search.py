"""Full-text search over the FTS5 index the migrations maintain with triggers."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    TableClause,
    column,
    exists,
    func,
    insert,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from db.dto import HitKind, SearchHit
from db.store.local_store import Store
from db.store.models import Account

# The index tables live outside the ORM metadata (they are FTS5 and trigger-fed).
search_doc: TableClause = table(
    "search_doc", column("rowid"), column("kind"), column("ref_id"), column("account_id")
)
search_fts: TableClause = table("search_fts", column("rowid"))

_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_TERMS = 8


def fts_query(user_text: str) -> str | None:
    """Turns what a user typed into an FTS5 query: every word, as a prefix, must match.

    Words are quoted so FTS5 syntax in the input (AND, NEAR, quotes, colons) is just text.
    Returns None when the text has no words.
    """
    words = _WORD.findall(user_text)[:_MAX_TERMS]
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words)


search_hits: TableClause = table("search_hits", column("r"), schema="temp")

# Above this many matching index rows a query counts as broad (see broad_match). Looking
# matches up costs ~3.5 µs each on a 100,000-account store, walking the account list
# ~35 ms: the walk pays from about 10,000 matches (and only if matches are dense).
BROAD_MATCH = 10_000


def _matched_rows(query: str) -> Select[tuple[int]]:
    return select(search_fts.c.rowid).where(literal_column("search_fts").op("MATCH")(query))


def matching_account_ids(query: str) -> Select[tuple[str]]:
    """Ids of accounts whose name, contacts or notes match an FTS5 query (from fts_query)."""
    return select(search_doc.c.account_id).where(search_doc.c.rowid.in_(_matched_rows(query)))


def narrow_match(query: str) -> ColumnElement[bool]:
    """Accounts matching `query`, found from the matches: cost grows with their number."""
    return Account.id.in_(matching_account_ids(query))


def is_broad(session: Session, query: str, broad_match: int = BROAD_MATCH) -> bool:
    """True when more than `broad_match` index rows match (counting stops there)."""
    probe = select(func.count()).select_from(_matched_rows(query).limit(broad_match + 1).subquery())
    return bool(session.execute(probe).scalar_one() > broad_match)


def broad_match(session: Session, query: str, account_id: Any) -> ColumnElement[bool]:
    """Accounts matching `query`, checked one account at a time as a list is walked.

    For a broad query ("ha": 40,000 matches) looking up every match costs ~100 ms, while
    walking the account list in display order finds a page of matching accounts within a
    few hundred rows. The matches go into a temp table first: SQLite would re-run an inline
    FTS subquery for every account it checks.
    """
    session.execute(text("CREATE TEMP TABLE IF NOT EXISTS search_hits (r INTEGER PRIMARY KEY)"))
    session.execute(text("DELETE FROM temp.search_hits"))
    session.execute(insert(search_hits).from_select(["r"], _matched_rows(query)))
    return matched_before(account_id)


def matched_before(account_id: Any) -> ColumnElement[bool]:
    """broad_match's check again, on the matches it found: for a longer walk."""
    has_hit = (
        select(search_doc.c.rowid)
        .select_from(search_doc.join(search_hits, search_hits.c.r == search_doc.c.rowid))
        .where(search_doc.c.account_id == account_id)
    )
    return exists(has_hit)


_GLOBAL_SEARCH = text(
    """
    SELECT d.kind, d.ref_id, d.account_id, a.name,
           f.title, snippet(search_fts, 1, '', '', '…', 12) AS snip
    FROM search_fts AS f
    JOIN search_doc AS d ON d.rowid = f.rowid
    JOIN account AS a ON a.id = d.account_id
    WHERE search_fts MATCH :query AND a.deleted_at IS NULL
    ORDER BY bm25(search_fts, 4.0, 1.0)
    LIMIT :limit
    """
)


def search_everything(session: Session, user_text: str, limit: int = 100) -> list[SearchHit]:
    """Accounts, contacts and visit notes matching what the user typed, best match first."""
    query = fts_query(user_text)
    if query is None:
        return []
    rows = session.execute(_GLOBAL_SEARCH, {"query": query, "limit": limit})
    hits = []
    for kind, ref_id, account_id, account_name, title, snip in rows:
        hit_kind = HitKind(kind)
        hits.append(
            SearchHit(
                kind=hit_kind,
                ref_id=uuid.UUID(hex=ref_id),
                account_id=uuid.UUID(hex=account_id),
                account_name=account_name,
                title=title or (snip if hit_kind is not HitKind.NOTE else "Visit note"),
                snippet=snip,
            )
        )
    return hits


# What each indexed table contributes (title, body, account id): the same expressions as
# the triggers of migration 0004_search_pause, over the table's own columns.
_INDEXED = {
    "account": (
        "name",
        "coalesce(industry, '') || ' ' || coalesce(city, '') || ' ' || coalesce(website, '')",
        "id",
    ),
    "contact": (
        "first_name || ' ' || last_name",
        "coalesce(email, '') || ' ' || coalesce(title, '')",
        "account_id",
    ),
    "visit_note": ("''", "body", "account_id"),
}


def pause_indexing(session: Session) -> None:
    """Stops the search triggers until rebuild_index (in this or a later transaction)."""
    session.execute(text("INSERT OR IGNORE INTO search_paused (id) VALUES (1)"))


def rebuild_index(session: Session) -> None:
    """Refills the whole search index from the tables in one pass and restarts the
    triggers: ~0.5 s for 40,000 accounts and contacts, where row-by-row triggers take ~4 s."""
    session.execute(text("DELETE FROM search_fts"))
    session.execute(text("DELETE FROM search_doc"))
    for kind, (title, body, account) in _INDEXED.items():
        session.execute(
            text(
                f"INSERT INTO search_doc (kind, ref_id, account_id)"
                f" SELECT '{kind}', id, {account} FROM {kind} WHERE deleted_at IS NULL"
            )
        )
        session.execute(
            text(
                f"INSERT INTO search_fts (rowid, title, body)"
                f" SELECT d.rowid, {title}, {body} FROM {kind}"
                f" JOIN search_doc AS d ON d.ref_id = {kind}.id AND d.kind = '{kind}'"
            )
        )
    session.execute(text("DELETE FROM search_paused"))


class SearchIndex:
    """The global search the Search screen runs. Call off the GUI thread."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def search(self, user_text: str, limit: int = 100) -> list[SearchHit]:
        with self._store.reading() as session:
            return search_everything(session, user_text, limit)
