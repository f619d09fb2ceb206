"""HubSpot workflow webhooks over real HTTP: the v3 signature over method, URI, body and
timestamp; each workflow event as marketing activity, a handed-over contact as a lead."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.connectors.verify import hubspot_uri
from server.models import OutsideKey, Record
from tests.server.connectors.conftest import (
    HUBSPOT_SECRET,
    Customers,
    Hooks,
    body_of,
    hubspot_signed,
    payload,
)

PUBLIC = "https://fieldbrief.example.com"


@pytest.fixture
def hubspot(hooks: Hooks) -> Hooks:
    hooks.connectors.add("hubspot", HUBSPOT_SECRET, public_url=PUBLIC)
    return hooks


def workflow(**fields: Any) -> dict[str, Any]:
    return {**payload("hubspot_workflow"), **fields}


def send(hooks: Hooks, document: dict[str, Any], uri: str = "") -> dict[str, Any]:
    body = body_of(document)
    headers = hubspot_signed(body, hooks.clock.now, uri or f"{PUBLIC}/v1/hooks/hubspot")
    answer = hooks.post("hubspot", body, headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_each_workflow_event_becomes_marketing_activity_and_a_handover_a_lead(
    hubspot: Hooks, customers: Customers
) -> None:
    events = [
        workflow(event="email_opened", webinar="", event_id="hs-1"),
        workflow(event="email_clicked", url="https://acme.example/pricing", event_id="hs-2"),
        workflow(event="form_submitted", form="Request a demo", event_id="hs-3"),
        workflow(event_id="hs-4"),  # webinar_attended
        workflow(event="lead_handed_to_sales", score="72", event_id="hs-5"),
    ]
    for document in events:
        assert send(hubspot, document)["status"] == "stored"
    hubspot.settle()
    found = {a["type"]: a for a in hubspot.activities()}
    assert {k: a["title"] for k, a in found.items()} == {
        "email_opened": "Opened email: Warehouse automation 2026",
        "email_clicked": "Clicked https://acme.example/pricing in email: Warehouse automation 2026",
        "form_fill": "Filled in form: Request a demo",
        "webinar_attended": "Attended webinar: Automating your warehouse",
        "lead_handed_over": "Handed over as a lead: Warehouse automation 2026",
    }
    for activity in found.values():
        assert (activity["account_id"], activity["contact_id"], activity["channel"]) == (
            str(customers.acme),
            str(customers.zoe),
            "marketing",
        )
        assert activity["occurred_at"] == "2026-11-23T08:30:00+00:00"
    with hubspot.auth.store.session() as session:
        [lead] = session.scalars(select(Record).where(Record.entity == "lead"))
        assert (lead.data["campaign"], lead.data["score"], lead.data["status"]) == (
            "Warehouse automation 2026",
            72,
            "new",
        )
        assert lead.data["contact_id"] == str(customers.zoe)


def test_the_signature_covers_method_uri_body_and_timestamp(
    hubspot: Hooks, customers: Customers
) -> None:
    body = body_of(workflow())
    now = hubspot.clock.now
    at_public = f"{PUBLIC}/v1/hooks/hubspot"
    cases = {
        "another secret": hubspot_signed(body, now, at_public, secret="0000-not-ours"),
        "another address": hubspot_signed(body, now, "https://evil.example/v1/hooks/hubspot"),
        "another method": hubspot_signed(body, now, at_public, method="PUT"),
        "6 minutes old": hubspot_signed(body, now - timedelta(minutes=6), at_public),
        "seconds, not ms": {
            **hubspot_signed(body, now, at_public),
            "X-HubSpot-Request-Timestamp": str(int(now.timestamp())),
        },
    }
    for case, headers in cases.items():
        answer = hubspot.post("hubspot", body, headers)
        assert (answer.status_code, answer.json()["error"]) == (401, "bad_signature"), case
    # Without a public address set, the one the request arrived at is what HubSpot signed.
    assert hubspot.deliveries() == {}
    assert send(hubspot, workflow(), uri=f"{hubspot.url}/v1/hooks/hubspot")["status"] == "stored"


def test_a_retried_body_is_a_duplicate_and_an_unknown_event_is_ignored(
    hubspot: Hooks, customers: Customers
) -> None:
    first = send(hubspot, workflow())  # no event_id: known again by its bytes
    assert first["status"] == "stored" and first["delivery_id"].startswith("body-")
    hubspot.clock.advance(hours=20)  # HubSpot retries for up to three days
    assert send(hubspot, workflow()) == {**first, "status": "duplicate"}
    ignored = send(hubspot, workflow(event="deal_stage_changed"))
    assert ignored["status"] == "ignored"
    assert ignored["message"].startswith("Fieldbrief takes no 'deal_stage_changed' event")
    hubspot.settle()
    assert len(hubspot.activities()) == 1


def test_the_company_record_id_finds_an_account_imported_from_hubspot(
    hubspot: Hooks, customers: Customers
) -> None:
    with hubspot.auth.store.session() as session:  # as an import of a HubSpot export leaves it
        session.add(
            OutsideKey(system="hubspot", key="9001", entity="account", record_id=customers.suedwerk)
        )
    send(hubspot, workflow(email="nobody@gmail.example", company_id="9001"))
    hubspot.settle()
    [attended] = hubspot.activities()
    assert (attended["account_id"], attended["territory"]) == (str(customers.suedwerk), "south")


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"email": "zoe"}, "email: must be an e-mail address"),
        ({"event": "form_submitted", "campaign": ""}, "form: required for form_submitted"),
        ({"score": 140, "event": "lead_handed_to_sales"}, "score: Input should be less than"),
        ({"occurred_at": "2026-11-23T08:30:00"}, "occurred_at: Input should have timezone"),
        ({"occurred_at": "0001-01-01T00:00:00+05:00"}, "occurred_at: must lie between 1900"),
        ({"company_id": "ACME"}, "company_id: String should match pattern"),
        ({"contact": {"id": 1}}, "contact: Extra inputs are not permitted"),
        ({"occurred_at": "2027-03-01T00:00:00Z"}, "occurred_at: more than a day in the future"),
    ],
)
def test_a_body_that_is_not_the_documented_one_says_which_field(
    hubspot: Hooks, customers: Customers, fields: dict[str, Any], problem: str
) -> None:
    body = body_of(workflow(**fields))
    headers = hubspot_signed(body, hubspot.clock.now, f"{PUBLIC}/v1/hooks/hubspot")
    answer = hubspot.post("hubspot", body, headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["message"].startswith(problem)


def test_the_uri_is_signed_with_the_characters_hubspot_decodes() -> None:
    assert hubspot_uri("https://x.example/v1/hooks/hubspot?a=%3A%2f%40%21b%26c") == (
        "https://x.example/v1/hooks/hubspot?a=:/@!b%26c"
    )
