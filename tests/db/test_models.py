"""The sync-ready row contract: device-made UUIDs, UTC times, versions, soft deletes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import StatementError

from db.store.local_store import Store
from db.store.models import Account, Activity
from tests.helpers.factories import add_account, add_activity


def test_rows_get_a_uuid_utc_timestamps_and_version_one(store: Store) -> None:
    account_id = add_account(store, "Acme")
    with store.reading() as session:
        account = session.get(Account, account_id)
        assert account is not None
        assert isinstance(account.id, uuid.UUID) and account.id.version == 4
        assert account.created_at.tzinfo is UTC
        assert account.updated_at >= account.created_at
        assert account.version == 1
        assert account.deleted_at is None


def test_every_update_bumps_the_version_and_updated_at(store: Store) -> None:
    account_id = add_account(store, "Acme")
    with store.reading() as session:
        before = session.get(Account, account_id)
    for new_name in ("Acme Ltd", "Acme Holdings"):
        with store.session() as session:
            account = session.get(Account, account_id)
            assert account is not None
            account.name = new_name
    with store.reading() as session:
        after = session.get(Account, account_id)
    assert before is not None and after is not None
    assert after.version == 3
    assert after.updated_at > before.updated_at


def test_naive_datetimes_are_refused(store: Store) -> None:
    account_id = add_account(store, "Acme")
    with pytest.raises(StatementError, match="naive datetime"), store.session() as session:
        session.add(
            Activity(
                account_id=account_id,
                channel="marketing",
                type="email_opened",
                title="x",
                occurred_at=datetime(2026, 1, 1, 12, 0),
            )
        )


def test_times_in_other_zones_are_stored_as_utc(store: Store) -> None:
    account_id = add_account(store, "Acme")
    activity_id = add_activity(store, account_id, "Opened email")
    from zoneinfo import ZoneInfo

    berlin = datetime(2026, 6, 1, 14, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    with store.session() as session:
        activity = session.get(Activity, activity_id)
        assert activity is not None
        activity.occurred_at = berlin
    with store.reading() as session:
        stored = session.get(Activity, activity_id)
        assert stored is not None
        assert stored.occurred_at == berlin
        assert stored.occurred_at.hour == 12 and stored.occurred_at.tzinfo is UTC


def test_unknown_activity_types_from_newer_sources_are_kept(store: Store) -> None:
    account_id = add_account(store, "Acme")
    activity_id = add_activity(store, account_id, "Podcast listened", type="podcast_listened")
    with store.reading() as session:
        activity = session.get(Activity, activity_id)
        assert activity is not None and activity.type == "podcast_listened"
