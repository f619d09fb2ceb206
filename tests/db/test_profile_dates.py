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


_LISTED = text("SELECT listed FROM profile_date WHERE contact_id = :c")


def _listed(store: Store, contact: uuid.UUID) -> list[bool]:
    with store.reading() as session:
        found = select(PROFILE_DATE.c.listed).where(PROFILE_DATE.c.contact_id == contact)
        return [bool(listed) for listed in session.scalars(found)]


def test_a_date_is_listed_while_its_contact_lives(store: Store, contact: uuid.UUID) -> None:
    """Deleted, restored, and an answer pulled before its contact: the index says whether
    the contact lives, so the reminders never read the contact table to know it."""
    today = dt.date(2026, 12, 1)
    book = ProfileBook(store)
    book.set_answer(contact, "birth_date", "1976-12-03")
    assert _listed(store, contact) == [True]
    assert book.coming_up_total(today, 7) == 1
    for gone, listed in ((dt.datetime(2026, 1, 1, tzinfo=dt.UTC), False), (None, True)):
        with store.session() as session:
            session.get_one(Contact, contact).deleted_at = gone
        assert _listed(store, contact) == [listed]
        assert book.coming_up_total(today, 7) == int(listed)
        assert len(book.coming_up(today, 7, limit=5)) == int(listed)
    early = uuid.uuid4()  # the answer, then its contact, in one transaction
    with store.session() as session:
        session.execute(text("PRAGMA defer_foreign_keys = ON"))
        account = session.get_one(Contact, contact).account_id
        session.add(
            ProfileAnswer(
                id=answer_id(early, "anniversary"),
                account_id=account,
                contact_id=early,
                question_id="anniversary",
                value="2001-12-04",
            )
        )
        session.flush()
        assert [listed for (listed,) in session.execute(_LISTED, {"c": early.hex})] == [0]
        session.add(Contact(id=early, account_id=account, first_name="Eve", last_name="Early"))
    assert _listed(store, early) == [True]
    assert [r.contact_name for r in book.coming_up(today, 7)] == ["Robert Stone", "Eve Early"]


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


@settings(max_examples=40, deadline=None)
@given(
    today=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2031, 12, 31)),
    days=st.sampled_from([7, 30, 45, 365]),
    limit=st.integers(min_value=1, max_value=12),
)
def test_a_limit_keeps_the_contacts_whose_dates_come_soonest(
    territory: Any, today: dt.date, days: int, limit: int
) -> None:
    """What the Today page lists: the soonest few of a month's thousands, none missed."""
    _store, book = territory
    every = book.coming_up(today, days)
    some = book.coming_up(today, days, limit=limit)
    assert set(some) <= set(every)
    kept = {r.contact_id for r in some}
    assert len(kept) == min(limit, len({r.contact_id for r in every}))
    first: dict[uuid.UUID, dt.date] = {}
    for r in every:
        first.setdefault(r.contact_id, r.on)
    left_out = [on for contact, on in first.items() if contact not in kept]
    assert all(first[contact] <= min(left_out, default=dt.date.max) for contact in kept)
    assert [r for r in every if r.contact_id in kept] == some


@settings(max_examples=40, deadline=None)
@given(
    today=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2031, 12, 31)),
    days=st.sampled_from([7, 30, 45, 365]),
    size=st.integers(min_value=1, max_value=9),
)
def test_pages_of_contacts_read_every_reminder_once(
    territory: Any, today: dt.date, days: int, size: int
) -> None:
    """The lists read a page of contacts at a time as they scroll: the pages, one after
    another, hold every reminder once, and a contact's come on one page."""
    _store, book = territory
    pages, offset = [], 0
    while True:
        found, contacts = book.coming_up_page(offset, size, today, days)
        assert contacts <= size
        pages.append(found)
        offset += contacts
        if contacts < size:
            break
    read = [r for page in pages for r in page]
    key = lambda r: (r.on, str(r.contact_id), r.label)  # noqa: E731
    assert sorted(read, key=key) == sorted(book.coming_up(today, days), key=key)
    on_pages = [{r.contact_id for r in page} for page in pages]
    assert sum(len(contacts) for contacts in on_pages) == len(set().union(*on_pages))
    with pytest.raises(ValueError):
        book.coming_up_page(-1, size, today, days)


@settings(max_examples=40, deadline=None)
@given(
    today=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2031, 12, 31)),
    days=st.sampled_from([0, 7, 30, 45]),
)
def test_the_total_counts_every_reminder(territory: Any, today: dt.date, days: int) -> None:
    _store, book = territory
    leap_edge = any(low <= 229 <= high for low, high in month_day_ranges(today, days))
    total = book.coming_up_total(today, days)
    if leap_edge:  # a 29 February counts where coming_up() may settle it elsewhere
        assert total >= len(book.coming_up(today, days))
    else:
        assert total == len(book.coming_up(today, days))
