"""Lead feedback and no-contact holds in a real store: every decision with its outbox entry,
refusals in plain words, the order the rep sees them in."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from db.edits import LocalEditor
from db.field.holds import ContactHolds, HoldError
from db.field.leads import LeadDesk, LeadError
from db.profiles.book import USERNAME
from db.store.local_store import Store
from db.store.models import OutboxEntry, SyncState
from sync.enums import LeadOutcome, LeadStatus, RejectReason
from tests.helpers.factories import add_account, add_contact

TODAY = date(2026, 11, 23)


@pytest.fixture
def acme(store: Store) -> uuid.UUID:
    with store.session() as session:
        session.add(SyncState(key=USERNAME, value="ana"))
    return add_account(store, "Acme Logistics")


def lead(store: Store, account: uuid.UUID, campaign: str, day: int) -> uuid.UUID:
    """A lead as marketing's sync brings it."""
    lead_id, _ = LocalEditor(store).create(
        "lead",
        account_id=account,
        campaign=campaign,
        score=70,
        handed_over_at=datetime(2026, 11, day, 9, tzinfo=UTC),
    )
    return lead_id


def outbox(store: Store, entity: str) -> list[dict[str, object]]:
    with store.reading() as session:
        rows = session.scalars(
            select(OutboxEntry).where(OutboxEntry.entity == entity, OutboxEntry.op != "create")
        )
        return [e.fields for e in rows]


def test_accept_reject_and_outcomes_sync_back(store: Store, acme: uuid.UUID) -> None:
    desk = LeadDesk(store)
    webinar, ebook, fair = (
        lead(store, acme, c, d) for c, d in (("webinar", 1), ("ebook", 2), ("fair", 3))
    )
    assert [r.campaign for r in desk.leads()] == ["fair", "ebook", "webinar"]
    desk.accept(webinar, "Good fit, budget in Q1")
    desk.reject(ebook, RejectReason.NO_BUDGET, "frozen until 2028")
    assert [r.campaign for r in desk.leads()] == ["fair", "webinar"]  # new, then awaiting outcome
    desk.record_outcome(webinar, LeadOutcome.LOST, "went with the incumbent")
    assert [r.campaign for r in desk.leads()] == ["fair"]
    settled = {r.campaign: r for r in desk.leads(include_settled=True)}
    assert settled["ebook"].status is LeadStatus.REJECTED
    assert settled["ebook"].reject_reason is RejectReason.NO_BUDGET
    assert settled["webinar"].outcome is LeadOutcome.LOST
    sent = outbox(store, "lead")
    assert sent[0]["status"] == "accepted" and sent[0]["decided_by"] == "ana"
    assert sent[1]["reject_reason"] == "no_budget"
    assert sent[2]["outcome"] == "lost" and sent[2]["outcome_reason"] == "went with the incumbent"


@pytest.mark.parametrize(
    ("act", "message"),
    [
        (lambda d, i: d.reject(i, RejectReason.OTHER, "  "), "say why"),
        (lambda d, i: d.record_outcome(i, LeadOutcome.WON), "accept it first"),
        (lambda d, i: (d.accept(i), d.record_outcome(i, LeadOutcome.LOST)), "why it was lost"),
        (lambda d, i: d.accept(i, "x" * 2001), "under 2,000"),
    ],
)
def test_lead_refusals(store: Store, acme: uuid.UUID, act: object, message: str) -> None:
    lead_id = lead(store, acme, "webinar", 1)
    with pytest.raises(LeadError, match=message):
        act(LeadDesk(store), lead_id)  # type: ignore[operator]


def test_a_lead_with_an_outcome_cannot_be_rejected_after(store: Store, acme: uuid.UUID) -> None:
    desk = LeadDesk(store)
    lead_id = lead(store, acme, "webinar", 1)
    desk.accept(lead_id)
    desk.record_outcome(lead_id, LeadOutcome.WON)
    with pytest.raises(LeadError, match="already has an outcome"):
        desk.reject(lead_id, RejectReason.DUPLICATE)


def test_holds_run_until_they_expire_or_are_lifted(store: Store, acme: uuid.UUID) -> None:
    holds = ContactHolds(store)
    zoe = add_contact(store, acme, "Zoë", "Núñez")
    rob = add_contact(store, acme, "Rob", "Stone")
    zoe_hold, _ = holds.place(zoe, date(2026, 12, 31), None, "in final negotiation", TODAY)
    holds.place(rob, date(2026, 12, 1), " Winter  offer ", today=TODAY)
    active = holds.active(acme, TODAY)
    assert [h.describe for h in active] == [
        "Rob Stone: “Winter offer” on hold until Tue 1 Dec 2026",
        "Zoë Núñez: all marketing on hold until Thu 31 Dec 2026",
    ]
    assert active[1].requested_by == "ana"
    assert holds.active(acme, date(2026, 12, 2))[0].contact_name == "Zoë Núñez"  # Rob's ended
    holds.lift(zoe_hold)
    assert [h.contact_name for h in holds.active(acme, TODAY)] == ["Rob Stone"]
    with store.reading() as session:
        ops = [
            e.op
            for e in session.scalars(
                select(OutboxEntry).where(OutboxEntry.entity == "contact_hold")
            )
        ]
    assert ops == ["create", "create", "delete"]


@pytest.mark.parametrize(
    ("until", "message"), [(TODAY, "after today"), (date(2027, 12, 1), "at most 365 days")]
)
def test_hold_refusals(store: Store, acme: uuid.UUID, until: date, message: str) -> None:
    zoe = add_contact(store, acme, "Zoë", "Núñez")
    with pytest.raises(HoldError, match=message):
        ContactHolds(store).place(zoe, until, today=TODAY)
