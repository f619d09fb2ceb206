"""The profile counts as the store should hold them, counted afresh (tests of
profile_count and profile_tier_total, migrations 0016 and 0019)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text

from db.profiles.definition import load_definition
from db.profiles.tiers import TierRule, counted, is_key_contact, key
from db.store.local_store import Store
from db.store.models import PROFILE_COUNT, Account, Contact, ProfileAnswer

DEFINITION = load_definition()
RULE = TierRule.of(DEFINITION)
KEY_IDS = [q.id for q in key(DEFINITION)]


Counts = dict[uuid.UUID, tuple[int, int, int, bool, bool]]


def kept(store: Store) -> Counts:
    c = PROFILE_COUNT.c
    with store.reading() as session:
        rows = session.execute(
            select(c.contact_id, c.answered, c.key_answered, c.tier_rank, c.listed, c.key_contact)
        )
        return {cid: (n, k, rank, listed, key) for cid, n, k, rank, listed, key in rows}


def recounted(store: Store) -> Counts:
    """Each contact's counts, counted afresh from its answers, and who is listed."""
    counted_ids = [q.id for q in counted(DEFINITION)]
    with store.reading() as session:
        found = {cid: [0, 0] for cid in session.scalars(select(Contact.id))}
        people = session.execute(
            select(Contact.id, Contact.deleted_at, Contact.deal_role, Account.deleted_at).join(
                Account, Account.id == Contact.account_id
            )
        ).all()
        listed = {cid: gone is None and closed is None for cid, gone, _, closed in people}
        keys = {cid: is_key_contact(role) for cid, _, role, _ in people}
        rows = session.execute(
            select(ProfileAnswer.contact_id, ProfileAnswer.question_id, func.count())
            .where(
                ProfileAnswer.value.is_not(None),
                ProfileAnswer.deleted_at.is_(None),
                ProfileAnswer.question_id.in_(counted_ids),
            )
            .group_by(ProfileAnswer.contact_id, ProfileAnswer.question_id)
        )
        for cid, question_id, number in rows:
            found[cid][0] += number
            found[cid][1] += number if question_id in KEY_IDS else 0
    return {
        cid: (n, k, RULE.tier(n, k).rank, listed[cid], keys[cid]) for cid, (n, k) in found.items()
    }


def tier_totals(store: Store) -> dict[tuple[bool, int], int]:
    """profile_tier_total (0019), without its emptied rows."""
    with store.reading() as session:
        rows = session.execute(
            text("SELECT key_contact, tier_rank, listed FROM profile_tier_total")
        )
        return {(bool(key), rank): n for key, rank, n in rows if n}


def tiers_counted(store: Store) -> dict[tuple[bool, int], int]:
    with store.reading() as session:
        rows = session.execute(
            text(
                "SELECT key_contact, tier_rank, count(*) FROM profile_count WHERE listed"
                " GROUP BY key_contact, tier_rank"
            )
        )
        return {(bool(key), rank): n for key, rank, n in rows}
