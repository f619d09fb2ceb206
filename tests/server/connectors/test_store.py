"""What the connectors keep: the migration and the models agree (SQLite and PostgreSQL),
signatures match vectors computed apart (openssl), a stopped server's deliveries are taken
in at its next start, and events may name their account several ways (`also`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, update
from sqlalchemy.exc import OperationalError

from server.app import create_app
from server.auth import AuthService
from server.connectors.intake import Intake
from server.connectors.registry import Connectors
from server.connectors.verify import BadSignature, check_hubspot, check_stripe, check_zendesk
from server.ingest import ApiKeys
from server.models import HookDelivery, Record, ServerBase
from server.store import create_server_engine
from tests.helpers.live_server import serving
from tests.helpers.server_log import SERVER_TRACEBACKS
from tests.server.conftest import Clock
from tests.server.connectors.conftest import (
    ZENDESK_SECRET,
    Customers,
    body_of,
    payload,
    zendesk_signed,
)

TABLES = {"connector", "hook_delivery", "stripe_charge"}
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_the_migration_builds_exactly_the_connector_models(server_database_url: str) -> None:
    engine = create_server_engine(server_database_url)
    config = Config()
    config.set_main_option("script_location", "server:migrations")

    def ours(item: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        table = name if kind == "table" else getattr(getattr(item, "table", None), "name", None)
        return table in TABLES

    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": ours})
            assert compare_metadata(context, ServerBase.metadata) == []
        with engine.begin() as conn:  # down past it, and up again
            config.attributes["connection"] = conn
            command.downgrade(config, "s0011_console")
            assert not TABLES & set(inspect(conn).get_table_names())
            command.upgrade(config, "head")
            assert set(inspect(conn).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_signatures_match_vectors_computed_with_openssl() -> None:
    stripe_body = b'{"id":"evt_1","object":"event"}'
    good = "8ce0728e16c6cd5ab1481a9e26320da9d32901f94d2733c8a5c1943783840962"
    check_stripe(f"t=1795424400,v1={good}", stripe_body, "whsec_vector_secret", AT)
    check_zendesk(
        "rmHFEGw0XSAosK8814Gu6oxRTfadou8LlZp+XTIFxpk=",
        "2026-11-23T09:00:00Z",
        b'{"ticket_id":"1"}',
        "zendesk_vector_secret",
        AT,
    )
    check_hubspot(
        "f+cH0agu35ijBtWdZ9ebTGBducdY7JisnjwU4xdWMiQ=",
        "1795424400000",
        "POST",
        ["https://fieldbrief.example.com/v1/hooks/hubspot"],
        b'{"event":"email_opened"}',
        "hubspot_vector_secret",
        AT,
    )
    with pytest.raises(BadSignature):  # one character off
        check_stripe(f"t=1795424400,v1={good[:-1]}3", stripe_body, "whsec_vector_secret", AT)


def test_a_delivery_a_stopped_server_left_is_taken_in_when_it_starts_again(
    auth: AuthService, clock: Clock, customers: Customers
) -> None:
    connectors = Connectors(auth.store, clock)
    connectors.add("zendesk", ZENDESK_SECRET)
    body = body_of(payload("zendesk_ticket"))
    headers = zendesk_signed(body, clock.now)
    # Stored and answered, then the process died before its worker took it in.
    answer = Intake(auth.store, clock, connectors).receive(
        "zendesk", "POST", headers, body, "http://127.0.0.1/v1/hooks/zendesk", "/v1/hooks/zendesk"
    )
    assert answer.status == "stored"
    left = ticket_delivery(auth)
    # A second one another process had claimed, and died holding (its claim ran out)...
    stale = dict(payload("zendesk_ticket"), updated_at="2026-11-23T08:59:00Z")
    stale_body = body_of(stale)
    Intake(auth.store, clock, connectors).receive(
        "zendesk", "POST", zendesk_signed(stale_body, clock.now), stale_body, "x", "/"
    )
    claim(auth, "ticket-57303-20261123T085900Z", datetime.now(UTC) - timedelta(minutes=1))
    # ...and a third a live process holds: not ours to take.
    held = dict(payload("zendesk_ticket"), updated_at="2026-11-23T08:59:30Z")
    held_body = body_of(held)
    Intake(auth.store, clock, connectors).receive(
        "zendesk", "POST", zendesk_signed(held_body, clock.now), held_body, "x", "/"
    )
    claim(auth, "ticket-57303-20261123T085930Z", datetime.now(UTC) + timedelta(minutes=10))

    app = create_app(auth.store, auth)
    with serving(app):
        assert app.state.hooks.wait_idle(60)
        with auth.store.session() as session:
            statuses = {d.delivery_id: d.status for d in session.query(HookDelivery).all()}
    assert statuses == {
        left: "done",
        "ticket-57303-20261123T085900Z": "done",
        "ticket-57303-20261123T085930Z": "working",
    }


def ticket_delivery(auth: AuthService) -> str:
    with auth.store.session() as session:
        [delivery] = session.query(HookDelivery).all()
        assert delivery.status == "pending"
        return delivery.delivery_id


def claim(auth: AuthService, delivery_id: str, until: datetime) -> None:
    with auth.store.session() as session:
        session.execute(
            update(HookDelivery)
            .where(HookDelivery.delivery_id == delivery_id)
            .values(status="working", due_at=until, attempts=1)
        )


def test_an_event_may_name_its_account_several_ways_tried_in_turn(
    http: httpx.Client, auth: AuthService, customers: Customers
) -> None:
    key = ApiKeys(auth.store, auth.clock).add("billing")

    def event(event_id: str, **fields: Any) -> dict[str, Any]:
        return {
            "event_id": event_id,
            "type": "invoice_paid",
            "occurred_at": "2026-11-23T08:00:00Z",
            "details": {"invoice": "INV-1"},
            **fields,
        }

    sent = [
        event("e-1", crm_id="B-404", also=[{"domain": "nobody.example"},
                                           {"email": "zoe.berg@acme.example"}]),
        event("e-2", domain="nobody.example", also=[{"email": "who@nowhere.example"}]),
        event("e-3", domain="acme.example", also=[{"email": "x@y.example", "crm_id": "A-1"}]),
        event("e-4", domain="acme.example", also=[{"crm_id": "A-1"}] * 7),
    ]  # fmt: skip
    answer = http.post(
        "/v1/ingest/events", json={"events": sent}, headers={"Authorization": f"Bearer {key}"}
    ).json()
    results = {r["event_id"]: r for r in answer["results"]}
    assert results["e-1"]["status"] == "accepted"
    assert results["e-2"] == {
        "event_id": "e-2",
        "status": "unmatched",
        "error": "no account with the website domain nobody.example; "
        "no contact with the e-mail who@nowhere.example",
        "activity_id": None,
    }
    assert results["e-3"]["status"] == "rejected"
    assert results["e-3"]["error"].startswith("also.0: give exactly one account reference")
    assert results["e-4"]["error"].startswith("also: List should have at most 6 items")
    with auth.store.session() as session:
        paid = session.get(Record, ("activity", uuid.UUID(results["e-1"]["activity_id"])))
        assert paid is not None
        assert (paid.data["account_id"], paid.data["contact_id"]) == (
            str(customers.acme),
            str(customers.zoe),
        )


def test_a_delivery_the_database_failed_to_take_in_waits_and_is_taken_in_later(
    auth: AuthService,
    clock: Clock,
    customers: Customers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from server.connectors import worker as worker_module

    real = worker_module.take_in
    failures = [OperationalError("INSERT ...", {}, Exception("database is locked"))]

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop()
        return real(*args, **kwargs)

    monkeypatch.setattr(worker_module, "take_in", flaky)
    Connectors(auth.store, clock).add("zendesk", ZENDESK_SECRET)
    app = create_app(auth.store, auth)
    app.state.hooks.retry_after = (timedelta(0),)
    body = body_of(payload("zendesk_ticket"))
    with serving(app) as url:
        answer = httpx.post(f"{url}/v1/hooks/zendesk", content=body,
                            headers=zendesk_signed(body, clock.now), timeout=30)  # fmt: skip
        assert answer.json()["status"] == "stored"
        assert app.state.hooks.wait_idle(60)
    [logged] = SERVER_TRACEBACKS.take()  # the failure, with its traceback, as it should be
    assert logged.message == "zendesk deliveries could not be taken in; they are tried again"
    with auth.store.session() as session:
        [delivery] = session.query(HookDelivery).all()
        assert (delivery.status, delivery.attempts, delivery.payload) == ("done", 2, None)
        assert delivery.outcome is not None and delivery.outcome.startswith("accepted")
