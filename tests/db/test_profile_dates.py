"""The reminders' index of profile dates: kept by every write, and the reminders read from
it match a full read of every answer, on any day of the year."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update

from db.profiles.book import ProfileBook, month_day_ranges, next_occurrence
from db.profiles.values import recurring_dates
from db.store.local_store import Store
from db.store.models import PROFILE_DATE, Contact, ProfileAnswer
from sync.entities import answer_id
from tests.helpers.factories import add_account, add_contact


def _dates(store: Store, contact: uuid.UUID) -> list[tuple[str, int]]:
    with store.reading() as session:
        rows = session.execute(
            select(PROFILE_DATE.c.question_id, PROFILE_DATE.c.month_day).where(
                PROFILE_DATE.c.contact_id == contact
            )
        ).all()
    return sorted((question, month_day) for question, month_day in rows)


def _write_raw(store: Store, contact: uuid.UUID, question: str, value: Any) -> None:
    """An answer row as sync writes one: whatever value the server sent, valid or not."""
    with store.session() as session:
        account = session.get_one(Contact, contact).account_id
        row = session.get(ProfileAnswer, answer_id(contact, question))
        if row is None:
            session.add(
                ProfileAnswer(
                    id=answer_id(contact, question),
                    account_id=account,
                    contact_id=contact,
                    question_id=question,
                    value=value,
                )
            )
        else:
            row.value = value


@pytest.fixture
def contact(store: Store) -> uuid.UUID:
    return add_contact(store, add_account(store, "Acme Logistics"), "Robert", "Stone")


def test_every_write_keeps_the_index(store: Store, contact: uuid.UUID) -> None:
    book = ProfileBook(store)
    book.set_answer(contact, "birth_date", "1976-12-03")
    children = [{"name": "Ada", "birth_date": "2012-02-29"}, {"name": "Bo", "age": 9}]
    book.set_answer(contact, "children", children)
    assert _dates(store, contact) == [("birth_date", 1203), ("children", 229)]
    book.set_answer(contact, "birth_date", "1976-01-15")
    assert _dates(store, contact) == [("birth_date", 115), ("children", 229)]
    book.set_answer(contact, "birth_date", None)  # cleared
    assert _dates(store, contact) == [("children", 229)]
    with store.session() as session:  # a pulled delete (soft), then a hard one
        session.execute(
            update(ProfileAnswer)
            .where(ProfileAnswer.question_id == "children")
            .values(deleted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        )
    assert _dates(store, contact) == []
    book.set_answer(contact, "anniversary", "2001-06-30")
    with store.session() as session:
        session.execute(text("DELETE FROM profile_answer"))
    assert _dates(store, contact) == []


@pytest.mark.parametrize(
    "value",
    ["not a date", "2020-1-5", 42, ["2012-01-01"], [{"birth_date": 7}], {"a": 1}, "1999-07-04x"],
)
def test_odd_values_are_written_and_give_no_date(
    store: Store, contact: uuid.UUID, value: Any
) -> None:
    _write_raw(store, contact, "birth_date", value)
    assert _dates(store, contact) == []


def test_a_value_that_is_not_json_at_all_never_fails_a_write(
    store: Store, contact: uuid.UUID
) -> None:
    _write_raw(store, contact, "birth_date", "1980-05-05")
    with store.session() as session:
        session.execute(text("UPDATE profile_answer SET value = '[{broken'"))
        session.execute(text("UPDATE profile_answer SET value = '\"1980-05-0'"))
    assert _dates(store, contact) == []


def test_ranges_wrap_new_year_and_keep_leap_days() -> None:
    assert month_day_ranges(dt.date(2026, 12, 20), 30) == [(1220, 1231), (101, 119)]
    assert month_day_ranges(dt.date(2027, 2, 10), 30) == [(210, 312), (229, 229)]
    assert month_day_ranges(dt.date(2026, 6, 1), 400) == [(101, 1231)]


@pytest.fixture(scope="module")
def territory(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """200 contacts with random dated answers, some odd, some deleted."""
    store = Store.open(tmp_path_factory.mktemp("dates") / "data")
    book = ProfileBook(store)
    chance = random.Random(7)
    account = add_account(store, "Dates Inc")

    def day() -> str:
        start = dt.date(1950, 1, 1).toordinal()
        picked = dt.date.fromordinal(chance.randrange(start, start + 60 * 365))
        if chance.random() < 0.05:
            return f"{chance.choice((1960, 1972, 2000))}-02-29"
        return picked.isoformat()

    for number in range(200):
        contact = add_contact(store, account, f"First{number}", f"Last{number}")
        if chance.random() < 0.6:
            book.set_answer(contact, "birth_date", day())
        if chance.random() < 0.3:
            book.set_answer(contact, "anniversary", day())
        if chance.random() < 0.3:
            kids = [{"name": f"Kid{k}", "birth_date": day()} for k in range(chance.randint(1, 3))]
            book.set_answer(contact, "children", kids)
        if chance.random() < 0.05:
            with store.session() as session:
                gone = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
                session.get_one(Contact, contact).deleted_at = gone
    yield store, book
    store.close()


def _every_answer_read(book: ProfileBook, today: dt.date, days: int) -> list[tuple[Any, ...]]:
    """The reminders as the old way found them: every answer of the store, in Python."""
    with book._store.reading() as session:
        rows = session.execute(
            select(ProfileAnswer.contact_id, ProfileAnswer.question_id, ProfileAnswer.value)
            .join(Contact, Contact.id == ProfileAnswer.contact_id)
            .where(ProfileAnswer.deleted_at.is_(None), Contact.deleted_at.is_(None))
        ).all()
    answers: dict[uuid.UUID, dict[str, Any]] = {}
    for contact, question, value in rows:
        answers.setdefault(contact, {})[question] = value
    found = []
    for contact, theirs in answers.items():
        for when in recurring_dates(book.definition, theirs):
            on = next_occurrence(when.date, today)
            if (on - today).days <= days:
                found.append((contact, when.label, on))
    return sorted(found, key=lambda item: (item[2], str(item[0]), item[1]))


@settings(max_examples=60, deadline=None)
@example(today=dt.date(2027, 2, 1), days=27)  # ends on 28 February of a common year
@example(today=dt.date(2027, 12, 31), days=0)
@given(
    today=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2031, 12, 31)),
    days=st.sampled_from([0, 1, 7, 30, 45, 364, 365]),
)
def test_the_index_finds_what_reading_every_answer_finds(
    territory: Any, today: dt.date, days: int
) -> None:
    _store, book = territory
    found = [(r.contact_id, r.label, r.on) for r in book.coming_up(today, days)]
    key = lambda item: (item[2], str(item[0]), item[1])  # noqa: E731
    assert sorted(found, key=key) == _every_answer_read(book, today, days)
