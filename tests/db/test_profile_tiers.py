"""Profile tiers: what counts, what is key, the thresholds, and counting them in SQL."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from db.demo.territory import generate_demo
from db.edits import LocalEditor
from db.profiles.book import CONSENT_ID, ProfileBook
from db.profiles.definition import load_definition
from db.profiles.report import profile_html
from db.profiles.tiers import (
    FROM_CONTACT,
    KEY_DEAL_ROLES,
    ProfileTier,
    TierRule,
    contact_values,
    counted,
    from_contact,
    is_key_contact,
    key,
)
from db.profiles.values import completeness
from db.store.local_store import Store
from db.store.models import ProfileAnswer
from sync.entities import answer_id
from sync.enums import DealRole
from sync.profile_definition import ProfileDefinition, parse_definition
from tests.helpers.factories import add_account, add_contact
from tests.helpers.profile_answers import answer_to

MACKAY = load_definition()
RULE = TierRule.of(MACKAY)
KEY_IDS = [q.id for q in key(MACKAY)]
OTHER_IDS = [q.id for q in counted(MACKAY) if not q.briefing and not q.sensitive]


def small_definition(briefing: tuple[bool, ...]) -> ProfileDefinition:
    """A definition of one section with as many text questions as `briefing` has flags."""
    questions = "".join(
        f'[[sections.questions]]\nid = "q{n}"\nlabel = "Question {n}"\ntype = "text"\n'
        f"briefing = {'true' if flag else 'false'}\n"
        for n, flag in enumerate(briefing)
    )
    text = f'version = 1\n[[sections]]\nid = "s"\ntitle = "S"\n{questions}'
    return parse_definition(text.encode(), "small.toml")


def test_the_mackay_thresholds() -> None:
    assert (RULE.total, RULE.key_total) == (63, 16)
    assert (RULE.useful_key, RULE.rich_key, RULE.rich_all) == (6, 8, 16)
    assert RULE.not_counted == ("Full name", "Job title", "Company and site")


@pytest.mark.parametrize(
    ("answered", "key_answered", "tier"),
    [
        (0, 0, ProfileTier.EMPTY),
        (1, 0, ProfileTier.STARTED),
        (1, 1, ProfileTier.STARTED),
        (5, 5, ProfileTier.STARTED),  # one key answer short of useful
        (40, 5, ProfileTier.STARTED),  # many answers, but not what matters before a visit
        (6, 6, ProfileTier.USEFUL),
        (15, 8, ProfileTier.USEFUL),  # enough key answers, one short in all
        (16, 7, ProfileTier.USEFUL),  # enough in all, one key answer short
        (16, 8, ProfileTier.RICH),
        (63, 16, ProfileTier.RICH),
    ],
)
def test_tier_boundaries(answered: int, key_answered: int, tier: ProfileTier) -> None:
    assert RULE.tier(answered, key_answered) is tier


def test_the_explanation_names_every_threshold() -> None:
    text = RULE.explanation()
    for words in (
        "the 16 worth knowing before a visit",
        "fewer than 6",
        "at least 6 key",
        "at least 8 key questions and 16 of all 63",
        "“Full name”, “Job title” and “Company and site” come from the contact record",
    ):
        assert words in text


def test_thresholds_follow_the_definition_and_round_up() -> None:
    rule = TierRule.of(small_definition((True, True, True, True, True, False, False)))
    assert (rule.total, rule.key_total) == (7, 5)
    assert (rule.useful_key, rule.rich_key, rule.rich_all) == (2, 3, 2)
    assert rule.not_counted == ()
    # No question marked for the briefing: every counted question is key.
    unmarked = small_definition((False,) * 4)
    assert len(key(unmarked)) == 4
    assert TierRule.of(unmarked).useful_key == 2


def test_the_contact_record_answers_name_title_and_company() -> None:
    assert [q.id for q in from_contact(MACKAY)] == ["name", "job_title", "company"]
    assert set(FROM_CONTACT) == {"name", "job_title", "company"}
    assert not {q.id for q in counted(MACKAY)} & set(FROM_CONTACT)
    assert contact_values(MACKAY, name="Ann Lee", title=None, account_name="Acme") == {
        "name": "Ann Lee",
        "job_title": "",
        "company": "Acme",
    }
    # A copy of the definition that made "company" a yes/no question: not the record's.
    odd = parse_definition(
        b'version = 1\n[[sections]]\nid = "s"\ntitle = "S"\n'
        b'[[sections.questions]]\nid = "company"\nlabel = "Company car"\ntype = "yes_no"\n',
        "odd.toml",
    )
    assert from_contact(odd) == () and len(counted(odd)) == 1


def test_completeness_counts_key_answers_and_names_the_tier() -> None:
    answers: dict[str, Any] = {q: "x" for q in KEY_IDS[:6]}
    answers.update({"name": "Ann Lee", "job_title": "Buyer"})  # given before: not counted
    done = completeness(MACKAY, answers)
    assert (done.answered, done.key_answered, done.key_total) == (6, 6, 16)
    assert done.tier is ProfileTier.USEFUL
    assert done.sections[0].total == 5  # "The customer" without name, title, company
    assert completeness(MACKAY, {}).tier is ProfileTier.EMPTY


def test_the_printed_profile_names_its_tier(store: Store) -> None:
    book = ProfileBook(store)
    contact = add_contact(store, add_account(store, "Acme Logistics"), "Ann", "Lee")
    book.set_answer(contact, "hobbies", ["sailing"])
    profile = book.profile(contact)
    assert profile is not None
    assert "1 of 63 questions answered (started)" in profile_html(profile, MACKAY)


def test_key_contacts_are_those_who_decide_pay_or_champion() -> None:
    deciding = {DealRole.DECISION_MAKER, DealRole.ECONOMIC_BUYER, DealRole.CHAMPION}
    assert deciding == KEY_DEAL_ROLES
    assert is_key_contact(DealRole.CHAMPION)
    assert not is_key_contact(DealRole.GATEKEEPER)
    assert not is_key_contact(None)


def test_the_territory_list_counts_as_the_profile_does(store: Store) -> None:
    """SQL's counts per contact agree with completeness() over the decoded answers, with
    cleared answers, answers to the record's questions, to unknown questions and the
    consent among them."""
    book = ProfileBook(store)
    account = add_account(store, "Acme Logistics")
    rng = random.Random(7)
    contacts = [add_contact(store, account, f"P{n}", "Person") for n in range(12)]
    for n, contact in enumerate(contacts):  # n key answers and n others: every tier
        for question in rng.sample(KEY_IDS, n) + rng.sample(OTHER_IDS, n):
            book.set_answer(contact, question, answer_to(question))
    book.set_answer(contacts[3], "name", "Dr P3 Person")
    book.set_answer(contacts[4], KEY_IDS[0], "said")
    book.set_answer(contacts[4], KEY_IDS[0], "")  # cleared: the row stays, its value NULL
    book.record_consent(contacts[5], dt.date(2026, 1, 5), "signed form")
    with store.session() as session:
        session.add(
            ProfileAnswer(
                id=answer_id(contacts[6], "added_in_version_9"),
                account_id=account,
                contact_id=contacts[6],
                question_id="added_in_version_9",
                value="from a newer app",
            )
        )
    book.set_answer(contacts[7], "nickname", "Pete")
    assert LocalEditor(store).delete("profile_answer", answer_id(contacts[7], "nickname"))

    rows = {r.contact_id: r for r in book.territory_completeness()}
    tiers = set()
    for contact in contacts:
        profile = book.profile(contact)
        assert profile is not None
        done, row = profile.completeness, rows[contact]
        assert (row.answered, row.key_answered) == (done.answered, done.key_answered)
        assert (row.total, row.key_total) == (done.total, done.key_total) == (63, 16)
        assert row.tier is done.tier
        tiers.add(row.tier)
    assert tiers == set(ProfileTier)
    assert CONSENT_ID in _stored(store, contacts[5])


def test_the_territory_list_counts_from_the_answers_index(store: Store) -> None:
    """The per-contact count reads ix_profile_answer_answered, never the whole table."""
    book = ProfileBook(store)
    contact = add_contact(store, add_account(store, "Acme Logistics"), "Ann", "Lee")
    book.set_answer(contact, "hobbies", ["sailing"])
    statements: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        statements.append((sql, params))

    event.listen(store.engine, "before_cursor_execute", remember)
    try:
        book.territory_completeness()
    finally:
        event.remove(store.engine, "before_cursor_execute", remember)
    [(sql, params)] = [s for s in statements if "profile_answer" in s[0]]
    with store.engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
    reads = [step for step in plan if "profile_answer" in step]
    assert reads and all("USING INDEX ix_profile_answer_answered" in r for r in reads), plan


def test_the_demo_territory_is_not_all_one_tier(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "demo")
    try:
        generate_demo(store, 60, 1, today=dt.date(2026, 11, 23))
        rows = ProfileBook(store).territory_completeness()
    finally:
        store.close()
    tiers = Counter(r.tier for r in rows)
    assert tiers[ProfileTier.EMPTY] < len(rows)
    assert tiers[ProfileTier.STARTED] > 0 and tiers[ProfileTier.USEFUL] > 0
    assert max(tiers.values()) < len(rows)


def _stored(store: Store, contact: uuid.UUID) -> set[str]:
    with store.reading() as session:
        return set(
            session.scalars(
                select(ProfileAnswer.question_id).where(ProfileAnswer.contact_id == contact)
            )
        )
