"""Zendesk webhooks over real HTTP: the trigger's body as ticket events, the signature and
its timestamp, retries, and bodies that say what is wrong with them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.server.connectors.conftest import (
    ZENDESK_SECRET,
    Customers,
    Hooks,
    body_of,
    payload,
    zendesk_signed,
)


@pytest.fixture
def zendesk(hooks: Hooks) -> Hooks:
    hooks.connectors.add("zendesk", ZENDESK_SECRET)
    return hooks


def ticket(**fields: Any) -> dict[str, Any]:
    return {**payload("zendesk_ticket"), **fields}


def send(hooks: Hooks, document: dict[str, Any]) -> dict[str, Any]:
    body = body_of(document)
    answer = hooks.post("zendesk", body, zendesk_signed(body, hooks.clock.now))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_new_urgent_and_solved_tickets_become_our_ticket_events(
    zendesk: Hooks, customers: Customers
) -> None:
    created = ticket(status="New", priority="High", updated_at="2026-11-23T08:40:00Z")
    urgent = ticket()  # raised to urgent, still open
    solved = ticket(status="Solved", priority="Urgent", updated_at="2026-11-23T08:59:40Z")
    answers = [send(zendesk, t) for t in (created, urgent, solved)]
    assert [a["delivery_id"] for a in answers] == [
        "ticket-57303-20261123T084000Z",
        "ticket-57303-20261123T085812Z",
        "ticket-57303-20261123T085940Z",
    ]
    zendesk.settle()
    found = sorted(zendesk.activities(), key=lambda a: str(a["occurred_at"]))
    subject = "Sync stuck at 80% since the update"
    assert [(a["type"], a["title"]) for a in found] == [
        ("ticket_opened", f"Ticket #57303 opened: {subject} (high)"),
        ("ticket_updated", f"Ticket #57303 updated: {subject} (urgent, open)"),
        ("ticket_closed", f"Ticket #57303 closed: {subject}"),
    ]
    assert found[1]["details"] == {
        "ticket": 57303,
        "severity": "urgent",
        "subject": "Sync stuck at 80% since the update",
        "status": "open",
        "organization": "Acme Logistics",
    }
    for activity in found:
        assert (activity["account_id"], activity["contact_id"]) == (
            str(customers.acme),
            str(customers.zoe),
        )
        assert (activity["channel"], activity["source_system"]) == ("service", "zendesk")
    assert found[1]["occurred_at"] == "2026-11-23T08:58:12+00:00"


def test_a_ticket_made_open_at_once_is_opened_and_the_organization_external_id_finds_it(
    zendesk: Hooks, customers: Customers
) -> None:
    # An agent's ticket, open from the start, for a requester we hold no contact for.
    made = ticket(
        status="open",
        requester_email="new.person@elsewhere.example",
        organization_external_id="A-1",
        created_at="2026-11-23T08:58:12Z",
    )
    send(zendesk, made)
    zendesk.settle()
    [opened] = zendesk.activities()
    assert (opened["type"], opened["account_id"], opened["contact_id"]) == (
        "ticket_opened",
        str(customers.acme),
        None,
    )


def test_placeholders_with_nothing_behind_them_are_left_out(
    zendesk: Hooks, customers: Customers
) -> None:
    bare = ticket(priority="-", subject="", organization="", created_at="", status="pending")
    send(zendesk, bare)
    zendesk.settle()
    [updated] = zendesk.activities()
    assert updated["title"] == "Ticket #57303 updated (pending)"
    assert updated["details"] == {"ticket": 57303, "status": "pending"}


def test_two_triggers_firing_on_one_update_and_retries_make_one_event(
    zendesk: Hooks, customers: Customers
) -> None:
    assert send(zendesk, ticket())["status"] == "stored"
    zendesk.clock.advance(minutes=3)  # Zendesk's retry, signed anew
    assert send(zendesk, ticket())["status"] == "duplicate"
    zendesk.settle()
    assert len(zendesk.activities()) == 1


def test_a_wrong_secret_or_an_old_timestamp_is_refused(
    zendesk: Hooks, customers: Customers
) -> None:
    body = body_of(ticket())
    now = zendesk.clock.now
    wrong = zendesk.post("zendesk", body, zendesk_signed(body, now, "not-the-secret-at-all"))
    assert (wrong.status_code, wrong.json()["error"]) == (401, "bad_signature")
    old = zendesk.post("zendesk", body, zendesk_signed(body, now - timedelta(minutes=10)))
    assert old.status_code == 401 and "10 minutes old" in old.json()["message"]
    headers = zendesk_signed(body, now)
    headers["X-Zendesk-Webhook-Signature-Timestamp"] = "2026-11-23T09:00:01Z"  # not what was signed
    assert zendesk.post("zendesk", body, headers).status_code == 401
    del headers["X-Zendesk-Webhook-Signature-Timestamp"]
    assert zendesk.post("zendesk", body, headers).status_code == 401
    assert zendesk.deliveries() == {}


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"status": "escalated"}, "status: must be one of new, open, pending"),
        ({"priority": "P1"}, "priority: must be one of low, normal, high, urgent"),
        ({"ticket_id": "57303a"}, "ticket_id: Input should be a valid integer"),
        ({"updated_at": "23/11/2026"}, "updated_at: Input should be a valid datetime"),
        ({"updated_at": "2026-11-23T08:58:12"}, "updated_at: Input should have timezone info"),
        ({"updated_at": "0001-01-01T00:00:00+05:00"}, "updated_at: must lie between 1900 and"),
        ({"subject": "x" * 1001}, "subject: String should have at most 1000 characters"),
        ({"requester_email": "not an address"}, "requester_email: must be an e-mail"),
        ({"requester_email": ""}, "requester_email or organization_external_id: give one"),
        ({"assignee": "Pat"}, "assignee: Extra inputs are not permitted"),
    ],
)
def test_a_body_that_is_not_the_documented_one_says_which_field(
    zendesk: Hooks, customers: Customers, fields: dict[str, Any], problem: str
) -> None:
    body = body_of(ticket(**fields))
    answer = zendesk.post("zendesk", body, zendesk_signed(body, zendesk.clock.now))
    assert answer.status_code == 400, answer.text
    assert answer.json()["message"].startswith(problem)
    assert zendesk.deliveries() == {}


def test_a_ticket_of_no_known_customer_waits_in_the_unmatched_queue(
    zendesk: Hooks, customers: Customers
) -> None:
    send(zendesk, ticket(requester_email="someone@unknown.example"))
    zendesk.settle()
    taken = zendesk.taken("zendesk", "ticket-57303-20261123T085812Z")
    assert taken is not None and taken.status == "unmatched"
    assert taken.reason == (
        "no contact with the e-mail someone@unknown.example; "
        "no account with the website domain unknown.example"
    )
    assert zendesk.activities() == []
