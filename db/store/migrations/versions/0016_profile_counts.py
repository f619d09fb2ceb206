"""Each contact's counted and key profile answers and their tier, kept by triggers.

The Profiles screen's completeness list grouped every answer of the territory by contact
and sorted 300,000 contacts in Python (seconds, hundreds of MB). `profile_count` holds one
row per contact (a new contact gets a row of zeros) with its live answers to the counted
questions, those to the key questions, and the tier's rank (0 empty to 3 rich), so a page
of the list is a range of an index and the tiers' totals a GROUP BY of another.

Each row also says whether the contact is listed (live, at a live account) and a key
contact (by role), kept by triggers on contact and account, so a page and the tiers'
totals filter in the index before reading a contact.

The counted and key question ids, the tiers' thresholds and the key roles are those of the
packaged Mackay 66 definition and db.profiles.tiers (counted(), key(), TierRule,
KEY_DEAL_ROLES) as of this revision;
tests/db/test_profile_counts.py holds them to the definition, so a definition that changes
them gets a new revision that recreates the triggers and recomputes the table. Frozen here.

Revision ID: 0016_profile_counts
Revises: 0015_account_totals
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence

revision: str = "0016_profile_counts"
down_revision: str | None = "0015_account_totals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTED_IDS = [
    "nickname",
    "contact_details",
    "birth_date",
    "birthplace",
    "hometown",
    "secondary_school",
    "university",
    "degrees_honours",
    "student_activities",
    "no_degree_feelings",
    "military_service",
    "marital_status",
    "spouse_name",
    "spouse_birth_date",
    "spouse_interests",
    "anniversary",
    "children",
    "children_schooling",
    "previous_jobs",
    "earlier_roles_here",
    "current_role",
    "status_symbols",
    "associations",
    "our_company_contacts",
    "relationship_quality",
    "view_of_employer",
    "long_term_business_goal",
    "short_term_business_goal",
    "company_or_self",
    "present_or_future",
    "clubs",
    "community",
    "politics",
    "religion",
    "topics_to_avoid",
    "confidential_notes",
    "strong_opinions",
    "health",
    "drinks_alcohol",
    "smokes",
    "drinking_smoking_notes",
    "favourite_restaurants",
    "favourite_dishes",
    "accepts_hospitality",
    "hobbies",
    "holidays",
    "sports_teams",
    "car",
    "conversation_topics",
    "wants_to_impress",
    "wants_to_be_seen_as",
    "describing_words",
    "proudest_achievement",
    "long_term_personal_goal",
    "short_term_personal_goal",
    "ethical_concerns",
    "obligations",
    "change_required",
    "cares_about_opinion",
    "key_problems",
    "management_priorities",
    "how_we_can_help",
    "competitor_standing",
]
KEY_IDS = [
    "nickname",
    "spouse_name",
    "children",
    "current_role",
    "short_term_business_goal",
    "topics_to_avoid",
    "strong_opinions",
    "accepts_hospitality",
    "hobbies",
    "sports_teams",
    "conversation_topics",
    "proudest_achievement",
    "key_problems",
    "management_priorities",
    "how_we_can_help",
    "competitor_standing",
]
USEFUL_KEY, RICH_KEY, RICH_ALL = 6, 8, 16  # TierRule's thresholds for the above


def _in(ids: list[str]) -> str:
    return "(" + ", ".join(f"'{question}'" for question in ids) + ")"


def tier_rank(answered: str, key_answered: str) -> str:
    """TierRule.tier's rank as SQL, of two SQL expressions."""
    return (
        f"(CASE WHEN {answered} <= 0 THEN 0"
        f" WHEN {key_answered} >= {RICH_KEY} AND {answered} >= {RICH_ALL} THEN 3"
        f" WHEN {key_answered} >= {USEFUL_KEY} THEN 2 ELSE 1 END)"
    )


def _counts(row: str) -> str:
    return (
        f"{row}.deleted_at IS NULL AND {row}.value IS NOT NULL"
        f" AND {row}.question_id IN {_in(COUNTED_IDS)}"
    )


def _key(row: str) -> str:
    return f"({row}.question_id IN {_in(KEY_IDS)})"


def _add(row: str) -> str:
    return (
        f"{_INTO} SELECT {row}.contact_id, 1, {_key(row)}, {tier_rank('1', _key(row))},"
        f" {_ROLE_OF_NEW}"
        f" WHERE {_counts(row)}"
        " ON CONFLICT (contact_id) DO UPDATE SET answered = answered + 1,"
        " key_answered = key_answered + excluded.key_answered,"
        f" tier_rank = {tier_rank('answered + 1', 'key_answered + excluded.key_answered')};"
    )


def _remove(row: str) -> str:
    return (
        "UPDATE profile_count SET answered = answered - 1,"
        f" key_answered = key_answered - {_key(row)},"
        f" tier_rank = {tier_rank('answered - 1', f'key_answered - {_key(row)}')}"
        f" WHERE contact_id = {row}.contact_id AND {_counts(row)};"
    )


KEY_ROLES = ["champion", "decision_maker", "economic_buyer"]  # KEY_DEAL_ROLES, as values


def _listed(contact: str) -> str:
    """Whether `contact` is on the list: live, at a live account."""
    return (
        f"({contact}.deleted_at IS NULL AND EXISTS (SELECT 1 FROM account"
        f" WHERE account.id = {contact}.account_id AND account.deleted_at IS NULL))"
    )


def _key_contact(contact: str) -> str:
    return f"coalesce({contact}.deal_role IN {_in(KEY_ROLES)}, 0)"


_ROLE_OF_NEW = (
    f"coalesce((SELECT {_listed('c')} FROM contact AS c WHERE c.id = new.contact_id), 0),"
    f" coalesce((SELECT {_key_contact('c')} FROM contact AS c WHERE c.id = new.contact_id), 0)"
)
_INTO = (
    "INSERT INTO profile_count (contact_id, answered, key_answered, tier_rank, listed, key_contact)"
)

TABLE = (
    "CREATE TABLE profile_count (contact_id CHAR(32) NOT NULL PRIMARY KEY,"
    " answered INTEGER NOT NULL, key_answered INTEGER NOT NULL, tier_rank INTEGER NOT NULL,"
    " listed BOOLEAN NOT NULL, key_contact BOOLEAN NOT NULL)"
)
# The contacts and answers already in the store, before the indexes (built once, whole).
BACKFILL = (
    f"{_INTO} SELECT c.id, coalesce(counted.n, 0), coalesce(counted.k, 0),"
    f" {tier_rank('coalesce(counted.n, 0)', 'coalesce(counted.k, 0)')},"
    f" {_listed('c')}, {_key_contact('c')} FROM contact AS c LEFT JOIN"
    f" (SELECT a.contact_id, count(*) AS n, sum({_key('a')}) AS k FROM profile_answer AS a"
    f" WHERE {_counts('a')} GROUP BY a.contact_id) AS counted ON counted.contact_id = c.id"
)
INDEXES = [
    # One per sortable count, the contact breaking ties, with who is listed: a page skips
    # and filters in the index alone, and reads the contacts it shows.
    "CREATE INDEX ix_profile_count_tier ON profile_count"
    " (tier_rank, key_answered, answered, contact_id, listed, key_contact)",
    "CREATE INDEX ix_profile_count_key"
    " ON profile_count (key_answered, contact_id, listed, key_contact)",
    "CREATE INDEX ix_profile_count_answered"
    " ON profile_count (answered, contact_id, listed, key_contact)",
    # The tiers' totals: a GROUP BY over a range of this index.
    "CREATE INDEX ix_profile_count_listed ON profile_count (listed, key_contact, tier_rank)",
]
TRIGGERS = [
    f"CREATE TRIGGER profile_count_contact_ai AFTER INSERT ON contact BEGIN {_INTO}"
    f" SELECT new.id, 0, 0, 0, {_listed('new')}, {_key_contact('new')} WHERE true"
    " ON CONFLICT (contact_id) DO UPDATE SET listed = excluded.listed,"
    " key_contact = excluded.key_contact; END",
    "CREATE TRIGGER profile_count_contact_au AFTER UPDATE OF deleted_at, deal_role, account_id"
    f" ON contact BEGIN UPDATE profile_count SET listed = {_listed('new')},"
    f" key_contact = {_key_contact('new')} WHERE contact_id = new.id; END",
    "CREATE TRIGGER profile_count_contact_ad AFTER DELETE ON contact BEGIN"
    " DELETE FROM profile_count WHERE contact_id = old.id; END",
    "CREATE TRIGGER profile_count_account_au AFTER UPDATE OF deleted_at ON account BEGIN"
    " UPDATE profile_count SET listed = new.deleted_at IS NULL AND"
    " (SELECT c.deleted_at IS NULL FROM contact AS c WHERE c.id = profile_count.contact_id)"
    " WHERE contact_id IN (SELECT id FROM contact WHERE account_id = new.id); END",
    f"CREATE TRIGGER profile_count_ai AFTER INSERT ON profile_answer BEGIN {_add('new')} END",
    "CREATE TRIGGER profile_count_au AFTER UPDATE OF value, deleted_at, contact_id, question_id"
    f" ON profile_answer BEGIN {_remove('old')} {_add('new')} END",
    f"CREATE TRIGGER profile_count_ad AFTER DELETE ON profile_answer BEGIN {_remove('old')} END",
]
CREATE = [TABLE, BACKFILL, *INDEXES, *TRIGGERS]

# A first download sets the answers' triggers aside (db.store.bulk_indexes): one per row
# written cost a millisecond, three times the rest of the download. The counts are then
# made again in one pass, changing only the rows that differ.
ANSWER_TRIGGERS = ["profile_count_ai", "profile_count_au", "profile_count_ad"]
_FRESH = (
    "SELECT pc.contact_id, coalesce(counted.n, 0) AS n, coalesce(counted.k, 0) AS k"
    " FROM profile_count AS pc LEFT JOIN"
    f" (SELECT a.contact_id, count(*) AS n, sum({_key('a')}) AS k FROM profile_answer AS a"
    f" WHERE {_counts('a')} GROUP BY a.contact_id) AS counted"
    " ON counted.contact_id = pc.contact_id"
)
RECOUNT = (
    "UPDATE profile_count SET answered = fresh.n, key_answered = fresh.k,"
    f" tier_rank = {tier_rank('fresh.n', 'fresh.k')} FROM ({_FRESH}) AS fresh"
    " WHERE profile_count.contact_id = fresh.contact_id"
    " AND (profile_count.answered <> fresh.n OR profile_count.key_answered <> fresh.k)"
)

DROP = [
    "DROP TRIGGER IF EXISTS profile_count_contact_ai",
    "DROP TRIGGER IF EXISTS profile_count_contact_au",
    "DROP TRIGGER IF EXISTS profile_count_contact_ad",
    "DROP TRIGGER IF EXISTS profile_count_account_au",
    "DROP TRIGGER IF EXISTS profile_count_ai",
    "DROP TRIGGER IF EXISTS profile_count_au",
    "DROP TRIGGER IF EXISTS profile_count_ad",
    "DROP TABLE IF EXISTS profile_count",
]


def upgrade() -> None:
    # Imported here: the app reads this module's questions at start (db.profiles.book), and
    # a normal start never imports Alembic.
    from alembic import op

    for statement in CREATE:
        op.execute(statement)


def downgrade() -> None:
    from alembic import op

    for statement in DROP:
        op.execute(statement)
