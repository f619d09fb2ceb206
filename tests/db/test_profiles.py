"""Customer profiles in the local store: answers, history, consent, reminders, completeness."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from db.profiles.book import (
    CONSENT_ID,
    SENSITIVE_OFF_DEVICES,
    SENSITIVE_POLICY,
    USERNAME,
    ProfileBook,
    ProfileError,
    next_occurrence,
)
from db.profiles.values import AnswerError
from db.store.local_store import Store
from db.store.models import Contact, OutboxEntry, SyncState
from db.store.replica import LocalReplica, PulledRow
from sync.entities import answer_id
from tests.helpers.factories import add_account, add_contact

# One question of every type, with what the rep gives and what the store keeps.
EVERY_TYPE = [
    ("nickname", "  Bob ", "Bob"),  # text
    (
        "current_role",
        "Runs the plant.\nReports to the COO.",
        "Runs the plant.\nReports to the COO.",
    ),
    ("birth_date", dt.date(1970, 5, 17), "1970-05-17"),  # date
    ("accepts_hospitality", "yes", True),  # yes/no
    ("marital_status", "Married", "Married"),  # choice
    ("hobbies", ["sailing", " chess ", ""], ["sailing", "chess"]),  # list of strings
    (
        "children",
        [{"name": "Ada", "birth_date": "2012-03-01", "interests": "robots"}, {"name": "Ben"}],
        [{"name": "Ada", "birth_date": "2012-03-01", "interests": "robots"}, {"name": "Ben"}],
    ),  # people
]


@pytest.fixture
def contact(store: Store) -> uuid.UUID:
    account = add_account(store, "Acme Logistics")
    return add_contact(store, account, "Robert", "Stone")


@pytest.fixture
def book(store: Store) -> ProfileBook:
    with store.session() as session:
        session.add(SyncState(key=USERNAME, value="ria"))
    return ProfileBook(store)


def test_every_type_round_trips_through_a_reopened_store(
    data_dir: Path, store: Store, book: ProfileBook, contact: uuid.UUID
) -> None:
    for question_id, given, _ in EVERY_TYPE:
        book.set_answer(contact, question_id, given)
    store.close()
    again = Store.open(data_dir)
    try:
        profile = ProfileBook(again).profile(contact)
        assert profile is not None
        assert profile.answers == {q: kept for q, _, kept in EVERY_TYPE}
        assert profile.completeness.answered == len(EVERY_TYPE)
        assert profile.completeness.total == 63  # name, job title, company: the record's
    finally:
        again.close()


def test_a_bad_value_is_refused_in_plain_words_and_writes_nothing(
    store: Store, book: ProfileBook, contact: uuid.UUID
) -> None:
    with pytest.raises(AnswerError, match="Date of birth"):
        book.set_answer(contact, "birth_date", "next tuesday")
    with pytest.raises(AnswerError):
        book.set_answer(contact, "marital_status", "It's complicated")
    with pytest.raises(ProfileError, match="no question"):
        book.set_answer(contact, "shoe_size", "44")
    with store.reading() as session:
        assert session.scalars(select(OutboxEntry)).all() == []


def test_each_edit_queues_the_answer_and_a_history_entry(
    store: Store, book: ProfileBook, contact: uuid.UUID
) -> None:
    book.set_answer(contact, "nickname", "Bob")
    book.set_answer(contact, "nickname", "Bobby")
    assert not book.set_answer(contact, "nickname", " Bobby ")  # the same answer again
    book.set_answer(contact, "nickname", "")  # cleared
    with store.reading() as session:
        queued = [(e.entity, e.op) for e in session.scalars(select(OutboxEntry))]
    assert queued == [
        ("profile_answer", "create"),
        ("profile_change", "create"),
        ("profile_answer", "set_fields"),
        ("profile_change", "create"),
        ("profile_answer", "set_fields"),
        ("profile_change", "create"),
    ]
    history = book.history(contact)
    assert [h.value for h in history] == [None, "Bobby", "Bob"]
    assert {h.changed_by for h in history} == {"ria"}
    assert history[0].label == "Preferred name or nickname"
    profile = book.profile(contact)
    assert profile is not None and "nickname" not in profile.answers


def test_answers_from_a_newer_definition_are_kept_not_dropped(
    store: Store, book: ProfileBook, contact: uuid.UUID
) -> None:
    """A question added in a later version arrives by sync; this app keeps it untouched."""
    with store.reading() as session:
        account_id = session.get_one(Contact, contact).account_id
    newer = PulledRow(
        entity="profile_answer",
        id=answer_id(contact, "favourite_podcast"),
        version=7,
        deleted=False,
        data={
            "account_id": str(account_id),
            "contact_id": str(contact),
            "question_id": "favourite_podcast",
            "value": "In Our Time",
            "sensitive": False,
        },
    )
    LocalReplica(store).apply_page([newer], None)
    book.set_answer(contact, "nickname", "Bob")
    profile = book.profile(contact)
    assert profile is not None
    assert profile.answers == {"favourite_podcast": "In Our Time", "nickname": "Bob"}
    assert profile.completeness.answered == 1  # counted against this app's 66 only
    assert [h.label for h in book.history(contact)] == ["Preferred name or nickname"]


def test_sensitive_answers_need_consent_and_respect_the_company_policy(
    store: Store, book: ProfileBook, contact: uuid.UUID
) -> None:
    with pytest.raises(ProfileError, match="consent"):
        book.set_answer(contact, "health", "Bad back; no long drives.")
    with pytest.raises(ProfileError, match="say how"):
        book.record_consent(contact, dt.date(2026, 11, 2), "   ")
    with pytest.raises(ProfileError, match="future"):
        book.record_consent(contact, dt.date.today() + dt.timedelta(days=1), "signed form")
    book.record_consent(contact, dt.date(2026, 11, 2), "signed form at the visit")
    book.set_answer(contact, "health", "Bad back; no long drives.")
    profile = book.profile(contact)
    assert profile is not None and profile.consent is not None
    assert profile.consent.how == "signed form at the visit"
    assert profile.answers["health"] == "Bad back; no long drives."
    assert CONSENT_ID not in profile.answers
    # The history says a sensitive answer changed, never what it says.
    health = [h for h in book.history(contact) if h.question_id == "health"]
    assert len(health) == 1 and health[0].value is None
    with store.session() as session:
        session.add(SyncState(key=SENSITIVE_POLICY, value=SENSITIVE_OFF_DEVICES))
    with pytest.raises(ProfileError, match="off laptops"):
        book.set_answer(contact, "religion", "Quaker")
    book.withdraw_consent(contact)
    profile = book.profile(contact)
    assert profile is not None and profile.consent is None
    assert "health" not in profile.answers


@pytest.mark.parametrize(
    ("born", "today", "expected"),
    [
        (dt.date(1970, 12, 3), dt.date(2026, 11, 23), dt.date(2026, 12, 3)),
        (dt.date(1970, 1, 5), dt.date(2026, 11, 23), dt.date(2027, 1, 5)),
        (dt.date(1970, 11, 23), dt.date(2026, 11, 23), dt.date(2026, 11, 23)),
        (dt.date(1988, 2, 29), dt.date(2027, 2, 1), dt.date(2027, 2, 28)),
        (dt.date(1988, 2, 29), dt.date(2028, 2, 1), dt.date(2028, 2, 29)),
    ],
)
def test_next_occurrence(born: dt.date, today: dt.date, expected: dt.date) -> None:
    assert next_occurrence(born, today) == expected


def test_reminders_list_what_comes_up_in_the_next_30_days(
    store: Store, book: ProfileBook, contact: uuid.UUID
) -> None:
    today = dt.date(2026, 11, 23)
    book.set_answer(contact, "birth_date", "1976-12-03")  # in 10 days
    book.set_answer(contact, "anniversary", "2001-01-02")  # in 40 days
    book.set_answer(contact, "spouse_birth_date", "1978-11-23")  # today
    book.set_answer(contact, "children", [{"name": "Ada", "birth_date": "2012-12-20"}])
    reminders = book.coming_up(today)
    assert [(r.label, r.days_away, r.years) for r in reminders] == [
        (reminders[0].label, 0, 48),
        (reminders[1].label, 10, 50),
        (reminders[2].label, 27, 14),
    ]
    assert "Ada" in reminders[2].label
    assert {r.contact_name for r in reminders} == {"Robert Stone"}
    assert all(r.account_name == "Acme Logistics" for r in reminders)
    assert [r.days_away for r in book.coming_up(today, days=60)][-1] == 40


def test_territory_completeness_counts_answers_per_contact(
    store: Store, book: ProfileBook, contact: uuid.UUID
) -> None:
    with store.reading() as session:
        account_id = session.get_one(Contact, contact).account_id
    other = add_contact(store, account_id, "Ann", "Archer")
    for question_id, given, _ in EVERY_TYPE[:3]:
        book.set_answer(contact, question_id, given)
    rows = {r.contact_name: r for r in book.territory_completeness()}
    assert rows["Robert Stone"].answered == 3 and rows["Robert Stone"].total == 63
    assert rows["Ann Archer"].answered == 0
    assert rows["Ann Archer"].contact_id == other


def test_answer_ids_are_the_same_on_every_device() -> None:
    contact = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert answer_id(contact, "hobbies") == answer_id(contact, "hobbies")
    assert answer_id(contact, "hobbies") != answer_id(contact, "clubs")


def test_a_contact_moving_to_another_account_takes_its_profile_along(
    store: Store, book: ProfileBook, contact: uuid.UUID
) -> None:
    from db.edits import LocalEditor
    from db.store.models import ProfileAnswer, ProfileChange

    book.set_answer(contact, "nickname", "Bob")
    book.set_answer(contact, "hobbies", ["sailing"])
    other = add_account(store, "Borealis Freight")
    LocalEditor(store).set_fields("contact", contact, account_id=other)
    with store.reading() as session:
        answers = session.scalars(select(ProfileAnswer)).all()
        history = session.scalars(select(ProfileChange)).all()
        moves = session.scalars(
            select(OutboxEntry).where(
                OutboxEntry.op == "set_fields", OutboxEntry.entity.like("profile_%")
            )
        ).all()
    assert {a.account_id for a in answers} == {other} and len(answers) == 2
    assert {h.account_id for h in history} == {other} and len(history) == 2
    assert len(moves) == 4 and all(m.fields == {"account_id": str(other)} for m in moves)
