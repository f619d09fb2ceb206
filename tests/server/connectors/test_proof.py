"""The issue's proof, over real HTTP: a signed Stripe charge.dispute.created, and a Zendesk
ticket raised to urgent, each reach the STOP line of that account's briefing on a laptop
after one sync."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from db.briefing.report import briefing_html
from db.briefing.rules import STOP
from db.briefing.service import BriefingService
from db.store.local_store import Store
from db.store.replica import LocalReplica
from sync.engine import SyncEngine
from tests.server.conftest import PASSWORD
from tests.server.connectors.conftest import (
    STRIPE_KEY,
    STRIPE_SECRET,
    ZENDESK_SECRET,
    Customers,
    Hooks,
    body_of,
    payload,
    stripe_signed,
    zendesk_signed,
)
from tests.server.connectors.fake_stripe import fake_stripe_api


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "laptop")
    yield store
    store.close()


def sync_and_brief(hooks: Hooks, laptop: Store, account: uuid.UUID) -> tuple[str, str, str]:
    """One sync as ana, then the account's briefing: (first warning's level, its "what to do
    first", the briefing's document)."""
    with httpx.Client(base_url=hooks.url, timeout=30) as client:
        outcome = SyncEngine(LocalReplica(laptop), client, "ana", PASSWORD).run()
    assert outcome.pulled > 0 and outcome.set_aside == 0
    briefing = BriefingService(laptop).briefing(account, now=hooks.clock.now + timedelta(hours=1))
    assert briefing is not None
    first = briefing.warnings[0]
    return first.level, first.first, briefing_html(briefing)


def test_a_signed_stripe_dispute_puts_stop_in_the_briefing_after_one_sync(
    hooks: Hooks, customers: Customers, laptop: Store
) -> None:
    with fake_stripe_api() as stripe_api:
        stripe_api.charges["ch_3QdSoY2eZvKYlo2C0ufqUn7G"] = payload("stripe_charge")
        hooks.connectors.add("stripe", STRIPE_SECRET, api_key=STRIPE_KEY, api_url=stripe_api.url)
        body = body_of(payload("stripe_dispute_created"))  # nothing but the dispute
        answer = hooks.post("stripe", body, stripe_signed(body, hooks.clock.now))
        assert answer.json()["status"] == "stored"
        hooks.settle()

    level, first, document = sync_and_brief(hooks, laptop, customers.acme)
    assert (level, first) == (STOP, "STOP: open dispute, do not pitch")
    assert "Dispute: dispute du_1QdSpK2eZvKYlo2CXdzFbN6Q, 1,200 EUR (fraudulent)" in document
    assert "STOP" in document


def test_a_zendesk_ticket_raised_to_urgent_puts_stop_in_the_briefing_after_one_sync(
    hooks: Hooks, customers: Customers, laptop: Store
) -> None:
    hooks.connectors.add("zendesk", ZENDESK_SECRET)
    body = body_of(payload("zendesk_ticket"))  # open, priority urgent
    answer = hooks.post("zendesk", body, zendesk_signed(body, hooks.clock.now))
    assert answer.json()["status"] == "stored"
    hooks.settle()

    level, first, document = sync_and_brief(hooks, laptop, customers.acme)
    assert (level, first) == (STOP, "STOP: urgent ticket open, do not pitch")
    assert "Ticket #57303 (urgent): Sync stuck at 80% since the update" in document
