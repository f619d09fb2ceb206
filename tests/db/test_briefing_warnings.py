"""The markers' service (db.briefing.warnings.WarningIndex): one line per account from the
briefing's own rules, for a page of accounts at once, read through an index."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from db.briefing.rules import CAUTION
from db.briefing.service import BriefingService
from db.briefing.warnings import WarningIndex
from db.edits import LocalEditor
from db.store.local_store import Store
from sync.enums import Channel, TeamRole
from tests.helpers.factories import (
    add_account,
    add_activity,
    add_contact,
    add_numbered_accounts,
    add_team_member,
)

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return NOW - timedelta(days=days)


def billing(store: Store, account: uuid.UUID, kind: str, days: float, **details: Any) -> None:
    add_activity(
        store, account, kind, type=kind, channel=Channel.BILLING, details=details, at=at(days)
    )


def a_territory(store: Store) -> dict[str, uuid.UUID]:
    """Accounts with one thing each, and a quiet one."""
    accounts = {
        name: add_account(store, name)
        for name in ("Disputed", "Overdue", "Ticket", "Settled", "Quiet", "Unhappy", "Held")
    }
    add_team_member(store, accounts["Disputed"], "Sandra Kühn", TeamRole.BILLING_CONTACT)
    billing(store, accounts["Disputed"], "dispute_opened", 5, dispute="D-1", invoice="INV-1")
    billing(store, accounts["Disputed"], "invoice_overdue", 3, invoice="INV-3", amount=5)
    billing(store, accounts["Overdue"], "invoice_overdue", 9, invoice="INV-5", amount=1200)
    add_activity(
        store, accounts["Ticket"], "Ticket", type="ticket_opened", channel=Channel.SERVICE,
        details={"ticket": "42", "severity": "urgent", "subject": "Down"}, at=at(2),
    )  # fmt: skip
    billing(store, accounts["Settled"], "dispute_opened", 50, dispute="D-2", invoice="INV-2")
    billing(store, accounts["Settled"], "dispute_resolved", 40, dispute="D-2")
    add_activity(store, accounts["Quiet"], "Opened", type="email_opened", at=at(1))
    rob = add_contact(store, accounts["Unhappy"], "Rob", "Stone")
    add_activity(
        store, accounts["Unhappy"], "NPS", type="nps_response", channel=Channel.SERVICE,
        contact_id=rob, details={"score": 3}, at=at(10),
    )  # fmt: skip
    billing(store, accounts["Held"], "credit_hold", 4, reason="overdue")
    return accounts


def test_one_line_per_account_from_the_briefings_rules(store: Store) -> None:
    accounts = a_territory(store)
    found = WarningIndex(store).for_accounts(accounts.values(), now=NOW)
    named = {name: found.get(account) for name, account in accounts.items()}
    assert named == {
        "Disputed": "Open dispute: invoice INV-1",  # the worst of its two
        "Overdue": "Overdue invoice INV-5",
        "Ticket": "Urgent ticket #42 open",
        "Settled": None,
        "Quiet": None,
        "Unhappy": "Unhappy: NPS 3/10",
        "Held": "On credit hold",
    }
    # The same as the first line of each briefing's warning band.
    service = BriefingService(store)
    for account, line in found.items():
        briefing = service.briefing(account, now=NOW)
        assert briefing is not None and briefing.warnings[0].headline == line


def test_gone_and_unknown_accounts_have_no_line(store: Store) -> None:
    accounts = a_territory(store)
    LocalEditor(store).delete("account", accounts["Overdue"])
    found = WarningIndex(store).for_accounts([accounts["Overdue"], uuid.uuid4()], now=NOW)
    assert found == {}
    assert WarningIndex(store).for_accounts([], now=NOW) == {}


def test_a_payment_lifts_the_marker_as_it_lifts_the_band(store: Store) -> None:
    accounts = a_territory(store)
    billing(store, accounts["Overdue"], "invoice_paid", 1, invoice="INV-5")
    billing(store, accounts["Disputed"], "dispute_resolved", 1, dispute="D-1")
    found = WarningIndex(store).for_accounts(accounts.values(), now=NOW)
    assert accounts["Overdue"] not in found
    assert found[accounts["Disputed"]] == "Overdue invoice INV-3"


@contextmanager
def activity_queries(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements that read the activity table while the block runs."""
    seen: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if " activity" in statement:
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", grab)


def test_read_through_the_account_and_type_index_never_a_scan(store: Store) -> None:
    add_numbered_accounts(store, 300)
    accounts = a_territory(store)
    with activity_queries(store) as seen:
        WarningIndex(store).for_accounts(accounts.values(), now=NOW)
    assert seen
    plans = []
    with store.engine.connect() as connection:
        for statement, parameters in seen:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.append([str(row[-1]) for row in rows])
    steps = [step for plan in plans for step in plan]
    assert not [s for s in steps if s.startswith("SCAN activity")], plans
    assert any("activity USING INDEX ix_activity_account_type" in s for s in steps), plans


def test_a_page_of_accounts_in_a_handful_of_queries(store: Store) -> None:
    """The activity queries do not grow with the accounts asked about: one for what is
    open, one for the newest surveys (and one per credit hold for an invoice)."""
    accounts = list(a_territory(store).values())
    index = WarningIndex(store)
    for asked in (accounts[:1], accounts):
        with activity_queries(store) as seen:
            index.for_accounts(asked, now=NOW)
        assert len(seen) == 2


def test_a_cancelled_subscription_warns_for_a_year(store: Store) -> None:
    """Churn (a connector's customer.subscription.deleted): a caution in the band and the
    marker, with the plan and why; gone from both a year on."""
    churned = add_account(store, "Churned")
    add_team_member(store, churned, "Sandra Kühn", TeamRole.BILLING_CONTACT)
    billing(
        store, churned, "subscription_cancelled", 20,
        subscription="sub_1", plan="Pro yearly", reason="too expensive",
    )  # fmt: skip
    assert WarningIndex(store).for_accounts([churned], now=NOW) == {
        churned: "Subscription cancelled"
    }
    briefing = BriefingService(store).briefing(churned, now=NOW)
    assert briefing is not None
    [band] = briefing.warnings
    assert band.level == CAUTION and "Pro yearly" in band.text and "too expensive" in band.text
    assert band.owner is not None and "Sandra Kühn" in band.owner
    later = NOW + timedelta(days=400)
    assert WarningIndex(store).for_accounts([churned], now=later) == {}
