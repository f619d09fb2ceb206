"""The account list's paging, sorting, filtering and the detail pane's query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.accounts import AccountDirectory
from db.dto import AccountQuery, AccountSort
from db.field.meetings import MeetingCalendar
from db.store.local_store import Store
from sync.enums import Channel, LadderRung, TeamRole
from tests.helpers.factories import (
    add_account,
    add_activity,
    add_contact,
    add_meeting,
    add_team_member,
)

RUNGS = list(LadderRung)


@pytest.fixture
def many(store: Store) -> Store:
    for i in range(45):
        add_account(
            store,
            f"Company {i:02d}",
            city=("Bonn", "Aachen", "Celle")[i % 3],
            employees=(i * 37) % 500 or None,
            ladder_rung=RUNGS[i % 6],
        )
    return store


def test_pages_cover_every_account_once_in_order(many: Store) -> None:
    directory = AccountDirectory(many)
    seen = []
    for offset in range(0, 50, 10):
        seen += [r.name for r in directory.page(AccountQuery(), offset, 10)]
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 45


@pytest.mark.parametrize("sort", list(AccountSort))
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_is_stable_across_pages(
    many: Store, sort: AccountSort, descending: bool
) -> None:
    directory = AccountDirectory(many)
    query = AccountQuery(sort=sort, descending=descending)
    paged = [r for off in range(0, 45, 7) for r in directory.page(query, off, 7)]
    whole = directory.page(query, 0, 100)
    assert paged == whole and len(whole) == 45


def test_sort_by_city_then_name(many: Store) -> None:
    rows = AccountDirectory(many).page(AccountQuery(sort=AccountSort.CITY), 0, 100)
    keys = [(r.city, r.name) for r in rows]
    assert keys == sorted(keys)
    rows = AccountDirectory(many).page(AccountQuery(sort=AccountSort.CITY, descending=True), 0, 100)
    assert [(r.city, r.name) for r in rows] == sorted(keys, reverse=True)


def test_rung_filter_and_count(many: Store) -> None:
    directory = AccountDirectory(many)
    query = AccountQuery(rung=LadderRung.PARTNER)
    rows = directory.page(query, 0, 100)
    assert {r.ladder_rung for r in rows} == {LadderRung.PARTNER}
    assert directory.count(query) == len(rows) == 7
    assert directory.count(AccountQuery()) == 45
    assert directory.count(AccountQuery(text="company 07")) == 1


def test_detail_holds_contacts_team_and_newest_activity_first(store: Store) -> None:
    account_id = add_account(
        store, "Acme", street="Hafenstr. 2", postal_code="20457", city="Hamburg", country="Germany"
    )
    add_contact(store, account_id, "Ana", "Berg", title="CFO")
    add_team_member(store, account_id, "Sam Lee", TeamRole.SERVICE_REP)
    for days in (30, 2, 10):
        add_activity(store, account_id, f"{days} days ago", days_ago=days)
    add_activity(
        store, account_id, "Dispute", days_ago=1, channel=Channel.SERVICE, type="dispute_opened"
    )
    detail = AccountDirectory(store).detail(account_id)
    assert detail is not None
    assert detail.address == "Hafenstr. 2, 20457 Hamburg, Germany"
    assert [c.name for c in detail.contacts] == ["Ana Berg"]
    assert [t.name for t in detail.team] == ["Sam Lee"]
    assert [a.title for a in detail.latest_activity] == [
        "Dispute",
        "2 days ago",
        "10 days ago",
        "30 days ago",
    ]
    assert detail.activity_count == 4


def test_meetings_between_lists_attendees(store: Store) -> None:
    account_id = add_account(store, "Acme")
    ana = add_contact(store, account_id, "Ana", "Berg")
    start = datetime(2026, 11, 23, 9, tzinfo=UTC)
    add_meeting(store, account_id, start + timedelta(hours=2), "Review", (ana,))
    add_meeting(store, account_id, start + timedelta(days=8), "Too late")
    add_meeting(store, account_id, start - timedelta(hours=1), "Too early")
    meetings = MeetingCalendar(store).between(start, start + timedelta(days=7))
    assert [(m.purpose, m.attendees, m.account_name) for m in meetings] == [
        ("Review", ("Ana Berg",), "Acme")
    ]
