"""The demo territory: deterministic, believable, and never written over real data."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

import db.demo.territory as demo_module
from db.accounts import AccountDirectory
from db.demo.territory import generate_demo
from db.dto import AccountQuery
from db.errors import StoreNotEmpty
from db.search import fts_query, matching_account_ids
from db.store.local_store import Store
from db.store.models import (
    SYNCED_MODELS,
    Account,
    Activity,
    Contact,
    LadderChange,
    Meeting,
    MeetingAttendee,
    Task,
    TeamMember,
    VisitNote,
)
from sync.demo.territory import MAX_PAST_MEETINGS, DemoSummary, DemoTerritory
from sync.entities import answer_id
from sync.enums import ActivityType, Channel, LadderRung

TODAY = date(2026, 11, 23)  # a Monday
MIDNIGHT = datetime.combine(TODAY, time(0), tzinfo=UTC)
WEEK_END = MIDNIGHT + timedelta(days=7)


def make(path: Path, accounts: int = 300, seed: int = 1) -> tuple[Store, DemoSummary]:
    store = Store.open(path)
    return store, generate_demo(store, accounts, seed, today=TODAY)


@pytest.fixture(scope="module")
def territory(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One 300-account territory, shared: the tests below only read it."""
    store, summary = make(tmp_path_factory.mktemp("demo"))
    yield store, summary
    store.close()


@pytest.fixture
def demo(territory: tuple[Store, DemoSummary]) -> Store:
    return territory[0]


@pytest.fixture
def summary(territory: tuple[Store, DemoSummary]) -> DemoSummary:
    return territory[1]


def row_counts(store: Store) -> dict[str, int]:
    with store.reading() as session:
        return {
            model.__tablename__: session.execute(
                select(func.count()).select_from(model)
            ).scalar_one()
            for model in SYNCED_MODELS
        }


def fingerprint(store: Store) -> list[Any]:
    """Every table's rows that matter, ids and timestamps included, in a stable order."""
    with store.reading() as session:
        return [
            session.execute(select(Account.id, Account.name).order_by(Account.id)).all(),
            session.execute(select(Contact.id, Contact.email).order_by(Contact.id)).all(),
            session.execute(
                select(
                    Activity.id, Activity.title, Activity.occurred_at, Activity.details
                ).order_by(Activity.id)
            ).all(),
            session.execute(select(Meeting.id, Meeting.starts_at).order_by(Meeting.id)).all(),
            session.execute(
                select(Account.created_at, Account.updated_at).order_by(Account.id)
            ).all(),
            row_counts(store),
        ]


def activities(store: Store, *kinds: ActivityType) -> list[Activity]:
    with store.reading() as session:
        return list(
            session.scalars(
                select(Activity)
                .where(Activity.type.in_([k.value for k in kinds]))
                .order_by(Activity.occurred_at)
            )
        )


# --- determinism and safety -------------------------------------------------------------


def test_same_seed_same_rows_ids_included(tmp_path: Path, demo: Store) -> None:
    again, _ = make(tmp_path / "again")
    assert fingerprint(again) == fingerprint(demo)


def test_another_seed_another_territory(tmp_path: Path, demo: Store) -> None:
    other, _ = make(tmp_path / "other", seed=2)
    mine, theirs = fingerprint(demo)[0], fingerprint(other)[0]
    assert {name for _, name in mine} != {name for _, name in theirs}
    assert not {i for i, _ in mine} & {i for i, _ in theirs}


def test_a_second_demo_is_refused_and_writes_nothing(demo: Store) -> None:
    before = row_counts(demo)
    with pytest.raises(StoreNotEmpty, match="already holds 300 accounts"):
        generate_demo(demo, 20, 2, today=TODAY)
    assert row_counts(demo) == before


def test_a_store_with_one_account_is_refused(tmp_path: Path) -> None:
    store, _ = make(tmp_path, accounts=1)
    with pytest.raises(StoreNotEmpty, match="already holds 1 account;"):
        generate_demo(store, 5, 1, today=TODAY)


def test_the_connection_gets_its_page_cache_size_back(tmp_path: Path) -> None:
    store = Store.open(tmp_path)

    def cache_size() -> int:
        with store.reading() as session:
            return int(session.execute(text("PRAGMA cache_size")).scalar_one())

    before = cache_size()
    generate_demo(store, 3, 1, today=TODAY)
    assert cache_size() == before


@pytest.mark.parametrize("accounts", [0, -3])
def test_needs_at_least_one_account(tmp_path: Path, accounts: int) -> None:
    store = Store.open(tmp_path)
    with pytest.raises(ValueError, match="at least one account"):
        generate_demo(store, accounts, 1, today=TODAY)
    assert row_counts(store)["account"] == 0


def test_progress_rises_to_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_module, "BATCH_ACCOUNTS", 50)  # several rounds from few accounts
    seen: list[float] = []
    generate_demo(Store.open(tmp_path), 120, 1, today=TODAY, progress=seen.append)
    assert len(seen) >= 3
    assert seen == sorted(set(seen))
    assert seen[0] == 0.0 and seen[-1] == 1.0


def test_tiny_territories_work(tmp_path: Path) -> None:
    for accounts in (1, 2, 9):
        _, summary = make(tmp_path / str(accounts), accounts=accounts)
        assert summary.accounts == accounts
        assert summary.meetings >= 1
        assert summary.contacts >= accounts


# --- a believable territory -------------------------------------------------------------


def test_counts_are_in_the_expected_ranges(demo: Store, summary: DemoSummary) -> None:
    counts = row_counts(demo)
    assert summary.accounts == counts["account"] == 300
    assert 750 <= summary.contacts == counts["contact"] <= 1_050  # about 3 each
    assert 2_400 <= summary.activities == counts["activity"] <= 3_600  # about 10 each
    assert summary.meetings == counts["meeting"]
    assert summary.notes == counts["visit_note"]
    assert summary.tasks == counts["task"] > 0
    assert summary.open_disputes == 9  # 3%
    assert 300 <= counts["team_member"] <= 1_200
    assert counts["ladder_change"] >= 300


def test_every_rung_is_used_and_the_ladder_narrows(demo: Store) -> None:
    with demo.reading() as session:
        per_rung = dict(
            session.execute(
                select(Account.ladder_rung, func.count()).group_by(Account.ladder_rung)
            ).all()
        )
    assert set(per_rung) == set(LadderRung)
    assert per_rung[LadderRung.PROSPECT] > per_rung[LadderRung.PARTNER]
    assert per_rung[LadderRung.CUSTOMER] > per_rung[LadderRung.PARTNER]


def test_ladder_history_leads_to_the_current_rung(demo: Store) -> None:
    with demo.reading() as session:
        rungs = dict(session.execute(select(Account.id, Account.ladder_rung)).all())
        changes = session.scalars(select(LadderChange).order_by(LadderChange.changed_at)).all()
    history: dict[Any, list[LadderChange]] = defaultdict(list)
    for change in changes:
        history[change.account_id].append(change)
    assert set(history) == set(rungs)
    for account_id, steps in history.items():
        assert steps[0].from_rung is None
        assert steps[-1].to_rung is rungs[account_id]
        assert all(a.to_rung is b.from_rung for a, b in zip(steps, steps[1:], strict=False))


def test_companies_look_real(demo: Store) -> None:
    with demo.reading() as session:
        rows = session.scalars(select(Account)).all()
    assert len({a.name for a in rows}) == len(rows)
    assert any(not a.name.isascii() for a in rows)
    assert len({a.city for a in rows}) >= 20
    assert {"Germany", "United States", "Canada", "United Kingdom"} <= {a.country for a in rows}
    for account in rows:
        assert account.website and account.website.startswith("https://www.")
        assert account.website.isascii()
        assert account.street and account.postal_code and account.phone
        assert account.employees and account.employees >= 5
        assert account.territory == "demo" and account.owner_rep == "demo"
        assert account.version == 1 and account.deleted_at is None
        assert account.created_at <= account.updated_at < MIDNIGHT


def test_contacts_are_people_at_their_company(demo: Store) -> None:
    with demo.reading() as session:
        pairs = session.execute(select(Contact, Account.website).join(Account)).all()
    per_account: dict[Any, int] = defaultdict(int)
    for contact, website in pairs:
        per_account[contact.account_id] += 1
        assert contact.email and contact.email.isascii()
        assert contact.email.endswith("@" + website.removeprefix("https://www."))
        assert contact.title and contact.deal_role is not None
    assert set(per_account.values()) <= set(range(1, 7))
    assert len(per_account) == 300
    names = {c.first_name + " " + c.last_name for c, _ in pairs}
    assert any(not n.isascii() for n in names)


def test_team_members_have_roles_from_a_small_pool(demo: Store) -> None:
    with demo.reading() as session:
        team = session.scalars(select(TeamMember)).all()
    assert 10 <= len({t.name for t in team}) <= 30
    assert all(t.email and t.email.isascii() for t in team)


# --- the week ---------------------------------------------------------------------------


def week_meetings(store: Store) -> list[Meeting]:
    with store.reading() as session:
        return list(
            session.scalars(
                select(Meeting)
                .where(Meeting.starts_at >= MIDNIGHT, Meeting.starts_at < WEEK_END)
                .order_by(Meeting.starts_at)
            )
        )


def test_meetings_this_week_fill_business_hours(demo: Store) -> None:
    week = week_meetings(demo)
    assert 12 <= len(week) <= 20
    assert {m.starts_at.weekday() for m in week} == {0, 1, 2, 3, 4}
    for meeting in week:
        assert time(8) <= meeting.starts_at.time() and meeting.ends_at.time() <= time(17)
        assert timedelta(minutes=30) <= meeting.ends_at - meeting.starts_at <= timedelta(minutes=90)
        assert meeting.purpose and meeting.place
    for earlier, later in zip(week, week[1:], strict=False):
        assert earlier.ends_at <= later.starts_at  # one rep, one place at a time


def test_meetings_this_week_have_attendees_from_their_account(demo: Store) -> None:
    with demo.reading() as session:
        for meeting in week_meetings(demo):
            attendees = (
                session.execute(
                    select(Contact.account_id)
                    .join(MeetingAttendee, MeetingAttendee.contact_id == Contact.id)
                    .where(MeetingAttendee.meeting_id == meeting.id)
                )
                .scalars()
                .all()
            )
            assert 1 <= len(attendees) <= 3
            assert set(attendees) == {meeting.account_id}


def test_the_week_is_capped_however_big_the_territory() -> None:
    # Plans only: generating 100k accounts is the bench's job, not a unit test's.
    plan = DemoTerritory(100_000, 1, TODAY, "demo", "demo")
    assert 12 <= sum(len(slots) for slots in plan.week.values()) <= 20
    assert 1_900 <= sum(plan.past.values()) <= MAX_PAST_MEETINGS
    assert len(plan.disputed) == 3_000


def test_past_visits_have_notes_and_follow_ups(demo: Store, summary: DemoSummary) -> None:
    with demo.reading() as session:
        past = session.scalars(select(Meeting).where(Meeting.starts_at < MIDNIGHT)).all()
        notes = session.scalars(select(VisitNote)).all()
        tasks = session.scalars(select(Task)).all()
    assert 60 <= len(past) <= 300
    assert all(MIDNIGHT - timedelta(days=366) < m.starts_at for m in past)
    assert {n.meeting_id for n in notes} == {m.id for m in past}
    assert all(n.author == "demo" and n.body.count(".") >= 3 for n in notes)
    assert any(t.done for t in tasks)
    assert any(not t.done and t.due_date and t.due_date >= TODAY for t in tasks)
    assert any(not t.done and t.due_date and t.due_date < TODAY for t in tasks)  # overdue
    assert all(t.done_at is not None for t in tasks if t.done)


# --- years of activity ------------------------------------------------------------------


def test_activity_spans_years_and_stays_in_the_past(demo: Store) -> None:
    with demo.reading() as session:
        oldest, newest = session.execute(
            select(func.min(Activity.occurred_at), func.max(Activity.occurred_at))
        ).one()
        channels = set(session.scalars(select(Activity.channel).distinct()))
        kinds = set(session.scalars(select(Activity.type).distinct()))
        sources = set(session.scalars(select(Activity.source_system).distinct()))
    assert oldest < MIDNIGHT - timedelta(days=2 * 365) and newest < MIDNIGHT
    assert channels == set(Channel)
    assert kinds <= {k.value for k in ActivityType} and len(kinds) >= 15
    assert {"hubspot", "zendesk", "netsuite"} <= sources


def test_activity_titles_carry_their_details(demo: Store) -> None:
    for ticket in activities(demo, ActivityType.TICKET_OPENED):
        assert ticket.title.startswith(f"Ticket #{ticket.details['ticket']} opened: ")
        assert f"(severity {ticket.details['severity']})" in ticket.title
    for nps in activities(demo, ActivityType.NPS_RESPONSE):
        assert nps.title.startswith(f"NPS response: {nps.details['score']}")
    for overdue in activities(demo, ActivityType.INVOICE_OVERDUE):
        assert overdue.details["invoice"] in overdue.title and overdue.details["currency"]


def test_open_disputes_are_recent_and_unresolved(demo: Store, summary: DemoSummary) -> None:
    latest_resolution: dict[Any, datetime] = {}
    for resolved in activities(demo, ActivityType.DISPUTE_RESOLVED):
        latest_resolution[resolved.account_id] = resolved.occurred_at
    open_ones = [
        opened
        for opened in activities(demo, ActivityType.DISPUTE_OPENED)
        if opened.occurred_at
        > latest_resolution.get(opened.account_id, datetime.min.replace(tzinfo=UTC))
    ]
    assert len(open_ones) == summary.open_disputes == 9
    assert all(MIDNIGHT - timedelta(days=60) <= d.occurred_at < MIDNIGHT for d in open_ones)
    assert latest_resolution  # settled disputes exist too


def test_some_urgent_tickets_are_still_open(demo: Store) -> None:
    closed = {a.details["ticket"] for a in activities(demo, ActivityType.TICKET_CLOSED)}
    still_open = [
        t
        for t in activities(demo, ActivityType.TICKET_OPENED)
        if t.details["ticket"] not in closed and t.details["severity"] <= 2
    ]
    assert still_open


def test_some_invoices_are_overdue_and_unpaid(demo: Store) -> None:
    paid = {a.details["invoice"] for a in activities(demo, ActivityType.INVOICE_PAID)}
    overdue = activities(demo, ActivityType.INVOICE_OVERDUE)
    assert [a for a in overdue if a.details["invoice"] not in paid]
    assert [a for a in overdue if a.details["invoice"] in paid]  # and some were paid late


# --- search -----------------------------------------------------------------------------


def test_generated_names_are_found_by_their_first_word(demo: Store) -> None:
    directory = AccountDirectory(demo)
    for row in directory.page(AccountQuery(), 0, 20):
        found = directory.page(AccountQuery(text=row.name.split()[0]), 0, 300)
        assert row.id in {r.id for r in found}


def test_contacts_are_found_without_typing_accents(demo: Store) -> None:
    with demo.reading() as session:
        contacts = session.scalars(
            select(Contact).where(Contact.last_name.in_(("Núñez", "Müller")))
        ).all()
        assert contacts
        for contact in contacts:
            typed = unicodedata.normalize("NFKD", f"{contact.first_name} {contact.last_name}")
            query = fts_query(typed.encode("ascii", "ignore").decode())
            assert query is not None
            assert contact.account_id.hex in set(session.scalars(matching_account_ids(query)))


def test_synced_columns_are_set_on_every_table(demo: Store) -> None:
    with demo.reading() as session:
        for model in SYNCED_MODELS:
            bad = session.execute(
                select(func.count())
                .select_from(model)
                .where(
                    (model.version != 1)
                    | model.deleted_at.is_not(None)
                    | model.created_at.is_(None)
                    | (model.updated_at < model.created_at)
                )
            ).scalar_one()
            assert bad == 0, model.__name__


def test_some_key_contacts_have_believable_profiles(demo: Store, summary: DemoSummary) -> None:
    """Every demo answer is what the editor itself would store for its question, so the rep
    can edit it; there are birthdays and anniversaries coming up to be reminded of."""
    from db.profiles.book import ProfileBook
    from db.profiles.definition import load_definition
    from db.profiles.values import normalise_answer
    from db.store.models import ProfileAnswer

    definition = load_definition()
    with demo.reading() as session:
        answers = session.scalars(select(ProfileAnswer)).all()
        first_contacts = session.scalar(select(func.count(func.distinct(ProfileAnswer.contact_id))))
    assert summary.profile_answers == len(answers)
    assert 0.25 * summary.accounts < (first_contacts or 0) < 0.55 * summary.accounts
    for answer in answers:
        question = definition.by_id[answer.question_id]
        assert not question.sensitive and not answer.sensitive
        assert answer.id == answer_id(answer.contact_id, answer.question_id)
        assert normalise_answer(question, answer.value) == answer.value, answer.question_id
        assert answer.created_at < datetime.combine(TODAY, time(0), tzinfo=UTC)
    reminders = ProfileBook(demo).coming_up(TODAY)
    assert len(reminders) >= 10
    assert {r.kind for r in reminders} >= {"birthday", "anniversary"}
