"""The month and day of every date in the profile answers, indexed, for the reminders.

Today's "coming up" list (birthdays, anniversaries in the next 30 days) read every dated
answer of the territory and decoded it in Python: seconds on a 100k-account store, ahead of
the first screen. `profile_date` holds one row per ISO date in an answer (a date answer, or
each person's `birth_date` in a people answer) as MMDD, so the next 30 days are one or two
ranges of an index. Triggers keep it, so every write keeps it: the editor's, a pulled row's,
a first download's, an erasure's. Which questions recur is the definition's business
(db.profiles.book filters by question): every date is kept here, so a new definition needs
no new migration. Frozen here: later changes get new revisions.

Revision ID: 0014_profile_dates
Revises: 0013_search_numbers
Create Date: 2026-12-06 04:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_profile_dates"
down_revision: str | None = "0013_search_numbers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ISO = "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'"


def _json(row: str, kind: str) -> str:
    """Answer `row`'s value where it is JSON of `kind` ('text' or 'array'), else a JSON
    null or empty list: an odd value never makes json_extract or json_each fail a write.
    The first character spares json_valid for numbers and words."""
    first, empty = ("'\"'", "'null'") if kind == "text" else ("'['", "'[]'")
    value = f"{row}.value"
    return (
        f"(CASE WHEN substr({value}, 1, 1) = {first} AND json_valid({value})"
        f" AND json_type({value}) = '{kind}' THEN {value} ELSE {empty} END)"
    )


def _month_day(day: str) -> str:
    return f"CAST(substr({day}, 6, 2) || substr({day}, 9, 2) AS INTEGER)"


def _dated(row: str, source: str) -> list[str]:
    """INSERTs of (answer id, contact id, question id, MMDD) for each ISO date in answer
    `row` (read from `source`, empty in a trigger): the answer itself, or each person's
    birth_date. Only live answers; anything else gives no row."""
    whole = f"json_extract({_json(row, 'text')}, '$')"
    born = "json_extract(person.value, '$.birth_date')"
    columns = f"{row}.id, {row}.contact_id, {row}.question_id"
    live = f"{row}.deleted_at IS NULL AND {row}.value IS NOT NULL"
    into = "INSERT INTO profile_date (answer_id, contact_id, question_id, month_day)"
    tables = f"{source}, " if source else ""
    return [
        f"{into} SELECT {columns}, {_month_day(whole)} {'FROM ' + source if source else ''}"
        f" WHERE {live} AND {whole} GLOB {_ISO}",
        f"{into} SELECT {columns}, {_month_day(born)}"
        f" FROM {tables}json_each({_json(row, 'array')}) AS person"
        f" WHERE {live} AND person.type = 'object' AND {born} GLOB {_ISO}",
    ]


_ADD = " ".join(f"{insert};" for insert in _dated("new", ""))

CREATE = [
    "CREATE TABLE profile_date ("
    " answer_id CHAR(32) NOT NULL, contact_id CHAR(32) NOT NULL,"
    " question_id VARCHAR(64) NOT NULL, month_day INTEGER NOT NULL)",
    "CREATE INDEX ix_profile_date_month_day ON profile_date (month_day, question_id, contact_id)",
    "CREATE INDEX ix_profile_date_answer_id ON profile_date (answer_id)",
    f"CREATE TRIGGER profile_date_ai AFTER INSERT ON profile_answer BEGIN {_ADD} END",
    "CREATE TRIGGER profile_date_au AFTER UPDATE OF value, deleted_at, contact_id"
    f" ON profile_answer BEGIN DELETE FROM profile_date WHERE answer_id = old.id; {_ADD} END",
    "CREATE TRIGGER profile_date_ad AFTER DELETE ON profile_answer BEGIN"
    " DELETE FROM profile_date WHERE answer_id = old.id; END",
    # The answers already in the store.
    *_dated("a", "profile_answer AS a"),
]
DROP = [
    "DROP TRIGGER IF EXISTS profile_date_ai",
    "DROP TRIGGER IF EXISTS profile_date_au",
    "DROP TRIGGER IF EXISTS profile_date_ad",
    "DROP TABLE IF EXISTS profile_date",
]


def upgrade() -> None:
    for statement in CREATE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP:
        op.execute(statement)
