"""Stripe webhooks over real HTTP: signatures (wrong, old, rolled), retries, unknown types,
disputes, invoices and churn as our events, finding the account, and the charge lookup."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.app import create_app
from server.auth import AuthService
from server.connectors.intake import Intake
from server.connectors.registry import Connectors
from server.connectors.stripe import TAKEN
from server.ingest import rematch, unmatched_events
from server.models import Record
from tests.helpers.live_server import serving
from tests.server.conftest import Clock
from tests.server.connectors.conftest import (
    STRIPE_KEY,
    STRIPE_SECRET,
    Customers,
    Hooks,
    body_of,
    payload,
    stripe_signed,
)
from tests.server.connectors.fake_stripe import FakeStripe, fake_stripe_api

CHARGE = "ch_3QdSoY2eZvKYlo2C0ufqUn7G"
CUSTOMER = "cus_RWBzJ0cA8aT3jH"
DISPUTE = "du_1QdSpK2eZvKYlo2CXdzFbN6Q"


def send(hooks: Hooks, document: dict[str, Any], *secrets: str) -> dict[str, Any]:
    body = body_of(document)
    answer = hooks.post("stripe", body, stripe_signed(body, hooks.clock.now, *secrets))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def variant(name: str, event_id: str, kind: str | None = None, **fields: Any) -> dict[str, Any]:
    """A fixture with another event id (and type), its object's fields changed."""
    document = copy.deepcopy(payload(name))
    document["id"] = event_id
    if kind is not None:
        document["type"] = kind
    document["data"]["object"].update(fields)
    return document


def by_type(hooks: Hooks) -> dict[str, dict[str, Any]]:
    return {a["type"]: a for a in hooks.activities()}


@pytest.fixture
def stripe(hooks: Hooks) -> Hooks:
    hooks.connectors.add("stripe", STRIPE_SECRET)
    return hooks


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    with fake_stripe_api() as fake:
        fake.charges[CHARGE] = payload("stripe_charge")
        yield fake


def test_a_dispute_on_a_charge_an_invoice_told_of_opens_on_its_account(
    stripe: Hooks, customers: Customers
) -> None:
    invoice = payload("stripe_invoice_payment_failed")
    assert send(stripe, invoice) == {
        "status": "stored",
        "delivery_id": invoice["id"],
        "message": None,
    }
    stripe.settle()
    assert send(stripe, payload("stripe_dispute_created"))["status"] == "stored"
    stripe.settle()

    found = by_type(stripe)
    failed = found["invoice_overdue"]
    assert (failed["account_id"], failed["contact_id"]) == (str(customers.acme), str(customers.zoe))
    assert (failed["territory"], failed["channel"], failed["source_system"]) == (
        "north",
        "billing",
        "stripe",
    )
    assert failed["title"] == "Payment failed: invoice F3A1C2-0007, 1,200 EUR"
    assert failed["details"] == {
        "invoice": "F3A1C2-0007",
        "amount": 1200,
        "currency": "EUR",
        "status": "payment failed",
    }
    opened = found["dispute_opened"]
    assert (opened["account_id"], opened["channel"]) == (str(customers.acme), "service")
    assert opened["occurred_at"] == "2026-11-23T09:00:00+00:00"
    assert opened["title"] == (
        "Dispute opened on invoice F3A1C2-0007: 1,200 EUR (fraudulent); evidence due 2026-12-02"
    )
    assert opened["details"] == {
        "dispute": DISPUTE,
        "charge": CHARGE,
        "invoice": "F3A1C2-0007",
        "amount": 1200,
        "currency": "EUR",
        "reason": "fraudulent",
        "status": "needs response",
        "evidence_due": "2026-12-02",
    }
    taken = stripe.taken("stripe", "evt_1QdSpL2eZvKYlo2Cmn9gAO2t")
    assert taken is not None and taken.status == "accepted"
    deliveries = stripe.deliveries()
    assert {d.status for d in deliveries.values()} == {"done"}
    # Taken in: the event is kept in ingested_event (GDPR finds it there), not twice.
    assert all(d.payload is None for d in deliveries.values())


def test_a_wrong_secret_an_old_or_missing_signature_is_refused_and_logged_without_the_body(
    stripe: Hooks, customers: Customers, caplog: pytest.LogCaptureFixture
) -> None:
    body = body_of(payload("stripe_dispute_created"))
    now = stripe.clock.now
    refused = {
        "wrong secret": stripe_signed(body, now, "whsec_someone_elses_secret_42"),
        "6 minutes old": stripe_signed(body, now - timedelta(minutes=6)),
        "6 minutes ahead": stripe_signed(body, now + timedelta(minutes=6)),
        "test-mode v0 only": stripe_signed(body, now, scheme="v0"),
        "another body": stripe_signed(body.replace(b"120000", b"12"), now),
        "no header": {"Content-Type": "application/json"},
        "no timestamp": {"Stripe-Signature": "v1=" + "0" * 64},
    }
    with caplog.at_level(logging.WARNING, logger="server.connectors"):
        answers = {case: stripe.post("stripe", body, headers) for case, headers in refused.items()}
    for case, answer in answers.items():
        assert answer.status_code == 401, case
        assert answer.json()["error"] == "bad_signature", case
    assert "6 minutes old" in answers["6 minutes old"].json()["message"]
    assert "6 minutes ahead" in answers["6 minutes ahead"].json()["message"]
    assert answers["wrong secret"].json()["message"] == (
        "the Stripe-Signature does not match this connector's secret"
    )
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("server.connectors")]
    assert len(logged) == len(refused)
    assert all(line.startswith("stripe webhook refused: ") for line in logged)
    for secretive in (DISPUTE, CHARGE, "fraudulent", "120000", STRIPE_SECRET):
        assert not any(secretive in line for line in logged)
    assert stripe.deliveries() == {} and stripe.activities() == []


def test_while_a_secret_is_rolled_either_signature_will_do(
    stripe: Hooks, customers: Customers
) -> None:
    rolled = "whsec_test_rolled_9Hk2mPq7Xc4Vb1Nz"
    # Stripe signs with the new secret and the old one while both are live.
    first = variant("stripe_invoice_payment_failed", "evt_roll_1")
    assert send(stripe, first, rolled, STRIPE_SECRET)["status"] == "stored"
    stripe.connectors.add("stripe", rolled, replace=True)
    second = variant("stripe_invoice_payment_failed", "evt_roll_2", "invoice.overdue")
    assert send(stripe, second, rolled, STRIPE_SECRET)["status"] == "stored"
    third = variant("stripe_invoice_payment_failed", "evt_roll_3", "invoice.paid")
    body = body_of(third)
    old_only = stripe.post("stripe", body, stripe_signed(body, stripe.clock.now, STRIPE_SECRET))
    assert old_only.status_code == 401
    stripe.settle()
    assert sorted(a["type"] for a in stripe.activities()) == ["invoice_overdue", "invoice_overdue"]


def test_a_retry_days_later_is_a_duplicate_and_writes_nothing(
    stripe: Hooks, customers: Customers
) -> None:
    invoice = payload("stripe_invoice_payment_failed")
    assert send(stripe, invoice)["status"] == "stored"
    stripe.settle()
    [before] = stripe.activities()
    stripe.clock.advance(days=2)  # Stripe retries for three days, signing each try anew
    assert send(stripe, invoice) == {
        "status": "duplicate",
        "delivery_id": invoice["id"],
        "message": None,
    }
    stripe.settle()
    assert stripe.activities() == [before]


def test_an_event_type_fieldbrief_does_not_take_is_accepted_and_ignored(
    stripe: Hooks, customers: Customers
) -> None:
    unknown = payload("stripe_customer_created")
    answer = send(stripe, unknown)
    assert answer["status"] == "ignored"
    assert answer["message"].startswith("Fieldbrief takes no customer.created events (only ")
    assert all(kind in answer["message"] for kind in TAKEN)
    assert send(stripe, unknown)["status"] == "duplicate"
    stripe.settle()
    [delivery] = stripe.deliveries().values()
    assert (delivery.kind, delivery.status, delivery.payload) == (
        "customer.created",
        "ignored",
        None,
    )
    assert stripe.activities() == []


def test_invoices_become_billing_events_and_a_written_off_one_a_credit_hold(
    stripe: Hooks, customers: Customers
) -> None:
    overdue = variant(
        "stripe_invoice_payment_failed", "evt_overdue", "invoice.overdue", due_date=1794787200
    )
    yen = {"number": "F3A1C2-0008", "currency": "jpy", "charge": None}
    written_off = variant(
        "stripe_invoice_payment_failed",
        "evt_written_off",
        "invoice.marked_uncollectible",
        amount_remaining=5_000_000,
        **yen,
    )
    paid = variant(
        "stripe_invoice_payment_failed",
        "evt_paid",
        "invoice.paid",
        amount_paid=5_000_000,
        amount_remaining=0,
        status="paid",
        **yen,
    )
    for document in (overdue, written_off, paid):
        assert send(stripe, document)["status"] == "stored"
    stripe.settle()
    found = by_type(stripe)
    assert {k: (a["channel"], a["title"]) for k, a in found.items()} == {
        "invoice_overdue": ("billing", "Invoice F3A1C2-0007 overdue: 1,200 EUR"),
        "credit_hold": (
            "billing",
            "Credit hold: invoice F3A1C2-0008 (5,000,000 JPY) marked uncollectible",
        ),
        "invoice_paid": ("billing", "Invoice F3A1C2-0008 paid: 5,000,000 JPY"),
    }
    assert found["invoice_overdue"]["details"]["due_date"] == "2026-11-16"
    # The hold names its invoice: paying that invoice lifts it on the laptop.
    assert found["credit_hold"]["details"] == {
        "invoice": "F3A1C2-0008",
        "amount": 5_000_000,
        "currency": "JPY",
        "reason": "invoice F3A1C2-0008 uncollectible",
    }
    assert {a["account_id"] for a in found.values()} == {str(customers.acme)}


def test_a_deleted_subscription_is_churn_found_by_the_crm_id_in_its_metadata(
    stripe: Hooks, customers: Customers
) -> None:
    churn = payload("stripe_subscription_deleted")
    churn["data"]["object"]["metadata"] = {"crm_id": "A-1"}
    assert send(stripe, churn)["status"] == "stored"
    stripe.settle()
    [cancelled] = stripe.activities()
    assert cancelled["type"] == "subscription_cancelled"
    assert (cancelled["account_id"], cancelled["channel"]) == (str(customers.acme), "billing")
    assert cancelled["title"] == "Subscription cancelled: Fleet Pro (too expensive)"
    assert cancelled["details"] == {
        "subscription": "sub_1QdSiR2eZvKYlo2CqE0xk2Lb",
        "plan": "Fleet Pro",
        "reason": "too expensive",
    }
    # Its customer is linked to Acme now: a dispute on that customer's charge finds it.
    invoice = variant("stripe_invoice_payment_failed", "evt_no_email", customer_email=None)
    assert send(stripe, invoice)["status"] == "stored"
    stripe.settle()
    assert {a["account_id"] for a in stripe.activities()} == {str(customers.acme)}


def test_an_unknown_charge_is_looked_up_with_the_restricted_key_after_the_answer(
    stripe: Hooks, customers: Customers, fake_stripe: FakeStripe
) -> None:
    stripe.connectors.add(
        "stripe", STRIPE_SECRET, replace=True, api_key=STRIPE_KEY, api_url=fake_stripe.url
    )
    fake_stripe.go_on.clear()  # Stripe's API keeps the worker waiting
    answer = send(stripe, payload("stripe_dispute_created"))
    # Answered while the lookup is still to come or waiting: never on the request's path.
    assert answer["status"] == "stored"
    assert fake_stripe.asked.wait(30), "the worker never asked Stripe"
    assert stripe.activities() == []
    fake_stripe.go_on.set()
    stripe.settle()

    [opened] = stripe.activities()
    assert (opened["type"], opened["account_id"], opened["contact_id"]) == (
        "dispute_opened",
        str(customers.acme),
        str(customers.zoe),  # the charge's customer's e-mail
    )
    assert fake_stripe.requests == [
        (f"/v1/charges/{CHARGE}", "expand%5B%5D=customer", f"Bearer {STRIPE_KEY}")
    ]
    # The charge is known now: its next event asks Stripe nothing.
    update = variant("stripe_dispute_created", "evt_update", "charge.dispute.updated")
    update["data"]["object"]["status"] = "under_review"
    assert send(stripe, update)["status"] == "stored"
    stripe.settle()
    assert len(fake_stripe.requests) == 1
    updated = by_type(stripe)["dispute_updated"]
    assert updated["title"] == "Dispute updated: under review (1,200 EUR)"


def test_when_stripe_cannot_answer_the_delivery_waits_and_is_tried_again(
    stripe: Hooks, customers: Customers, fake_stripe: FakeStripe, caplog: pytest.LogCaptureFixture
) -> None:
    stripe.connectors.add(
        "stripe", STRIPE_SECRET, replace=True, api_key=STRIPE_KEY, api_url=fake_stripe.url
    )
    stripe.worker.retry_after = (timedelta(0),) * 4  # at once, not after minutes
    fake_stripe.failures = [503, 429]
    with caplog.at_level(logging.WARNING, logger="server.connectors"):
        assert send(stripe, payload("stripe_dispute_created"))["status"] == "stored"
        stripe.settle()
    [opened] = stripe.activities()
    assert opened["account_id"] == str(customers.acme)
    assert len(fake_stripe.requests) == 3
    waits = [r for r in caplog.records if "waits to ask Stripe again" in r.getMessage()]
    assert len(waits) == 2 and not any(r.exc_info for r in waits)

    # Stripe down for good: after the last try the dispute does without, and waits unmatched.
    fake_stripe.failures = [503] * 10
    later = variant("stripe_dispute_created", "evt_other_dispute", charge="ch_unknown_1")
    assert send(stripe, later)["status"] == "stored"
    stripe.settle()
    taken = stripe.taken("stripe", "evt_other_dispute")
    assert taken is not None and taken.status == "unmatched"
    assert len(fake_stripe.requests) == 3 + 5  # the first try and four more


def test_a_dispute_nobody_can_place_waits_unmatched_until_an_invoice_names_its_charge(
    stripe: Hooks, customers: Customers
) -> None:
    dispute = payload("stripe_dispute_created")
    assert send(stripe, dispute)["status"] == "stored"
    stripe.settle()
    taken = stripe.taken("stripe", dispute["id"])
    assert taken is not None and taken.status == "unmatched"
    [waiting] = unmatched_events(stripe.auth.store)
    assert (waiting.source, waiting.type, waiting.reference) == (
        "stripe",
        "dispute_opened",
        f"crm_id=stripe:{CHARGE}",
    )
    assert waiting.reason == f"no account imported with CRM id stripe:{CHARGE}"
    [delivery] = stripe.deliveries().values()
    assert delivery.outcome is not None and delivery.outcome.startswith("unmatched")

    # The invoice that charge paid tells whose it is; a rematch then places the dispute.
    assert send(stripe, payload("stripe_invoice_payment_failed"))["status"] == "stored"
    stripe.settle()
    assert rematch(stripe.auth.store, stripe.clock).matched == 1
    assert by_type(stripe)["dispute_opened"]["account_id"] == str(customers.acme)


def test_a_dispute_first_heard_of_in_an_update_opens_then_changes_then_closes(
    stripe: Hooks, customers: Customers
) -> None:
    assert send(stripe, payload("stripe_invoice_payment_failed"))["status"] == "stored"
    stripe.settle()
    # Set up after the dispute was opened: its first event here is an update.
    first = variant("stripe_dispute_created", "evt_u1", "charge.dispute.updated")
    first["data"]["object"]["status"] = "under_review"
    second = variant("stripe_dispute_created", "evt_u2", "charge.dispute.updated")
    second["data"]["object"]["status"] = "under_review"
    closed = variant("stripe_dispute_created", "evt_closed", "charge.dispute.closed")
    closed["data"]["object"]["status"] = "lost"
    for document in (first, second, closed):
        assert send(stripe, document)["status"] == "stored"
        stripe.settle()
    found = by_type(stripe)
    assert found["dispute_opened"]["occurred_at"] == "2026-11-23T08:59:58+00:00"  # its own
    assert found["dispute_opened"]["title"].startswith("Dispute opened on invoice F3A1C2-0007")
    assert found["dispute_updated"]["title"] == "Dispute updated: under review (1,200 EUR)"
    assert found["dispute_resolved"]["title"] == "Dispute closed: lost (1,200 EUR)"
    assert found["dispute_resolved"]["details"]["status"] == "lost"


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["data"]["object"].pop("charge"), "data.object.charge: Field required"),
        (
            lambda d: d["data"]["object"].update(amount=-5),
            "data.object.amount: Input should be greater than or equal to 0",
        ),
        (
            lambda d: d["data"]["object"].update(charge="../v1/balance"),
            "data.object.charge: String should match pattern",
        ),
        (lambda d: d.update(object="charge"), "object: Input should be 'event'"),
        (lambda d: d.pop("data"), "data: Field required"),
    ],
)
def test_a_signed_body_that_is_no_stripe_event_is_400_with_the_field(
    stripe: Hooks, customers: Customers, change: Any, problem: str
) -> None:
    document = payload("stripe_dispute_created")
    change(document)
    body = body_of(document)
    answer = stripe.post("stripe", body, stripe_signed(body, stripe.clock.now))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "bad_delivery"
    assert answer.json()["message"].startswith(problem)
    assert stripe.deliveries() == {}


def test_bodies_that_are_not_json_too_large_or_for_no_connector_are_refused(
    hooks: Hooks, customers: Customers
) -> None:
    body = body_of(payload("stripe_dispute_created"))
    assert hooks.post("stripe", body, stripe_signed(body, hooks.clock.now)).status_code == 404
    hooks.connectors.add("stripe", STRIPE_SECRET)
    for raw in (b"not json", b"\xff\xfe{", _nested(200_000), b"[1, 2]"):
        answer = hooks.post("stripe", raw, stripe_signed(raw, hooks.clock.now))
        assert answer.status_code == 400, raw[:20]
    huge = b" " * (1024 * 1024 + 1)
    assert hooks.post("stripe", huge, stripe_signed(huge, hooks.clock.now)).status_code == 413
    assert hooks.deliveries() == {}


def test_a_backlog_is_taken_in_in_order_so_a_dispute_finds_what_its_invoice_taught(
    auth: AuthService, clock: Clock, customers: Customers
) -> None:
    connectors = Connectors(auth.store, clock)
    connectors.add("stripe", STRIPE_SECRET)
    intake = Intake(auth.store, clock, connectors)
    # Both stored (and answered) while no worker ran: a server stopped, then started.
    for name in ("stripe_invoice_payment_failed", "stripe_dispute_created"):
        body = body_of(payload(name))
        headers = stripe_signed(body, clock.now)
        path = "/v1/hooks/stripe"
        assert intake.receive("stripe", "POST", headers, body, path, path).status == "stored"
    app = create_app(auth.store, auth)
    with serving(app):
        assert app.state.hooks.wait_idle(60)
    with auth.store.session() as session:
        found = {
            r.data["type"]: r.data["account_id"]
            for r in session.scalars(select(Record).where(Record.entity == "activity"))
        }
    assert found == {"invoice_overdue": str(customers.acme), "dispute_opened": str(customers.acme)}
