"""Full-text search over the FTS5 indexes the migrations maintain with triggers.

Two indexes: `search_fts` holds the words of accounts, contacts and visit notes (names in
its `title` column, everything else in `body`); `search_ref` holds the invoice, ticket and
dispute numbers that activities carry (migration 0013_search_numbers). The account list
filters on the first; the Search screen (search_everything) reads both.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    TableClause,
    TextualSelect,
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

from db.dates import day_short
from db.store.local_store import Store
from db.store.models import Account
from db.store.types import UtcDateTime

# The index tables live outside the ORM metadata (they are FTS5 and trigger-fed).
search_doc: TableClause = table(
    "search_doc", column("rowid"), column("kind"), column("ref_id"), column("account_id")
)
search_fts: TableClause = table("search_fts", column("rowid"))

# A typed word's parts: runs of letters and digits, as FTS5's unicode61 tokenizer cuts text
# (combining accents stay with their letter, should the text come decomposed).
_PART = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")
_MAX_TERMS = 8
_MAX_PARTS = 8  # of one word: "a-b-c-…" is not worth a longer phrase


def typed_phrases(user_text: str) -> list[str]:
    """The words a user typed, each as the phrase of its parts: "INV-2026-0042" is
    "INV 2026 0042", "zoe.nunez" is "zoe nunez". Punctuation, quotes and FTS5 operators
    (AND, NEAR, -, *, ^, :) are just text here; words with no letter or digit drop out."""
    phrases = []
    for word in unicodedata.normalize("NFC", user_text).split():
        parts = _PART.findall(word)[:_MAX_PARTS]
        if parts:
            phrases.append(" ".join(parts))
    return phrases[:_MAX_TERMS]


def _match(phrases: Sequence[str], prefix: bool) -> str:
    star = "*" if prefix else ""
    return " ".join(f'"{phrase}"{star}' for phrase in phrases)


def fts_query(user_text: str) -> str | None:
    """Turns what a user typed into an FTS5 query: every word must match, its last part as
    a prefix; a word of several parts ("INV-2026-00", "zoe.nunez") matches them in a row.

    Words are quoted phrases, so FTS5 syntax in the input (AND, NEAR, quotes, colons) is just
    text. Returns None when the text has no words.
    """
    phrases = typed_phrases(user_text)
    return _match(phrases, prefix=True) if phrases else None


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


class ResultKind(StrEnum):
    """What a result of the global search is."""

    ACCOUNT = "account"
    CONTACT = "contact"
    NOTE = "visit_note"
    ACTIVITY = "activity"

    @property
    def label(self) -> str:
        return {
            "account": "Account",
            "contact": "Contact",
            "visit_note": "Visit note",
            "activity": "Activity",
        }[self.value]


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One result of the global search, best first, with why it matched in plain words."""

    kind: ResultKind
    ref_id: uuid.UUID
    account_id: uuid.UUID
    account_name: str
    title: str  # the account's or contact's name, the activity's title, or "Visit note"
    # "name", "contact: Zoë Núñez", "note of 3 Dec 2026: …cold-chain pilot…",
    # "Invoice INV-2026-00042 paid (€600), 3 Dec 2026".
    reason: str
    marks: tuple[tuple[int, int], ...] = ()  # (start, end) of each matched word in reason


# Around matched words in FTS5's highlight() and snippet() output: private-use characters,
# which no name or note holds, taken out again by _unmark.
_OPEN, _CLOSE = "\ue000", "\ue001"
_SNIPPET_WORDS = 12

# Accounts, contacts and notes matching an FTS5 query, best first. FTS5 hands rows over in
# rank order (no sort of its own here), so highlight() and snippet() run for shown rows only.
_TEXT_HITS = text(
    f"""
    SELECT d.kind, d.ref_id, d.account_id, a.name AS account_name,
           highlight(search_fts, 0, '{_OPEN}', '{_CLOSE}') AS title,
           highlight(search_fts, 1, '{_OPEN}', '{_CLOSE}') AS body,
           snippet(search_fts, 1, '{_OPEN}', '{_CLOSE}', '…', {_SNIPPET_WORDS}) AS snip,
           a.industry, a.city, a.website, c.email, c.title AS job_title, n.created_at
    FROM search_fts AS f
    JOIN search_doc AS d ON d.rowid = f.rowid
    JOIN account AS a ON a.id = d.account_id
    LEFT JOIN contact AS c ON d.kind = 'contact' AND c.id = d.ref_id
    LEFT JOIN visit_note AS n ON d.kind = 'visit_note' AND n.id = d.ref_id
    WHERE search_fts MATCH :query AND rank MATCH 'bm25(4.0, 1.0)' AND a.deleted_at IS NULL
      AND (:kind IS NULL OR d.kind = :kind)
    ORDER BY rank
    LIMIT :limit
    """
).columns(created_at=UtcDateTime())

# Activities whose invoice, ticket or dispute number matches, newest in the index first
# (rowid order costs no sort, however many numbers match "2026").
_NUMBER_HITS = text(
    f"""
    SELECT t.id, t.account_id, a.name AS account_name, t.title, t.occurred_at,
           highlight(search_ref, 0, '{_OPEN}', '{_CLOSE}') AS invoice,
           highlight(search_ref, 1, '{_OPEN}', '{_CLOSE}') AS ticket,
           highlight(search_ref, 2, '{_OPEN}', '{_CLOSE}') AS dispute
    FROM search_ref AS r
    JOIN search_ref_doc AS d ON d.rowid = r.rowid
    JOIN activity AS t ON t.id = d.activity_id
    JOIN account AS a ON a.id = t.account_id
    WHERE search_ref MATCH :query AND a.deleted_at IS NULL
    ORDER BY r.rowid DESC
    LIMIT :limit
    """
).columns(occurred_at=UtcDateTime())

_NUMBER_LABELS = ("invoice", "ticket", "dispute")  # search_ref's columns


class Tier(NamedTuple):
    """One of search_everything's queries: its statement, FTS5 query and kind of row."""

    statement: TextualSelect
    query: str
    kind: str | None = None  # of search_doc; None for all


def search_tiers(user_text: str) -> list[Tier]:
    """The queries search_everything runs, in the order their results are shown: account
    names, then contacts' names, matched by whole words; the same matched by a prefix;
    invoice, ticket and dispute numbers (whole, then by prefix); then everything else (a
    city, a contact's email, a visit note). Each tier leaves out the rows of those before
    it. Empty when nothing was typed."""
    phrases = typed_phrases(user_text)
    if not phrases:
        return []
    whole, prefix = _match(phrases, prefix=False), _match(phrases, prefix=True)
    names_whole = f"{{title}} : ({whole})"
    names_prefix = f"{{title}} : ({prefix}) NOT {{title}} : ({whole})"
    return [
        Tier(_TEXT_HITS, names_whole, "account"),
        Tier(_TEXT_HITS, names_whole, "contact"),
        Tier(_TEXT_HITS, names_prefix, "account"),
        Tier(_TEXT_HITS, names_prefix, "contact"),
        Tier(_NUMBER_HITS, whole),
        Tier(_NUMBER_HITS, f"({prefix}) NOT ({whole})"),
        Tier(_TEXT_HITS, f"({prefix}) NOT {{title}} : ({prefix})"),
    ]


def search_everything(session: Session, user_text: str, limit: int = 100) -> list[SearchResult]:
    """Accounts, contacts, visit notes and numbered activities matching what the user
    typed, best first (see search_tiers), each with why it matched. At most `limit`: a
    few indexed queries, each stopping at what is still to be shown."""
    results: list[SearchResult] = []
    for tier in search_tiers(user_text):
        wanted = limit - len(results)
        if wanted <= 0:
            break
        params = {"query": tier.query, "kind": tier.kind, "limit": wanted}
        found = list(session.execute(tier.statement, params).mappings())
        if tier.statement is _NUMBER_HITS:
            found.sort(key=lambda row: row["occurred_at"], reverse=True)
            results += map(_number_result, found)
        else:
            if tier.kind is not None:  # in FTS5's rank order, names that begin so first
                found.sort(key=lambda row: not row["title"].startswith(_OPEN))
            results += map(_text_result, found)
    return results


# --- why a result matched ---------------------------------------------------------------------


def _unmark(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """FTS5 output without its marks, and where the marked words are in what is left."""
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    length, start = 0, -1
    for piece in re.split(f"([{_OPEN}{_CLOSE}])", marked):
        if piece == _OPEN:
            start = length
        elif piece == _CLOSE:
            if 0 <= start < length:
                spans.append((start, length))
            start = -1
        else:
            plain.append(piece)
            length += len(piece)
    return "".join(plain), spans


def _joined(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Marks with only a space or a dash between them as one: "Head of Procurement",
    "cold-chain"."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        gap = text[joined[-1][1] : start] if joined else None
        if gap is not None and len(gap) <= 3 and not _PART.search(gap):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def _mark(value: str, spans: Iterable[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in spans:
        out += [value[last:start], _OPEN, value[start:end], _CLOSE]
        last = end
    return "".join([*out, value[last:]])


def _folded(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(value: str, spans: Iterable[tuple[int, int]]) -> set[str]:
    return {_folded(part) for s, e in spans for part in _PART.findall(value[s:e])}


def _telling_fields(
    marked_body: str, fields: Sequence[tuple[str, str | None]], known: set[str]
) -> list[str] | None:
    """ "label: value" (matched words marked) for the fields of a body that matched words
    `known` (already shown) lacks, in the order given: "city: Hamburg", not also the
    website that repeats a word of the name. The body must be the fields joined by spaces,
    as the index holds it; None when it is not (the row changed while the index was paused)."""
    plain, spans = _unmark(marked_body)
    values = [(label, value or "") for label, value in fields]
    if plain != " ".join(value for _label, value in values):
        return None
    parts, offset = [], 0
    for label, value in values:
        end = offset + len(value)
        inside = [(s - offset, e - offset) for s, e in spans if offset <= s < end]
        words = _words(value, inside)
        if words - known:
            parts.append(f"{label}: {_mark(value, inside)}")
            known |= words
        offset = end + 1
    return parts


def _snippet(marked: str) -> str:
    return " ".join(marked.split())  # a note's line breaks and indents, as single spaces


def _result(row: Any, kind: ResultKind, ref_id: Any, title: str, reason: str) -> SearchResult:
    plain, spans = _unmark(reason)
    spans = _joined(plain, spans)
    return SearchResult(
        kind=kind,
        ref_id=uuid.UUID(hex=str(ref_id)),
        account_id=uuid.UUID(hex=str(row["account_id"])),
        account_name=row["account_name"],
        title=title,
        reason=plain,
        marks=tuple(spans),
    )


def _text_result(row: Any) -> SearchResult:
    kind = ResultKind(row["kind"])
    title, title_spans = _unmark(row["title"])
    if kind is ResultKind.NOTE:
        when = row["created_at"]
        written = f"note of {day_short(when)}" if when is not None else "note"
        return _result(
            row, kind, row["ref_id"], "Visit note", f"{written}: {_snippet(row['snip'])}"
        )
    fields: list[tuple[str, str | None]]
    if kind is ResultKind.CONTACT:
        fields = [("email", row["email"]), ("job title", row["job_title"])]
        head = f"contact: {row['title']}"
    else:
        fields = [("industry", row["industry"]), ("city", row["city"]), ("website", row["website"])]
        head = "name" if title_spans else ""
    parts = _telling_fields(row["body"], fields, _words(title, title_spans))
    if parts is None:  # say what FTS5 found, if not in which field
        parts = [f"details: {_snippet(row['snip'])}"] if _OPEN in row["snip"] else []
    reason = " · ".join(part for part in (head, *parts) if part) or "details"
    return _result(row, kind, row["ref_id"], title, reason)


def _number_result(row: Any) -> SearchResult:
    title: str = row["title"]
    when: datetime = row["occurred_at"]
    reason = f"{title}, {day_short(when)}"
    for label in _NUMBER_LABELS:
        number, spans = _unmark(row[label] or "")
        if not spans:
            continue
        at = title.casefold().find(number.casefold()) if number else -1
        if at >= 0:  # the title shows the number: mark it there
            end = at + len(number)
            reason = f"{title[:at]}{_OPEN}{title[at:end]}{_CLOSE}{title[end:]}, {day_short(when)}"
        else:
            reason = f"{label} {_mark(number, spans)}: {reason}"
        break
    return _result(row, ResultKind.ACTIVITY, row["id"], title, reason)


# --- upkeep -----------------------------------------------------------------------------------

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


def _number(key: str) -> str:
    return f"CASE WHEN json_valid(a.details) THEN json_extract(a.details, '$.{key}') END"


# The numbers of activity `a`, and which activities have one: the same expressions as the
# triggers of migration 0013_search_numbers.
_NUMBERS = ", ".join(_number(key) for key in _NUMBER_LABELS)
_NUMBERED = "a.deleted_at IS NULL AND ({})".format(
    " OR ".join(f"{_number(key)} IS NOT NULL" for key in _NUMBER_LABELS)
)


def pause_indexing(session: Session) -> None:
    """Stops the search triggers until rebuild_index (in this or a later transaction)."""
    session.execute(text("INSERT OR IGNORE INTO search_paused (id) VALUES (1)"))


def rebuild_index(session: Session) -> None:
    """Refills the whole search index (both tables) from the tables in one pass and restarts
    the triggers: ~0.5 s for 40,000 accounts and contacts, where row-by-row triggers take ~4 s;
    ~4 s more for the numbers of a million activities."""
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
    session.execute(text("DELETE FROM search_ref"))
    session.execute(text("DELETE FROM search_ref_doc"))
    session.execute(
        text(
            "INSERT INTO search_ref_doc (activity_id)"
            f" SELECT id FROM activity AS a WHERE {_NUMBERED}"
        )
    )
    session.execute(
        text(
            f"INSERT INTO search_ref (rowid, {', '.join(_NUMBER_LABELS)})"
            f" SELECT d.rowid, {_NUMBERS}"
            " FROM search_ref_doc AS d JOIN activity AS a ON a.id = d.activity_id"
        )
    )
    session.execute(text("DELETE FROM search_paused"))


# The FTS5 tables: words of accounts, contacts and notes; numbers of activities.
WORD_INDEX, NUMBER_INDEX = "search_fts", "search_ref"


def drop_removed_words(session: Session, indexes: Iterable[str]) -> None:
    """Merges each of `indexes` (WORD_INDEX, NUMBER_INDEX) into one segment (FTS5's
    'optimize'), which leaves out the words of deleted and rewritten rows: FTS5 alone only
    marks them deleted and keeps them in older segments, in the file, until it merges
    those. Rewrites the whole index (~0.3 s for the words of a 20k-account store), so it
    runs after an erasure, not after every sync."""
    for index in indexes:
        if index not in (WORD_INDEX, NUMBER_INDEX):
            raise ValueError(f"{index!r} is not a search index")
        session.execute(text(f"INSERT INTO {index} ({index}) VALUES ('optimize')"))


class SearchIndex:
    """The global search the Search screen runs. Call off the GUI thread."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def search(self, user_text: str, limit: int = 100) -> list[SearchResult]:
        with self._store.reading() as session:
            return search_everything(session, user_text, limit)
