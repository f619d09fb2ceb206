"""What the admins' pages read, on a real server store: users with roles and devices,
territories, events per source per day, the unmatched queue, policies, the audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from server import audit
from server.auth import AuthService
from server.console.admin_data import (
    audit_page,
    ingestion_health,
    policies,
    territories,
    users,
)
from server.devices import set_offline_days
from server.errors import BadRequest
from server.ingest import ApiKeys
from server.models import Device, IngestedEvent, User
from server.records import ScopedRecords
from server.settings import set_sensitive_policy
from tests.server.conftest import PASSWORD, Clock

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_users_are_listed_with_role_territories_and_devices(auth: AuthService) -> None:
    auth.add_user("mia", PASSWORD, ["north", "south"], role="manager")
    auth.add_user("ada", PASSWORD, [], role="admin")
    auth.set_disabled("ben")
    with auth.store.session() as session:
        ana = session.scalars(select(User).where(User.name == "ana")).one()
        for seen in (NOW - timedelta(days=2), NOW - timedelta(minutes=5)):
            session.add(Device(client_id=uuid.uuid4(), user_id=ana.id, last_seen_at=seen))
    with auth.store.session() as session:
        rows = {row.name: row for row in users(session)}
    assert list(rows) == ["ada", "ana", "ben", "mia"]
    ana = rows["ana"]
    assert (ana.role, ana.territories, ana.devices) == ("rep", ("north",), 2)
    assert rows["ana"].last_seen == NOW - timedelta(minutes=5)
    assert (rows["mia"].role, rows["mia"].territories) == ("manager", ("north", "south"))
    assert rows["ada"].every_territory and not rows["mia"].every_territory
    assert rows["ben"].disabled and not rows["ana"].disabled
    assert (rows["ben"].devices, rows["ben"].last_seen) == (0, None)


def test_territories_count_live_accounts_and_name_their_users(auth: AuthService) -> None:
    auth.add_territory("west")
    auth.add_user("mia", PASSWORD, ["north"], role="manager")
    with auth.store.session() as session:
        records = ScopedRecords(session, frozenset({"north"}), auth.clock)
        for name in ("A", "B", "C"):
            records.create("account", uuid.uuid4(), "north", {"name": name})
        gone = records.create("account", uuid.uuid4(), "north", {"name": "D"})
        gone.deleted_at = auth.clock()
        records.save(gone)
    with auth.store.session() as session:
        rows = {row.name: row for row in territories(session)}
    assert list(rows) == ["north", "south", "west"]
    assert rows["north"].accounts == 3
    assert rows["north"].users == (("ana", "rep"), ("mia", "manager"))
    assert (rows["west"].accounts, rows["west"].users) == (0, ())


def _event(auth: AuthService, source: str, at: datetime, status: str = "accepted") -> None:
    with auth.store.session() as session:
        session.add(
            IngestedEvent(
                source=source,
                event_id=str(uuid.uuid4()),
                status=status,
                reason=None if status == "accepted" else "no account with the domain x.example",
                event={"type": "email_opened", "domain": "x.example"},
                received_at=at,
            )
        )


def test_ingestion_health_counts_events_per_source_per_utc_day(
    auth: AuthService, clock: Clock
) -> None:
    keys = ApiKeys(auth.store, clock)
    keys.add("hubspot")
    keys.add("stripe")
    keys.revoke("stripe")
    keys.add("zendesk")  # no event yet
    for hours in (1, 2, 8.5):  # 8.5 hours before 09:00 is today still; 9.5 is yesterday
        _event(auth, "hubspot", NOW - timedelta(hours=hours))
    _event(auth, "hubspot", NOW - timedelta(hours=9.5))
    _event(auth, "hubspot", NOW - timedelta(days=13, hours=1))  # the window's first day
    _event(auth, "hubspot", NOW - timedelta(days=14, hours=1))  # before the window
    _event(auth, "stripe", NOW - timedelta(days=3), status="unmatched")
    _event(auth, "stripe", NOW - timedelta(days=20), status="unmatched")
    _event(auth, "legacy", NOW - timedelta(days=40))  # no key: sent by file import
    health = ingestion_health(auth.store, NOW)
    assert health.days[0] == date(2026, 11, 10) and health.days[-1] == date(2026, 11, 23)
    assert len(health.days) == 14
    sources = {s.source: s for s in health.sources}
    assert list(sources) == ["hubspot", "legacy", "stripe", "zendesk"]
    hubspot = sources["hubspot"]
    assert hubspot.per_day[-1] == 3 and hubspot.per_day[-2] == 1 and hubspot.per_day[0] == 1
    assert hubspot.total == 5
    assert hubspot.last_event == NOW - timedelta(hours=1)
    keys_now = (hubspot.key, sources["stripe"].key, sources["legacy"].key)
    assert keys_now == ("live", "revoked", "none")
    assert sources["stripe"].per_day[-4] == 1 and sources["stripe"].unmatched == 2
    assert sources["zendesk"].total == 0 and sources["zendesk"].last_event is None
    assert sources["legacy"].total == 0
    assert sources["legacy"].last_event == NOW - timedelta(days=40)
    assert health.waiting == 2
    assert [e.source for e in health.queue] == ["stripe", "stripe"]
    assert health.queue[0].received_at < health.queue[1].received_at  # oldest first
    assert health.queue[0].reference == "domain=x.example"


def test_the_queue_shows_a_screenful_and_says_how_many_wait(auth: AuthService) -> None:
    for n in range(105):
        _event(auth, "hubspot", NOW - timedelta(minutes=n), status="unmatched")
    health = ingestion_health(auth.store, NOW)
    assert (len(health.queue), health.waiting) == (100, 105)


def test_policies_as_they_stand(auth: AuthService) -> None:
    with auth.store.session() as session:
        before = policies(session)
        set_sensitive_policy(session, "off_devices")
        set_offline_days(session, 30)
    assert (before.sensitive_answers, before.retention_years, before.offline_days) == (
        "allowed",
        None,
        None,
    )
    with auth.store.session() as session:
        after = policies(session)
    assert (after.sensitive_answers, after.offline_days) == ("off_devices", 30)


def test_the_audit_log_pages_newest_first_with_filters(auth: AuthService) -> None:
    with auth.store.session() as session:
        for n in range(7):
            audit.record(
                session,
                action="user grant",
                actor="ada" if n % 2 else audit.ADMIN,
                subject="ana" if n < 5 else "ben",
                detail=f"territory t{n}",
                at=NOW - timedelta(days=7 - n),
            )
    with auth.store.session() as session:
        first = audit_page(session, size=3)
        assert [r.detail for r in first.rows] == ["territory t6", "territory t5", "territory t4"]
        second = audit_page(session, size=3, before=first.older)
        assert [r.detail for r in second.rows] == ["territory t3", "territory t2", "territory t1"]
        last = audit_page(session, size=3, before=second.older)
        assert [r.detail for r in last.rows] == ["territory t0"] and last.older is None
        by_ada = audit_page(session, user="ada")
        assert [r.detail for r in by_ada.rows] == ["territory t5", "territory t3", "territory t1"]
        about_ben = audit_page(session, user="ben")
        assert [r.detail for r in about_ben.rows] == ["territory t6", "territory t5"]
        recent = audit_page(session, since=(NOW - timedelta(days=2)).date())
        assert [r.detail for r in recent.rows] == ["territory t6", "territory t5"]


def test_the_audit_log_pages_by_time_even_when_entries_came_in_late(auth: AuthService) -> None:
    with auth.store.session() as session:
        for n, days in enumerate((3, 1, 2, 1)):  # the last one written shares a time
            audit.record(
                session, action="x", actor="ada", detail=f"e{n}", at=NOW - timedelta(days=days)
            )
    with auth.store.session() as session:
        first = audit_page(session, user="ada", size=2)
        assert [r.detail for r in first.rows] == ["e3", "e1"]
        rest = audit_page(session, user="ada", size=2, before=first.older)
        assert [r.detail for r in rest.rows] == ["e2", "e0"] and rest.older is None
        with pytest.raises(BadRequest):
            audit_page(session, before=10_000)
