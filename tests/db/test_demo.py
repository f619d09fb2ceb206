"""The demo territory: deterministic, believable, and never written over real data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.accounts import AccountDirectory
from db.demo import generate_demo
from db.dto import AccountQuery
from db.enums import ActivityType, LadderRung
from db.errors import StoreNotEmpty
from db.models import Account, Activity, Contact, Meeting, MeetingAttendee, VisitNote
from db.store import Store

TODAY = date(2026, 11, 23)  # a Monday


def make(tmp_path: Path, name: str, accounts: int = 300, seed: int = 1) -> Store:
    store = Store.open(tmp_path / name)
    generate_demo(store, accounts, seed, today=TODAY)
    return store


def fingerprint(store: Store) -> list[tuple[object, ...]]:
    with store.reading() as session:
        accounts = session.execute(select(Account.id, Account.name).order_by(Account.id)).all()
        contacts = session.execute(select(Contact.id, Contact.email).order_by(Contact.id)).all()
        activity = session.execute(
            select(Activity.id, Activity.title, Activity.occurred_at).order_by(Activity.id)
        ).all()
    return [*accounts, *contacts, *activity]


def test_same_seed_same_territory_ids_included(tmp_path: Path) -> None:
    assert fingerprint(make(tmp_path, "a")) == fingerprint(make(tmp_path, "b"))


def test_another_seed_another_territory(tmp_path: Path) -> None:
    assert fingerprint(make(tmp_path, "a", seed=1)) != fingerprint(make(tmp_path, "b", seed=2))


def test_a_believable_territory(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "t")
    summary = generate_demo(store, 300, 1, today=TODAY)
    assert summary.accounts == 300
    assert 600 <= summary.contacts <= 1500
    assert 1500 <= summary.activities <= 6000
    assert summary.open_disputes >= 1
    with store.reading() as session:
        rungs = set(session.scalars(select(Account.ladder_rung).distinct()))
        assert rungs == set(LadderRung)
        assert session.scalar(select(func.count()).select_from(VisitNote)) == summary.notes > 0
        non_ascii = session.scalar(
            select(func.count())
            .select_from(Contact)
            .where(Contact.last_name.in_(("Müller", "Núñez")))
        )
        assert non_ascii and non_ascii > 0
        oldest = session.scalar(select(func.min(Activity.occurred_at)))
        assert oldest is not None and oldest < datetime(2024, 6, 1, tzinfo=UTC)  # years of it


def test_meetings_this_week_with_attendees(tmp_path: Path) -> None:
    store = make(tmp_path, "t")
    start = datetime(2026, 11, 23, tzinfo=UTC)
    with store.reading() as session:
        week = session.scalars(
            select(Meeting).where(
                Meeting.starts_at >= start, Meeting.starts_at < start + timedelta(days=7)
            )
        ).all()
        assert 5 <= len(week) <= 20
        assert {m.starts_at.date().weekday() for m in week} == {0, 1, 2, 3, 4}
        for meeting in week:
            attendees = session.scalar(
                select(func.count())
                .select_from(MeetingAttendee)
                .where(MeetingAttendee.meeting_id == meeting.id)
            )
            assert attendees and 1 <= attendees <= 3


def test_open_disputes_have_no_later_resolution(tmp_path: Path) -> None:
    store = make(tmp_path, "t")
    with store.reading() as session:
        opened = session.execute(
            select(Activity.account_id, Activity.occurred_at).where(
                Activity.type == ActivityType.DISPUTE_OPENED
            )
        ).all()
        resolved = set(
            session.scalars(
                select(Activity.account_id).where(Activity.type == ActivityType.DISPUTE_RESOLVED)
            )
        )
    assert opened and not {a for a, _ in opened} & resolved


def test_a_second_demo_into_the_same_store_is_refused(tmp_path: Path) -> None:
    store = make(tmp_path, "t", accounts=20)
    with pytest.raises(StoreNotEmpty, match="already holds 20 accounts"):
        generate_demo(store, 20, 2, today=TODAY)
    assert AccountDirectory(store).count(AccountQuery()) == 20


def test_generated_names_are_searchable(tmp_path: Path) -> None:
    store = make(tmp_path, "t", accounts=50)
    directory = AccountDirectory(store)
    first = directory.page(AccountQuery(), 0, 1)[0]
    found = directory.page(AccountQuery(text=first.name), 0, 50)
    assert first.id in {row.id for row in found}


def test_progress_reaches_one(tmp_path: Path) -> None:
    seen: list[float] = []
    generate_demo(Store.open(tmp_path / "t"), 2500, 1, today=TODAY, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 3
