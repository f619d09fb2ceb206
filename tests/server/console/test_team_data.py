"""The team page's figures on a real server store: per rep within the viewer's territories,
and the ladder's rungs with this quarter's moves up and down."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.auth import AuthService
from server.console.team_data import (
    KEY_DEAL_ROLES,
    Scope,
    TeamFigures,
    quarter_start,
    team_figures,
)
from server.models import Device, User
from server.records import ScopedRecords
from sync.enums import LadderRung
from tests.server.conftest import PASSWORD, Clock

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the clock fixture's; the quarter began Oct 1


def write(
    auth: AuthService, entity: str, territory: str, data: dict[str, Any], deleted: bool = False
) -> uuid.UUID:
    record_id = uuid.uuid4()
    with auth.store.session() as session:
        records = ScopedRecords(session, frozenset({territory}), auth.clock)
        record = records.create(entity, record_id, territory, data)
        if deleted:
            record.deleted_at = auth.clock()
            records.save(record)
    return record_id


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat()


def move(auth: AuthService, territory: str, before: str | None, after: str, at: str) -> None:
    change = {"account_id": str(uuid.uuid4()), "from_rung": before, "to_rung": after}
    write(auth, "ladder_change", territory, change | {"changed_at": at})


@pytest.fixture
def world(auth: AuthService, clock: Clock) -> AuthService:
    """North (ana's, and the manager mia's) and south (ben's), each with what is counted and
    what must not be."""
    auth.add_user("mia", PASSWORD, ["north"], role="manager")
    auth.add_user("cal", PASSWORD, [])  # a rep with no territory yet
    a = write(auth, "account", "north", {"name": "Acme", "ladder_rung": "client"})
    write(auth, "account", "north", {"name": "Bolt", "ladder_rung": "prospect"})
    write(auth, "account", "north", {"name": "Gone", "ladder_rung": "partner"}, deleted=True)
    write(auth, "account", "north", {"name": "Old"})  # no rung: a prospect
    key = write(auth, "contact", "north", {"account_id": str(a), "deal_role": "champion"})
    write(auth, "contact", "north", {"account_id": str(a), "deal_role": "decision_maker"})
    other = write(auth, "contact", "north", {"account_id": str(a), "deal_role": "user"})
    write(auth, "contact", "north", {"account_id": str(a), "deal_role": "champion"}, deleted=True)
    for contact, question, value in (
        (key, "nickname", "Bo"),
        (key, "birth_date", "1980-02-03"),
        (key, "contact_details", ""),  # cleared: not an answer
        (key, "hobbies", None),
        (other, "nickname", "Al"),  # not a key contact
    ):
        answer = {"contact_id": str(contact), "question_id": question, "value": value}
        write(auth, "profile_answer", "north", answer)
    for due, done in (
        (ago(days=3), False),  # overdue
        (ago(days=30), False),  # overdue
        (ago(days=3), True),  # done
        ((NOW + timedelta(days=2)).isoformat(), False),  # not due yet
        (NOW.isoformat(), False),  # due today: not overdue yet
    ):
        write(auth, "task", "north", {"due_date": due[:10], "done": done, "title": "Call"})
    write(auth, "task", "north", {"title": "No day", "due_date": None})
    write(auth, "lead", "north", {"status": "new", "campaign": "Fair"})
    write(auth, "lead", "north", {"status": "accepted", "campaign": "Fair"})
    meeting = write(auth, "meeting", "north", {"starts_at": ago(days=10)})
    old_meeting = write(auth, "meeting", "north", {"starts_at": ago(days=45)})
    for note in (
        {"author": "ana", "check_in_at": ago(days=5)},
        {"author": "ana", "meeting_id": str(meeting)},
        {"author": "ana", "meeting_id": str(old_meeting)},  # 45 days ago: before the window
        {"author": "ana", "check_in_at": ago(days=40)},  # synced now, of a visit long ago
        {"author": "ana"},  # dated by when it reached the server: now
        {"author": "ben", "check_in_at": ago(days=1)},  # ben does not hold north
        {"author": None, "check_in_at": ago(days=1)},
    ):
        write(auth, "visit_note", "north", note)
    clock.now = NOW - timedelta(days=60)
    write(auth, "visit_note", "north", {"author": "ana"})  # reached the server 60 days ago
    clock.now = NOW
    move(auth, "north", "prospect", "customer", ago(days=20))
    move(auth, "north", "customer", "client", ago(days=2))
    move(auth, "north", "client", "prospect", ago(days=1))  # down
    move(auth, "north", None, "prospect", ago(days=1))  # a first rung: no move
    move(auth, "north", "prospect", "customer", "2026-09-30T22:00:00+00:00")  # last quarter
    # Late on Sept 30 in New York is already Oct 1 in UTC: this quarter's.
    move(auth, "north", "customer", "client", "2026-09-30T21:30:00-04:00")
    s = write(auth, "account", "south", {"name": "Sud", "ladder_rung": "advocate"})
    ben_key = write(auth, "contact", "south", {"account_id": str(s), "deal_role": "economic_buyer"})
    answer = {"contact_id": str(ben_key), "question_id": "nickname", "value": "Sam"}
    write(auth, "profile_answer", "south", answer)
    write(auth, "lead", "south", {"status": "new", "campaign": "Web"})
    write(auth, "lead", "south", {"status": "new", "campaign": "Web"})
    move(auth, "south", "supporter", "advocate", ago(days=3))
    with auth.store.session() as session:
        ana = session.scalars(select(User).where(User.name == "ana")).one()
        for seen in (NOW - timedelta(hours=5), NOW - timedelta(days=3)):
            session.add(
                Device(
                    client_id=uuid.uuid4(), user_id=ana.id, registered_at=seen, last_seen_at=seen
                )
            )
    return auth


def figures(auth: AuthService, territories: set[str] | None) -> TeamFigures:
    with auth.store.session() as session:
        scope = Scope(None if territories is None else frozenset(territories))
        return team_figures(session, scope, NOW)


def test_a_manager_sees_the_reps_of_their_territories_only(world: AuthService) -> None:
    team = figures(world, {"north"})
    assert [r.rep for r in team.reps] == ["ana"]  # not ben (south), not cal (none)
    (ana,) = team.reps
    assert ana.territories == ("north",)
    assert (ana.key_contacts, ana.key_profiled, ana.key_answered) == (2, 1, 2)
    assert ana.questions == 66
    assert ana.completeness == pytest.approx(2 / (2 * 66))
    assert ana.visits == 3  # check-in 5 days ago, a meeting 10 days ago, one received now
    assert ana.overdue == 2
    assert ana.leads_waiting == 1
    assert ana.last_sync == NOW - timedelta(hours=5)
    assert team.visits_since == date(2026, 10, 24)


def test_the_ladder_counts_live_accounts_and_this_quarters_moves(world: AuthService) -> None:
    team = figures(world, {"north"})
    assert team.quarter_start == date(2026, 10, 1)
    rungs = {r.rung: (r.accounts, r.moved_up, r.moved_down) for r in team.ladder}
    assert list(rungs) == list(LadderRung)
    assert rungs[LadderRung.PROSPECT] == (2, 0, 1)
    assert rungs[LadderRung.CUSTOMER] == (0, 1, 0)
    assert rungs[LadderRung.CLIENT] == (1, 2, 0)
    assert rungs[LadderRung.PARTNER] == (0, 0, 0)  # deleted
    assert rungs[LadderRung.ADVOCATE] == (0, 0, 0)  # south's
    assert (team.moved_up, team.moved_down) == (3, 1)


def test_an_admin_sees_every_rep_and_territory(world: AuthService) -> None:
    team = figures(world, None)
    assert [r.rep for r in team.reps] == ["ana", "ben", "cal"]
    ana, ben, cal = team.reps
    assert ana.visits == 3  # ben's note in north is not counted for him: north is not his
    assert (ben.territories, ben.key_contacts, ben.key_profiled, ben.leads_waiting) == (
        ("south",),
        1,
        1,
        2,
    )
    assert (ben.visits, ben.overdue, ben.last_sync) == (0, 0, None)
    assert (cal.territories, cal.key_contacts, cal.completeness) == ((), 0, 0.0)
    rungs = {r.rung: r for r in team.ladder}
    assert rungs[LadderRung.ADVOCATE].accounts == 1
    assert rungs[LadderRung.ADVOCATE].moved_up == 1
    assert team.moved_up == 4


def test_a_manager_of_two_territories_sees_each_reps_figures_within_them(
    world: AuthService,
) -> None:
    world.grant("ana", "south")  # ana holds both; a manager of south sees her south only
    team = figures(world, {"south"})
    assert [(r.rep, r.territories) for r in team.reps] == [("ana", ("south",)), ("ben", ("south",))]
    assert [r.leads_waiting for r in team.reps] == [2, 2]
    assert [r.key_contacts for r in team.reps] == [1, 1]


def test_no_territory_given_means_no_reps_and_an_empty_ladder(world: AuthService) -> None:
    team = figures(world, set())
    assert team.reps == ()
    assert all(r.accounts == r.moved_up == r.moved_down == 0 for r in team.ladder)


def test_key_roles_are_the_apps() -> None:
    from db.profiles.tiers import KEY_DEAL_ROLES as APP_KEY_ROLES

    assert frozenset(KEY_DEAL_ROLES) == APP_KEY_ROLES


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (date(2026, 1, 1), date(2026, 1, 1)),
        (date(2026, 3, 31), date(2026, 1, 1)),
        (date(2026, 4, 1), date(2026, 4, 1)),
        (date(2026, 11, 23), date(2026, 10, 1)),
        (date(2026, 12, 31), date(2026, 10, 1)),
    ],
)
def test_quarters_begin_on_the_first_of_january_april_july_october(day: date, start: date) -> None:
    assert quarter_start(day) == start
